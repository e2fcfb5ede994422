/*
 * auth.c - Okta login with the device authorization grant (RFC 8628),
 * refresh with rotation, logout with revocation, and authenticated HTTP.
 *
 * Everything happens on the loop: discovery, the device request, polls on
 * a timer (interval, 5 s when absent, +5 s on every slow_down), the first
 * 200 ends polling at once (a second poll would count as code reuse and
 * revoke the grant).  A refresh runs shortly before the access token
 * expires and once on a 401; concurrent refreshes share one request, and a
 * rotated refresh token replaces the old one in memory and in the secret
 * store at once.  Callbacks are never called from inside a public function.
 *
 * Must never put a token, the device code or a refresh token into a log
 * line, a message or the screen: every one is registered with kg_log_secret
 * and wiped (kg_secret_free) when dropped.  Text from the IdP is sanitized
 * before it becomes part of a message.
 */
#include "kigo/auth.h"

#include <stdlib.h>
#include <string.h>

#include "kigo/buf.h"
#include "kigo/config.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/oidc_json.h"
#include "kigo/sanitize.h"
#include "kigo/secret.h"

#define DEFAULT_INTERVAL 5     /* seconds, RFC 8628 section 3.2 */
#define SLOW_DOWN_STEP 5       /* seconds added per slow_down */
#define MAX_POLL_FAILURES 3    /* consecutive unanswered polls before giving up */
#define EXPIRY_MARGIN 60       /* refresh this many seconds before expiry */
#define REFRESH_RETRY_MS 30000 /* background refresh retry after a network error */

/* One request sent through kg_auth_http_send. */
enum areq_state { AREQ_SENT, AREQ_WAIT_REFRESH, AREQ_FAIL_LATER, AREQ_WAIT_LOAD };

struct areq {
	struct kg_auth *auth;
	uint64_t id;              /* ours, handed to the caller */
	enum areq_state state;
	uint64_t http_id;         /* in flight, 0 when none */
	uint64_t timer;           /* AREQ_FAIL_LATER delivery */
	unsigned token_gen;       /* access token generation it was sent with */
	bool retried;             /* already sent again after a 401 */
	enum kg_err fail_err;     /* AREQ_FAIL_LATER */
	char *fail_msg;
	/* a deep copy of the request, to send it again */
	enum kg_http_method method;
	char *url;
	char *body;
	size_t body_len;
	char *content_type;
	char **headers;
	bool retry;
	size_t max_body;
	long timeout_ms;
	kg_http_done_fn done;
	void *ud;
	struct areq *next;
};

/* Callers waiting for a refresh (kg_auth_refresh). */
struct waiter {
	kg_auth_done_fn done;
	void *ud;
	struct waiter *next;
};

enum login_phase { LOGIN_IDLE, LOGIN_DISCOVERY, LOGIN_DEVICE, LOGIN_POLLING, LOGIN_USERINFO };

struct kg_auth {
	struct kg_loop *loop;           /* borrowed */
	struct kg_http *http;           /* borrowed */
	char *issuer;
	char *client_id;
	char *scopes;
	struct kg_secret *secret;
	char *notice;                   /* one-time notice, NULL when none */

	/* the saved login, read on the secret store's worker (kg_auth_new_async) */
	bool loading;                   /* requests wait until it is read */
	char *load_error;               /* why it could not be read, NULL when it was */
	kg_auth_done_fn on_loaded;
	void *on_loaded_ud;

	/* discovery, fetched once when first needed */
	struct kg_oidc_discovery disc;
	bool have_disc;
	uint64_t disc_http;
	bool disc_for_login, disc_for_refresh, disc_for_logout;

	/* tokens (secrets registered with the log) */
	char *access_token;
	char *refresh_token;
	int64_t expires_at;             /* wall seconds, 0 = unknown */
	unsigned token_gen;             /* bumped with every new access token */
	char *name;                     /* sanitized display claims */
	char *email;
	char *sub;
	char *display;                  /* name, else username, email, sub */

	/* refresh */
	uint64_t refresh_http;
	uint64_t refresh_timer;
	uint64_t kick_timer;            /* a refresh asked for from a public call */
	struct waiter *waiters;

	/* device login */
	struct {
		enum login_phase phase;
		kg_auth_code_fn on_code;
		kg_auth_done_fn on_done;
		void *ud;
		struct kg_oidc_device dev;
		char *uri, *uri_complete, *user_code; /* sanitized */
		int interval;
		int64_t deadline_ms;
		uint64_t poll_timer, expiry_timer, http_id;
		int failures;
	} login;

	/* logout */
	struct {
		bool running;
		kg_auth_done_fn done;
		void *ud;
		int outstanding;
		uint64_t timer;
		uint64_t http[2];       /* revocations in flight */
		char *error;
	} logout;

	/* kg_auth_http_send */
	struct areq *reqs;
	uint64_t next_id;

	kg_auth_change_fn on_change;
	void *on_change_ud;
	struct kg_auth_stats stats;
};

static void refresh_start(struct kg_auth *auth);
static void logout_report(struct kg_auth *auth, enum kg_err clear_err, const char *cause);
static void login_continue(struct kg_auth *auth);
static void logout_continue(struct kg_auth *auth);
static void areq_send(struct areq *ar);

/* ---- small helpers ---- */

static void
drop_secret(char **sp)
{
	if (*sp != NULL)
		kg_log_forget_secret(*sp);
	kg_secret_free(sp);
}

/* Take ownership of a registered secret (the registration moves with it). */
static void
move_secret(char **dst, char **src)
{
	drop_secret(dst);
	*dst = *src;
	*src = NULL;
}

static void
changed(struct kg_auth *auth)
{
	if (auth->on_change != NULL)
		auth->on_change(auth, auth->on_change_ud);
}

/* " (request id X)" or "", sanitized; caller frees. */
static char *
reqid_suffix(const struct kg_http_resp *resp)
{
	char *clean, *s;

	if (resp == NULL || kg_str_empty(resp->request_id))
		return kg_xstrdup("");
	clean = kg_sanitize_str(resp->request_id);
	s = kg_xasprintf(" (request id %s)", clean);
	free(clean);
	return s;
}

/* "IdP error E: description" from an OAuth error body, sanitized. */
static char *
oauth_error_text(const struct kg_oidc_error *e)
{
	char *err = kg_sanitize_str(e->error);
	char *desc = e->error_description != NULL ? kg_sanitize_str(e->error_description) : NULL;
	char *s;

	if (desc != NULL && *desc != '\0')
		s = kg_xasprintf("%s: %s", err, desc);
	else
		s = kg_xstrdup(err);
	free(err);
	free(desc);
	return s;
}

static void
set_display(struct kg_auth *auth, const struct kg_oidc_claims *c)
{
	const char *pick;

	if (c != NULL) {
		if (c->name != NULL) {
			free(auth->name);
			auth->name = kg_sanitize_str(c->name);
		}
		if (c->email != NULL) {
			free(auth->email);
			auth->email = kg_sanitize_str(c->email);
		}
		if (c->sub != NULL) {
			free(auth->sub);
			auth->sub = kg_sanitize_str(c->sub);
		}
		if (auth->name == NULL && c->preferred_username != NULL)
			auth->name = kg_sanitize_str(c->preferred_username);
	}
	pick = !kg_str_empty(auth->name)    ? auth->name
	       : !kg_str_empty(auth->email) ? auth->email
	                                    : auth->sub;
	free(auth->display);
	auth->display = kg_xstrdup(pick);
}

