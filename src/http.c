/*
 * http.c - HTTPS requests through one libcurl multi handle driven by kg_loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it up (CURLMOPT_TIMERFUNCTION); the loop calls back into
 * curl_multi_socket_action(), and finished transfers are collected with
 * curl_multi_info_read().  Completion callbacks therefore always run from
 * the loop, never from inside kg_http_send(); failures found while sending
 * (a bad URL) are delivered through a 0 ms timer for the same reason.
 *
 * It must never: speak anything but https (also on redirects, which are not
 * followed), switch verification off, log a header value or a body, keep an
 * unbounded body, or sleep (retry waits are loop timers).  Credentials go
 * into a header list we own so they can be wiped after the request.
 */
#include "kigo/http.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "kigo/log.h"

#define DEF_CONNECT_MS 10000L
#define DEF_TIMEOUT_MS 30000L
#define DEF_MAX_BODY ((size_t)8 << 20)
#define DEF_RETRIES 3
#define DEF_BASE_MS 500L
#define DEF_CAP_MS 30000L
#define MAX_HDR_VALUE 256

struct xfer {
	struct kg_http *http;
	struct xfer *next;
	uint64_t id;
	CURL *easy;
	bool in_multi;               /* added to the multi handle */
	uint64_t timer;              /* retry wait or immediate delivery */

	enum kg_http_method method;
	char *url;
	char *host;                  /* for messages */
	char *logpath;               /* path?query for the log, no userinfo */
	char *body;                  /* request body copy (wiped) */
	size_t body_len;
	struct curl_slist *hdrs;     /* incl. Authorization: wiped before free */
	bool retry;
	size_t max_body;
	long timeout_ms;

	bool toobig;                 /* the write callback hit the cap */
	int64_t start_ms, attempt_ms;
	char errbuf[CURL_ERROR_SIZE];
	struct kg_http_resp resp;
	kg_http_done_fn done;
	void *ud;
};

struct kg_http {
	struct kg_loop *loop;
	CURLM *multi;
	struct kg_http_opts o;       /* defaults filled in; strings owned */
	char *ca_bundle, *user_agent;
	uint64_t curl_timer;         /* loop timer curl asked for, 0 = none */
	struct xfer *xfers;          /* requests not yet delivered */
	uint64_t next_id;
	uint64_t rng;
	int *fds;                    /* sockets we watch for curl */
	size_t nfds;
	int depth;                   /* inside a loop callback of ours */
	bool dying;                  /* kg_http_free() called from a callback */
};

static void check_done(struct kg_http *http);
static void start_attempt(struct xfer *x);

/* ---- small helpers ------------------------------------------------------ */

const char *
kg_http_method_str(enum kg_http_method m)
{
	switch (m) {
	case KG_HTTP_GET: return "GET";
	case KG_HTTP_POST: return "POST";
	case KG_HTTP_PATCH: return "PATCH";
	case KG_HTTP_PUT: return "PUT";
	case KG_HTTP_DELETE: return "DELETE";
	case KG_HTTP_HEAD: return "HEAD";
	}
	return "GET";
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

long
kg_http_backoff_ms(long base_ms, long cap_ms, int attempt, uint64_t *rng)
{
	long ceil = base_ms > 0 ? base_ms : 1;

	for (int i = 1; i < attempt && ceil < cap_ms; i++)
		ceil = ceil > cap_ms / 2 ? cap_ms : ceil * 2;
	if (ceil > cap_ms)
		ceil = cap_ms;
	if (ceil <= 0)
		return 0;
	return (long)(xorshift(rng) % ((uint64_t)ceil + 1));
}

static void
slist_wipe_free(struct curl_slist **l)
{
	for (struct curl_slist *p = *l; p; p = p->next)
		kg_memzero(p->data, strlen(p->data));
	curl_slist_free_all(*l);
	*l = NULL;
}

static char *
base64(const unsigned char *in, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = kg_xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Header value copy: trimmed, control characters dropped, bounded. */
static char *
hdr_value(const char *v, size_t n)
{
	char *out;
	size_t o = 0;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n > MAX_HDR_VALUE)
		n = MAX_HDR_VALUE;
	out = kg_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] >= 0x20 && v[i] != 0x7f)
			out[o++] = v[i];
	}
	out[o] = '\0';
	return out;
}

