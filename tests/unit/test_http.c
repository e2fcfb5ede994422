/*
 * test_http.c - kg_http against a real HTTPS server (tests/fakes/
 * echo_server.py) with a CA made at test time: requests, headers, retries
 * and backoff, timeouts, the body cap, TLS failures, and that credentials
 * never reach the log even at debug level.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kigo/http.h"
#include "kigo/log.h"
#include "support/fakesrv.h"

static struct kg_fake fake;
static struct kg_loop *loop;

struct result {
	bool done;
	int calls;
	enum kg_err err;
	long status;
	char *error;
	char *body;
	char *request_id;
	char *etag;
	char *content_type;
	int retry_after;
	bool replayed;
	int64_t server_date;
	bool request_sent;
	int attempts;
	int64_t elapsed_ms;
};

static void
on_done(struct kg_http_resp *r, void *ud)
{
	struct result *res = ud;

	res->done = true;
	res->calls++;
	res->err = r->err;
	res->status = r->status;
	res->error = r->error ? strdup(r->error) : NULL;
	res->body = kg_buf_steal(&r->body);
	res->request_id = r->request_id ? strdup(r->request_id) : NULL;
	res->etag = r->etag ? strdup(r->etag) : NULL;
	res->content_type = r->content_type ? strdup(r->content_type) : NULL;
	res->retry_after = r->retry_after;
	res->replayed = r->replayed;
	res->server_date = r->server_date;
	res->request_sent = r->request_sent;
	res->attempts = r->attempts;
	res->elapsed_ms = r->elapsed_ms;
}

static void
result_free(struct result *r)
{
	free(r->error);
	free(r->body);
	free(r->request_id);
	free(r->etag);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

static void
wait_for(struct result *r)
{
	int64_t deadline = kg_now_ms() + 15000;

	while (!r->done && kg_now_ms() < deadline)
		kg_loop_once(loop, 200);
	cr_assert(r->done, "request did not complete");
}

static void
start_echo(void)
{
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	cr_assert(kg_fake_start(&fake, "echo_server.py", "server", NULL));
	loop = kg_loop_new();
}

static void
stop_echo(void)
{
	kg_log_close();
	kg_loop_free(&loop);
	kg_fake_stop(&fake);
}

static struct kg_http *
client(long base_ms, long cap_ms, int max_retries)
{
	struct kg_http_opts o = {
		.ca_bundle = fake.ca,
		.backoff_base_ms = base_ms,
		.backoff_cap_ms = cap_ms,
		.max_retries = max_retries,
		.timeout_ms = 5000,
	};
	char *cause = NULL;
	struct kg_http *h = kg_http_new(loop, &o, &cause);

	cr_assert_not_null(h, "%s", cause ? cause : "");
	return h;
}

static char *
url(const char *path)
{
	return kg_xasprintf("%s%s", fake.base, path);
}

/* GET (or a method) path, wait, fill r. */
static void
do_req(struct kg_http *h, enum kg_http_method m, const char *path, bool retry, struct result *r)
{
	char *u = url(path);
	struct kg_http_req req = { .method = m, .url = u, .retry = retry };

	kg_http_send(h, &req, on_done, r);
	free(u);
	wait_for(r);
}

/* ---- pure parts: no server --------------------------------------------- */

TestSuite(url, .timeout = 20);
TestSuite(http_backoff, .timeout = 20);

Test(url, build_escapes_segments_and_query)
{
	const char *segs[] = { "api", "now", "tok_1/../x", "a b", NULL };
	const char *q[] = { "sysparm_query", "number=INC1^ORactive=true&x", "limit", "2", NULL };
	char *cause = NULL;
	char *u = kg_url_build("https://example.invalid/base/", segs, q, &cause);

	cr_assert_not_null(u, "%s", cause);
	cr_assert_str_eq(u, "https://example.invalid/base/api/now/tok_1%2f..%2fx/a%20b"
	                    "?sysparm_query=number%3dINC1%5eORactive%3dtrue%26x&limit=2");
	free(u);
	u = kg_url_build("https://example.invalid", NULL, NULL, &cause);
	cr_assert_str_eq(u, "https://example.invalid/");
	free(u);
}