static void
forget_tokens(struct kg_auth *auth)
{
	drop_secret(&auth->access_token);
	drop_secret(&auth->refresh_token);
	auth->expires_at = 0;
	auth->token_gen++;
	kg_free(&auth->name);
	kg_free(&auth->email);
	kg_free(&auth->sub);
	kg_free(&auth->display);
	if (auth->loop != NULL)
		kg_timer_cancel(auth->loop, auth->refresh_timer);
	auth->refresh_timer = 0;
}

static void
set_notice(struct kg_auth *auth, char *notice)
{
	free(auth->notice);
	auth->notice = notice;
	/* Whoever shows the notice says it; the log only keeps it at -vv. */
	if (notice != NULL)
		kg_log_debug("auth: notice: %s", notice);
}

static void
save_failed(struct kg_auth *auth, const char *cause)
{
	set_notice(auth, kg_xasprintf("The login could not be saved (%s), so it lasts for "
	                              "this run only. Fix the %s store, or set secrets = file "
	                              "in [storage] of the configuration.",
	                              cause, kg_secret_kind_str(kg_secret_kind(auth->secret))));
}

static void
on_saved(struct kg_secret_result *r, void *ud)
{
	struct kg_auth *auth = ud;

	if (r->notice != NULL)
		set_notice(auth, kg_xstrdup(r->notice));
	if (r->err != KG_ERR_OK) {
		kg_log_warn("auth: the renewed login could not be saved: %s", r->cause);
		save_failed(auth, r->cause);
	}
}

/* Write the tokens to the secret store; a failure becomes the notice. */
static void
save_tokens(struct kg_auth *auth)
{
	struct kg_oidc_stored st = {
		.issuer = auth->issuer,
		.client_id = auth->client_id,
		.access_token = auth->access_token,
		.refresh_token = auth->refresh_token,
		.expires_at = auth->expires_at,
		.name = auth->name,
		.email = auth->email,
		.sub = auth->sub,
	};
	char *text = kg_oidc_format_stored(&st);
	char *cause = NULL;

	auth->stats.saves++;
	if (kg_secret_async(auth->secret))
		/* on the worker; the copy it takes is wiped there */
		kg_secret_save_async(auth->secret, auth->email != NULL ? auth->email : auth->sub,
		                     text, on_saved, auth);
	else if (kg_secret_save(auth->secret, auth->email != NULL ? auth->email : auth->sub, text,
	                        &cause) != KG_ERR_OK)
		save_failed(auth, cause);
	free(cause);
	kg_secret_free(&text);
}

static void
refresh_timer_fn(struct kg_loop *loop, void *ud)
{
	struct kg_auth *auth = ud;

	(void)loop;
	auth->refresh_timer = 0;
	if (auth->refresh_token != NULL)
		refresh_start(auth);
}

/* Plan the next background refresh from expires_at. */
static void
schedule_refresh(struct kg_auth *auth, int64_t lifetime)
{
	int64_t margin = EXPIRY_MARGIN, delay;

	if (auth->loop == NULL)
		return;
	kg_timer_cancel(auth->loop, auth->refresh_timer);
	auth->refresh_timer = 0;
	if (auth->refresh_token == NULL || auth->expires_at == 0)
		return;
	if (lifetime > 0 && lifetime < 2 * margin)
		margin = lifetime / 2;
	delay = auth->expires_at - margin - kg_wall_now();
	if (delay < 0)
		delay = 0;
	auth->refresh_timer = kg_timer_add(auth->loop, delay * 1000, refresh_timer_fn, auth);
}

/* Adopt a token response: a rotated refresh token replaces the old at once. */
static void
take_tokens(struct kg_auth *auth, struct kg_oidc_token *tok)
{
	struct kg_oidc_claims claims = { 0 };
	char *cause = NULL;

	move_secret(&auth->access_token, &tok->access_token);
	if (tok->refresh_token != NULL)
		move_secret(&auth->refresh_token, &tok->refresh_token);
	auth->expires_at = tok->expires_in >= 0 ? kg_wall_now() + tok->expires_in : 0;
	auth->token_gen++;
	if (tok->id_token != NULL) {
		if (kg_oidc_parse_id_token(tok->id_token, &claims, &cause) == KG_ERR_OK)
			set_display(auth, &claims);
		else
			kg_log_warn("the id_token's display claims could not be read: %s", cause);
		kg_oidc_claims_clear(&claims);
		free(cause);
	}
	schedule_refresh(auth, tok->expires_in);
	save_tokens(auth);
}

static struct kg_http_req
form_post(const char *url, const char *body)
{
	static const char *const accept[] = { "Accept: application/json", NULL };
	struct kg_http_req req = {
		.method = KG_HTTP_POST,
		.url = url,
		.body = body,
		.content_type = "application/x-www-form-urlencoded",
		.headers = accept,
		.retry = false, /* never resend a code or a refresh token blindly */
		.max_body = KG_OIDC_MAX_BODY,
	};
	return req;
}

/* Form body with room for the values and no reallocation. */
static void
form_init(struct kg_buf *b, const char *const *pairs)
{
	size_t cap = 256;

	for (size_t i = 0; pairs[i] != NULL; i += 2)
		cap += 3 * (strlen(pairs[i]) + strlen(pairs[i + 1] != NULL ? pairs[i + 1] : "")) + 2;
	kg_oidc_secret_buf(b, cap);
	for (size_t i = 0; pairs[i] != NULL; i += 2)
		kg_oidc_form_add(b, pairs[i], pairs[i + 1]);
}

/* A sentence for a transport failure talking to the IdP. */
static char *
transport_text(const struct kg_auth *auth, const struct kg_http_resp *resp, const char *doing)
{
	char *host = kg_sanitize_str(auth->issuer);
	char *why = kg_sanitize_str(resp->error != NULL ? resp->error : kg_err_str(resp->err));
	char *s;

	if (resp->err == KG_ERR_TOOBIG)
		s = kg_xasprintf("Could not %s: the answer of the identity provider at %s was too "
		                 "large (more than %d KiB); check [okta] issuer.",
		                 doing, host, KG_OIDC_MAX_BODY / 1024);
	else if (resp->err == KG_ERR_TLS)
		s = kg_xasprintf("Could not %s: %s%s", doing, why,
		                 *why != '\0' && why[strlen(why) - 1] == '.' ? "" : ".");
	else
		s = kg_xasprintf("Could not %s: the identity provider at %s did not answer (%s). "
		                 "Check the network and [okta] issuer, then try again.",
		                 doing, host, why);
	free(host);
	free(why);
	return s;
}