static bool
hdr_is(const char *line, size_t n, const char *name, const char **val, size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return false;
	*val = line + k + 1;
	*vlen = n - k - 1;
	return true;
}

const char *
kg_http_body_hint(const struct kg_http_resp *resp)
{
	const char *b = resp != NULL ? resp->body.data : NULL;
	size_t i = 0;

	if (resp == NULL)
		return NULL;
	while (b != NULL && i < resp->body.len && strchr(" \t\r\n", b[i]) != NULL)
		i++;
	if ((resp->content_type != NULL && strncasecmp(resp->content_type, "text/html", 9) == 0) ||
	    (b != NULL && i < resp->body.len && b[i] == '<'))
		return "an HTML page, which a proxy or a login page sends in place of the "
		       "service's answer";
	return NULL;
}

/* ---- URLs --------------------------------------------------------------- */

bool
kg_url_is_https(const char *url)
{
	CURLU *u;
	char *scheme = NULL;
	bool ok;

	if (url == NULL)
		return false;
	u = curl_url();
	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	     strcmp(scheme, "https") == 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

char *
kg_url_build(const char *base, const char *const *path_segments, const char *const *query,
             char **cause)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL, *out = NULL;
	struct kg_buf p;
	CURLUcode rc;

	kg_buf_init(&p, 0);
	if (base == NULL || (rc = curl_url_set(u, CURLUPART_URL, base, 0)) != CURLUE_OK) {
		kg_set_cause(cause, "invalid base URL \"%s\": %s; write it as https://host/path",
		             base ? base : "", base ? curl_url_strerror(rc) : "empty");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    strcmp(scheme, "https") != 0) {
		kg_set_cause(cause, "base URL \"%s\" is not https; only https URLs are allowed, "
		             "so write it as https://...", base);
		goto out;
	}
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
		kg_buf_puts(&p, path);
	while (p.len > 0 && p.data[p.len - 1] == '/')
		p.data[--p.len] = '\0';
	for (size_t i = 0; path_segments && path_segments[i]; i++) {
		const char *seg = path_segments[i];
		char *esc;

		if (*seg == '\0' || strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0) {
			kg_set_cause(cause, "invalid URL path segment \"%s\": empty and dot "
			             "segments are refused", seg);
			goto out;
		}
		/* Escapes everything but unreserved characters, "/" included. */
		esc = curl_easy_escape(NULL, seg, 0);
		if (esc == NULL)
			kg_fatal("out of memory escaping a URL segment");
		kg_buf_printf(&p, "/%s", esc);
		curl_free(esc);
	}
	if (p.len == 0)
		kg_buf_puts(&p, "/");
	if (curl_url_set(u, CURLUPART_PATH, kg_buf_str(&p), 0) != CURLUE_OK) {
		kg_set_cause(cause, "cannot build a URL from \"%s\"", base);
		goto out;
	}
	for (size_t i = 0; query && query[i]; i += 2) {
		char *pair;

		if (query[i + 1] == NULL) {
			kg_set_cause(cause, "URL query parameter \"%s\" has no value", query[i]);
			goto out;
		}
		pair = kg_xasprintf("%s=%s", query[i], query[i + 1]);
		rc = curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE);
		free(pair);
		if (rc != CURLUE_OK) {
			kg_set_cause(cause, "cannot add query parameter \"%s\": %s", query[i],
			             curl_url_strerror(rc));
			goto out;
		}
	}
	{
		char *full = NULL;

		if (curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK) {
			out = kg_xstrdup(full);
			curl_free(full);
		} else {
			kg_set_cause(cause, "cannot build a URL from \"%s\"", base);
		}
	}
out:
	kg_buf_free(&p);
	curl_free(scheme);
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