Test(url, build_refuses_bad_input)
{
	char *cause = NULL;
	const char *dots[] = { "a", "..", NULL };
	const char *empty[] = { "", NULL };
	const char *odd[] = { "name", NULL };

	cr_assert_null(kg_url_build("http://example.invalid", NULL, NULL, &cause));
	cr_assert_not_null(strstr(cause, "https"));
	cr_assert_null(kg_url_build("not a url", NULL, NULL, &cause));
	cr_assert_not_null(strstr(cause, "not a url"));
	cr_assert_null(kg_url_build(NULL, NULL, NULL, &cause));
	cr_assert_null(kg_url_build("https://h", dots, NULL, &cause));
	cr_assert_null(kg_url_build("https://h", empty, NULL, &cause));
	cr_assert_null(kg_url_build("https://h", NULL, odd, &cause));
	free(cause);
}

Test(url, is_https)
{
	cr_assert(kg_url_is_https("https://x.invalid/a"));
	cr_assert(kg_url_is_https("HTTPS://x.invalid/a"));
	cr_assert_not(kg_url_is_https("http://x.invalid/a"));
	cr_assert_not(kg_url_is_https("ftp://x.invalid/a"));
	cr_assert_not(kg_url_is_https("x.invalid"));
	cr_assert_not(kg_url_is_https(""));
	cr_assert_not(kg_url_is_https(NULL));
}

Test(http_backoff, full_jitter_within_cap)
{
	uint64_t rng = 42;
	long max_seen[8] = { 0 };

	for (int i = 0; i < 2000; i++) {
		for (int a = 1; a <= 7; a++) {
			long w = kg_http_backoff_ms(100, 1000, a, &rng);
			long ceil = 100L << (a - 1);

			if (ceil > 1000)
				ceil = 1000;
			cr_assert_geq(w, 0);
			cr_assert_leq(w, ceil, "attempt %d wait %ld > %ld", a, w, ceil);
			if (w > max_seen[a])
				max_seen[a] = w;
		}
	}
	/* jitter really spreads over the range, and the cap is reached */
	cr_assert_gt(max_seen[1], 80);
	cr_assert_gt(max_seen[7], 900);
	cr_assert_leq(kg_http_backoff_ms(100, 1000, 1000, &rng), 1000);
}

Test(http_opts, unreadable_ca_bundle_is_refused)
{
	struct kg_loop *l = kg_loop_new();
	struct kg_http_opts o = { .ca_bundle = "/nonexistent/ca.pem" };
	char *cause = NULL;

	cr_assert_null(kg_http_new(l, &o, &cause));
	cr_assert_not_null(strstr(cause, "/nonexistent/ca.pem"));
	cr_assert_not_null(strstr(cause, "ca_bundle"));
	free(cause);
	kg_loop_free(&l);
}

/* ---- against the HTTPS echo server ------------------------------------ */

TestSuite(http, .init = start_echo, .fini = stop_echo);

Test(http, get_and_headers)
{
	struct kg_http *h = client(0, 0, 0);
	struct result r = { 0 };

	do_req(h, KG_HTTP_GET, "/echo/x?etag=%22v7%22&replayed=1&date=1&rid=rid-123", false, &r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.error);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "\"method\":\"GET\""));
	cr_assert_not_null(strstr(r.body, "\"path\":\"/echo/x\""));
	cr_assert_str_eq(r.request_id, "rid-123");
	cr_assert_str_eq(r.etag, "\"v7\"");
	cr_assert(r.replayed);
	cr_assert_eq(r.server_date, 1795595400); /* Wed, 25 Nov 2026 08:30:00 GMT */
	cr_assert_str_eq(r.content_type, "application/json");
	cr_assert_eq(r.retry_after, -1);
	cr_assert_eq(r.attempts, 1);
	cr_assert(r.request_sent);
	cr_assert_eq(kg_http_pending(h), 0);
	result_free(&r);

	/* the fake's own id when we did not ask for one */
	do_req(h, KG_HTTP_GET, "/echo", false, &r);
	cr_assert_not_null(r.request_id);
	cr_assert_eq(strncmp(r.request_id, "req-", 4), 0);
	cr_assert_not(r.replayed);
	result_free(&r);
	kg_http_free(&h);
	cr_assert_null(h);
}