/* A sentence for a non-2xx answer; *is_oauth tells an OAuth error body. */
static char *
http_error_text(const struct kg_http_resp *resp, const char *doing, struct kg_oidc_error *oe,
                bool *is_oauth)
{
	char *rid = reqid_suffix(resp), *detail, *s, *cause = NULL;

	*is_oauth = kg_oidc_parse_error(resp->body.data, resp->body.len, oe, &cause) == KG_ERR_OK;
	free(cause);
	if (*is_oauth) {
		detail = oauth_error_text(oe);
		s = kg_xasprintf("Could not %s: the identity provider said %s%s.", doing, detail,
		                 rid);
		free(detail);
	} else
		s = kg_xasprintf("Could not %s: the identity provider answered HTTP %ld%s.%s", doing,
		                 resp->status, rid,
		                 resp->status == 429 || resp->status >= 500
		                     ? " It is busy or down; try again in a few minutes." : "");
	free(rid);
	return s;
}

/* ---- discovery ---- */

static void
disc_fail_all(struct kg_auth *auth, enum kg_err err, const char *msg);

static void
disc_done(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;
	struct kg_oidc_discovery d;
	char *cause = NULL, *msg = NULL, *rid;
	size_t il, dl;
	enum kg_err err;

	auth->disc_http = 0;
	if (resp->err != KG_ERR_OK) {
		msg = transport_text(auth, resp, "read the OpenID configuration");
		disc_fail_all(auth, resp->err, msg);
		goto out;
	}
	rid = reqid_suffix(resp);
	if (resp->status != 200) {
		char *iss = kg_sanitize_str(auth->issuer);

		/* Busy or down is not a configuration problem: say to wait. */
		bool busy = resp->status == 429 || resp->status >= 500;

		msg = kg_xasprintf("Could not read the OpenID configuration of %s: HTTP %ld%s. %s",
		                   iss, resp->status, rid,
		                   busy ? "The identity provider is busy or down; try again in a "
		                          "few minutes."
		                        : "Check [okta] issuer.");
		free(iss);
		free(rid);
		disc_fail_all(auth, busy ? KG_ERR_UNAVAILABLE : KG_ERR_PROTOCOL, msg);
		goto out;
	}
	err = kg_oidc_parse_discovery(resp->body.data, resp->body.len, &d, &cause);
	if (err == KG_ERR_OK) {
		/* OpenID Discovery 1.0 section 4.3: the issuer must be the one asked for. */
		il = strlen(auth->issuer);
		dl = strlen(d.issuer);
		if (il > 0 && auth->issuer[il - 1] == '/')
			il--;
		if (dl > 0 && d.issuer[dl - 1] == '/')
			dl--;
		if (il != dl || strncmp(auth->issuer, d.issuer, il) != 0) {
			kg_set_cause(&cause, "it names another issuer");
			err = KG_ERR_PROTOCOL;
		}
	}
	if (err != KG_ERR_OK) {
		char *why = kg_sanitize_str(cause);

		msg = kg_xasprintf("The OpenID configuration of the identity provider is not "
		                   "usable: %s%s.", why, rid);
		free(why);
		free(rid);
		kg_oidc_discovery_clear(&d);
		disc_fail_all(auth, KG_ERR_PROTOCOL, msg);
		goto out;
	}
	free(rid);
	auth->disc = d;
	auth->have_disc = true;
	if (auth->disc_for_refresh) {
		auth->disc_for_refresh = false;
		refresh_start(auth);
	}
	if (auth->disc_for_logout) {
		auth->disc_for_logout = false;
		logout_continue(auth);
	}
	if (auth->disc_for_login) {
		auth->disc_for_login = false;
		login_continue(auth);
	}
out:
	free(cause);
	free(msg);
}

/* Fetch the discovery document (once; later callers join). */
static void
disc_fetch(struct kg_auth *auth)
{
	static const char *const accept[] = { "Accept: application/json", NULL };
	struct kg_http_req req = {
		.method = KG_HTTP_GET,
		.headers = accept,
		.retry = true,
		.max_body = KG_OIDC_MAX_BODY,
	};
	size_t n = strlen(auth->issuer);
	char *url;

	if (auth->disc_http != 0)
		return;
	url = kg_xasprintf("%.*s/.well-known/openid-configuration",
	                   (int)(n > 0 && auth->issuer[n - 1] == '/' ? n - 1 : n), auth->issuer);
	req.url = url;
	kg_log_info("auth: reading the OpenID configuration of %s", auth->issuer);
	auth->disc_http = kg_http_send(auth->http, &req, disc_done, auth);
	free(url);
}

/* ---- refresh ---- */

static void areq_fail(struct areq *ar, enum kg_err err, const char *msg);

/*
 * The refresh ended: send the waiting requests again, or fail them; then
 * tell kg_auth_refresh callers.  Callbacks may add or cancel requests, so
 * each one is looked up again by id.
 */
static void
refresh_finish(struct kg_auth *auth, enum kg_err err, const char *msg)
{
	uint64_t *ids = NULL;
	size_t n = 0, i;
	struct areq *ar;
	struct waiter *w, *wn;

	for (ar = auth->reqs; ar != NULL; ar = ar->next)
		if (ar->state == AREQ_WAIT_REFRESH) {
			ids = kg_xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = ar->id;
		}
	for (i = 0; i < n; i++) {
		for (ar = auth->reqs; ar != NULL && ar->id != ids[i]; ar = ar->next)
			;
		if (ar == NULL || ar->state != AREQ_WAIT_REFRESH)
			continue;
		if (err == KG_ERR_OK)
			areq_send(ar);
		else
			areq_fail(ar, err, msg); /* frees ar */
	}
	free(ids);
	w = auth->waiters;
	auth->waiters = NULL;
	for (; w != NULL; w = wn) {
		wn = w->next;
		if (w->done != NULL)
			w->done(err, msg, w->ud);
		free(w);
	}
}

static void
on_cleared(struct kg_secret_result *r, void *ud)
{
	(void)ud;
	if (r->err != KG_ERR_OK)
		kg_log_warn("auth: the ended session could not be removed: %s", r->cause);
}

static void
refresh_done(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;
	struct kg_oidc_token tok;
	struct kg_oidc_error oe = { 0 };
	char *msg = NULL, *cause = NULL, *rid = NULL, *why = NULL;
	bool is_oauth = false;
	enum kg_err err = KG_ERR_OK;

	auth->refresh_http = 0;
	if (resp->err != KG_ERR_OK) {
		err = resp->err;
		msg = transport_text(auth, resp, "renew the Okta session");
		if (auth->loop != NULL && auth->refresh_timer == 0)
			auth->refresh_timer =
				kg_timer_add(auth->loop, REFRESH_RETRY_MS, refresh_timer_fn, auth);
	} else if (resp->status == 200) {
		if (kg_oidc_parse_token(resp->body.data, resp->body.len, &tok, &cause) == KG_ERR_OK) {
			take_tokens(auth, &tok);
			kg_oidc_token_clear(&tok);
			kg_log_info("auth: the Okta session was renewed");
			changed(auth);
		} else {
			err = KG_ERR_PROTOCOL;
			rid = reqid_suffix(resp);
			why = kg_sanitize_str(cause);
			msg = kg_xasprintf("Could not renew the Okta session: %s%s.", why, rid);
		}
	} else if (resp->status >= 500 || resp->status == 429) {
		err = KG_ERR_UNAVAILABLE;
		msg = http_error_text(resp, "renew the Okta session", &oe, &is_oauth);
	} else {
		/* invalid_grant and friends: this session is over. */
		char *text = http_error_text(resp, "renew the Okta session", &oe, &is_oauth);

		err = KG_ERR_UNAUTHORIZED;
		msg = kg_xasprintf("%s Your Okta session has ended; log in again (kigo-tui login).",
		                   text);
		free(text);
		forget_tokens(auth);
		if (kg_secret_async(auth->secret))
			kg_secret_clear_async(auth->secret, on_cleared, auth);
		else if (kg_secret_clear(auth->secret, &cause) != KG_ERR_OK)
			kg_log_warn("auth: the ended session could not be removed: %s", cause);
		changed(auth);
	}
	if (err != KG_ERR_OK)
		kg_log_warn("auth: %s", msg);
	refresh_finish(auth, err, msg != NULL ? msg : "The Okta session was renewed.");
	kg_oidc_error_clear(&oe);
	free(msg);
	free(cause);
	free(rid);
	free(why);
}

