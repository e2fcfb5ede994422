/*
 * kigo.c - the Kigo token API v1 client: reads written through to the
 * cache, and mutations that are applied exactly once.
 *
 * A mutation is stored (key, path, exact body, If-Match) before its first
 * byte is sent, and every later send of it - kg_http's own retries, a
 * resume after a crash - reuses that row unchanged, so the backend's
 * idempotency replay makes the action happen once.  The row is finished
 * only by an answer that settles it: success or replay (done), a 4xx or a
 * send that never left (failed).  A lost reply or a 5xx keeps it pending.
 * An answer that cannot be read (cut, over the cap, the wrong shape, a
 * proxy's HTML page) is a lost reply too: the row is sent again with its
 * key (Kigo replays the answer) up to MAX_REREADS times, then left pending.
 *
 * Must never: queue a mutation silently when offline, fetch a token
 * blindly after a 412 (the caller shows details.current and the agent
 * decides), retry a 403, or put unsanitized server text in a message.
 * Callbacks are only ever called from the loop (an immediate failure is
 * delivered by a zero-delay timer).
 */
#include "kigo/kigo.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kigo/auth.h"
#include "kigo/http.h"
#include "kigo/kigo_json.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/sanitize.h"
#include "kigo/store.h"

#define REASON_MAX 500
/* Kigo remembers a key 24 h; resume only well inside that. */
#define IDEM_WINDOW_S (23 * 3600)
/* Re-sends (same key: Kigo replays) after an answer that could not be read. */
#define MAX_REREADS 2

enum op_kind { OP_SEARCH, OP_CUSTOMER, OP_CATALOG, OP_TOKENS, OP_ACTIVITY, OP_MUTATE };

struct op {
	struct kg_kigo *k;
	struct op *next;
	uint64_t id;                 /* ours, handed to the caller */
	uint64_t http_id;            /* request in flight, 0 when none */
	uint64_t timer_id;           /* deferred immediate failure */
	enum op_kind kind;
	void *ud;
	kg_kigo_customers_fn customers_cb;
	kg_kigo_customer_fn customer_cb;
	kg_kigo_catalog_fn catalog_cb;
	kg_kigo_tokens_fn tokens_cb;
	kg_kigo_activity_fn activity_cb;
	kg_kigo_mutate_fn mutate_cb;

	char *customer_id;           /* customer, tokens, activity */
	char *status;                /* tokens filter */
	char *q;                     /* search */
	int limit;
	char *cursor;                /* page being fetched */
	int pages;                   /* fetched so far */

	struct kg_token *acc_tok;    /* every page so far (complete replace) */
	size_t acc_n, acc_cap;
	struct kg_catalog_item *acc_cat;

	struct kg_mutation mut;      /* OP_MUTATE: the stored row */
	enum kg_action action;
	enum kg_token_status known;  /* the token's cached status, for 422 */
	bool resumed;                /* re-sent from the store: may be applied already */
	int rereads;                 /* re-sent because the answer could not be read */

	bool delivering;             /* inside a callback: cancel only marks */
	bool cancelled;
	enum kg_err deferred_err;    /* immediate failure to deliver */
	char *deferred_msg;
};

struct kg_kigo {
	struct kg_loop *loop;
	struct kg_http *http;
	struct kg_auth *auth;
	struct kg_store *store;
	char *base;                  /* api_url without a trailing slash */
	char *bearer;
	bool offline;
	bool reachable;
	uint64_t next_id;
	struct op *ops;
};

/* An error being delivered, with the strings it points to. */
struct errh {
	struct kg_kigo_error pub;
	char *message;
	struct kg_kigo_json_error env;
};

/* ---- transitions, as data (the contract's table) ---- */

#define ST(x) (1u << KG_TOKEN_##x)
#define ST_ALL (ST(ACTIVE) | ST(REDEEMED) | ST(EXPIRED) | ST(DISPUTED) | ST(REMOVED) | \
                (1u << KG_TOKEN__UNKNOWN))

static const struct transition {
	enum kg_action action;
	enum kg_other_type other;   /* OTHER only */
	const char *label;          /* for people */
	unsigned from;              /* statuses it is allowed from */
} transitions[] = {
	{ KG_ACTION_REMOVE, KG_OTHER_NOTE, "remove", ST(ACTIVE) | ST(EXPIRED) | ST(DISPUTED) },
	{ KG_ACTION_REISSUE, KG_OTHER_NOTE, "reissue", ST(ACTIVE) | ST(EXPIRED) },
	{ KG_ACTION_DISPUTE, KG_OTHER_NOTE, "dispute", ST(ACTIVE) | ST(REDEEMED) | ST(EXPIRED) },
	{ KG_ACTION_OTHER, KG_OTHER_RESOLVE_DISPUTE, "resolve dispute", ST(DISPUTED) },
	{ KG_ACTION_OTHER, KG_OTHER_EXTEND, "extend", ST(ACTIVE) },
	{ KG_ACTION_OTHER, KG_OTHER_NOTE, "note", ST_ALL },
};

static const char *const other_names[] = {
	[KG_OTHER_NOTE] = "note",
	[KG_OTHER_RESOLVE_DISPUTE] = "resolve_dispute",
	[KG_OTHER_EXTEND] = "extend",
};

const char *
kg_kigo_other_str(enum kg_other_type t)
{
	return (unsigned)t < KG_ARRAY_LEN(other_names) ? other_names[t] : "unknown";
}

static const struct transition *
transition_find(enum kg_action action, enum kg_other_type other)
{
	for (size_t i = 0; i < KG_ARRAY_LEN(transitions); i++)
		if (transitions[i].action == action &&
		    (action != KG_ACTION_OTHER || transitions[i].other == other))
			return &transitions[i];
	return NULL;
}

bool
kg_kigo_transition_ok(enum kg_action action, enum kg_other_type other,
                      enum kg_token_status status)
{
	const struct transition *t;

	if (action == KG_ACTION_ADD || action == KG_ACTION_CREATE_CUSTOMER)
		return true;
	t = transition_find(action, other);
	if ((unsigned)status > KG_TOKEN__UNKNOWN)
		status = KG_TOKEN__UNKNOWN;
	return t != NULL && (t->from & (1u << status)) != 0;
}

const char *
kg_kigo_allowed_actions(enum kg_token_status status)
{
	/* Derived from the table on every call, so the two cannot drift;
	 * the result is the same each time, so a static buffer per status is
	 * safe in this single-threaded program. */
	static char out[KG_TOKEN__UNKNOWN + 1][96];
	char *s;
	size_t used = 0;

	if ((unsigned)status > KG_TOKEN__UNKNOWN)
		status = KG_TOKEN__UNKNOWN;
	s = out[status];
	s[0] = '\0';
	for (size_t i = 0; i < KG_ARRAY_LEN(transitions); i++) {
		if (!(transitions[i].from & (1u << status)))
			continue;
		int w = snprintf(s + used, sizeof(out[0]) - used, "%s%s", used ? ", " : "",
		                 transitions[i].label);
		if (w > 0 && (size_t)w < sizeof(out[0]) - used)
			used += (size_t)w;
	}
	return s;
}

/* ---- input rules ---- */

void
kg_kigo_today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		snprintf(out, 11, "1970-01-01");
}