/* Host and "path?query" of a URL for messages and the log. */
static void
url_parts(const char *url, char **host, char **logpath)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL, *q = NULL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_HOST, &h, 0);
		curl_url_get(u, CURLUPART_PATH, &p, 0);
		curl_url_get(u, CURLUPART_QUERY, &q, 0);
	}
	*host = kg_xstrdup(h ? h : "(invalid URL)");
	*logpath = q ? kg_xasprintf("%s?%s", p ? p : "/", q) : kg_xstrdup(p ? p : "/");
	curl_free(h);
	curl_free(p);
	curl_free(q);
	curl_url_cleanup(u);
}

/* ---- curl <-> loop glue ------------------------------------------------- */

static void
enter(struct kg_http *http)
{
	http->depth++;
}

static void destroy(struct kg_http *http);

static void
leave(struct kg_http *http)
{
	if (--http->depth == 0 && http->dying)
		destroy(http);
}

static void
on_socket(struct kg_loop *loop, int fd, short revents, void *ud)
{
	struct kg_http *http = ud;
	int running = 0, mask = 0;

	(void)loop;
	if (revents & (POLLIN | POLLHUP))
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	enter(http);
	curl_multi_socket_action(http->multi, fd, mask, &running);
	check_done(http);
	leave(http);
}

static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct kg_http *http = userp;
	short ev = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		kg_loop_unwatch(http->loop, s);
		for (size_t i = 0; i < http->nfds; i++) {
			if (http->fds[i] == s) {
				http->fds[i] = http->fds[--http->nfds];
				break;
			}
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= POLLOUT;
	kg_loop_watch(http->loop, s, ev, on_socket, http);
	for (size_t i = 0; i < http->nfds; i++) {
		if (http->fds[i] == s)
			return 0;
	}
	http->fds = kg_xrealloc(http->fds, (http->nfds + 1) * sizeof(*http->fds));
	http->fds[http->nfds++] = s;
	return 0;
}

static void
on_curl_timer(struct kg_loop *loop, void *ud)
{
	struct kg_http *http = ud;
	int running = 0;

	(void)loop;
	http->curl_timer = 0;
	enter(http);
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(http);
	leave(http);
}

static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct kg_http *http = userp;

	(void)multi;
	kg_timer_cancel(http->loop, http->curl_timer);
	http->curl_timer = 0;
	if (timeout_ms >= 0)
		http->curl_timer = kg_timer_add(http->loop, timeout_ms, on_curl_timer, http);
	return 0;
}

/* ---- per-transfer callbacks --------------------------------------------- */

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (kg_buf_append(&x->resp.body, ptr, n) != KG_ERR_OK) {
		x->toobig = true;
		return 0;   /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static void
reset_resp_headers(struct kg_http_resp *r)
{
	kg_free(&r->request_id);
	kg_free(&r->etag);
	kg_free(&r->content_type);
	r->retry_after = -1;
	r->replayed = false;
	r->server_date = 0;
}

static size_t
header_cb(char *line, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	struct kg_http_resp *r = &x->resp;
	size_t n = size * nmemb;
	const char *v;
	size_t vl;

	/* A new status line (100 Continue, a proxy's CONNECT): start over. */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		reset_resp_headers(r);
	} else if (hdr_is(line, n, "X-Request-Id", &v, &vl)) {
		kg_free(&r->request_id);
		r->request_id = hdr_value(v, vl);
	} else if (hdr_is(line, n, "ETag", &v, &vl)) {
		kg_free(&r->etag);
		r->etag = hdr_value(v, vl);
	} else if (hdr_is(line, n, "Content-Type", &v, &vl)) {
		kg_free(&r->content_type);
		r->content_type = hdr_value(v, vl);
	} else if (hdr_is(line, n, "Idempotent-Replayed", &v, &vl)) {
		char *s = hdr_value(v, vl);

		r->replayed = kg_strcaseeq(s, "true");
		free(s);
	} else if (hdr_is(line, n, "Date", &v, &vl)) {
		char *s = hdr_value(v, vl);
		time_t t = curl_getdate(s, NULL);

		r->server_date = t > 0 ? (int64_t)t : 0;
		free(s);
	} else if (hdr_is(line, n, "Retry-After", &v, &vl)) {
		char *s = hdr_value(v, vl), *end = NULL;
		long secs = strtol(s, &end, 10);

		if (end != s && *end == '\0' && secs >= 0) {
			r->retry_after = secs > INT32_MAX ? INT32_MAX : (int)secs;
		} else {
			time_t t = curl_getdate(s, NULL);

			if (t > 0)
				r->retry_after = t > kg_wall_now() ? (int)(t - kg_wall_now()) : 0;
		}
		free(s);
	}
	return n;
}