Test(http, post_body_headers_and_connection_reuse)
{
	struct kg_http *h = client(0, 0, 0);
	struct result r1 = { 0 }, r2 = { 0 };
	char *u = url("/echo/post");
	const char *hdrs[] = { "Idempotency-Key: 0b7c0e4e-1", "If-Match: \"3\"", NULL };
	struct kg_http_req req = { .method = KG_HTTP_POST, .url = u, .body = "{\"a\":1}",
	                           .headers = hdrs, .retry = true };

	kg_http_send(h, &req, on_done, &r1);
	wait_for(&r1);
	cr_assert_eq(r1.status, 200, "%s", r1.error);
	cr_assert_not_null(strstr(r1.body, "\"method\":\"POST\""));
	cr_assert_not_null(strstr(r1.body, "\"body\":\"{\\\"a\\\":1}\""));
	cr_assert_not_null(strstr(r1.body, "\"Content-Type\":\"application/json\""));
	cr_assert_not_null(strstr(r1.body, "\"Idempotency-Key\":\"0b7c0e4e-1\""));
	cr_assert_null(strstr(r1.body, "Expect"));

	req.method = KG_HTTP_PATCH;
	req.body = "x=1";
	req.content_type = "application/x-www-form-urlencoded";
	kg_http_send(h, &req, on_done, &r2);
	wait_for(&r2);
	cr_assert_not_null(strstr(r2.body, "\"method\":\"PATCH\""));
	cr_assert_not_null(strstr(r2.body, "application/x-www-form-urlencoded"));
	/* the second request went over the first one's connection */
	const char *c1 = strstr(r1.body, "\"conn\":"), *c2 = strstr(r2.body, "\"conn\":");
	cr_assert(c1 && c2);
	cr_assert_eq(strtol(c1 + 7, NULL, 10), strtol(c2 + 7, NULL, 10));
	free(u);
	result_free(&r1);
	result_free(&r2);
	kg_http_free(&h);
}

Test(http, status_errors_are_not_transport_errors)
{
	struct kg_http *h = client(0, 0, 0);
	struct result r = { 0 };

	do_req(h, KG_HTTP_DELETE, "/status/404", true, &r);
	cr_assert_eq(r.err, KG_ERR_OK);
	cr_assert_eq(r.status, 404);
	cr_assert_null(r.error);
	cr_assert_not_null(strstr(r.body, "Status 404"));
	cr_assert_eq(r.attempts, 1); /* 4xx other than 429 is never retried */
	result_free(&r);
	kg_http_free(&h);
}

