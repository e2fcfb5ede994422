/*
 * http.h - HTTPS on top of the libcurl multi interface, driven by kg_loop.
 *
 * HTTPS only, verification always on (tls.ca_bundle adds a CA file),
 * proxies from the usual environment variables, connection reuse, HTTP/2
 * when offered, connect and total timeouts, bounded bodies (over the cap is
 * KG_ERR_TOOBIG), retries with capped jittered backoff honouring
 * Retry-After for requests marked retryable, and the server's request id
 * kept with every response.  Never logs a header value or a body.
 */
#ifndef KIGO_HTTP_H
#define KIGO_HTTP_H

#include "kigo/buf.h"
#include "kigo/common.h"
#include "kigo/loop.h"

struct kg_http;

struct kg_http_opts {
	const char *ca_bundle;       /* PEM file, NULL/"" = system store */
	long connect_timeout_ms;     /* 0 = 10000 */
	long timeout_ms;             /* whole transfer; 0 = 30000 */
	size_t max_body;             /* response cap; 0 = 8 MiB */
	int max_retries;             /* for retryable requests; 0 = 3, -1 = none */
	long backoff_base_ms;        /* first backoff; 0 = 500 */
	long backoff_cap_ms;         /* cap per wait; 0 = 30000 */
	const char *user_agent;      /* NULL = "kigo-tui/VERSION" */
};

enum kg_http_method {
	KG_HTTP_GET, KG_HTTP_POST, KG_HTTP_PATCH, KG_HTTP_PUT, KG_HTTP_DELETE,
	KG_HTTP_HEAD    /* no body is read */
};

struct kg_http_req {
	enum kg_http_method method;
	const char *url;             /* https only; build it with kg_url_build */
	const char *body;            /* copied; NULL = no body */
	size_t body_len;             /* 0 = strlen(body) */
	const char *content_type;    /* NULL = application/json when there is a body */
	const char *bearer;          /* Authorization: Bearer (copied, wiped, never logged) */
	const char *basic_user;      /* Basic auth (password copied, wiped, never logged) */
	const char *basic_pass;
	const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
	bool retry;                  /* safe to resend: GET, or POST with Idempotency-Key */
	size_t max_body;             /* 0 = the client's default */
	long timeout_ms;             /* 0 = the client's default */
};

struct kg_http_resp {
	enum kg_err err;       /* KG_ERR_OK whenever an HTTP status arrived, even 4xx/5xx */
	char *error;           /* transport detail when err != OK (curl's words + hint) */
	long status;           /* HTTP status, 0 when none arrived */
	struct kg_buf body;    /* response body (NUL-terminated) */
	char *request_id;      /* X-Request-Id (control characters dropped); may be NULL */
	char *etag;            /* ETag; may be NULL */
	char *content_type;
	int retry_after;       /* seconds from Retry-After, -1 when absent */
	bool replayed;         /* Idempotent-Replayed: true */
	int64_t server_date;   /* Date header as epoch seconds, 0 when absent */
	bool request_sent;     /* the request (with its body) went out completely: a
	                          failure after this is ambiguous */
	int attempts;          /* how many times it was sent */
	int64_t elapsed_ms;
};

/*
 * Called once per request from the loop (never re-entrantly from inside
 * kg_http_send).  resp is owned by kg_http and freed after the callback
 * returns; steal the body with kg_buf_steal() to keep it.
 */
typedef void (*kg_http_done_fn)(struct kg_http_resp *resp, void *ud);

struct kg_http *kg_http_new(struct kg_loop *loop, const struct kg_http_opts *opts, char **cause);
/* Cancels every transfer without calling their callbacks. */
void kg_http_free(struct kg_http **http);

/* Start a request; returns its id (never 0). */
uint64_t kg_http_send(struct kg_http *http, const struct kg_http_req *req, kg_http_done_fn done,
                      void *ud);
/*
 * Warm a connection up for the requests that will follow: HEAD url without
 * credentials, sent once (never retried), on a new connection that joins
 * the pool when the answer is in, whatever its status, so that the next
 * requests to that host skip the TCP and TLS handshakes (the caller should
 * send them once done has been called).  Bounded by the connect timeout.
 */
uint64_t kg_http_warm(struct kg_http *http, const char *url, kg_http_done_fn done, void *ud);
/* Drop a request: its callback will not be called. */
void kg_http_cancel(struct kg_http *http, uint64_t id);
/* Requests started and not yet completed (the spinner shows while > 0). */
size_t kg_http_pending(const struct kg_http *http);

/*
 * Build base + path + query with libcurl's URL API.  path_segments are
 * appended one per element, each percent-escaped (so "tok_1/../x" cannot
 * escape its segment); query is NULL or name,value pairs terminated by NULL,
 * values escaped.  Returns NULL and sets *cause on a bad base URL.
 * Caller frees.
 */
char *kg_url_build(const char *base, const char *const *path_segments,
                   const char *const *query, char **cause);
/* True when url parses and its scheme is https. */
bool kg_url_is_https(const char *url);

/*
 * For a message about a body that could not be read: "an HTML page, which
 * a proxy or a login page sends in place of the service's answer" when the
 * body is HTML (Content-Type text/html, or it starts with '<'); NULL
 * otherwise (the decoder's own words then say what was wrong).
 */
const char *kg_http_body_hint(const struct kg_http_resp *resp);

/* "GET", "POST", ... */
const char *kg_http_method_str(enum kg_http_method m);

/*
 * The wait before retry number `attempt` (1 = the first retry): full jitter,
 * a uniform draw in [0, min(cap_ms, base_ms * 2^(attempt-1))].  *rng is an
 * xorshift state (never 0), advanced.  Exposed for tests.
 */
long kg_http_backoff_ms(long base_ms, long cap_ms, int attempt, uint64_t *rng);
/* A Retry-After longer than this many seconds is not waited for: the 429/503
 * response goes to the caller. */
#define KG_HTTP_RETRY_AFTER_MAX_S 120

#endif