/* Strict YYYY-MM-DD with a real calendar day. */
static bool
valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

/* Characters (code points) of UTF-8 text, as the backend counts them. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static bool
blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static const char *
action_verb(enum kg_action a, enum kg_other_type o)
{
	switch (a) {
	case KG_ACTION_CREATE_CUSTOMER: return "create the customer";
	case KG_ACTION_ADD: return "add a token";
	case KG_ACTION_REMOVE: return "remove the token";
	case KG_ACTION_REISSUE: return "reissue the token";
	case KG_ACTION_DISPUTE: return "dispute the token";
	case KG_ACTION_OTHER:
		return o == KG_OTHER_EXTEND            ? "extend the token"
		       : o == KG_OTHER_RESOLVE_DISPUTE ? "resolve the token's dispute"
		                                       : "add a note to the token";
	case KG_ACTION__UNKNOWN: break;
	}
	return "change the token";
}

static enum kg_err
check_date(const char *what, const char *date, const char *today, char **cause)
{
	if (!valid_date(date)) {
		kg_set_cause(cause, "The %s date must be a real date written YYYY-MM-DD.", what);
		return KG_ERR_BAD_INPUT;
	}
	if (strcmp(date, today) <= 0) {
		kg_set_cause(cause, "The %s date %s is not after today (%s); pick a later date.",
		             what, date, today);
		return KG_ERR_BAD_INPUT;
	}
	return KG_ERR_OK;
}

static bool
id_ok(const char *id)
{
	return !kg_str_empty(id) && strchr(id, '/') == NULL && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0;
}

enum kg_err
kg_kigo_check(const struct kg_kigo_mutation *req, enum kg_token_status status,
              const char *today, char **cause)
{
	char buf[11];
	enum kg_action a = req->action;
	bool token_action = a == KG_ACTION_REMOVE || a == KG_ACTION_REISSUE ||
	                    a == KG_ACTION_DISPUTE || a == KG_ACTION_OTHER;

	if (today == NULL) {
		kg_kigo_today(buf);
		today = buf;
	}
	if (a != KG_ACTION_CREATE_CUSTOMER && !token_action && a != KG_ACTION_ADD) {
		kg_set_cause(cause, "Unknown action: kigo-tui cannot send it (a bug).");
		return KG_ERR_BAD_INPUT;
	}
	if (a == KG_ACTION_OTHER && (unsigned)req->other >= KG_ARRAY_LEN(other_names)) {
		kg_set_cause(cause, "Unknown kind of other action: kigo-tui cannot send it (a bug).");
		return KG_ERR_BAD_INPUT;
	}
	if (a == KG_ACTION_CREATE_CUSTOMER) {
		if (blank(req->name)) {
			kg_set_cause(cause, "A new customer needs a name.");
			return KG_ERR_BAD_INPUT;
		}
		if (blank(req->email) && blank(req->phone) && blank(req->loyalty_id)) {
			kg_set_cause(cause, "A new customer needs an email, a phone number or a "
			                    "loyalty id as well as the name.");
			return KG_ERR_BAD_INPUT;
		}
		return KG_ERR_OK;
	}
	if (a == KG_ACTION_ADD) {
		if (!id_ok(req->customer_id)) {
			kg_set_cause(cause, "Pick a customer before adding a token.");
			return KG_ERR_BAD_INPUT;
		}
		if (blank(req->sku)) {
			kg_set_cause(cause, "Pick a catalog item to add.");
			return KG_ERR_BAD_INPUT;
		}
		if (!kg_str_empty(req->expires_at))
			return check_date("expiry", req->expires_at, today, cause);
		if (req->reason != NULL && utf8_chars(req->reason) > REASON_MAX) {
			kg_set_cause(cause, "The reason is longer than %d characters; shorten it.",
			             REASON_MAX);
			return KG_ERR_BAD_INPUT;
		}
		return KG_ERR_OK;
	}
	if (!id_ok(req->token_id)) {
		kg_set_cause(cause, "Pick a token first: there is none to %s.",
		             action_verb(a, req->other));
		return KG_ERR_BAD_INPUT;
	}
	if (a != KG_ACTION_OTHER) {
		if (blank(req->reason)) {
			kg_set_cause(cause, "A reason is required to %s.", action_verb(a, req->other));
			return KG_ERR_BAD_INPUT;
		}
		if (utf8_chars(req->reason) > REASON_MAX) {
			kg_set_cause(cause, "The reason is longer than %d characters; shorten it.",
			             REASON_MAX);
			return KG_ERR_BAD_INPUT;
		}
	}
	if (a == KG_ACTION_REISSUE || (a == KG_ACTION_OTHER && req->other == KG_OTHER_EXTEND)) {
		enum kg_err err = check_date("new expiry", req->expires_at, today, cause);
		if (err != KG_ERR_OK)
			return err;
	}
	if (a == KG_ACTION_OTHER && req->other == KG_OTHER_NOTE && blank(req->note)) {
		kg_set_cause(cause, "Write the note first.");
		return KG_ERR_BAD_INPUT;
	}
	if (status != KG_TOKEN__UNKNOWN && !kg_kigo_transition_ok(a, req->other, status)) {
		kg_set_cause(cause, "Cannot %s: it is %s. Allowed from %s: %s.",
		             action_verb(a, req->other), kg_token_status_str(status),
		             kg_token_status_str(status), kg_kigo_allowed_actions(status));
		return KG_ERR_INVALID_TRANSITION;
	}
	return KG_ERR_OK;
}

/* ---- client lifecycle ---- */

enum kg_err
kg_kigo_new(struct kg_loop *loop, struct kg_http *http, struct kg_auth *auth,
            struct kg_store *store, const struct kg_kigo_opts *opts, struct kg_kigo **out,
            char **cause)
{
	struct kg_kigo *k;
	size_t n;

	*out = NULL;
	if (opts == NULL || kg_str_empty(opts->api_url) || strncmp(opts->api_url, "https://", 8) != 0) {
		kg_set_cause(cause, "kigo.api_url must be an https:// URL (it is \"%s\"); set it in "
		                    "the [kigo] section of the configuration.",
		             opts && opts->api_url ? opts->api_url : "");
		return KG_ERR_CONFIG;
	}
	k = kg_xcalloc(1, sizeof(*k));
	k->loop = loop;
	k->http = http;
	k->auth = auth;
	k->store = store;
	k->base = kg_xstrdup(opts->api_url);
	n = strlen(k->base);
	while (n > 8 && k->base[n - 1] == '/')
		k->base[--n] = '\0';
	k->bearer = kg_xstrdup(opts->bearer);
	k->offline = opts->offline;
	k->reachable = true;
	k->next_id = 1;
	*out = k;
	return KG_ERR_OK;
}

static void
mut_clear(struct kg_mutation *m)
{
	free(m->idem_key);
	free(m->kind);
	free(m->path);
	free(m->body);
	free(m->if_match);
	free(m->ticket_ref);
	free(m->customer_id);
	free(m->token_id);
	free(m->last_error);
	memset(m, 0, sizeof(*m));
}