static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *ud)
{
	(void)easy;
	(void)ud;
	/* Only curl's own narration (not the TLS record chatter): never
	 * header or data lines. */
	if (type == CURLINFO_TEXT && strncmp(data, "TLSv", 4) != 0) {
		while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
			size--;
		kg_log_debug("curl: %.*s", (int)size, data);
	}
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

static void
xfer_free(struct xfer *x)
{
	struct kg_http_resp *r = &x->resp;

	kg_timer_cancel(x->http->loop, x->timer);
	if (x->in_multi)
		curl_multi_remove_handle(x->http->multi, x->easy);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	slist_wipe_free(&x->hdrs);
	if (x->body) {
		kg_memzero(x->body, x->body_len);
		free(x->body);
	}
	free(x->url);
	free(x->host);
	free(x->logpath);
	reset_resp_headers(r);
	kg_free(&r->error);
	kg_buf_wipe(&r->body);
	free(x);
}

static void
unlink_xfer(struct kg_http *http, struct xfer *x)
{
	for (struct xfer **pp = &http->xfers; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			return;
		}
	}
}

static void
log_attempt(struct xfer *x)
{
	struct kg_http_resp *r = &x->resp;
	int64_t ms = kg_now_ms() - x->attempt_ms;

	if (r->err == KG_ERR_OK)
		kg_log_info("HTTP %s %s -> %ld request-id=%s %lldms attempt %d",
		            kg_http_method_str(x->method), x->logpath, r->status,
		            r->request_id ? r->request_id : "-", (long long)ms, r->attempts);
	else
		kg_log_info("HTTP %s %s -> %s (%s) request-id=%s %lldms attempt %d",
		            kg_http_method_str(x->method), x->logpath, kg_err_str(r->err),
		            x->errbuf[0] ? x->errbuf : "-",
		            r->request_id ? r->request_id : "-", (long long)ms, r->attempts);
}

/* Hand the response to the caller, then forget the request. */
static void
deliver(struct xfer *x)
{
	struct kg_http *http = x->http;

	unlink_xfer(http, x);
	x->resp.elapsed_ms = kg_now_ms() - x->start_ms;
	if (x->resp.body.data == NULL)
		kg_buf_append(&x->resp.body, "", 0);
	if (x->done)
		x->done(&x->resp, x->ud);
	xfer_free(x);
}

static void
on_deliver_timer(struct kg_loop *loop, void *ud)
{
	struct xfer *x = ud;
	struct kg_http *http = x->http;

	(void)loop;
	x->timer = 0;
	enter(http);
	deliver(x);
	leave(http);
}

static void
on_retry_timer(struct kg_loop *loop, void *ud)
{
	struct xfer *x = ud;

	(void)loop;
	x->timer = 0;
	start_attempt(x);
}