/* Start a refresh unless one runs already (coalescing). */
static void
refresh_start(struct kg_auth *auth)
{
	struct kg_buf body;
	struct kg_http_req req;
	const char *pairs[] = { "grant_type", "refresh_token", "refresh_token", auth->refresh_token,
		                "client_id", auth->client_id, NULL };

	if (auth->refresh_http != 0 || auth->disc_for_refresh)
		return;
	if (auth->refresh_token == NULL || auth->http == NULL) {
		refresh_finish(auth, KG_ERR_UNAUTHORIZED,
		               "You are not logged in to Okta, or the session has ended; log in "
		               "again (kigo-tui login).");
		return;
	}
	if (!auth->have_disc) {
		auth->disc_for_refresh = true;
		disc_fetch(auth);
		return;
	}
	form_init(&body, pairs);
	req = form_post(auth->disc.token_endpoint, body.data);
	auth->stats.refreshes++;
	kg_log_info("auth: renewing the Okta session");
	auth->refresh_http = kg_http_send(auth->http, &req, refresh_done, auth);
	kg_buf_wipe(&body);
}

/* Used from a timer so public calls never call back from inside. */
static void
refresh_kick(struct kg_loop *loop, void *ud)
{
	struct kg_auth *auth = ud;

	(void)loop;
	auth->kick_timer = 0;
	if (auth->loading)
		return; /* kicked again once the saved login is read */
	refresh_start(auth);
	/* (refresh_start is cheap to call with nobody waiting: it renews early) */
}

static void
refresh_soon(struct kg_auth *auth)
{
	if (auth->kick_timer == 0)
		auth->kick_timer = kg_timer_add(auth->loop, 0, refresh_kick, auth);
}