static void
op_free(struct op *op)
{
	free(op->customer_id);
	free(op->status);
	free(op->q);
	free(op->cursor);
	kg_tokens_free(&op->acc_tok, op->acc_n);
	kg_catalog_free(&op->acc_cat, op->acc_n);
	mut_clear(&op->mut);
	free(op->deferred_msg);
	free(op);
}

static void
op_unlink(struct op *op)
{
	struct op **pp;

	for (pp = &op->k->ops; *pp != NULL; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
}

/* Stop the op's transfer and timer (no callback), unlink and free it. */
static void
op_drop(struct op *op)
{
	struct kg_kigo *k = op->k;

	if (op->http_id != 0) {
		if (k->auth != NULL)
			kg_auth_http_cancel(k->auth, op->http_id);
		else
			kg_http_cancel(k->http, op->http_id);
	}
	if (op->timer_id != 0)
		kg_timer_cancel(k->loop, op->timer_id);
	op_unlink(op);
	op_free(op);
}

void
kg_kigo_free(struct kg_kigo **kp)
{
	struct kg_kigo *k;

	if (kp == NULL || *kp == NULL)
		return;
	k = *kp;
	while (k->ops != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): op_drop unlinks the head */
		op_drop(k->ops);
	free(k->base);
	kg_secret_free(&k->bearer);
	free(k);
	*kp = NULL;
}

void
kg_kigo_cancel(struct kg_kigo *k, uint64_t id)
{
	for (struct op *op = k->ops; op != NULL; op = op->next)
		if (op->id == id) {
			if (op->delivering)
				op->cancelled = true;
			else
				op_drop(op);
			return;
		}
}

size_t
kg_kigo_pending(const struct kg_kigo *k)
{
	size_t n = 0;

	for (const struct op *op = k->ops; op != NULL; op = op->next)
		n++;
	return n;
}

bool
kg_kigo_sending(const struct kg_kigo *k, const char *idem_key)
{
	for (const struct op *op = k->ops; op != NULL; op = op->next)
		if (op->kind == OP_MUTATE && !op->delivering && !op->cancelled &&
		    kg_streq(op->mut.idem_key, idem_key))
			return true; /* (one whose callback runs now has its answer) */
	return false;
}

void
kg_kigo_set_offline(struct kg_kigo *k, bool offline)
{
	k->offline = offline;
}

bool
kg_kigo_offline(const struct kg_kigo *k)
{
	return k->offline;
}

bool
kg_kigo_reachable(const struct kg_kigo *k)
{
	return k->reachable && !k->offline;
}

static struct op *
op_new(struct kg_kigo *k, enum op_kind kind, void *ud)
{
	struct op *op = kg_xcalloc(1, sizeof(*op));

	op->k = k;
	op->kind = kind;
	op->ud = ud;
	op->id = k->next_id++;
	op->known = KG_TOKEN__UNKNOWN;
	op->next = k->ops;
	k->ops = op;
	return op;
}

/* ---- what an operation is, in words ---- */

static char *
op_what(const struct op *op)
{
	switch (op->kind) {
	case OP_SEARCH: return kg_xstrdup("Searching Kigo customers");
	case OP_CUSTOMER: return kg_xasprintf("Loading customer %s", op->customer_id);
	case OP_CATALOG: return kg_xstrdup("Loading the Kigo catalog");
	case OP_TOKENS: return kg_xasprintf("Loading the tokens of customer %s", op->customer_id);
	case OP_ACTIVITY:
		return kg_xasprintf("Loading the activity of customer %s", op->customer_id);
	case OP_MUTATE: break;
	}
	const char *tok = op->mut.token_id ? op->mut.token_id : "(unknown)";
	switch (op->action) {
	case KG_ACTION_CREATE_CUSTOMER: return kg_xstrdup("Creating the customer");
	case KG_ACTION_ADD:
		return kg_xasprintf("Adding a token to customer %s",
		                    op->mut.customer_id ? op->mut.customer_id : "(unknown)");
	case KG_ACTION_REMOVE: return kg_xasprintf("Removing token %s", tok);
	case KG_ACTION_REISSUE: return kg_xasprintf("Reissuing token %s", tok);
	case KG_ACTION_DISPUTE: return kg_xasprintf("Disputing token %s", tok);
	default: return kg_xasprintf("Changing token %s", tok);
	}
}

/* ---- delivery ---- */

static void
deliver_error(struct op *op, const struct kg_kigo_error *e)
{
	struct kg_kigo_result res;

	switch (op->kind) {
	case OP_SEARCH: op->customers_cb(e, NULL, 0, NULL, op->ud); break;
	case OP_CUSTOMER: op->customer_cb(e, NULL, op->ud); break;
	case OP_CATALOG: op->catalog_cb(e, NULL, 0, true, op->ud); break;
	case OP_TOKENS: op->tokens_cb(e, NULL, 0, true, op->ud); break;
	case OP_ACTIVITY: op->activity_cb(e, NULL, 0, NULL, op->ud); break;
	case OP_MUTATE:
		memset(&res, 0, sizeof(res));
		res.error = e;
		res.mutation_id = op->mut.id;
		res.idem_key = op->mut.idem_key;
		res.action = op->action;
		op->mutate_cb(&res, op->ud);
		break;
	}
}

static void
deferred_fire(struct kg_loop *loop, void *ud)
{
	struct op *op = ud;
	struct kg_kigo_error e = { .err = op->deferred_err, .message = op->deferred_msg,
	                           .retry_after = -1 };

	(void)loop;
	op->timer_id = 0;
	op->delivering = true;
	deliver_error(op, &e);
	op_unlink(op);
	op_free(op);
}

/* Fail op from the loop with err and a sentence (takes msg). */
static uint64_t
op_fail_later(struct op *op, enum kg_err err, char *msg)
{
	op->deferred_err = err;
	op->deferred_msg = msg;
	op->timer_id = kg_timer_add(op->k->loop, 0, deferred_fire, op);
	return op->id;
}

static char *
offline_sentence(const struct op *op)
{
	char *what = op_what(op);
	char *s = kg_xasprintf("%s is not possible offline (--offline): showing the cache only. "
	                       "Restart without --offline to reach Kigo.",
	                       what);
	free(what);
	return s;
}

/* ---- sending ---- */

static void on_http(struct kg_http_resp *resp, void *ud);

static void
op_send(struct op *op, enum kg_http_method method, const char *url, const char *body,
        const char *const *headers)
{
	struct kg_kigo *k = op->k;
	struct kg_http_req req = {
		.method = method,
		.url = url,
		.body = body,
		.headers = headers,
		/* GETs are safe; a POST carries its Idempotency-Key, so a resend
		 * of it cannot apply the action twice. */
		.retry = true,
		.bearer = k->auth == NULL ? k->bearer : NULL,
	};

	if (k->auth != NULL) {
		op->http_id = kg_auth_http_send(k->auth, &req, on_http, op);
		return;
	}
	op->http_id = kg_http_send(k->http, &req, on_http, op);
}

/* GET base + segments + query; false (op failed later) on a bad URL. */
static bool
op_get(struct op *op, const char *const *segs, const char *const *query)
{
	static const char *const hdrs[] = { "Accept: application/json", NULL };
	char *cause = NULL;
	char *url = kg_url_build(op->k->base, segs, query, &cause);

	if (url == NULL) {
		op_fail_later(op, KG_ERR_CONFIG,
		              kg_xasprintf("The Kigo URL could not be built: %s. Check kigo.api_url.",
		                           cause ? cause : "bad URL"));
		free(cause);
		return false;
	}
	op_send(op, KG_HTTP_GET, url, NULL, hdrs);
	free(url);
	return true;
}

/* ---- errors ---- */

static bool
transport_unreachable(enum kg_err err)
{
	return err == KG_ERR_DNS || err == KG_ERR_CONNECT || err == KG_ERR_TLS ||
	       err == KG_ERR_TIMEOUT || err == KG_ERR_NETWORK;
}

static enum kg_err
status_err(long status, const char *code)
{
	switch (status) {
	case 400: return KG_ERR_BAD_INPUT;
	case 401: return KG_ERR_UNAUTHORIZED;
	case 403: return KG_ERR_FORBIDDEN;
	case 404: return KG_ERR_NOT_FOUND;
	case 409: return KG_ERR_CONFLICT;
	case 412: return KG_ERR_PRECONDITION;
	case 428: return KG_ERR_BAD_INPUT;
	case 422:
		return kg_streq(code, "invalid_transition") ? KG_ERR_INVALID_TRANSITION
		                                           : KG_ERR_BAD_INPUT;
	case 429: return KG_ERR_RATE_LIMITED;
	default: break;
	}
	return status >= 500 ? KG_ERR_UNAVAILABLE : KG_ERR_HTTP;
}

/*
 * Fill e from a failed response: the kg_err, the envelope's members and a
 * sentence.  Mutations additionally learn whether the outcome is unknown.
 */
static void
error_from_resp(struct op *op, const struct kg_http_resp *resp, struct errh *e)
{
	bool mutation = op->kind == OP_MUTATE;
	char *what = op_what(op), *srv = NULL, *why = NULL, *next = NULL, *rid;
	const char *code;

	memset(e, 0, sizeof(*e));
	e->pub.retry_after = resp->retry_after;
	e->pub.status = resp->err == KG_ERR_OK ? resp->status : 0;
	if (resp->err != KG_ERR_OK) {
		char *detail = kg_sanitize_str(resp->error ? resp->error : kg_err_str(resp->err));
		char *tail = resp->request_id ? kg_xasprintf(" (request id %s)", resp->request_id)
		                              : NULL;
		size_t dl = strlen(detail), tl = tail ? strlen(tail) : 0;

		/* kg_http's sentence ends with the request id: it is said once, last */
		if (tail != NULL && dl >= tl && strcmp(detail + dl - tl, tail) == 0)
			detail[dl - tl] = '\0';
		free(tail);

		e->pub.err = resp->err;
		if (resp->err == KG_ERR_TOOBIG && mutation) {
			e->pub.pending = true;
			why = kg_xasprintf("Kigo's answer could not be read (%s), so whether it was "
			                   "applied is not known", detail);
			next = kg_xstrdup("It stays pending and will be completed once, with the "
			                  "same idempotency key, on r (refresh) or the next start");
		} else if (resp->err == KG_ERR_TOOBIG) {
			why = kg_xasprintf("Kigo's answer could not be read (%s)", detail);
			next = kg_xstrdup("Press r to try again");
		} else if (mutation && resp->request_sent) {
			e->pub.pending = true;
			why = kg_xasprintf("the reply was lost (%s), so Kigo may or may not have "
			                   "applied it", detail);
			next = kg_xstrdup("It stays pending and will be completed once, with the "
			                  "same idempotency key, when Kigo answers again");
		} else {
			why = kg_xasprintf("Kigo could not be reached (%s)", detail);
			next = kg_xstrdup(mutation ? "Nothing was changed; try again when the "
			                             "network or VPN is back"
			                           : "Check the network or VPN; the cache stays "
			                             "usable meanwhile");
		}
		free(detail);
		goto out;
	}
	if (kg_kigo_json_error(resp->body.data, resp->body.len, &e->env, NULL) != KG_ERR_OK)
		memset(&e->env, 0, sizeof(e->env));
	code = e->env.code;
	e->pub.code = code;
	e->pub.err = status_err(resp->status, code);
	e->pub.current = e->env.current;
	e->pub.existing_id = e->env.existing_id;
	/* fakes and proxies may answer 5xx without the envelope */
	srv = kg_sanitize_str(e->env.message ? e->env.message : "no explanation given");
	switch (resp->status) {
	case 400:
		why = kg_xasprintf("Kigo refused the request: %s", srv);
		next = kg_xstrdup("Correct the input and try again");
		break;
	case 401:
		why = kg_xstrdup("Kigo did not accept the login (it is missing, expired or "
		                 "revoked)");
		next = kg_xstrdup("Log in again");
		break;
	case 403:
		why = kg_xasprintf("you lack the permission for this in Kigo (%s)", srv);
		next = kg_xstrdup("Ask a Kigo administrator for access; it will not be retried");
		break;
	case 404:
		why = kg_xasprintf("it no longer exists in Kigo (%s)", srv);
		next = kg_xstrdup("The stale cached copy was dropped; search again");
		break;
	case 409:
		if (e->env.existing_id != NULL) {
			char *id = kg_sanitize_str(e->env.existing_id);
			why = kg_xasprintf("customer %s already has that email or loyalty id", id);
			free(id);
		} else {
			why = kg_xasprintf("it conflicts with an existing record (%s)", srv);
		}
		next = kg_xstrdup("Open the existing customer instead of creating a duplicate");
		break;
	case 412:
		if (e->env.current != NULL)
			why = kg_xasprintf("someone else changed the token first (it is now %s, "
			                   "version %lld)",
			                   kg_token_status_str(e->env.current->status),
			                   (long long)e->env.current->version);
		else
			why = kg_xstrdup("someone else changed the token first");
		next = kg_xstrdup("Review what changed and decide again");
		break;
	case 422:
		if (kg_streq(code, "invalid_transition")) {
			enum kg_token_status st = e->env.current ? e->env.current->status : op->known;
			if (st != KG_TOKEN__UNKNOWN) {
				e->pub.allowed = kg_kigo_allowed_actions(st);
				why = kg_xasprintf("that is not allowed while the token is %s "
				                   "(allowed from %s: %s)",
				                   kg_token_status_str(st), kg_token_status_str(st),
				                   e->pub.allowed);
			} else {
				why = kg_xasprintf("that is not allowed in the token's status (%s)", srv);
			}
			next = kg_xstrdup("Refresh the tokens and pick an allowed action");
		} else if (kg_streq(code, "idempotency_mismatch")) {
			why = kg_xstrdup("Kigo already saw this action's idempotency key with a "
			                 "different body, a kigo-tui bug; nothing was applied");
			next = kg_xstrdup("Start the action again and report the bug");
		} else {
			why = kg_xasprintf("Kigo could not process it (%s)", srv);
			next = kg_xstrdup("Correct the input and try again");
		}
		break;
	case 428:
		why = kg_xstrdup("the request lacked If-Match, a kigo-tui bug; nothing was "
		                 "changed");
		next = kg_xstrdup("Please report the bug");
		break;
	case 429:
		why = kg_xstrdup("Kigo is rate limiting requests");
		next = resp->retry_after >= 0
		               ? kg_xasprintf("Wait %d seconds and try again", resp->retry_after)
		               : kg_xstrdup("Wait a moment and try again");
		break;
	default:
		if (resp->status >= 500) {
			why = e->env.message ? kg_xasprintf("Kigo had a temporary problem (HTTP "
			                                    "%ld: %s)", resp->status, srv)
			                     : kg_xasprintf("Kigo had a temporary problem (HTTP %ld)",
			                                    resp->status);
			if (mutation) {
				e->pub.pending = true;
				next = kg_xstrdup("The outcome is unknown: the action stays pending and "
				                  "will be completed once, with the same idempotency "
				                  "key, when Kigo answers again");
			} else if (resp->retry_after >= 0) {
				next = kg_xasprintf("Try again in %d seconds", resp->retry_after);
			} else {
				next = kg_xstrdup("Try again in a moment");
			}
		} else {
			why = kg_xasprintf("Kigo answered HTTP %ld (%s)", resp->status, srv);
			next = kg_xstrdup("Try again; report it if it persists");
		}
		break;
	}
	/*
	 * A resumed mutation's earlier send may have been applied: an answer
	 * that does not look at the request (login, permission, rate limit)
	 * settles nothing, so the row stays pending for the next resume.
	 */
	if (mutation && op->resumed &&
	    (resp->status == 401 || resp->status == 403 || resp->status == 429)) {
		e->pub.pending = true;
		free(next);
		next = kg_xstrdup("Its earlier send may have been applied, so it stays pending and "
		                  "will be completed once, with the same idempotency key, when "
		                  "resumed again");
	}
out:
	rid = resp->request_id ? kg_sanitize_str(resp->request_id)
	      : e->env.request_id ? kg_sanitize_str(e->env.request_id) : NULL;
	e->pub.request_id = rid;
	if (rid != NULL)
		e->message = kg_xasprintf("%s failed: %s. %s. (request id %s)", what, why, next, rid);
	else
		e->message = kg_xasprintf("%s failed: %s. %s.", what, why, next);
	e->pub.message = e->message;
	free(what);
	free(srv);
	free(why);
	free(next);
}

static void
errh_clear(struct errh *e)
{
	free(e->message);
	free((char *)e->pub.request_id);
	kg_kigo_json_error_clear(&e->env);
	memset(e, 0, sizeof(*e));
}

/*
 * A 2xx whose body could not be read.  For a mutation that is a lost reply:
 * Kigo may have applied it, so the row stays pending (never failed).
 */
static void
error_protocol(struct op *op, const struct kg_http_resp *resp, const char *cause,
               struct errh *e)
{
	char *what = op_what(op), *c = kg_sanitize_str(cause), *why;
	const char *hint = kg_http_body_hint(resp);
	bool mutation = op->kind == OP_MUTATE;

	memset(e, 0, sizeof(*e));
	e->pub.err = KG_ERR_PROTOCOL;
	e->pub.status = resp->status;
	e->pub.retry_after = -1;
	e->pub.pending = mutation;
	e->pub.request_id = resp->request_id ? kg_sanitize_str(resp->request_id) : NULL;
	why = hint != NULL ? kg_xasprintf("Kigo's answer (HTTP %ld) was %s", resp->status, hint)
	                   : kg_xasprintf("Kigo's answer (HTTP %ld) could not be read: %s",
	                                  resp->status, c);
	e->message = kg_xasprintf(
	    "%s failed: %s. %s.%s%s%s", what, why,
	    mutation ? "Whether it was applied is not known: it stays pending and will be "
	               "completed once, with the same idempotency key, on r (refresh) or the "
	               "next start"
	    : hint != NULL ? "Check the proxy settings and kigo.api_url, then press r to try again"
	                   : "Press r to try again; report it to the Kigo team if it persists",
	    e->pub.request_id ? " (request id " : "", e->pub.request_id ? e->pub.request_id : "",
	    e->pub.request_id ? ")" : "");
	e->pub.message = e->message;
	free(why);
	free(what);
	free(c);
}

/* Drop the cache rows a 404 proved stale. */
static void
drop_stale(struct op *op)
{
	struct kg_store *st = op->k->store;
	const char *cid = op->kind == OP_MUTATE ? op->mut.customer_id : op->customer_id;

	if (st == NULL)
		return;
	if (op->kind == OP_MUTATE && op->mut.token_id != NULL) {
		/* A token that is gone: its customer's list is refreshed by the
		 * caller; there is no single-token delete in the store. */
		return;
	}
	if (!kg_str_empty(cid) && kg_store_delete_customer(st, cid) != KG_ERR_OK)
		kg_log_warn("kigo: could not drop stale customer %s from the cache", cid);
}

/* ---- reads ---- */

static void
stamp_customers(struct kg_customer *v, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++)
		v[i].fetched_at = now;
}