static void
set_error(struct xfer *x, enum kg_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
set_error(struct xfer *x, enum kg_err err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = kg_xvasprintf(fmt, ap);
	va_end(ap);
	x->resp.err = err;
	kg_free(&x->resp.error);
	if (x->resp.request_id)
		x->resp.error = kg_xasprintf("%s (request id %s)", msg, x->resp.request_id);
	else
		x->resp.error = kg_xstrdup(msg);
	free(msg);
}

/* d contains w, ignoring case. */
static bool
has(const char *d, const char *w)
{
	size_t n = strlen(w);

	for (; *d != '\0'; d++)
		if (strncasecmp(d, w, n) == 0)
			return true;
	return false;
}

/* Why a TLS handshake failed, in our words, from curl's detail d. */
static const char *
tls_why(const char *d)
{
	if (has(d, "expired"))
		return "the server's certificate has expired (or this machine's clock is wrong)";
	if (has(d, "not yet valid"))
		return "the server's certificate is not valid yet (or this machine's clock is wrong)";
	if (has(d, "subject name") || has(d, "does not match") || has(d, "hostname") ||
	    has(d, "host name"))
		return "the server's certificate is for another host name";
	if (has(d, "revoked"))
		return "the server's certificate has been revoked";
	if (has(d, "self-signed") || has(d, "self signed") || has(d, "issuer") ||
	    has(d, "unknown ca") || has(d, "verify failed") || has(d, "CA cert") ||
	    has(d, "certificate chain"))
		return "the server's certificate is not signed by a certificate authority this "
		       "machine trusts";
	return "the secure connection could not be set up";
}

/* How a connection broke, in our words, from curl's detail d. */
static const char *
net_why(CURLcode rc, const char *d)
{
	if (rc == CURLE_PARTIAL_FILE || has(d, "transfer closed") || has(d, "end of file") ||
	    has(d, "unexpected eof"))
		return "the connection closed before the whole answer arrived";
	if (has(d, "reset"))
		return "the connection was reset";
	if (rc == CURLE_GOT_NOTHING || has(d, "empty reply"))
		return "the server closed the connection without answering";
	if (rc == CURLE_SEND_ERROR || has(d, "Send failure"))
		return "the connection broke while the request was being sent";
	if (rc == CURLE_RECV_ERROR || has(d, "Recv failure"))
		return "the connection broke while the answer was awaited";
	return "the connection broke";
}

/*
 * Turn a curl result into resp->err and a sentence: what, why, what to do,
 * in our words.  curl's own text (its error buffer) goes to the log line of
 * the attempt (log_attempt, -v), never into the sentence: it is written for
 * curl's developers ("getpeername() failed", "Recv failure").
 */
static void
map_error(struct xfer *x, CURLcode rc)
{
	const char *d = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

	/* A connection reset or closed during the handshake is the network's
	 * fault, not the certificate's: say so (and retry). */
	if (rc == CURLE_SSL_CONNECT_ERROR &&
	    (has(d, "reset") || has(d, "Recv failure") || has(d, "Send failure") ||
	     has(d, "SSL_ERROR_SYSCALL") || has(d, "unexpected eof") || has(d, "getpeername") ||
	     has(d, "connection closed") || has(d, "Connection refused")))
		rc = CURLE_RECV_ERROR;
	switch (rc) {
	case CURLE_OK:
		x->resp.err = KG_ERR_OK;
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		set_error(x, KG_ERR_DNS, "Could not resolve the host name %s%s; check the URL in your "
		          "configuration, your network connection and DNS or proxy settings", x->host,
		          rc == CURLE_COULDNT_RESOLVE_PROXY ? " (of the proxy)" : "");
		return;
	case CURLE_COULDNT_CONNECT:
		set_error(x, KG_ERR_CONNECT, "Could not connect to %s: %s; the server may be down or "
		          "a firewall or proxy blocks it; check the address and try again", x->host,
		          has(d, "refused") || has(d, "Couldn't connect") ? "the connection was refused"
		          : has(d, "unreachable") || has(d, "No route")
		                  ? "the network or the host is unreachable"
		                  : "the connection could not be made");
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		set_error(x, KG_ERR_TLS, "TLS certificate verification failed for %s: %s; kigo-tui "
		          "could not verify the server's identity and sent nothing. If your "
		          "organisation uses a private CA, set [tls] ca_bundle to its PEM file",
		          x->host, tls_why(d));
		return;
	case CURLE_OPERATION_TIMEDOUT:
		set_error(x, KG_ERR_TIMEOUT, "Request to %s timed out: %s; the server or the network "
		          "is slow or unreachable; try again later", x->host,
		          has(d, "Connection timed out") || has(d, "connect")
		                  ? "the connection could not be made in time"
		                  : "no complete answer came in time");
		return;
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
		if (rc == CURLE_FILESIZE_EXCEEDED || x->toobig) {
			set_error(x, KG_ERR_TOOBIG, "The response from %s was larger than the limit of "
			          "%zu bytes and was rejected; this is a server problem, report it to "
			          "its administrators", x->host, x->max_body);
			return;
		}
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		set_error(x, KG_ERR_BAD_INPUT, "Refusing the URL for %s: only well-formed https URLs "
		          "are used; fix the URL in your configuration", x->host);
		return;
	default:
		break;
	}
	set_error(x, KG_ERR_NETWORK, "The connection to %s failed: %s; check your network and "
	          "try again", x->host, net_why(rc, d));
}

static bool
status_retryable(long s)
{
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/*
 * A timeout is not retried: the attempt already took the whole timeout, and
 * a server that stalls once mostly stalls again, so retries would keep the
 * user waiting several times as long before hearing anything.
 */
static bool
err_retryable(enum kg_err e)
{
	return e == KG_ERR_DNS || e == KG_ERR_CONNECT || e == KG_ERR_NETWORK;
}

/* An attempt ended: retry after a loop timer, or deliver. */
static void
finish_attempt(struct xfer *x, CURLcode rc)
{
	struct kg_http *http = x->http;
	struct kg_http_resp *r = &x->resp;
	curl_off_t up = 0;
	long reqsize = 0;
	long wait_ms;

	curl_multi_remove_handle(http->multi, x->easy);
	x->in_multi = false;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &reqsize);
	curl_easy_getinfo(x->easy, CURLINFO_SIZE_UPLOAD_T, &up);
	/* Sent means every byte went out: a failure after that is ambiguous. */
	if (reqsize > 0 && (x->body_len == 0 || up >= (curl_off_t)x->body_len))
		r->request_sent = true;
	map_error(x, rc);
	log_attempt(x);

	if (!x->retry || r->attempts > http->o.max_retries)
		goto done;
	if (r->err == KG_ERR_OK && status_retryable(r->status)) {
		if (r->retry_after > KG_HTTP_RETRY_AFTER_MAX_S)
			goto done;
		wait_ms = kg_http_backoff_ms(http->o.backoff_base_ms, http->o.backoff_cap_ms,
		                             r->attempts, &http->rng);
		if (r->retry_after >= 0)
			wait_ms = (long)r->retry_after * 1000L;
	} else if (err_retryable(r->err)) {
		wait_ms = kg_http_backoff_ms(http->o.backoff_base_ms, http->o.backoff_cap_ms,
		                             r->attempts, &http->rng);
	} else {
		goto done;
	}
	kg_log_info("HTTP %s %s: retry %d in %ld ms", kg_http_method_str(x->method), x->logpath,
	            r->attempts, wait_ms);
	x->timer = kg_timer_add(http->loop, wait_ms, on_retry_timer, x);
	return;
done:
	deliver(x);
}

static void
check_done(struct kg_http *http)
{
	CURLMsg *msg;
	int left;

	while (!http->dying && (msg = curl_multi_info_read(http->multi, &left)) != NULL) {
		struct xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x != NULL)
			finish_attempt(x, msg->data.result);
	}
}