Test(http, retry_503_then_success)
{
	struct kg_http *h = client(10, 50, 0);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"503\",\"next\":2}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.attempts, 3);
	char *log = NULL;
	kg_fake_call(&fake, "GET", "/__control/requests", NULL, &log);
	int n = 0;
	for (const char *p = log; (p = strstr(p, "\"path\":\"/echo\"")); p++)
		n++;
	cr_assert_eq(n, 3, "%s", log);
	free(log);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, no_retry_when_not_retryable)
{
	struct kg_http *h = client(10, 50, 0);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"503\",\"next\":1}"));
	do_req(h, KG_HTTP_POST, "/echo", false, &r);
	cr_assert_eq(r.status, 503);
	cr_assert_eq(r.attempts, 1);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, retries_exhausted_deliver_last_response)
{
	struct kg_http *h = client(5, 10, 2);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"502\",\"next\":10}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.status, 502);
	cr_assert_eq(r.attempts, 3);
	cr_assert_not_null(r.request_id);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, retry_after_is_honoured)
{
	struct kg_http *h = client(5, 10, 0);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"429\",\"retry_after\":1}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.attempts, 2);
	/* the cap (10 ms) does not shorten a server's Retry-After */
	cr_assert_geq(r.elapsed_ms, 980, "elapsed %lld", (long long)r.elapsed_ms);
	cr_assert_lt(r.elapsed_ms, 3000, "elapsed %lld", (long long)r.elapsed_ms);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, retry_after_http_date)
{
	struct kg_http *h = client(5, 10, 0);
	struct result r = { 0 };

	/* a date in the past means "now" */
	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"503\",\"retry_after\":"
	                               "\"Wed, 21 Oct 2015 07:28:00 GMT\"}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.attempts, 2);
	cr_assert_lt(r.elapsed_ms, 5000);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, retry_after_too_long_gives_up)
{
	struct kg_http *h = client(5, 10, 0);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"429\",\"retry_after\":3600}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.err, KG_ERR_OK);
	cr_assert_eq(r.status, 429);
	cr_assert_eq(r.retry_after, 3600);
	cr_assert_eq(r.attempts, 1);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, backoff_is_capped)
{
	/* base 20 s would take minutes uncapped; the 40 ms cap bounds each wait */
	struct kg_http *h = client(20000, 40, 3);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"500\",\"next\":3}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.attempts, 4);
	cr_assert_lt(r.elapsed_ms, 2000, "elapsed %lld", (long long)r.elapsed_ms);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, reset_is_retried_and_ambiguous_drop_reported)
{
	struct kg_http *h = client(5, 10, 0);
	struct result r = { 0 };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"reset\"}"));
	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.status, 200, "%s", r.error);
	cr_assert_eq(r.attempts, 2);
	result_free(&r);

	/* the server applied it and dropped the answer: ambiguous, not resent */
	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"commit_then_drop\"}"));
	char *u = url("/echo");
	struct kg_http_req req = { .method = KG_HTTP_POST, .url = u, .body = "{\"n\":1}" };
	kg_http_send(h, &req, on_done, &r);
	free(u);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_NETWORK, "%d %s", r.err, r.error);
	cr_assert(r.request_sent);
	cr_assert_eq(r.attempts, 1);
	cr_assert_not_null(strstr(r.error, "127.0.0.1"));
	/* sent exactly once: libcurl's silent resend on a dead reused
	 * connection must not apply to a request that is not safe to resend */
	char *log = NULL;
	kg_fake_call(&fake, "GET", "/__control/requests", NULL, &log);
	cr_assert_not_null(strstr(log, "\"method\":\"POST\""));
	cr_assert_null(strstr(strstr(log, "\"method\":\"POST\"") + 1, "\"method\":\"POST\""), "%s", log);
	free(log);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, timeout)
{
	struct kg_http *h = client(5, 10, -1);
	struct result r = { 0 };
	char *u = url("/echo");
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u, .timeout_ms = 300,
	                           .retry = true };

	cr_assert(kg_fake_fault(&fake, "{\"kind\":\"hang\",\"hang_s\":5}"));
	kg_http_send(h, &req, on_done, &r);
	free(u);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_TIMEOUT, "%d %s", r.err, r.error);
	cr_assert_eq(r.attempts, 1); /* max_retries -1: none */
	cr_assert_lt(r.elapsed_ms, 2000);
	cr_assert_not_null(strstr(r.error, "timed out"));
	result_free(&r);
	kg_http_free(&h);
}