void
kg_auth_refresh(struct kg_auth *auth, kg_auth_done_fn done, void *ud)
{
	struct waiter *w = kg_xcalloc(1, sizeof(*w)), **pp;

	w->done = done;
	w->ud = ud;
	for (pp = &auth->waiters; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = w;
	refresh_soon(auth);
}

/* ---- authenticated requests ---- */

static void
areq_unlink_free(struct areq *ar)
{
	struct kg_auth *auth = ar->auth;
	struct areq **pp;

	for (pp = &auth->reqs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ar) {
			*pp = ar->next;
			break;
		}
	if (ar->http_id != 0 && auth->http != NULL)
		kg_http_cancel(auth->http, ar->http_id);
	if (ar->timer != 0 && auth->loop != NULL)
		kg_timer_cancel(auth->loop, ar->timer);
	free(ar->url);
	if (ar->body != NULL) {
		kg_memzero(ar->body, ar->body_len);
		free(ar->body);
	}
	free(ar->content_type);
	for (size_t i = 0; ar->headers != NULL && ar->headers[i] != NULL; i++)
		free(ar->headers[i]);
	free(ar->headers);
	free(ar->fail_msg);
	free(ar);
}

/* Complete a request with a failure of our own (status 401 when unauthorized). */
static void
areq_fail(struct areq *ar, enum kg_err err, const char *msg)
{
	struct kg_http_resp r;
	kg_http_done_fn done = ar->done;
	void *ud = ar->ud;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.error = kg_xstrdup(msg);
	r.status = err == KG_ERR_UNAUTHORIZED ? 401 : 0;
	r.retry_after = -1;
	kg_buf_init(&r.body, 0);
	areq_unlink_free(ar);
	done(&r, ud);
	free(r.error);
	kg_buf_free(&r.body);
}

static void
areq_fail_timer(struct kg_loop *loop, void *ud)
{
	struct areq *ar = ud;
	char *msg = ar->fail_msg;

	(void)loop;
	ar->timer = 0;
	ar->fail_msg = NULL;
	areq_fail(ar, ar->fail_err, msg);
	free(msg);
}

static void
areq_done(struct kg_http_resp *resp, void *ud)
{
	struct areq *ar = ud;
	struct kg_auth *auth = ar->auth;
	kg_http_done_fn done;
	void *dud;

	ar->http_id = 0;
	if (resp->err == KG_ERR_OK && resp->status == 401 && !ar->retried) {
		ar->retried = true;
		if (ar->token_gen != auth->token_gen && auth->access_token != NULL) {
			/* Someone refreshed while this was in flight: just resend. */
			areq_send(ar);
			return;
		}
		if (auth->refresh_token != NULL) {
			kg_log_info("auth: a 401 from the server; renewing the Okta session once");
			ar->state = AREQ_WAIT_REFRESH;
			refresh_start(auth);
			return;
		}
	}
	done = ar->done;
	dud = ar->ud;
	areq_unlink_free(ar);
	done(resp, dud);
}

static void
areq_send(struct areq *ar)
{
	struct kg_auth *auth = ar->auth;
	struct kg_http_req req = {
		.method = ar->method,
		.url = ar->url,
		.body = ar->body,
		.body_len = ar->body_len,
		.content_type = ar->content_type,
		.bearer = auth->access_token,
		.headers = (const char *const *)ar->headers,
		.retry = ar->retry,
		.max_body = ar->max_body,
		.timeout_ms = ar->timeout_ms,
	};

	ar->state = AREQ_SENT;
	ar->token_gen = auth->token_gen;
	ar->http_id = kg_http_send(auth->http, &req, areq_done, ar);
}

static bool
token_fresh(const struct kg_auth *auth)
{
	if (auth->access_token == NULL)
		return false;
	return auth->expires_at == 0 || kg_wall_now() < auth->expires_at - 30;
}

uint64_t
kg_auth_http_send(struct kg_auth *auth, const struct kg_http_req *req, kg_http_done_fn done,
                  void *ud)
{
	struct areq *ar = kg_xcalloc(1, sizeof(*ar));
	size_t n = 0;

	ar->auth = auth;
	ar->id = ++auth->next_id;
	ar->method = req->method;
	ar->url = kg_xstrdup(req->url);
	if (req->body != NULL) {
		ar->body_len = req->body_len != 0 ? req->body_len : strlen(req->body);
		ar->body = kg_xmalloc(ar->body_len + 1);
		memcpy(ar->body, req->body, ar->body_len);
		ar->body[ar->body_len] = '\0';
	}
	ar->content_type = kg_xstrdup(req->content_type);
	while (req->headers != NULL && req->headers[n] != NULL)
		n++;
	if (n > 0) {
		ar->headers = kg_xcalloc(n + 1, sizeof(*ar->headers));
		for (size_t i = 0; i < n; i++)
			ar->headers[i] = kg_xstrdup(req->headers[i]);
	}
	ar->retry = req->retry;
	ar->max_body = req->max_body;
	ar->timeout_ms = req->timeout_ms;
	ar->done = done;
	ar->ud = ud;
	ar->next = auth->reqs;
	auth->reqs = ar;

	if (auth->loading && auth->http != NULL) {
		/* the saved login is still being read: this waits for it */
		ar->state = AREQ_WAIT_LOAD;
	} else if (auth->http == NULL) {
		ar->state = AREQ_FAIL_LATER;
		ar->fail_err = KG_ERR_NETWORK;
		ar->fail_msg = kg_xstrdup("This command works offline and sends no request.");
		ar->timer = kg_timer_add(auth->loop, 0, areq_fail_timer, ar);
	} else if (token_fresh(auth)) {
		areq_send(ar);
	} else if (auth->refresh_token != NULL) {
		/* Missing or about to expire: renew first, then send. */
		ar->state = AREQ_WAIT_REFRESH;
		refresh_soon(auth);
	} else {
		ar->state = AREQ_FAIL_LATER;
		ar->fail_err = KG_ERR_UNAUTHORIZED;
		ar->fail_msg = kg_xstrdup(auth->access_token != NULL
		                                  ? "Your Okta session has expired; log in again "
		                                    "(kigo-tui login)."
		                                  : "You are not logged in to Okta; log in "
		                                    "(kigo-tui login).");
		ar->timer = kg_timer_add(auth->loop, 0, areq_fail_timer, ar);
	}
	return ar->id;
}

void
kg_auth_http_cancel(struct kg_auth *auth, uint64_t id)
{
	struct areq *ar;

	for (ar = auth->reqs; ar != NULL; ar = ar->next)
		if (ar->id == id) {
			areq_unlink_free(ar);
			return;
		}
}

/* ---- device login ---- */

static void
login_reset(struct kg_auth *auth)
{
	if (auth->loop != NULL) {
		kg_timer_cancel(auth->loop, auth->login.poll_timer);
		kg_timer_cancel(auth->loop, auth->login.expiry_timer);
	}
	if (auth->login.http_id != 0 && auth->http != NULL)
		kg_http_cancel(auth->http, auth->login.http_id);
	kg_oidc_device_clear(&auth->login.dev);
	kg_free(&auth->login.uri);
	kg_free(&auth->login.uri_complete);
	kg_secret_free(&auth->login.user_code);
	memset(&auth->login, 0, sizeof(auth->login));
	auth->disc_for_login = false;
}

/* End the login and tell the caller (after the state is clean). */
static void
login_end(struct kg_auth *auth, enum kg_err err, const char *msg)
{
	kg_auth_done_fn done = auth->login.on_done;
	void *ud = auth->login.ud;

	login_reset(auth);
	if (err == KG_ERR_OK)
		kg_log_info("auth: %s", msg);
	else
		kg_log_warn("auth: login ended: %s", msg);
	if (done != NULL)
		done(err, msg, ud);
}

static void
login_success(struct kg_auth *auth)
{
	char *msg = kg_xasprintf("Logged in as %s.",
	                         !kg_str_empty(auth->display) ? auth->display : "(unknown user)");

	changed(auth);
	login_end(auth, KG_ERR_OK, msg);
	free(msg);
}

static void
userinfo_done(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;
	struct kg_oidc_claims c;
	char *cause = NULL;

	auth->login.http_id = 0;
	if (resp->err == KG_ERR_OK && resp->status == 200 &&
	    kg_oidc_parse_userinfo(resp->body.data, resp->body.len, &c, &cause) == KG_ERR_OK) {
		set_display(auth, &c);
		kg_oidc_claims_clear(&c);
		save_tokens(auth);
	} else
		kg_log_warn("auth: the user's name could not be read from userinfo");
	free(cause);
	login_success(auth);
}

static void poll_send(struct kg_loop *loop, void *ud);

static void
poll_again(struct kg_auth *auth)
{
	auth->login.poll_timer =
		kg_timer_add(auth->loop, (int64_t)auth->login.interval * 1000, poll_send, auth);
}

static void
poll_done(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;
	struct kg_oidc_token tok;
	struct kg_oidc_error oe = { 0 };
	char *msg = NULL, *cause = NULL, *rid = reqid_suffix(resp), *text;
	bool is_oauth = false;

	auth->login.http_id = 0;
	if (resp->err != KG_ERR_OK || resp->status >= 500 || resp->status == 429) {
		/* The IdP did not answer: tolerate a blip, not a silence. */
		if (resp->err == KG_ERR_OK)
			text = http_error_text(resp, "finish the login", &oe, &is_oauth);
		else
			text = transport_text(auth, resp, "finish the login");
		/* A certificate or an oversized answer will not fix itself. */
		if (resp->err == KG_ERR_TLS || resp->err == KG_ERR_TOOBIG ||
		    ++auth->login.failures >= MAX_POLL_FAILURES) {
			login_end(auth, resp->err != KG_ERR_OK ? resp->err : KG_ERR_UNAVAILABLE, text);
		} else {
			kg_log_warn("auth: %s (will try again)", text);
			poll_again(auth);
		}
		free(text);
		goto out;
	}
	auth->login.failures = 0;
	if (resp->status == 200) {
		/* First success: stop polling now (polling again revokes the grant). */
		if (kg_oidc_parse_token(resp->body.data, resp->body.len, &tok, &cause) != KG_ERR_OK) {
			text = kg_sanitize_str(cause);
			msg = kg_xasprintf("The login failed: %s%s.", text, rid);
			free(text);
			login_end(auth, KG_ERR_PROTOCOL, msg);
			goto out;
		}
		forget_tokens(auth);
		take_tokens(auth, &tok);
		kg_oidc_token_clear(&tok);
		if (auth->name == NULL && auth->email == NULL && auth->have_disc &&
		    auth->disc.userinfo_endpoint != NULL) {
			struct kg_http_req req = {
				.method = KG_HTTP_GET,
				.url = auth->disc.userinfo_endpoint,
				.bearer = auth->access_token,
				.max_body = KG_OIDC_MAX_BODY,
			};
			auth->login.phase = LOGIN_USERINFO;
			auth->login.http_id = kg_http_send(auth->http, &req, userinfo_done, auth);
			goto out;
		}
		login_success(auth);
		goto out;
	}
	if (kg_oidc_parse_error(resp->body.data, resp->body.len, &oe, &cause) != KG_ERR_OK) {
		msg = kg_xasprintf("The login failed: the identity provider answered HTTP %ld "
		                   "without an OAuth error%s.", resp->status, rid);
		login_end(auth, KG_ERR_PROTOCOL, msg);
		goto out;
	}
	if (kg_streq(oe.error, "authorization_pending")) {
		poll_again(auth);
	} else if (kg_streq(oe.error, "slow_down")) {
		auth->login.interval += SLOW_DOWN_STEP;
		kg_log_info("auth: the identity provider asked to slow down; polling every %d s",
		            auth->login.interval);
		poll_again(auth);
	} else if (kg_streq(oe.error, "access_denied")) {
		login_end(auth, KG_ERR_DENIED,
		          "The login was denied in the browser. Run the login again if that was a "
		          "mistake.");
	} else if (kg_streq(oe.error, "expired_token")) {
		login_end(auth, KG_ERR_EXPIRED,
		          "The login code expired before it was approved. Run the login again "
		          "and approve it in time.");
	} else {
		text = oauth_error_text(&oe);
		msg = kg_xasprintf("The login failed: the identity provider said %s%s. Check [okta] "
		                   "client_id and scopes.", text, rid);
		free(text);
		login_end(auth, KG_ERR_PROTOCOL, msg);
	}
out:
	kg_oidc_error_clear(&oe);
	free(msg);
	free(cause);
	free(rid);
}

static void
poll_send(struct kg_loop *loop, void *ud)
{
	struct kg_auth *auth = ud;
	struct kg_buf body;
	struct kg_http_req req;
	const char *pairs[] = { "grant_type", "urn:ietf:params:oauth:grant-type:device_code",
		                "device_code", auth->login.dev.device_code, "client_id",
		                auth->client_id, NULL };

	(void)loop;
	auth->login.poll_timer = 0;
	form_init(&body, pairs);
	req = form_post(auth->disc.token_endpoint, body.data);
	auth->stats.polls++;
	kg_log_debug("auth: asking whether the login was approved");
	auth->login.http_id = kg_http_send(auth->http, &req, poll_done, auth);
	kg_buf_wipe(&body);
}

static void
expiry_fire(struct kg_loop *loop, void *ud)
{
	struct kg_auth *auth = ud;

	(void)loop;
	auth->login.expiry_timer = 0;
	login_end(auth, KG_ERR_EXPIRED,
	          "The login code expired before it was approved. Run the login again and "
	          "approve it in time.");
}

static void
device_done(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;
	struct kg_oidc_error oe = { 0 };
	struct kg_device_info info;
	char *msg = NULL, *cause = NULL, *rid = NULL, *text;
	bool is_oauth;

	auth->login.http_id = 0;
	if (resp->err != KG_ERR_OK) {
		msg = transport_text(auth, resp, "start the login");
		login_end(auth, resp->err, msg);
		goto out;
	}
	if (resp->status != 200) {
		msg = http_error_text(resp, "start the login", &oe, &is_oauth);
		login_end(auth, resp->status >= 500 ? KG_ERR_UNAVAILABLE : KG_ERR_PROTOCOL, msg);
		goto out;
	}
	if (kg_oidc_parse_device(resp->body.data, resp->body.len, &auth->login.dev, &cause) !=
	    KG_ERR_OK) {
		rid = reqid_suffix(resp);
		text = kg_sanitize_str(cause);
		msg = kg_xasprintf("Could not start the login: %s%s.", text, rid);
		free(text);
		login_end(auth, KG_ERR_PROTOCOL, msg);
		goto out;
	}
	auth->login.phase = LOGIN_POLLING;
	auth->login.uri = kg_sanitize_str(auth->login.dev.verification_uri);
	if (auth->login.dev.verification_uri_complete != NULL)
		auth->login.uri_complete = kg_sanitize_str(auth->login.dev.verification_uri_complete);
	auth->login.user_code = kg_sanitize_str(auth->login.dev.user_code);
	auth->login.interval =
		auth->login.dev.interval > 0 ? (int)auth->login.dev.interval : DEFAULT_INTERVAL;
	auth->login.deadline_ms = kg_now_ms() + auth->login.dev.expires_in * 1000;
	auth->login.expiry_timer =
		kg_timer_add(auth->loop, auth->login.dev.expires_in * 1000, expiry_fire, auth);
	poll_again(auth);
	kg_log_info("auth: waiting for the login to be approved at %s", auth->login.uri);
	info = (struct kg_device_info){
		.verification_uri = auth->login.uri,
		.verification_uri_complete = auth->login.uri_complete,
		.user_code = auth->login.user_code,
		.expires_in = auth->login.dev.expires_in,
		.expires_at_ms = auth->login.deadline_ms,
		.interval = auth->login.interval,
	};
	if (auth->login.on_code != NULL)
		auth->login.on_code(&info, auth->login.ud);
out:
	kg_oidc_error_clear(&oe);
	free(msg);
	free(cause);
	free(rid);
}

/* Discovery is known: ask for a device code. */
static void
login_continue(struct kg_auth *auth)
{
	struct kg_buf body;
	struct kg_http_req req;
	const char *pairs[] = { "client_id", auth->client_id, "scope", auth->scopes, NULL };

	if (auth->disc.device_authorization_endpoint == NULL) {
		login_end(auth, KG_ERR_PROTOCOL,
		          "The identity provider does not offer the device login "
		          "(no device_authorization_endpoint in its OpenID configuration); ask its "
		          "administrator to enable the device authorization grant for this client.");
		return;
	}
	auth->login.phase = LOGIN_DEVICE;
	form_init(&body, pairs);
	req = form_post(auth->disc.device_authorization_endpoint, body.data);
	/* Only client_id and scope: a lost answer is safely asked again. */
	req.retry = true;
	auth->login.http_id = kg_http_send(auth->http, &req, device_done, auth);
	kg_buf_wipe(&body);
}

static void
login_kick(struct kg_loop *loop, void *ud)
{
	struct kg_auth *auth = ud;

	(void)loop;
	auth->login.poll_timer = 0;
	if (auth->http == NULL)
		login_end(auth, KG_ERR_NETWORK, "The login needs the network, and none was given.");
	else if (auth->have_disc)
		login_continue(auth);
	else {
		auth->disc_for_login = true;
		disc_fetch(auth);
	}
}

void
kg_auth_login_start(struct kg_auth *auth, kg_auth_code_fn on_code, kg_auth_done_fn on_done,
                    void *ud)
{
	login_reset(auth);
	auth->login.on_code = on_code;
	auth->login.on_done = on_done;
	auth->login.ud = ud;
	auth->login.phase = LOGIN_DISCOVERY;
	/* From a timer, so on_done is never called from inside this function. */
	auth->login.poll_timer = kg_timer_add(auth->loop, 0, login_kick, auth);
}

void
kg_auth_login_cancel(struct kg_auth *auth)
{
	login_reset(auth);
}

bool
kg_auth_login_running(const struct kg_auth *auth)
{
	return auth->login.phase != LOGIN_IDLE;
}

/* ---- discovery failure fan-out ---- */

static void
disc_fail_all(struct kg_auth *auth, enum kg_err err, const char *msg)
{
	if (auth->disc_for_refresh) {
		auth->disc_for_refresh = false;
		refresh_finish(auth, err, msg);
	}
	if (auth->disc_for_logout) {
		auth->disc_for_logout = false;
		free(auth->logout.error);
		auth->logout.error = kg_xstrdup(msg);
		logout_continue(auth);
	}
	if (auth->disc_for_login) {
		auth->disc_for_login = false;
		login_end(auth, err, msg);
	}
}

/* ---- logout ---- */

static void
on_logout_cleared(struct kg_secret_result *r, void *ud)
{
	logout_report(ud, r->err, r->cause);
}

static void
logout_finish(struct kg_auth *auth)
{
	char *cause = NULL;
	enum kg_err err;

	forget_tokens(auth);
	if (kg_secret_async(auth->secret)) {
		kg_secret_clear_async(auth->secret, on_logout_cleared, auth);
		return;
	}
	err = kg_secret_clear(auth->secret, &cause);
	logout_report(auth, err, cause);
	free(cause);
}

static void
logout_report(struct kg_auth *auth, enum kg_err clear_err, const char *cause)
{
	kg_auth_done_fn done = auth->logout.done;
	void *ud = auth->logout.ud;
	char *error = auth->logout.error, *msg;
	enum kg_err err = KG_ERR_OK;

	auth->logout.running = false;
	auth->logout.error = NULL;
	if (clear_err != KG_ERR_OK) {
		msg = kg_xasprintf("The tokens could not be removed from the %s: %s.",
		                   kg_secret_kind_str(kg_secret_kind(auth->secret)), cause);
		err = KG_ERR_KEYRING;
	} else if (kg_secret_keyring_locked(auth->secret)) {
		/* secrets = auto with a locked keyring: what it holds is untouched */
		msg = kg_xstrdup("Forgot the tokens of this run, but the keyring is locked, so "
		                 "tokens an earlier login kept there were not removed. Unlock it "
		                 "(or log in to the desktop) and run kigo-tui logout again.");
		err = KG_ERR_KEYRING;
	} else if (error != NULL) {
		msg = kg_xasprintf("Logged out here, but the identity provider could not revoke the "
		                   "tokens: %s",
		                   error);
		err = KG_ERR_UNAVAILABLE;
	} else
		msg = kg_xstrdup("Logged out.");
	kg_log_info("auth: %s", msg);
	changed(auth);
	if (done != NULL)
		done(err, msg, ud);
	free(msg);
	free(error);
}

static void
revoke_done(struct kg_auth *auth, struct kg_http_resp *resp)
{
	struct kg_oidc_error oe = { 0 };
	bool is_oauth;

	if (resp->err != KG_ERR_OK) {
		free(auth->logout.error);
		auth->logout.error = transport_text(auth, resp, "revoke the tokens");
	} else if (resp->status != 200) {
		free(auth->logout.error);
		auth->logout.error = http_error_text(resp, "revoke the tokens", &oe, &is_oauth);
	}
	kg_oidc_error_clear(&oe);
	if (--auth->logout.outstanding == 0)
		logout_finish(auth);
}

/* One callback per slot, so each knows which request ended. */
static void
revoke_done0(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;

	auth->logout.http[0] = 0;
	revoke_done(auth, resp);
}

static void
revoke_done1(struct kg_http_resp *resp, void *ud)
{
	struct kg_auth *auth = ud;

	auth->logout.http[1] = 0;
	revoke_done(auth, resp);
}

static void
revoke_one(struct kg_auth *auth, const char *token, const char *hint)
{
	struct kg_buf body;
	struct kg_http_req req;
	const char *pairs[] = { "token", token, "token_type_hint", hint, "client_id",
		                auth->client_id, NULL };
	int slot;

	form_init(&body, pairs);
	req = form_post(auth->disc.revocation_endpoint, body.data);
	slot = auth->logout.outstanding++;
	auth->logout.http[slot] =
		kg_http_send(auth->http, &req, slot == 0 ? revoke_done0 : revoke_done1, auth);
	kg_buf_wipe(&body);
}

static void
logout_continue(struct kg_auth *auth)
{
	if (auth->logout.error == NULL && auth->have_disc &&
	    auth->disc.revocation_endpoint != NULL) {
		/* Refresh token first: revoking it ends the whole grant. */
		if (auth->refresh_token != NULL)
			revoke_one(auth, auth->refresh_token, "refresh_token");
		if (auth->access_token != NULL)
			revoke_one(auth, auth->access_token, "access_token");
		if (auth->logout.outstanding > 0)
			return;
	} else if (auth->logout.error == NULL && auth->have_disc)
		kg_log_info("auth: the identity provider offers no revocation; forgetting locally");
	logout_finish(auth);
}

static void
logout_kick(struct kg_loop *loop, void *ud)
{
	struct kg_auth *auth = ud;

	(void)loop;
	auth->logout.timer = 0;
	if (auth->access_token == NULL && auth->refresh_token == NULL) {
		logout_finish(auth);
		return;
	}
	if (!auth->have_disc && auth->http != NULL) {
		auth->disc_for_logout = true;
		disc_fetch(auth);
		return;
	}
	logout_continue(auth);
}

void
kg_auth_logout(struct kg_auth *auth, kg_auth_done_fn done, void *ud)
{
	if (auth->logout.running)
		return;
	login_reset(auth);
	auth->logout.running = true;
	auth->logout.done = done;
	auth->logout.ud = ud;
	auth->logout.outstanding = 0;
	auth->logout.timer = kg_timer_add(auth->loop, 0, logout_kick, auth);
}

/* ---- life cycle and accessors ---- */

/* Adopt the saved login text (parsed here, on the loop: tokens get registered). */
static void
adopt_stored(struct kg_auth *auth, const char *text)
{
	struct kg_oidc_stored st;
	char *cause = NULL;

	if (auth->access_token != NULL || auth->refresh_token != NULL) {
		/* a login finished while the store was read: it is newer */
		kg_log_info("auth: a newer login replaces the saved one");
		return;
	}
	if (kg_oidc_parse_stored(text, strlen(text), &st, &cause) != KG_ERR_OK) {
		kg_log_warn("auth: the saved login is damaged and is ignored: %s", cause);
		goto out;
	}
	if (kg_streq(st.issuer, auth->issuer) && kg_streq(st.client_id, auth->client_id)) {
		struct kg_oidc_claims c = { .name = st.name, .email = st.email, .sub = st.sub };

		move_secret(&auth->access_token, &st.access_token);
		move_secret(&auth->refresh_token, &st.refresh_token);
		auth->expires_at = st.expires_at;
		auth->token_gen++;
		set_display(auth, &c);
		schedule_refresh(auth, 0);
	} else
		kg_log_info("auth: the saved login is for another issuer or client; ignored");
	kg_oidc_stored_clear(&st);
out:
	free(cause);
}

static void
load_tokens(struct kg_auth *auth)
{
	char *text = NULL, *cause = NULL;
	enum kg_err err;

	err = kg_secret_load(auth->secret, &text, &cause);
	if (err == KG_ERR_OK)
		adopt_stored(auth, text);
	else if (err != KG_ERR_NOT_FOUND)
		set_notice(auth, kg_xasprintf("The saved login could not be read: %s.", cause));
	kg_secret_free(&text);
	free(cause);
}

/*
 * The worker read the store: adopt the login, then let the requests that
 * waited go (sent, renewing first, or failed with the reason).
 */
static void
on_loaded(struct kg_secret_result *r, void *ud)
{
	struct kg_auth *auth = ud;
	struct areq *ar;
	uint64_t *ids = NULL;
	size_t n = 0, i;
	const char *msg;
	enum kg_err err = KG_ERR_OK;

	auth->loading = false;
	if (r->notice != NULL)
		set_notice(auth, kg_xstrdup(r->notice));
	if (r->err == KG_ERR_OK)
		adopt_stored(auth, r->value);
	else if (r->err != KG_ERR_NOT_FOUND) {
		err = r->err;
		/* the probe's sentence says what to do; a failed lookup needs the context */
		auth->load_error = strncmp(r->cause, "The keyring", 11) == 0
		                           ? kg_xstrdup(r->cause)
		                           : kg_xasprintf("The saved login could not be read: %s. "
		                                          "Log in again, or fix the keyring.",
		                                          r->cause);
		kg_log_warn("auth: %s", auth->load_error);
	}
	if (r->err == KG_ERR_OK || r->err == KG_ERR_NOT_FOUND)
		kg_log_info("auth: the saved login was read from the %s",
		            kg_secret_kind_str(kg_secret_kind(auth->secret)));
	for (ar = auth->reqs; ar != NULL; ar = ar->next)
		if (ar->state == AREQ_WAIT_LOAD) {
			ids = kg_xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = ar->id;
		}
	for (i = 0; i < n; i++) {
		for (ar = auth->reqs; ar != NULL && ar->id != ids[i]; ar = ar->next)
			;
		if (ar == NULL || ar->state != AREQ_WAIT_LOAD)
			continue;
		if (token_fresh(auth))
			areq_send(ar);
		else if (auth->refresh_token != NULL) {
			ar->state = AREQ_WAIT_REFRESH;
			refresh_soon(auth);
		} else if (auth->load_error != NULL)
			areq_fail(ar, KG_ERR_KEYRING, auth->load_error);
		else
			areq_fail(ar, KG_ERR_UNAUTHORIZED,
			          "You are not logged in to Okta; log in (kigo-tui login).");
	}
	free(ids);
	/* refreshes asked for while reading */
	if (auth->waiters != NULL)
		refresh_soon(auth);
	msg = auth->load_error != NULL ? auth->load_error : "The saved login was read.";
	if (auth->on_loaded != NULL)
		auth->on_loaded(err, msg, auth->on_loaded_ud);
	changed(auth);
}

static enum kg_err
auth_new(struct kg_loop *loop, struct kg_http *http, const struct kg_config *cfg, bool async,
         kg_auth_done_fn loaded, void *ud, struct kg_auth **out, char **cause)
{
	struct kg_secret_opts so = { 0 };
	struct kg_auth *auth;
	char *notice = NULL;
	enum kg_err err;

	*out = NULL;
	if (kg_str_empty(cfg->okta_issuer) || kg_str_empty(cfg->okta_client_id)) {
		kg_set_cause(cause, "[okta] %s is not set in %s; set it to log in with Okta",
		             kg_str_empty(cfg->okta_issuer) ? "issuer" : "client_id",
		             cfg->path != NULL ? cfg->path : "the configuration");
		return KG_ERR_CONFIG;
	}
	so.mode = cfg->secrets;
	so.state_dir = cfg->state_dir;
	so.issuer = cfg->okta_issuer;
	so.client_id = cfg->okta_client_id;
	auth = kg_xcalloc(1, sizeof(*auth));
	auth->loop = loop;
	auth->http = http;
	auth->issuer = kg_xstrdup(cfg->okta_issuer);
	auth->client_id = kg_xstrdup(cfg->okta_client_id);
	auth->scopes = kg_xstrdup(!kg_str_empty(cfg->okta_scopes) ? cfg->okta_scopes
	                                                         : "openid profile offline_access");
	if (async)
		err = kg_secret_open_async(&so, loop, &auth->secret, cause);
	else
		err = kg_secret_open(&so, &auth->secret, &notice, cause);
	if (err != KG_ERR_OK) {
		kg_auth_free(&auth);
		return err;
	}
	set_notice(auth, notice);
	if (kg_secret_async(auth->secret)) {
		auth->loading = true;
		auth->on_loaded = loaded;
		auth->on_loaded_ud = ud;
		kg_log_info("auth: reading the saved login from the keyring");
		kg_secret_load_async(auth->secret, on_loaded, auth);
	} else
		load_tokens(auth);
	*out = auth;
	return KG_ERR_OK;
}

enum kg_err
kg_auth_new(struct kg_loop *loop, struct kg_http *http, const struct kg_config *cfg,
            struct kg_auth **out, char **cause)
{
	return auth_new(loop, http, cfg, false, NULL, NULL, out, cause);
}

enum kg_err
kg_auth_new_async(struct kg_loop *loop, struct kg_http *http, const struct kg_config *cfg,
                  kg_auth_done_fn loaded, void *ud, struct kg_auth **out, char **cause)
{
	return auth_new(loop, http, cfg, true, loaded, ud, out, cause);
}

bool
kg_auth_loading(const struct kg_auth *auth)
{
	return auth->loading;
}

size_t
kg_auth_store_pending(const struct kg_auth *auth)
{
	return kg_secret_pending(auth->secret);
}

void
kg_auth_free(struct kg_auth **ap)
{
	struct kg_auth *auth = *ap;
	struct waiter *w, *wn;

	if (auth == NULL)
		return;
	login_reset(auth);
	while (auth->reqs != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): it unlinks the head first */
		areq_unlink_free(auth->reqs);
	kg_timer_cancel(auth->loop, auth->kick_timer);
	kg_timer_cancel(auth->loop, auth->logout.timer);
	if (auth->http != NULL) {
		if (auth->disc_http != 0)
			kg_http_cancel(auth->http, auth->disc_http);
		if (auth->refresh_http != 0)
			kg_http_cancel(auth->http, auth->refresh_http);
		for (size_t i = 0; i < KG_ARRAY_LEN(auth->logout.http); i++)
			if (auth->logout.http[i] != 0)
				kg_http_cancel(auth->http, auth->logout.http[i]);
	}
	for (w = auth->waiters; w != NULL; w = wn) {
		wn = w->next;
		free(w);
	}
	forget_tokens(auth);
	kg_oidc_discovery_clear(&auth->disc);
	kg_secret_close(&auth->secret);
	free(auth->issuer);
	free(auth->client_id);
	free(auth->scopes);
	free(auth->notice);
	free(auth->load_error);
	free(auth->logout.error);
	free(auth);
	*ap = NULL;
}

bool
kg_auth_logged_in(const struct kg_auth *auth)
{
	return auth->refresh_token != NULL || token_fresh(auth);
}

const char *
kg_auth_user_name(const struct kg_auth *auth)
{
	return kg_auth_logged_in(auth) ? auth->display : NULL;
}

const char *
kg_auth_user_email(const struct kg_auth *auth)
{
	return kg_auth_logged_in(auth) ? auth->email : NULL;
}

int64_t
kg_auth_expires_at(const struct kg_auth *auth)
{
	return auth->access_token != NULL ? auth->expires_at : 0;
}

const char *
kg_auth_secrets_kind(const struct kg_auth *auth)
{
	return kg_secret_kind_str(kg_secret_kind(auth->secret));
}

const char *
kg_auth_notice(const struct kg_auth *auth)
{
	return auth->notice;
}

char *
kg_auth_take_notice(struct kg_auth *auth)
{
	char *n = auth->notice;

	auth->notice = NULL;
	return n;
}

void
kg_auth_on_change(struct kg_auth *auth, kg_auth_change_fn fn, void *ud)
{
	auth->on_change = fn;
	auth->on_change_ud = ud;
}

void
kg_auth_get_stats(const struct kg_auth *auth, struct kg_auth_stats *st)
{
	*st = auth->stats;
}