static void
setup_easy(struct xfer *x)
{
	struct kg_http *http = x->http;
	CURL *e = x->easy;

	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/*
	 * libcurl silently resends a request whose reused connection died
	 * before any answer.  A request that is not safe to resend therefore
	 * gets a connection of its own, so it goes out at most once.
	 */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, x->retry ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (!kg_str_empty(http->ca_bundle))
		curl_easy_setopt(e, CURLOPT_CAINFO, http->ca_bundle);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, http->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, x->timeout_ms);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
	curl_easy_setopt(e, CURLOPT_USERAGENT, http->user_agent);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	if (kg_log_enabled(KG_LOG_DEBUG)) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
	switch (x->method) {
	case KG_HTTP_GET:
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case KG_HTTP_POST:
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		break;
	case KG_HTTP_HEAD:
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		break;
	default:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, kg_http_method_str(x->method));
		break;
	}
	if (x->method != KG_HTTP_GET && (x->body || x->method == KG_HTTP_POST)) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
	}
}

static void
start_attempt(struct xfer *x)
{
	struct kg_http *http = x->http;
	struct kg_http_resp *r = &x->resp;
	CURLMcode mc;

	reset_resp_headers(r);
	kg_free(&r->error);
	kg_buf_wipe(&r->body);
	kg_buf_init(&r->body, x->max_body);
	r->err = KG_ERR_OK;
	r->status = 0;
	r->request_sent = false;
	x->toobig = false;
	x->errbuf[0] = '\0';
	r->attempts++;
	x->attempt_ms = kg_now_ms();
	mc = curl_multi_add_handle(http->multi, x->easy);
	if (mc != CURLM_OK) {
		set_error(x, KG_ERR_NETWORK, "Could not start a request to %s: %s; try again",
		          x->host, curl_multi_strerror(mc));
		x->timer = kg_timer_add(http->loop, 0, on_deliver_timer, x);
		return;
	}
	x->in_multi = true;
}