Test(http, body_over_cap_is_toobig)
{
	struct kg_http *h = client(0, 0, 0);
	struct result r = { 0 };
	char *u = url("/bytes/5000");
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u, .max_body = 1000,
	                           .retry = true };

	kg_http_send(h, &req, on_done, &r);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_TOOBIG, "%d %s", r.err, r.error);
	cr_assert_eq(r.attempts, 1);
	cr_assert_not_null(strstr(r.error, "1000 bytes"));
	result_free(&r);

	req.max_body = 5000; /* exactly at the cap is fine */
	kg_http_send(h, &req, on_done, &r);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.error);
	cr_assert_eq(strlen(r.body), 5000);
	free(u);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, decoded_body_over_cap_is_toobig)
{
	/* 200 bytes on the wire, 2 MB decoded: the cap applies to what we keep */
	struct kg_http *h = client(0, 0, 0);
	struct result r = { 0 };
	char *u = url("/gzip/2000000");
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u, .max_body = 100000 };

	kg_http_send(h, &req, on_done, &r);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_TOOBIG, "%d %s", r.err, r.error);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(r.request_id);
	cr_assert_not_null(strstr(r.error, "request id"), "%s", r.error);
	free(u);
	result_free(&r);

	u = url("/gzip/1000");
	req.url = u;
	kg_http_send(h, &req, on_done, &r);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_OK, "%s", r.error);
	cr_assert_eq(strlen(r.body), 1000);
	free(u);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, wrong_ca_is_tls_error)
{
	struct kg_http_opts o = { .ca_bundle = fake.otherca };
	struct kg_http *h = kg_http_new(loop, &o, NULL);
	struct result r = { 0 };

	do_req(h, KG_HTTP_GET, "/echo", true, &r);
	cr_assert_eq(r.err, KG_ERR_TLS, "%d %s", r.err, r.error);
	cr_assert_eq(r.attempts, 1); /* never retried */
	cr_assert_not(r.request_sent);
	cr_assert_not_null(strstr(r.error, "certificate"), "%s", r.error);
	cr_assert_not_null(strstr(r.error, "verify"), "%s", r.error);
	cr_assert_not_null(strstr(r.error, "ca_bundle"), "%s", r.error);
	cr_assert_not_null(strstr(r.error, "127.0.0.1"), "%s", r.error);
	result_free(&r);
	kg_http_free(&h);
}

static void
tls_failure_with(const char *cert, const char *word)
{
	struct kg_fake bad;
	struct result r = { 0 };

	cr_assert(kg_fake_start(&bad, "echo_server.py", cert, NULL));
	struct kg_http_opts o = { .ca_bundle = bad.ca };
	struct kg_http *h = kg_http_new(loop, &o, NULL);
	char *u = kg_xasprintf("https://localhost:%d/echo", bad.port);
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u };

	kg_http_send(h, &req, on_done, &r);
	wait_for(&r);
	kg_fake_stop(&bad);
	cr_assert_eq(r.err, KG_ERR_TLS, "%d %s", r.err, r.error);
	cr_assert_not_null(strstr(r.error, "certificate"), "%s", r.error);
	cr_assert_not_null(strstr(r.error, "verify"), "%s", r.error);
	cr_assert_not_null(strstr(r.error, word), "%s", r.error);
	free(u);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, expired_certificate)
{
	tls_failure_with("expired", "expired");
}

Test(http, wrong_host_certificate)
{
	tls_failure_with("wronghost", "localhost");
}

Test(http, connection_refused)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s); /* nobody listens there now */

	struct kg_http *h = client(5, 10, 1);
	struct result r = { 0 };
	char *u = kg_xasprintf("https://127.0.0.1:%d/echo", ntohs(sa.sin_port));
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u, .retry = true };

	kg_http_send(h, &req, on_done, &r);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_CONNECT, "%d %s", r.err, r.error);
	cr_assert_eq(r.attempts, 2); /* connection errors are retried */
	cr_assert_not(r.request_sent);
	cr_assert_eq(r.status, 0);
	free(u);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, plain_http_refused_and_delivered_from_the_loop)
{
	struct kg_http *h = client(0, 0, 0);
	struct result r = { 0 };
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = "http://127.0.0.1:1/x" };

	uint64_t id = kg_http_send(h, &req, on_done, &r);
	cr_assert_neq(id, 0);
	cr_assert_not(r.done); /* never called from inside kg_http_send */
	cr_assert_eq(kg_http_pending(h), 1);
	wait_for(&r);
	cr_assert_eq(r.err, KG_ERR_BAD_INPUT);
	cr_assert_not_null(strstr(r.error, "https"));
	cr_assert_eq(kg_http_pending(h), 0);
	result_free(&r);
	kg_http_free(&h);
}