static void
stamp_tokens(struct kg_token *v, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++)
		v[i].fetched_at = now;
}

static void
store_warn(enum kg_err err, const char *what)
{
	if (err != KG_ERR_OK)
		kg_log_warn("kigo: could not cache %s: %s", what, kg_err_str(err));
}

/* Ask for the op's next page (op->cursor, NULL for the first). */
static void
page_request(struct op *op)
{
	char limit[16];

	switch (op->kind) {
	case OP_SEARCH: {
		const char *segs[] = { "customers", NULL };
		const char *query[9];
		size_t qi = 0;

		snprintf(limit, sizeof(limit), "%d", op->limit);
		query[qi++] = "q";
		query[qi++] = op->q;
		query[qi++] = "limit";
		query[qi++] = limit;
		if (op->cursor != NULL) {
			query[qi++] = "cursor";
			query[qi++] = op->cursor;
		}
		query[qi] = NULL;
		op_get(op, segs, query);
		break;
	}
	case OP_CUSTOMER: {
		const char *segs[] = { "customers", op->customer_id, NULL };
		op_get(op, segs, NULL);
		break;
	}
	case OP_CATALOG: {
		const char *segs[] = { "catalog", NULL };
		const char *query[] = { "cursor", op->cursor, NULL };
		op_get(op, segs, op->cursor ? query : NULL);
		break;
	}
	case OP_TOKENS: {
		const char *segs[] = { "customers", op->customer_id, "tokens", NULL };
		const char *query[5];
		size_t qi = 0;

		if (op->status != NULL) {
			query[qi++] = "status";
			query[qi++] = op->status;
		}
		if (op->cursor != NULL) {
			query[qi++] = "cursor";
			query[qi++] = op->cursor;
		}
		query[qi] = NULL;
		op_get(op, segs, qi ? query : NULL);
		break;
	}
	case OP_ACTIVITY: {
		const char *segs[] = { "customers", op->customer_id, "activity", NULL };
		const char *query[] = { "cursor", op->cursor, NULL };
		op_get(op, segs, op->cursor ? query : NULL);
		break;
	}
	case OP_MUTATE: break;
	}
}