static void
add_header(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);

	if (n == NULL)
		kg_fatal("out of memory building request headers");
	*l = n;
}

uint64_t
kg_http_send(struct kg_http *http, const struct kg_http_req *req, kg_http_done_fn done,
             void *ud)
{
	struct xfer *x = kg_xcalloc(1, sizeof(*x));
	char *h;

	x->http = http;
	x->id = ++http->next_id;
	x->done = done;
	x->ud = ud;
	x->method = req->method;
	x->url = kg_xstrdup(req->url ? req->url : "");
	url_parts(x->url, &x->host, &x->logpath);
	x->retry = req->retry && http->o.max_retries > 0;
	x->max_body = req->max_body ? req->max_body : http->o.max_body;
	x->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : http->o.timeout_ms;
	x->start_ms = kg_now_ms();
	x->resp.retry_after = -1;
	kg_buf_init(&x->resp.body, x->max_body);
	if (req->body) {
		x->body_len = req->body_len ? req->body_len : strlen(req->body);
		x->body = kg_xmalloc(x->body_len + 1);
		memcpy(x->body, req->body, x->body_len);
		x->body[x->body_len] = '\0';
		h = kg_xasprintf("Content-Type: %s",
		                 req->content_type ? req->content_type : "application/json");
		add_header(&x->hdrs, h);
		free(h);
	}
	/* No "Expect: 100-continue" round trip for large bodies. */
	add_header(&x->hdrs, "Expect:");
	for (size_t i = 0; req->headers && req->headers[i]; i++)
		add_header(&x->hdrs, req->headers[i]);
	if (!kg_str_empty(req->bearer)) {
		h = kg_xasprintf("Authorization: Bearer %s", req->bearer);
		add_header(&x->hdrs, h);
		kg_secret_free(&h);
	} else if (req->basic_user) {
		char *pair = kg_xasprintf("%s:%s", req->basic_user, req->basic_pass ? req->basic_pass : "");
		char *b64 = base64((const unsigned char *)pair, strlen(pair));

		h = kg_xasprintf("Authorization: Basic %s", b64);
		add_header(&x->hdrs, h);
		kg_secret_free(&h);
		kg_secret_free(&b64);
		kg_secret_free(&pair);
	}
	x->next = http->xfers;
	http->xfers = x;

	if (!kg_url_is_https(x->url)) {
		set_error(x, KG_ERR_BAD_INPUT, "Refusing to send a request to \"%s\": only https "
		          "URLs are allowed; fix the URL in your configuration", x->logpath);
		x->resp.attempts = 0;
		x->timer = kg_timer_add(http->loop, 0, on_deliver_timer, x);
		return x->id;
	}
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		kg_fatal("curl_easy_init failed (out of memory)");
	setup_easy(x);
	start_attempt(x);
	return x->id;
}

uint64_t
kg_http_warm(struct kg_http *http, const char *url, kg_http_done_fn done, void *ud)
{
	struct kg_http_req req;

	memset(&req, 0, sizeof(req));
	req.method = KG_HTTP_HEAD;
	req.url = url;
	req.retry = false; /* once; its connection is new anyway and joins the pool */
	req.timeout_ms = http->o.connect_timeout_ms;
	return kg_http_send(http, &req, done, ud);
}