Test(http, cancel_and_free_with_pending_requests)
{
	struct kg_http *h = client(0, 0, 0);
	struct result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	char *u = url("/delay/300");
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u };

	uint64_t a = kg_http_send(h, &req, on_done, &r1);
	uint64_t b = kg_http_send(h, &req, on_done, &r2);
	cr_assert_neq(a, b);
	cr_assert_eq(kg_http_pending(h), 2);
	kg_http_cancel(h, a);
	kg_http_cancel(h, a);
	cr_assert_eq(kg_http_pending(h), 1);
	wait_for(&r2);
	cr_assert_eq(r1.calls, 0);
	cr_assert_eq(r2.status, 200);

	kg_http_send(h, &req, on_done, &r3);
	kg_loop_once(loop, 50);
	kg_http_free(&h); /* r3 never completes and is never called */
	for (int i = 0; i < 5; i++)
		kg_loop_once(loop, 50);
	cr_assert_eq(r3.calls, 0);
	free(u);
	result_free(&r2);
}

struct freer {
	struct kg_http *h;
	struct result r;
};

static void
free_from_callback(struct kg_http_resp *resp, void *ud)
{
	struct freer *f = ud;

	on_done(resp, &f->r);
	kg_http_free(&f->h);
}

Test(http, free_from_inside_a_callback)
{
	struct freer f = { .h = client(0, 0, 0) };
	struct result other = { 0 };
	char *u = url("/echo"), *slow = url("/delay/2000");
	struct kg_http_req req = { .method = KG_HTTP_GET, .url = u };
	struct kg_http_req sreq = { .method = KG_HTTP_GET, .url = slow };

	kg_http_send(f.h, &sreq, on_done, &other);
	kg_http_send(f.h, &req, free_from_callback, &f);
	wait_for(&f.r);
	cr_assert_null(f.h);
	for (int i = 0; i < 3; i++)
		kg_loop_once(loop, 20);
	cr_assert_eq(other.calls, 0);
	free(u);
	free(slow);
	result_free(&f.r);
}

Test(http, credentials_never_reach_the_log)
{
	char logpath[300];
	const char *bearer = "tok-Sup3rSecret-bearer-value";
	const char *pass = "pa55-w0rd-Basic";
	struct result r1 = { 0 }, r2 = { 0 };

	snprintf(logpath, sizeof(logpath), "%s/kigo.log", fake.dir);
	cr_assert_eq(kg_log_open(logpath, 2, NULL), KG_ERR_OK); /* -vv */
	struct kg_http *h = client(0, 0, 0);
	char *u = url("/echo/auth?x=1");
	/* deliberately NOT registered with kg_log_secret: redaction by construction */
	struct kg_http_req req = { .method = KG_HTTP_POST, .url = u, .bearer = bearer,
	                           .body = "{\"refresh_token\":\"rt-Body-Secret-1\"}" };
	kg_http_send(h, &req, on_done, &r1);
	wait_for(&r1);
	struct kg_http_req req2 = { .method = KG_HTTP_GET, .url = u, .basic_user = "agent",
	                            .basic_pass = pass };
	kg_http_send(h, &req2, on_done, &r2);
	wait_for(&r2);
	kg_http_free(&h);
	kg_log_close();

	/* the server did receive them */
	cr_assert_not_null(strstr(r1.body, "Bearer tok-Sup3rSecret-bearer-value"), "%s", r1.body);
	cr_assert_not_null(strstr(r2.body, "Basic YWdlbnQ6cGE1NS13MHJkLUJhc2lj"), "%s", r2.body);

	char *log = kg_fake_slurp(logpath);
	cr_assert_not_null(log);
	cr_assert_not_null(strstr(log, "INFO HTTP POST /echo/auth?x=1 -> 200"), "%s", log);
	cr_assert_not_null(strstr(log, "DEBUG curl: "), "%s", log);
	cr_assert_null(strstr(log, "Sup3rSecret"), "%s", log);
	cr_assert_null(strstr(log, "pa55"), "%s", log);
	cr_assert_null(strstr(log, "YWdlbnQ6cGE1NS13MHJkLUJhc2lj"), "%s", log);
	cr_assert_null(strstr(log, "rt-Body-Secret"), "%s", log);
	cr_assert_null(strstr(log, "Authorization"), "%s", log);
	free(log);
	free(u);
	result_free(&r1);
	result_free(&r2);
}