/* Start a read op, or fail it from the loop when offline / bad id. */
static uint64_t
read_start(struct op *op, const char *id)
{
	if (op->k->offline)
		return op_fail_later(op, KG_ERR_OFFLINE, offline_sentence(op));
	if (id != NULL && !id_ok(id))
		return op_fail_later(op, KG_ERR_BAD_INPUT,
		                     kg_xstrdup("That is not a valid Kigo id; search again."));
	page_request(op);
	return op->id;
}

uint64_t
kg_kigo_search(struct kg_kigo *k, const char *q, int limit, const char *cursor,
               kg_kigo_customers_fn cb, void *ud)
{
	struct op *op = op_new(k, OP_SEARCH, ud);

	op->customers_cb = cb;
	op->q = kg_xstrdup(q ? q : "");
	op->limit = limit < 1 ? 25 : limit > 100 ? 100 : limit;
	op->cursor = kg_str_empty(cursor) ? NULL : kg_xstrdup(cursor);
	return read_start(op, NULL);
}

uint64_t
kg_kigo_get_customer(struct kg_kigo *k, const char *id, kg_kigo_customer_fn cb, void *ud)
{
	struct op *op = op_new(k, OP_CUSTOMER, ud);

	op->customer_cb = cb;
	op->customer_id = kg_xstrdup(id ? id : "");
	return read_start(op, op->customer_id);
}