void
kg_http_cancel(struct kg_http *http, uint64_t id)
{
	for (struct xfer *x = http ? http->xfers : NULL; x; x = x->next) {
		if (x->id == id) {
			unlink_xfer(http, x);
			xfer_free(x);
			return;
		}
	}
}

size_t
kg_http_pending(const struct kg_http *http)
{
	size_t n = 0;

	for (const struct xfer *x = http ? http->xfers : NULL; x; x = x->next)
		n++;
	return n;
}

/* ---- lifecycle ---------------------------------------------------------- */

struct kg_http *
kg_http_new(struct kg_loop *loop, const struct kg_http_opts *opts, char **cause)
{
	struct kg_http *http;
	struct kg_http_opts def = { 0 };

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		kg_set_cause(cause, "cannot initialise libcurl; reinstall libcurl4");
		return NULL;
	}
	if (opts == NULL)
		opts = &def;
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): kg_str_empty(NULL) */
	if (!kg_str_empty(opts->ca_bundle) && access(opts->ca_bundle, R_OK) != 0) {
		kg_set_cause(cause, "cannot read the CA bundle %s; set [tls] ca_bundle to a "
		             "readable PEM file, or leave it empty for the system store",
		             opts->ca_bundle);
		curl_global_cleanup();
		return NULL;
	}
	http = kg_xcalloc(1, sizeof(*http));
	http->loop = loop;
	http->o = *opts;
	http->ca_bundle = kg_xstrdup(opts->ca_bundle);
	http->user_agent = opts->user_agent ? kg_xstrdup(opts->user_agent)
	                                    : kg_xstrdup("kigo-tui/" KG_VERSION);
	http->o.ca_bundle = http->ca_bundle;
	http->o.user_agent = http->user_agent;
	if (http->o.connect_timeout_ms <= 0)
		http->o.connect_timeout_ms = DEF_CONNECT_MS;
	if (http->o.timeout_ms <= 0)
		http->o.timeout_ms = DEF_TIMEOUT_MS;
	if (http->o.max_body == 0)
		http->o.max_body = DEF_MAX_BODY;
	if (http->o.max_retries == 0)
		http->o.max_retries = DEF_RETRIES;
	else if (http->o.max_retries < 0)
		http->o.max_retries = 0;
	if (http->o.backoff_base_ms <= 0)
		http->o.backoff_base_ms = DEF_BASE_MS;
	if (http->o.backoff_cap_ms <= 0)
		http->o.backoff_cap_ms = DEF_CAP_MS;
	http->rng = (uint64_t)kg_now_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() ^
	            (uint64_t)(uintptr_t)http;

	http->multi = curl_multi_init();
	if (http->multi == NULL)
		kg_fatal("curl_multi_init failed (out of memory)");
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return http;
}

static void
destroy(struct kg_http *http)
{
	while (http->xfers) {
		struct xfer *x = http->xfers;

		http->xfers = x->next;
		xfer_free(x);
	}
	kg_timer_cancel(http->loop, http->curl_timer);
	/* Connections still cached close here; their fds stop being watched. */
	curl_multi_cleanup(http->multi);
	for (size_t i = 0; i < http->nfds; i++)
		kg_loop_unwatch(http->loop, http->fds[i]);
	kg_timer_cancel(http->loop, http->curl_timer);
	free(http->fds);
	free(http->ca_bundle);
	free(http->user_agent);
	free(http);
	curl_global_cleanup();
}

void
kg_http_free(struct kg_http **hp)
{
	struct kg_http *http = hp ? *hp : NULL;

	if (http == NULL)
		return;
	*hp = NULL;
	if (http->depth > 0) {
		/* Called from one of our callbacks: finish when it returns. */
		http->dying = true;
		while (http->xfers) {
			struct xfer *x = http->xfers;

			http->xfers = x->next;
			xfer_free(x);
		}
		return;
	}
	destroy(http);
}