uint64_t
kg_kigo_catalog(struct kg_kigo *k, kg_kigo_catalog_fn cb, void *ud)
{
	struct op *op = op_new(k, OP_CATALOG, ud);

	op->catalog_cb = cb;
	return read_start(op, NULL);
}

uint64_t
kg_kigo_tokens(struct kg_kigo *k, const char *customer_id, const char *status,
               kg_kigo_tokens_fn cb, void *ud)
{
	struct op *op = op_new(k, OP_TOKENS, ud);

	op->tokens_cb = cb;
	op->customer_id = kg_xstrdup(customer_id ? customer_id : "");
	op->status = kg_str_empty(status) ? NULL : kg_xstrdup(status);
	return read_start(op, op->customer_id);
}

uint64_t
kg_kigo_activity(struct kg_kigo *k, const char *customer_id, const char *cursor,
                 kg_kigo_activity_fn cb, void *ud)
{
	struct op *op = op_new(k, OP_ACTIVITY, ud);

	op->activity_cb = cb;
	op->customer_id = kg_xstrdup(customer_id ? customer_id : "");
	op->cursor = kg_str_empty(cursor) ? NULL : kg_xstrdup(cursor);
	return read_start(op, op->customer_id);
}

/* Append a page to the op's accumulated copy (for the complete replace). */
static void
acc_tokens(struct op *op, const struct kg_token *v, size_t n)
{
	if (op->acc_n + n > op->acc_cap) {
		op->acc_cap = (op->acc_n + n) * 2;
		op->acc_tok = kg_xrealloc(op->acc_tok, op->acc_cap * sizeof(*op->acc_tok));
	}
	for (size_t i = 0; i < n; i++)
		kg_token_copy(&op->acc_tok[op->acc_n++], &v[i]);
}

static void
acc_catalog(struct op *op, const struct kg_catalog_item *v, size_t n)
{
	if (op->acc_n + n > op->acc_cap) {
		op->acc_cap = (op->acc_n + n) * 2;
		op->acc_cat = kg_xrealloc(op->acc_cat, op->acc_cap * sizeof(*op->acc_cat));
	}
	for (size_t i = 0; i < n; i++)
		kg_catalog_item_copy(&op->acc_cat[op->acc_n++], &v[i]);
}

/*
 * A 2xx page arrived: parse, cache, deliver, and either ask for the next
 * page (op stays) or finish (returns true: the caller frees op).  The
 * callback may cancel the op: it is looked up again before continuing.
 */
static bool
read_done(struct op *op, struct kg_http_resp *resp)
{
	struct kg_store *st = op->k->store;
	const char *body = resp->body.data ? resp->body.data : "";
	char *cause = NULL, *next = NULL;
	int64_t now = kg_wall_now();
	enum kg_err err = KG_ERR_OK;
	bool last = true;

	switch (op->kind) {
	case OP_SEARCH: {
		struct kg_customer *v = NULL;
		size_t n = 0;
		err = kg_kigo_json_customers_page(body, resp->body.len, &v, &n, &next, &cause);
		if (err != KG_ERR_OK)
			break;
		stamp_customers(v, n, now);
		if (st != NULL)
			store_warn(kg_store_put_customers(st, v, n), "customers");
		op->customers_cb(NULL, v, n, next, op->ud);
		kg_customers_free(&v, n);
		break;
	}
	case OP_CUSTOMER: {
		struct kg_customer c;
		err = kg_kigo_json_customer(body, resp->body.len, &c, &cause);
		if (err != KG_ERR_OK)
			break;
		c.fetched_at = now;
		if (st != NULL)
			store_warn(kg_store_put_customers(st, &c, 1), "the customer");
		op->customer_cb(NULL, &c, op->ud);
		kg_customer_clear(&c);
		break;
	}
	case OP_CATALOG: {
		struct kg_catalog_item *v = NULL;
		size_t n = 0;
		err = kg_kigo_json_catalog_page(body, resp->body.len, &v, &n, &next, &cause);
		if (err != KG_ERR_OK)
			break;
		acc_catalog(op, v, n);
		last = next == NULL;
		if (st != NULL)
			store_warn(last ? kg_store_put_catalog(st, op->acc_cat, op->acc_n, true)
			                : kg_store_put_catalog(st, v, n, false),
			           "the catalog");
		op->catalog_cb(NULL, v, n, last, op->ud);
		kg_catalog_free(&v, n);
		break;
	}
	case OP_TOKENS: {
		struct kg_token *v = NULL;
		size_t n = 0;
		err = kg_kigo_json_tokens_page(body, resp->body.len, &v, &n, &next, &cause);
		if (err != KG_ERR_OK)
			break;
		stamp_tokens(v, n, now);
		last = next == NULL;
		if (op->status == NULL)
			acc_tokens(op, v, n);
		/* Each page goes to the cache as it arrives; the last one of an
		 * unfiltered walk replaces the customer's list with all of them,
		 * so tokens that vanished on the server vanish here too. */
		if (st != NULL)
			store_warn(last && op->status == NULL
			                   ? kg_store_put_tokens(st, op->customer_id, op->acc_tok,
			                                         op->acc_n, true)
			                   : kg_store_put_tokens(st, op->customer_id, v, n, false),
			           "tokens");
		op->tokens_cb(NULL, v, n, last, op->ud);
		kg_tokens_free(&v, n);
		break;
	}
	case OP_ACTIVITY: {
		struct kg_activity *v = NULL;
		size_t n = 0;
		err = kg_kigo_json_activity_page(body, resp->body.len, &v, &n, &next, &cause);
		if (err != KG_ERR_OK)
			break;
		op->activity_cb(NULL, v, n, next, op->ud);
		kg_activities_free(&v, n);
		break;
	}
	case OP_MUTATE: break;
	}
	if (err != KG_ERR_OK) {
		struct errh e;
		error_protocol(op, resp, cause, &e);
		deliver_error(op, &e.pub);
		errh_clear(&e);
		free(cause);
		free(next);
		return true;
	}
	free(cause);
	if (last || (op->kind != OP_CATALOG && op->kind != OP_TOKENS)) {
		free(next);
		return true;
	}
	/* The callback may have cancelled us. */
	if (op->cancelled) {
		free(next);
		return true;
	}
	free(op->cursor);
	op->cursor = next;
	op->pages++;
	page_request(op);
	return false;
}

/* ---- mutations ---- */

/* Send the stored row as it is: same key, same body, same If-Match. */
static void
mutation_send(struct op *op)
{
	const struct kg_mutation *m = &op->mut;
	const char *segs[8];
	const char *hdrs[4];
	char *path = kg_xstrdup(m->path ? m->path : ""), *url, *cause = NULL;
	char *h_key = kg_xasprintf("Idempotency-Key: %s", m->idem_key);
	char *h_match = m->if_match ? kg_xasprintf("If-Match: %s", m->if_match) : NULL;
	size_t ns = 0, nh = 0;

	/* Split the stored path at '/' (ids never contain one: id_ok). */
	for (char *s = path; *s != '\0' && ns < KG_ARRAY_LEN(segs) - 1;) {
		char *slash = strchr(s, '/');

		if (slash != NULL)
			*slash = '\0';
		if (*s != '\0')
			segs[ns++] = s;
		if (slash == NULL)
			break;
		s = slash + 1;
	}
	segs[ns] = NULL;
	hdrs[nh++] = "Accept: application/json";
	hdrs[nh++] = h_key;
	if (h_match != NULL)
		hdrs[nh++] = h_match;
	hdrs[nh] = NULL;
	url = kg_url_build(op->k->base, segs, NULL, &cause);
	if (url == NULL) {
		op_fail_later(op, KG_ERR_CONFIG,
		              kg_xasprintf("The Kigo URL could not be built: %s. Check "
		                           "kigo.api_url; the action stays pending.",
		                           cause ? cause : "bad URL"));
	} else {
		op_send(op, KG_HTTP_POST, url, m->body, hdrs);
	}
	free(url);
	free(cause);
	free(path);
	free(h_key);
	free(h_match);
}

/* The request path and body for req (both new strings). */
static void
mutation_encode(const struct kg_kigo_mutation *req, char **path, char **body)
{
	switch (req->action) {
	case KG_ACTION_CREATE_CUSTOMER:
		*path = kg_xstrdup("/customers");
		*body = kg_kigo_json_encode_customer(req->name, req->email, req->phone,
		                                     req->loyalty_id, req->ticket_ref);
		return;
	case KG_ACTION_ADD:
		*path = kg_xasprintf("/customers/%s/tokens", req->customer_id);
		*body = kg_kigo_json_encode_add(req->sku, req->expires_at, req->reason,
		                                req->ticket_ref);
		return;
	case KG_ACTION_REMOVE:
	case KG_ACTION_DISPUTE:
		*path = kg_xasprintf("/tokens/%s/%s", req->token_id, kg_action_str(req->action));
		*body = kg_kigo_json_encode_reason(req->reason, req->ticket_ref);
		return;
	case KG_ACTION_REISSUE:
		*path = kg_xasprintf("/tokens/%s/reissue", req->token_id);
		*body = kg_kigo_json_encode_reissue(req->expires_at, req->reason, req->ticket_ref);
		return;
	default:
		*path = kg_xasprintf("/tokens/%s/actions", req->token_id);
		*body = kg_kigo_json_encode_action(kg_kigo_other_str(req->other), req->note,
		                                   req->other == KG_OTHER_EXTEND ? req->expires_at
		                                                                 : NULL,
		                                   req->ticket_ref);
		return;
	}
}

enum kg_err
kg_kigo_mutate(struct kg_kigo *k, const struct kg_kigo_mutation *req, kg_kigo_mutate_fn cb,
               void *ud, uint64_t *id, char **cause)
{
	struct kg_mutation m;
	struct kg_token cached;
	enum kg_token_status known = KG_TOKEN__UNKNOWN;
	enum kg_err err;
	char *uuid;

	if (id != NULL)
		*id = 0;
	if (k->offline) {
		kg_set_cause(cause, "Kigo is offline (--offline): actions must reach the backend and "
		                    "are never queued. Restart without --offline to %s.",
		             action_verb(req->action, req->other));
		return KG_ERR_OFFLINE;
	}
	if (k->store == NULL) {
		kg_set_cause(cause, "No local database: an action must be stored before it is "
		                    "sent, so it cannot be sent now.");
		return KG_ERR_STORE;
	}
	/* Input rules only: whether the transition is allowed is the
	 * backend's call (the cache may be stale); the UI checked it. */
	err = kg_kigo_check(req, KG_TOKEN__UNKNOWN, NULL, cause);
	if (err != KG_ERR_OK)
		return err;

	memset(&m, 0, sizeof(m));
	memset(&cached, 0, sizeof(cached));
	if (req->token_id != NULL && kg_store_get_token(k->store, req->token_id, &cached) ==
	                                     KG_ERR_OK)
		known = cached.status;
	uuid = g_uuid_string_random();
	m.idem_key = kg_xstrdup(uuid);
	g_free(uuid);
	m.kind = kg_xstrdup(kg_action_str(req->action));
	mutation_encode(req, &m.path, &m.body);
	if (req->action != KG_ACTION_CREATE_CUSTOMER && req->action != KG_ACTION_ADD)
		m.if_match = kg_xasprintf("\"%lld\"", (long long)req->token_version);
	m.ticket_ref = kg_xstrdup(req->ticket_ref);
	m.customer_id = kg_xstrdup(!kg_str_empty(req->customer_id) ? req->customer_id
	                                                           : cached.customer_id);
	m.token_id = req->action == KG_ACTION_ADD ? NULL : kg_xstrdup(req->token_id);
	m.state = KG_MUT_PENDING;
	m.created_at = kg_wall_now();
	kg_token_clear(&cached);

	/* Stored before the first byte leaves: a crash from here on is
	 * completed by kg_kigo_resume with this very key and body. */
	err = kg_store_mutation_add(k->store, &m);
	if (err != KG_ERR_OK) {
		kg_set_cause(cause, "The action could not be saved to the local database, so it was "
		                    "not sent: %s.", kg_store_error(k->store));
		mut_clear(&m);
		return err;
	}
	struct op *op = op_new(k, OP_MUTATE, ud);
	op->mutate_cb = cb;
	op->mut = m;
	op->action = req->action;
	op->known = known;
	mutation_send(op);
	if (id != NULL)
		*id = op->id;
	return KG_ERR_OK;
}

size_t
kg_kigo_resume(struct kg_kigo *k, kg_kigo_mutate_fn cb, void *ud)
{
	struct kg_mutation *v = NULL;
	size_t n = 0, started = 0;

	if (k->offline || k->store == NULL)
		return 0;
	if (kg_store_mutation_pending(k->store, &v, &n) != KG_ERR_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		bool busy = false;
		struct kg_token cached;

		for (struct op *o = k->ops; o != NULL; o = o->next)
			if (o->kind == OP_MUTATE && o->mut.id == v[i].id)
				busy = true;
		if (busy || v[i].state != KG_MUT_PENDING)
			continue;
		struct op *op = op_new(k, OP_MUTATE, ud);
		op->mutate_cb = cb;
		op->mut = v[i];
		memset(&v[i], 0, sizeof(v[i]));
		op->action = kg_action_parse(op->mut.kind);
		op->resumed = true;
		memset(&cached, 0, sizeof(cached));
		if (op->mut.token_id != NULL &&
		    kg_store_get_token(k->store, op->mut.token_id, &cached) == KG_ERR_OK)
			op->known = cached.status;
		kg_token_clear(&cached);
		started++;
		/* Past the backend's 24 h key memory a resend could apply the action a
		 * second time: settle it as failed and let the agent check. */
		if (kg_wall_now() - op->mut.created_at > IDEM_WINDOW_S) {
			char *what = op_what(op);
			char *msg = kg_xasprintf("%s was interrupted more than 23 hours ago, beyond "
			                         "Kigo's idempotency window, so it was not re-sent. "
			                         "Check the customer's tokens and redo it if it is "
			                         "missing.", what);
			free(what);
			if (kg_store_mutation_finish(k->store, op->mut.id, KG_MUT_FAILED, msg) !=
			    KG_ERR_OK)
				kg_log_warn("kigo: could not settle stale mutation %lld",
				            (long long)op->mut.id);
			op_fail_later(op, KG_ERR_EXPIRED, msg);
			continue;
		}
		kg_log_info("kigo: resuming %s (mutation %lld)", op->mut.kind,
		            (long long)op->mut.id);
		mutation_send(op);
	}
	kg_mutations_free(&v, n);
	return started;
}

/*
 * An answer that could not be read may hide an applied action: send the
 * stored row again (same key, same body), so Kigo replays its answer.
 * True when a re-send went out (the op goes on).
 */
static bool
reread(struct op *op, const struct kg_http_resp *resp, const char *why)
{
	if (op->rereads >= MAX_REREADS || op->cancelled)
		return false;
	op->rereads++;
	/* from here on an answer that ignores the request settles nothing */
	op->resumed = true;
	kg_log_info("kigo: the answer to %s (mutation %lld, request id %s) could not be read "
	            "(%s); sending it again with the same idempotency key",
	            op->mut.kind, (long long)op->mut.id,
	            resp->request_id ? resp->request_id : "-", why);
	mutation_send(op);
	return true;
}

/* Success or replay: cache, record, finish, deliver.  Identical for both.
 * False when the answer could not be read and the row was sent again. */
static bool
mutate_done(struct op *op, struct kg_http_resp *resp)
{
	struct kg_store *st = op->k->store;
	struct kg_token tok;
	struct kg_customer cus;
	struct kg_activity act;
	struct kg_kigo_result res;
	char *cause = NULL;
	enum kg_err err;
	int64_t rowid = 0, now = kg_wall_now();
	bool is_customer = op->action == KG_ACTION_CREATE_CUSTOMER;
	const char *body = resp->body.data ? resp->body.data : "";

	memset(&tok, 0, sizeof(tok));
	memset(&cus, 0, sizeof(cus));
	err = is_customer ? kg_kigo_json_customer_result(body, resp->body.len, &cus, &act, &cause)
	                  : kg_kigo_json_token_result(body, resp->body.len, &tok, &act, &cause);
	if (err != KG_ERR_OK) {
		struct errh e;

		if (reread(op, resp, cause != NULL ? cause : "unreadable")) {
			free(cause);
			return false;
		}
		/* unknown outcome: the row stays pending for kg_kigo_resume */
		error_protocol(op, resp, cause, &e);
		deliver_error(op, &e.pub);
		errh_clear(&e);
		free(cause);
		return true;
	}
	/* The activity feeds this ticket's summary: keep the ticket we sent. */
	if (kg_str_empty(act.ticket_ref)) {
		free(act.ticket_ref);
		act.ticket_ref = kg_xstrdup(op->mut.ticket_ref);
	}
	/* One transaction: the cache row, the activity entry and the finished
	 * mutation land together or not at all.  A replay inserts nothing new:
	 * the activity id is unique. */
	err = kg_store_begin(st);
	if (err == KG_ERR_OK) {
		if (is_customer) {
			cus.fetched_at = now;
			err = kg_store_put_customers(st, &cus, 1);
		} else {
			tok.fetched_at = now;
			err = kg_store_put_tokens(st, tok.customer_id, &tok, 1, false);
		}
	}
	if (err == KG_ERR_OK)
		err = kg_store_add_activity(st, &act, &rowid);
	if (err == KG_ERR_OK)
		err = kg_store_mutation_finish(st, op->mut.id, KG_MUT_DONE, NULL);
	if (err == KG_ERR_OK)
		err = kg_store_commit(st);
	else
		kg_store_rollback(st);
	if (err != KG_ERR_OK)
		kg_log_warn("kigo: action applied but not recorded locally: %s",
		            kg_store_error(st));

	memset(&res, 0, sizeof(res));
	res.mutation_id = op->mut.id;
	res.idem_key = op->mut.idem_key;
	res.action = op->action;
	res.token = is_customer ? NULL : &tok;
	res.customer = is_customer ? &cus : NULL;
	res.activity = &act;
	res.activity_rowid = rowid;
	res.replayed = resp->replayed;
	op->mutate_cb(&res, op->ud);
	kg_token_clear(&tok);
	kg_customer_clear(&cus);
	kg_activity_clear(&act);
	free(cause);
	return true;
}

static void
mutate_failed(struct op *op, const struct kg_kigo_error *e)
{
	struct kg_store *st = op->k->store;

	if (e->current != NULL) {
		/* The token as it is now came with the 412: cache it (it is not a
		 * blind fetch) so the inventory shows what changed. */
		struct kg_token cur;
		kg_token_copy(&cur, e->current);
		cur.fetched_at = kg_wall_now();
		store_warn(kg_store_put_tokens(st, cur.customer_id, &cur, 1, false), "the token");
		kg_token_clear(&cur);
	}
	if (e->status == 404)
		drop_stale(op);
	/* An unknown outcome leaves the row pending for kg_kigo_resume. */
	if (e->pending)
		return;
	if (kg_store_mutation_finish(st, op->mut.id, KG_MUT_FAILED, e->message) != KG_ERR_OK)
		kg_log_warn("kigo: could not record the outcome of mutation %lld",
		            (long long)op->mut.id);
}

static void
on_http(struct kg_http_resp *resp, void *ud)
{
	struct op *op = ud;
	struct kg_kigo *k = op->k;
	bool done = true;

	op->http_id = 0;
	if (resp->err == KG_ERR_OK)
		k->reachable = true;
	else if (transport_unreachable(resp->err))
		k->reachable = false;
	op->delivering = true;
	if (resp->err == KG_ERR_OK && resp->status >= 200 && resp->status < 300) {
		if (op->kind == OP_MUTATE)
			done = mutate_done(op, resp);
		else
			done = read_done(op, resp);
	} else if (op->kind == OP_MUTATE && resp->err == KG_ERR_TOOBIG &&
	           reread(op, resp, "over the size limit")) {
		done = false;
	} else {
		struct errh e;

		error_from_resp(op, resp, &e);
		if (op->kind == OP_MUTATE)
			mutate_failed(op, &e.pub);
		else if (e.pub.status == 404)
			drop_stale(op);
		deliver_error(op, &e.pub);
		errh_clear(&e);
	}
	op->delivering = false;
	if (done || op->cancelled) {
		op_unlink(op);
		op_free(op);
	}
}
