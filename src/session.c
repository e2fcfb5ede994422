/*
 * session.c - the controller of the full-screen client.
 *
 * It owns the model the UI draws (ticket, search results, the selected
 * customer and tokens, this ticket's activity, the login state) and drives
 * the store, the Okta login, and the ServiceNow and Kigo clients.  Every
 * operation returns at once; completions arrive from the loop, update the
 * model and the cache, and raise change bits.  What is cached paints first
 * (stale-while-revalidate), fresh answers replace it.
 *
 * It must never block, never include curses, and never hand the UI a string
 * that has not been sanitized.  A result that arrives for a view the agent
 * already left (another query, another customer) never arrives: starting a
 * request of a kind cancels the one before it.
 */
#include "kigo/session.h"

#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/kigo.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/metrics.h"
#include "kigo/outbox.h"
#include "kigo/sanitize.h"
#include "kigo/sn.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_LOCAL_LIMIT 200   /* rows the customers pane can hold */
#define SEARCH_REMOTE_LIMIT 25   /* the backend's default page */
#define SEARCH_DEBOUNCE_MS 250   /* typing pause before asking the server */
#define WARM_WAIT_MS 1500        /* longest a search waits for the Kigo warm-up */

struct kg_session {
	struct kg_loop *loop;
	const struct kg_config *cfg;
	struct kg_store *store;
	struct kg_http *http;
	struct kg_auth *auth;        /* NULL when --offline without a usable [okta] */
	struct kg_sn *sn;            /* NULL when it could not be set up (see last_error) */
	struct kg_kigo *kigo;
	struct kg_metrics *metrics;  /* this session's timeline (issue 10) */
	bool offline;                /* --offline */
	bool network_started;        /* ticket fetch etc. issued after login */
	bool sn_reachable;

	unsigned changes;            /* KG_CHG_* not yet taken */
	unsigned busy;               /* KG_BUSY_* in flight */
	uint64_t keyring_timer;      /* says the keyring is slow to answer */

	/* launch */
	char *want_number;
	char *want_sys_id;
	char *pre_customer;          /* launch URL customer=cus_... */
	bool query_from_launch;      /* the launch URL pre-filled the search */

	/* ticket */
	struct kg_ticket ticket;
	bool have_ticket;
	uint64_t ticket_req;
	uint64_t user_req;

	/* search */
	char *query;
	struct kg_customer *customers;
	size_t ncustomers;
	uint64_t search_timer;
	uint64_t search_req;

	/* the Kigo connection opened at start, before anything needs it */
	uint64_t warm_req;           /* kg_http id of the warm-up while in flight */
	bool search_after_warm;      /* a search waits for it (one connection, not two) */

	/* selected customer */
	struct kg_customer customer;
	bool have_customer;
	struct kg_token *tokens;
	size_t ntokens;
	int64_t tokens_fetched;      /* wall seconds of the freshest token shown */
	uint64_t tokens_req;
	bool tokens_first_seen;      /* the first page of this fetch was shown */
	uint64_t customer_req;

	/* catalog */
	uint64_t catalog_req;
	bool catalog_loaded;

	/* activity */
	struct kg_activity_row *activity;
	size_t nactivity;
	int64_t pending_sync;

	/* status */
	char *last_error;
	char *notice;
	char *user;

	/* last operation result; the pointers below are owned here */
	struct kg_result result;
	char *res_message;
	struct kg_token *res_current;
	char *res_existing;
	char *res_allowed;
	uint64_t action_req;
	int64_t action_started_ms;   /* monotonic, for the action's latency */

	/* login screen */
	enum kg_login_phase login_phase;
	char *login_uri;
	char *login_uri_complete;
	char *login_code;
	int64_t login_expires_ms;
	char *login_msg;

	/* return */
	struct kg_outbox_flush *flush;
	bool flush_is_return;
	bool return_waiting;         /* y came while actions were on their way to Kigo */
	size_t resuming;             /* interrupted actions being resumed (start-up, r) */
	size_t acting;               /* actions of this run sent, not answered yet */
	size_t unknown;              /* this ticket's actions of unknown outcome, not on their way */
};

/* ---- small helpers ---- */

static void
set_str(char **dst, const char *src)
{
	/* src may be *dst itself (kg_session_search(s, s->query)): copy first */
	char *v = src != NULL ? kg_sanitize_str(src) : NULL;

	free(*dst);
	*dst = v;
}

static void
san(char **s)
{
	char *t;

	if (*s == NULL)
		return;
	t = kg_sanitize_str(*s);
	free(*s);
	*s = t;
}

static void
san_ticket(struct kg_ticket *t)
{
	san(&t->sys_id);
	san(&t->number);
	san(&t->table);
	san(&t->short_description);
	san(&t->state);
	san(&t->state_label);
	san(&t->priority);
	san(&t->priority_label);
	san(&t->caller_id);
	san(&t->caller_name);
	san(&t->assigned_to);
	san(&t->assigned_to_name);
	san(&t->updated_on);
}

static void
san_customer(struct kg_customer *c)
{
	san(&c->id);
	san(&c->name);
	san(&c->email);
	san(&c->phone);
	san(&c->loyalty_id);
	san(&c->created_at);
	san(&c->updated_at);
}

static void
san_token(struct kg_token *t)
{
	if (t == NULL)
		return;
	san(&t->id);
	san(&t->customer_id);
	san(&t->sku);
	san(&t->name);
	san(&t->issued_at);
	san(&t->expires_at);
	san(&t->disputed_reason);
}

static void
san_activity(struct kg_activity *a)
{
	san(&a->id);
	san(&a->at);
	san(&a->actor);
	san(&a->token_id);
	san(&a->customer_id);
	san(&a->ticket_ref);
	san(&a->reason);
	san_token(a->before);
	san_token(a->after);
}

static void
set_error(struct kg_session *s, const char *msg)
{
	set_str(&s->last_error, msg);
	s->changes |= KG_CHG_STATUS;
	if (msg != NULL)
		kg_log_warn("%s", msg);
}

static void
set_busy(struct kg_session *s, unsigned bit, bool on)
{
	unsigned old = s->busy;

	if (on)
		s->busy |= bit;
	else
		s->busy &= ~bit;
	if (old != s->busy)
		s->changes |= KG_CHG_STATUS;
}

/* The ticket number actions and summaries are filed under. */
static const char *
ticket_ref(const struct kg_session *s)
{
	if (s->have_ticket && !kg_str_empty(s->ticket.number))
		return s->ticket.number;
	return s->want_number;
}

static bool
is_network_err(enum kg_err err)
{
	switch (err) {
	case KG_ERR_NETWORK:
	case KG_ERR_DNS:
	case KG_ERR_CONNECT:
	case KG_ERR_TLS:
	case KG_ERR_TIMEOUT:
	case KG_ERR_UNAVAILABLE:
		return true;
	default:
		return false;
	}
}

static void start_network(struct kg_session *s);
static void login_needed(struct kg_session *s, const char *why);

/* A request failed because the login is gone: keep everything, ask again. */
static void
check_unauthorized(struct kg_session *s, enum kg_err err)
{
	if (err == KG_ERR_UNAUTHORIZED && s->auth != NULL && !kg_auth_logged_in(s->auth))
		login_needed(s, "Your Okta session ended; log in again to continue. "
		                "Nothing you did is lost.");
}

/* ---- activity and outbox counts (from the store) ---- */

/*
 * Actions of this ticket whose outcome is not known (Kigo's answer was lost
 * or unreadable, and the re-sends too) and that are not on their way now:
 * they are in no activity row yet, so say so where the agent looks (the
 * activity footer, R's preview, q's warning).  r or the next start resumes
 * them with the same idempotency key.
 */
static void
count_unknown(struct kg_session *s)
{
	struct kg_mutation *v = NULL;
	const char *ref = ticket_ref(s);
	size_t n = 0;

	s->unknown = 0;
	if (ref == NULL || kg_store_mutation_pending(s->store, &v, &n) != KG_ERR_OK)
		return;
	for (size_t i = 0; i < n; i++)
		if (kg_streq(v[i].ticket_ref, ref) &&
		    (s->kigo == NULL || !kg_kigo_sending(s->kigo, v[i].idem_key)))
			s->unknown++;
	kg_mutations_free(&v, n);
}

static void
reload_activity(struct kg_session *s)
{
	struct kg_activity_row *rows = NULL;
	size_t n = 0;
	const char *ref = ticket_ref(s);
	int64_t pending = 0;

	if (ref != NULL && kg_store_list_activity(s->store, ref, false, &rows, &n) == KG_ERR_OK) {
		for (size_t i = 0; i < n; i++) {
			san_activity(&rows[i].act);
			san(&rows[i].sync_error);
		}
		kg_activity_rows_free(&s->activity, s->nactivity);
		s->activity = rows;
		s->nactivity = n;
	}
	if (kg_store_outbox_count_pending(s->store, &pending) == KG_ERR_OK)
		s->pending_sync = pending;
	count_unknown(s);
	s->changes |= KG_CHG_ACTIVITY | KG_CHG_STATUS;
}

/* ---- tokens of the selected customer ---- */

static void
reload_tokens(struct kg_session *s)
{
	struct kg_token *v = NULL;
	size_t n = 0;

	if (!s->have_customer)
		return;
	if (kg_store_get_tokens(s->store, s->customer.id, &v, &n) != KG_ERR_OK)
		return;
	s->tokens_fetched = 0;
	for (size_t i = 0; i < n; i++) {
		san_token(&v[i]);
		if (v[i].fetched_at > s->tokens_fetched)
			s->tokens_fetched = v[i].fetched_at;
	}
	kg_tokens_free(&s->tokens, s->ntokens);
	s->tokens = v;
	s->ntokens = n;
	s->changes |= KG_CHG_TOKENS;
}

/*
 * Callbacks get the session itself: starting a request of a kind cancels the
 * one before it (cancelled requests never call back), so whatever arrives
 * belongs to what the agent is looking at now.
 */
static void
on_tokens(const struct kg_kigo_error *err, const struct kg_token *v, size_t n, bool last,
          void *ud)
{
	struct kg_session *s = ud;

	(void)v;
	(void)n;
	if (err != NULL) {
		s->tokens_req = 0;
		set_busy(s, KG_BUSY_TOKENS, false);
		set_error(s, err->message);
		check_unauthorized(s, err->err);
		return;
	}
	/* the first page paints at once, the last one replaces everything */
	if (!s->tokens_first_seen || last)
		reload_tokens(s);
	s->tokens_first_seen = true;
	if (last) {
		s->tokens_req = 0;
		set_busy(s, KG_BUSY_TOKENS, false);
	}
}

static void
fetch_tokens(struct kg_session *s)
{
	if (!s->have_customer || s->kigo == NULL || s->offline || !s->network_started)
		return;
	if (s->tokens_req != 0)
		kg_kigo_cancel(s->kigo, s->tokens_req);
	s->tokens_first_seen = false;
	s->tokens_req = kg_kigo_tokens(s->kigo, s->customer.id, NULL, on_tokens, s);
	set_busy(s, KG_BUSY_TOKENS, true);
}

static void
on_customer(const struct kg_kigo_error *err, const struct kg_customer *c, void *ud)
{
	struct kg_session *s = ud;

	s->customer_req = 0;
	if (err != NULL) {
		set_error(s, err->message);
		check_unauthorized(s, err->err);
	} else if (c != NULL) {
		kg_customer_clear(&s->customer);
		kg_customer_copy(&s->customer, c);
		san_customer(&s->customer);
		s->have_customer = true;
		s->changes |= KG_CHG_TOKENS | KG_CHG_CUSTOMERS;
	}
}

static void
cancel_customer_requests(struct kg_session *s)
{
	if (s->kigo == NULL)
		return;
	if (s->tokens_req != 0) {
		kg_kigo_cancel(s->kigo, s->tokens_req);
		s->tokens_req = 0;
		set_busy(s, KG_BUSY_TOKENS, false);
	}
	if (s->customer_req != 0) {
		kg_kigo_cancel(s->kigo, s->customer_req);
		s->customer_req = 0;
	}
}

void
kg_session_select_customer(struct kg_session *s, const char *customer_id)
{
	struct kg_customer c = { 0 };

	if (customer_id == NULL)
		return;
	cancel_customer_requests(s);
	kg_customer_clear(&s->customer);
	kg_tokens_free(&s->tokens, s->ntokens);
	s->ntokens = 0;
	s->have_customer = false;
	if (kg_store_get_customer(s->store, customer_id, &c) == KG_ERR_OK) {
		s->customer = c;
		san_customer(&s->customer);
		s->have_customer = true;
		reload_tokens(s);
	} else if (!s->offline && s->kigo != NULL && s->network_started) {
		/* not cached yet (launch URL): ask for it, then its tokens */
		s->customer.id = kg_xstrdup(customer_id);
		s->have_customer = true;
		s->customer_req = kg_kigo_get_customer(s->kigo, customer_id, on_customer, s);
	} else {
		s->customer.id = kg_xstrdup(customer_id);
		s->have_customer = true;
	}
	if (s->have_customer && s->ticket.number != NULL) {
		char *key = kg_xasprintf("customer:%s", s->ticket.number);
		kg_store_kv_set(s->store, key, customer_id);
		free(key);
	}
	s->changes |= KG_CHG_TOKENS | KG_CHG_CUSTOMERS;
	fetch_tokens(s);
}

/* ---- search ---- */

static void
search_local(struct kg_session *s)
{
	struct kg_customer *v = NULL;
	size_t n = 0;

	if (kg_str_empty(s->query)) {
		kg_customers_free(&s->customers, s->ncustomers);
		s->ncustomers = 0;
		s->changes |= KG_CHG_CUSTOMERS;
		return;
	}
	if (kg_store_search_customers(s->store, s->query, SEARCH_LOCAL_LIMIT, &v, &n) != KG_ERR_OK)
		return;
	for (size_t i = 0; i < n; i++)
		san_customer(&v[i]);
	kg_customers_free(&s->customers, s->ncustomers);
	s->customers = v;
	s->ncustomers = n;
	s->changes |= KG_CHG_CUSTOMERS;
}

static void
on_search(const struct kg_kigo_error *err, const struct kg_customer *v, size_t n,
          const char *next_cursor, void *ud)
{
	struct kg_session *s = ud;

	(void)v;
	(void)n;
	(void)next_cursor;
	s->search_req = 0;
	set_busy(s, KG_BUSY_SEARCH, false);
	if (err != NULL) {
		set_error(s, err->message);
		check_unauthorized(s, err->err);
	} else {
		/* the page went through to the cache: the local query now merges it */
		search_local(s);
	}
}

static void
search_remote(struct kg_loop *loop, void *ud)
{
	struct kg_session *s = ud;

	(void)loop;
	s->search_timer = 0;
	if (s->kigo == NULL || s->offline || !s->network_started || kg_str_empty(s->query))
		return;
	if (s->search_req != 0)
		kg_kigo_cancel(s->kigo, s->search_req);
	s->search_req = 0;
	set_busy(s, KG_BUSY_SEARCH, true);
	if (s->warm_req != 0 && !s->search_after_warm) {
		/*
		 * The warm-up's connection is moments away; a new one would cost
		 * the TCP and TLS round trips again.  Wait for it (on_warm), but
		 * not for ever: the timer sends in any case.
		 */
		s->search_after_warm = true;
		s->search_timer = kg_timer_add(s->loop, WARM_WAIT_MS, search_remote, s);
		return;
	}
	s->search_after_warm = false;
	s->search_req = kg_kigo_search(s->kigo, s->query, SEARCH_REMOTE_LIMIT, NULL, on_search, s);
}

/*
 * The query changes: the cache answers at once; the server is asked after a
 * typing pause (typed), or at once for a query the program set (the caller
 * of the ticket, a launch URL, a refresh).
 */
static void
search_set(struct kg_session *s, const char *query, bool typed)
{
	set_str(&s->query, query != NULL ? query : "");
	search_local(s);
	if (s->search_timer != 0)
		kg_timer_cancel(s->loop, s->search_timer);
	s->search_timer = 0;
	s->search_after_warm = false;
	if (s->search_req != 0 && s->kigo != NULL) {
		kg_kigo_cancel(s->kigo, s->search_req);
		s->search_req = 0;
	}
	set_busy(s, KG_BUSY_SEARCH, false);
	if (s->offline || !s->network_started || strlen(s->query) < 2)
		return;
	if (typed)
		s->search_timer = kg_timer_add(s->loop, SEARCH_DEBOUNCE_MS, search_remote, s);
	else
		search_remote(s->loop, s);
}

void
kg_session_search(struct kg_session *s, const char *query)
{
	search_set(s, query, true);
}

/* ---- the Kigo connection, warmed up at start ---- */

static void
on_warm(struct kg_http_resp *resp, void *ud)
{
	struct kg_session *s = ud;

	/* any answer will do: the connection is what was wanted */
	kg_log_debug("Kigo connection warm-up: %s", resp->err == KG_ERR_OK ? "done" : "failed");
	s->warm_req = 0;
	if (s->search_after_warm) {
		if (s->search_timer != 0)
			kg_timer_cancel(s->loop, s->search_timer);
		search_remote(s->loop, s);
	}
}

/*
 * Nothing asked Kigo for anything at start (a ticket number alone): open its
 * connection now, while the ticket is in flight, so that the search for the
 * ticket's caller finds it ready.
 */
static void
warm_kigo(struct kg_session *s)
{
	if (s->kigo == NULL || s->offline || kg_kigo_pending(s->kigo) > 0 ||
	    kg_str_empty(s->cfg->kigo_api_url) || s->warm_req != 0)
		return;
	s->warm_req = kg_http_warm(s->http, s->cfg->kigo_api_url, on_warm, s);
}

/* ---- ticket ---- */

/* The caller pre-fills the search unless the launch URL or the agent did. */
static void
prefill_from_caller(struct kg_session *s, const struct kg_user *u)
{
	const char *pre;

	if (s->query_from_launch || !kg_str_empty(s->query) || s->have_customer)
		return;
	pre = !kg_str_empty(u->email) ? u->email : !kg_str_empty(u->phone) ? u->phone : u->name;
	if (!kg_str_empty(pre))
		search_set(s, pre, false);
}

static void
on_user(enum kg_err err, const struct kg_user *u, const char *message, void *ud)
{
	struct kg_session *s = ud;

	s->user_req = 0;
	if (err != KG_ERR_OK) {
		set_error(s, message);
		return;
	}
	prefill_from_caller(s, u);
}

static void
on_ticket(enum kg_err err, const struct kg_ticket *t, const struct kg_user *caller,
          const char *message, void *ud)
{
	struct kg_session *s = ud;
	bool had_number = s->have_ticket;

	s->ticket_req = 0;
	set_busy(s, KG_BUSY_TICKET, false);
	if (err != KG_ERR_OK) {
		if (is_network_err(err))
			s->sn_reachable = false;
		set_error(s, message);
		check_unauthorized(s, err);
		s->changes |= KG_CHG_TICKET;
		return;
	}
	s->sn_reachable = true;
	kg_ticket_clear(&s->ticket);
	kg_ticket_copy(&s->ticket, t);
	s->ticket.fetched_at = kg_wall_now();
	if (kg_str_empty(s->ticket.table))
		set_str(&s->ticket.table, s->cfg->sn_table);
	kg_store_put_ticket(s->store, &s->ticket);
	san_ticket(&s->ticket);
	s->have_ticket = true;
	s->changes |= KG_CHG_TICKET | KG_CHG_STATUS;
	kg_metrics_mark(s->metrics, KG_MARK_BANNER_READY);
	if (!had_number)
		reload_activity(s);
	if (caller != NULL)
		prefill_from_caller(s, caller); /* read along with the ticket */
	else if (!kg_str_empty(s->ticket.caller_id) && s->sn != NULL && s->user_req == 0)
		s->user_req = kg_sn_get_user(s->sn, s->ticket.caller_id, on_user, s);
}

static void
fetch_ticket(struct kg_session *s)
{
	if (s->sn == NULL || s->offline || s->ticket_req != 0)
		return;
	s->ticket_req = kg_sn_get_ticket(s->sn, s->want_number, s->want_sys_id, on_ticket, s);
	if (s->ticket_req != 0)
		set_busy(s, KG_BUSY_TICKET, true);
}

/* ---- outbox ---- */

static void
on_flush_item(const struct kg_outbox_item *item, enum kg_err err, const char *message, void *ud)
{
	struct kg_session *s = ud;

	(void)item;
	if (err != KG_ERR_OK) {
		set_error(s, message);
		check_unauthorized(s, err);
	}
	reload_activity(s);
}

static void
on_flush_done(size_t sent, size_t pending, void *ud)
{
	struct kg_session *s = ud;
	bool is_return = s->flush_is_return;

	s->flush = NULL;
	s->flush_is_return = false;
	set_busy(s, KG_BUSY_SYNC, false);
	reload_activity(s);
	if (!is_return)
		return;
	memset(&s->result, 0, sizeof(s->result));
	s->result.kind = KG_RESULT_RETURN;
	free(s->res_message);
	if (pending == 0) {
		kg_metrics_mark(s->metrics, KG_MARK_RETURN_SENT);
		s->result.err = KG_ERR_OK;
		s->res_message = kg_xasprintf("Summary added to %s as %s (%zu sent).",
		                              ticket_ref(s) ? ticket_ref(s) : "the ticket",
		                              kg_streq(s->cfg->sn_journal_field, "comments")
		                                  ? "a comment"
		                                  : "a work note",
		                              sent);
	} else {
		s->result.err = KG_ERR_PENDING;
		/* the outbox's sentence says which summary and why; the UI adds what next */
		s->res_message = kg_xstrdup(s->last_error ? s->last_error
		                                          : "The summary did not reach ServiceNow.");
	}
	s->result.message = s->res_message;
	s->changes |= KG_CHG_RESULT;
}

static void
start_flush(struct kg_session *s, bool is_return)
{
	char *cause = NULL;

	if (s->sn == NULL || s->offline)
		return;
	if (s->flush != NULL) {
		/* one at a time; a return during a background flush takes it over */
		if (is_return)
			s->flush_is_return = true;
		return;
	}
	s->flush_is_return = is_return;
	s->flush = kg_outbox_flush(s->loop, s->sn, s->store, is_return ? ticket_ref(s) : NULL,
	                           on_flush_item, on_flush_done, s, &cause);
	if (s->flush == NULL) {
		set_error(s, cause);
		free(cause);
		return;
	}
	set_busy(s, KG_BUSY_SYNC, true);
}

/* ---- mutations ---- */

/* Actions on their way to Kigo: a summary written now could not say what
 * became of them (and one applied after the return would be in no note). */
static size_t
actions_in_flight(const struct kg_session *s)
{
	return s->acting + s->resuming;
}

static void return_now(struct kg_session *s);

static void
return_if_waiting(struct kg_session *s)
{
	if (s->return_waiting && actions_in_flight(s) == 0) {
		s->return_waiting = false;
		return_now(s);
	}
}

static void
clear_result(struct kg_session *s)
{
	memset(&s->result, 0, sizeof(s->result));
	kg_free(&s->res_message);
	kg_token_free(&s->res_current);
	kg_free(&s->res_existing);
	kg_free(&s->res_allowed);
}

static const char *
done_verb(enum kg_action a)
{
	switch (a) {
	case KG_ACTION_ADD:
		return "Added";
	case KG_ACTION_REMOVE:
		return "Removed";
	case KG_ACTION_REISSUE:
		return "Reissued";
	case KG_ACTION_DISPUTE:
		return "Disputed";
	case KG_ACTION_CREATE_CUSTOMER:
		return "Created customer";
	default:
		return "Recorded";
	}
}

static enum kg_action_outcome
outcome_of(const struct kg_kigo_error *e)
{
	if (e->err == KG_ERR_PRECONDITION)
		return KG_OUTCOME_CONFLICT;
	if (e->pending || e->status >= 500 || e->status == 0 || e->err == KG_ERR_RATE_LIMITED)
		return KG_OUTCOME_FAILED;
	return KG_OUTCOME_REFUSED;
}

static void
on_mutated(const struct kg_kigo_result *r, void *ud)
{
	struct kg_session *s = ud;
	const struct kg_kigo_error *e = r->error;

	/* actions are not modal: another may have been sent since this one */
	if (s->acting > 0)
		s->acting--;
	if (s->acting == 0) {
		s->action_req = 0;
		set_busy(s, KG_BUSY_ACTION, false);
	}
	clear_result(s);
	kg_metrics_action(s->metrics, r->action, e == NULL ? KG_OUTCOME_APPLIED : outcome_of(e),
	                  e == NULL ? KG_ERR_OK : e->err, kg_now_ms() - s->action_started_ms);
	s->result.kind = r->action == KG_ACTION_CREATE_CUSTOMER ? KG_RESULT_CUSTOMER
	                                                        : KG_RESULT_ACTION;
	if (e != NULL) {
		s->result.err = e->err;
		set_str(&s->res_message, e->message);
		if (e->current != NULL) {
			s->res_current = kg_token_dup(e->current);
			san_token(s->res_current);
		}
		set_str(&s->res_existing, e->existing_id);
		set_str(&s->res_allowed, e->allowed);
		set_error(s, e->message);
		check_unauthorized(s, e->err);
		if (e->err == KG_ERR_PRECONDITION || e->err == KG_ERR_NOT_FOUND)
			reload_tokens(s);
	} else {
		s->result.err = KG_ERR_OK;
		if (r->action == KG_ACTION_CREATE_CUSTOMER && r->customer != NULL) {
			s->res_message = kg_xasprintf("%s %s (%s).", done_verb(r->action),
			                              r->customer->name ? r->customer->name : "",
			                              r->customer->id ? r->customer->id : "");
			kg_session_select_customer(s, r->customer->id);
		} else {
			s->res_message = kg_xasprintf(
			    "%s %s%s.", done_verb(r->action),
			    r->token && r->token->id ? r->token->id : "the token",
			    r->replayed ? " (the backend had already applied it)" : "");
			reload_tokens(s);
		}
		san(&s->res_message);
		set_error(s, NULL);
	}
	s->result.message = s->res_message;
	s->result.current = s->res_current;
	s->result.existing_customer_id = s->res_existing;
	s->result.allowed = s->res_allowed;
	reload_activity(s);
	s->changes |= KG_CHG_RESULT | KG_CHG_TOKENS;
	return_if_waiting(s);
}

static void
on_resumed(const struct kg_kigo_result *r, void *ud)
{
	struct kg_session *s = ud;

	if (s->resuming > 0)
		s->resuming--;
	if (r->error != NULL && !r->error->pending)
		set_error(s, r->error->message);
	reload_tokens(s);
	reload_activity(s);
	return_if_waiting(s);
}

static enum kg_token_status
token_status(const struct kg_session *s, const char *id)
{
	for (size_t i = 0; id != NULL && i < s->ntokens; i++)
		if (kg_streq(s->tokens[i].id, id))
			return s->tokens[i].status;
	return KG_TOKEN__UNKNOWN;
}

static void
to_mutation(const struct kg_session *s, const struct kg_action_req *req,
            struct kg_kigo_mutation *m)
{
	memset(m, 0, sizeof(*m));
	m->action = req->action;
	m->other = req->other;
	m->ticket_ref = ticket_ref(s);
	m->customer_id = s->have_customer ? s->customer.id : NULL;
	m->token_id = req->token_id;
	m->token_version = req->token_version;
	m->sku = req->sku;
	m->expires_at = req->expires_at;
	m->reason = req->reason;
	m->note = req->note;
}

enum kg_err
kg_session_check_action(struct kg_session *s, const struct kg_action_req *req, char **cause)
{
	struct kg_kigo_mutation m;

	if (s->offline) {
		kg_set_cause(cause, "You are working offline (--offline): actions must reach the "
		                    "token backend, so none can be made now. Restart without "
		                    "--offline to act.");
		return KG_ERR_OFFLINE;
	}
	if (ticket_ref(s) == NULL) {
		kg_set_cause(cause, "The ticket is not loaded yet, so the action could not be "
		                    "filed under it. Wait for the banner, or press r to retry.");
		return KG_ERR_PENDING;
	}
	if (req->action == KG_ACTION_ADD && !s->have_customer) {
		kg_set_cause(cause, "Select a customer first (/ to search).");
		return KG_ERR_BAD_INPUT;
	}
	to_mutation(s, req, &m);
	return kg_kigo_check(&m, token_status(s, req->token_id), NULL, cause);
}

void
kg_session_act(struct kg_session *s, const struct kg_action_req *req)
{
	struct kg_kigo_mutation m;
	char *cause = NULL;
	enum kg_err err;

	clear_result(s);
	s->action_started_ms = kg_now_ms();
	err = kg_session_check_action(s, req, &cause);
	if (err == KG_ERR_OK) {
		to_mutation(s, req, &m);
		err = kg_kigo_mutate(s->kigo, &m, on_mutated, s, &s->action_req, &cause);
	}
	if (err != KG_ERR_OK) {
		kg_metrics_action(s->metrics, req->action, KG_OUTCOME_REFUSED, err, 0);
		s->result.kind = KG_RESULT_ACTION;
		s->result.err = err;
		set_str(&s->res_message, cause ? cause : kg_err_str(err));
		s->result.message = s->res_message;
		set_error(s, s->res_message);
		s->changes |= KG_CHG_RESULT;
		free(cause);
		return;
	}
	s->acting++;
	set_busy(s, KG_BUSY_ACTION, true);
	/* the action is in the store before it is sent: show it as pending now */
	reload_activity(s);
}

void
kg_session_create_customer(struct kg_session *s, const struct kg_new_customer *c)
{
	struct kg_kigo_mutation m;
	char *cause = NULL;
	enum kg_err err = KG_ERR_OK;

	clear_result(s);
	s->action_started_ms = kg_now_ms();
	memset(&m, 0, sizeof(m));
	m.action = KG_ACTION_CREATE_CUSTOMER;
	m.ticket_ref = ticket_ref(s);
	m.name = c->name;
	m.email = kg_str_empty(c->email) ? NULL : c->email;
	m.phone = kg_str_empty(c->phone) ? NULL : c->phone;
	m.loyalty_id = kg_str_empty(c->loyalty_id) ? NULL : c->loyalty_id;
	if (s->offline) {
		kg_set_cause(&cause, "You are working offline (--offline): a new customer must be "
		                     "created in the token backend. Restart without --offline.");
		err = KG_ERR_OFFLINE;
	} else if (m.ticket_ref == NULL) {
		kg_set_cause(&cause, "The ticket is not loaded yet. Wait for the banner, or press "
		                     "r to retry.");
		err = KG_ERR_PENDING;
	} else {
		err = kg_kigo_check(&m, KG_TOKEN__UNKNOWN, NULL, &cause);
		if (err == KG_ERR_OK)
			err = kg_kigo_mutate(s->kigo, &m, on_mutated, s, &s->action_req, &cause);
	}
	if (err != KG_ERR_OK) {
		kg_metrics_action(s->metrics, KG_ACTION_CREATE_CUSTOMER, KG_OUTCOME_REFUSED, err, 0);
		s->result.kind = KG_RESULT_CUSTOMER;
		s->result.err = err;
		set_str(&s->res_message, cause ? cause : kg_err_str(err));
		s->result.message = s->res_message;
		s->changes |= KG_CHG_RESULT;
		free(cause);
		return;
	}
	s->acting++;
	set_busy(s, KG_BUSY_ACTION, true);
}

/* ---- catalog ---- */

static void
on_catalog(const struct kg_kigo_error *err, const struct kg_catalog_item *v, size_t n, bool last,
           void *ud)
{
	struct kg_session *s = ud;

	(void)v;
	(void)n;
	if (err != NULL) {
		s->catalog_req = 0;
		set_busy(s, KG_BUSY_CATALOG, false);
		set_error(s, err->message);
		return;
	}
	s->changes |= KG_CHG_CATALOG;
	if (last) {
		s->catalog_req = 0;
		s->catalog_loaded = true;
		set_busy(s, KG_BUSY_CATALOG, false);
	}
}

void
kg_session_load_catalog(struct kg_session *s)
{
	if (s->catalog_loaded || s->catalog_req != 0 || s->kigo == NULL || s->offline ||
	    !s->network_started)
		return;
	s->catalog_req = kg_kigo_catalog(s->kigo, on_catalog, s);
	set_busy(s, KG_BUSY_CATALOG, true);
}

size_t
kg_session_catalog(struct kg_session *s, const char *filter, struct kg_catalog_item **out)
{
	struct kg_catalog_item *v = NULL;
	size_t n = 0, k = 0;

	*out = NULL;
	if (kg_store_get_catalog(s->store, filter, &v, &n) != KG_ERR_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].active) {
			kg_catalog_item_clear(&v[i]);
			continue;
		}
		san(&v[i].sku);
		san(&v[i].name);
		san(&v[i].description);
		v[k++] = v[i];
	}
	if (k == 0)
		kg_free(&v);
	*out = v;
	return k;
}

/* ---- login ---- */

static void
on_login_code(const struct kg_device_info *info, void *ud)
{
	struct kg_session *s = ud;

	s->login_phase = KG_LOGIN_WAITING;
	set_str(&s->login_uri, info->verification_uri);
	set_str(&s->login_uri_complete, info->verification_uri_complete);
	set_str(&s->login_code, info->user_code);
	s->login_expires_ms = info->expires_at_ms;
	s->changes |= KG_CHG_AUTH;
}

static void
on_login_done(enum kg_err err, const char *message, void *ud)
{
	struct kg_session *s = ud;

	set_busy(s, KG_BUSY_LOGIN, false);
	if (err != KG_ERR_OK) {
		s->login_phase = KG_LOGIN_FAILED;
		set_str(&s->login_msg, message);
		s->changes |= KG_CHG_AUTH;
		return;
	}
	s->login_phase = KG_LOGIN_NONE;
	kg_free(&s->login_msg);
	set_str(&s->user, kg_auth_user_name(s->auth));
	/* a token that could not be saved is reported once, now */
	{
		char *notice = kg_auth_take_notice(s->auth);

		if (notice != NULL) {
			set_str(&s->notice, notice);
			free(notice);
		}
	}
	s->changes |= KG_CHG_AUTH | KG_CHG_STATUS;
	if (!s->network_started)
		start_network(s);
	else
		kg_session_refresh(s);
}

void
kg_session_login_start(struct kg_session *s)
{
	if (s->auth == NULL) {
		s->login_phase = KG_LOGIN_FAILED;
		set_str(&s->login_msg, "Okta login is not configured: set [okta] issuer and "
		                       "client_id in the configuration file.");
		s->changes |= KG_CHG_AUTH;
		return;
	}
	s->login_phase = KG_LOGIN_STARTING;
	kg_free(&s->login_msg);
	kg_free(&s->login_code);
	set_busy(s, KG_BUSY_LOGIN, true);
	s->changes |= KG_CHG_AUTH;
	kg_auth_login_start(s->auth, on_login_code, on_login_done, s);
}

void
kg_session_login_cancel(struct kg_session *s)
{
	if (s->auth != NULL)
		kg_auth_login_cancel(s->auth);
	set_busy(s, KG_BUSY_LOGIN, false);
	s->login_phase = KG_LOGIN_FAILED;
	set_str(&s->login_msg, "Login cancelled. Press l to log in, or q to quit.");
	s->changes |= KG_CHG_AUTH;
}

static void
login_needed(struct kg_session *s, const char *why)
{
	if (s->login_phase == KG_LOGIN_STARTING || s->login_phase == KG_LOGIN_WAITING)
		return;
	kg_session_login_start(s);
	set_str(&s->login_msg, why);
}

void
kg_session_login_view(const struct kg_session *s, struct kg_login_view *out)
{
	memset(out, 0, sizeof(*out));
	out->phase = s->login_phase;
	out->verification_uri = s->login_uri;
	out->verification_uri_complete = s->login_uri_complete;
	out->user_code = s->login_code;
	out->expires_at_ms = s->login_expires_ms;
	out->message = s->login_msg;
}

/* ---- start-up ---- */

static void
start_network(struct kg_session *s)
{
	s->network_started = true;
	fetch_ticket(s);
	if (s->kigo != NULL && (s->resuming += kg_kigo_resume(s->kigo, on_resumed, s)) > 0)
		kg_log_info("resuming pending token actions from an earlier run");
	if (s->have_customer && s->customer.name == NULL) {
		/* chosen before the network was up and not cached: ask for the record too */
		char *id = kg_xstrdup(s->customer.id);

		kg_session_select_customer(s, id);
		free(id);
	} else if (s->have_customer) {
		fetch_tokens(s);
	} else if (s->pre_customer != NULL)
		kg_session_select_customer(s, s->pre_customer);
	if (!kg_str_empty(s->query))
		search_set(s, s->query, false);
	warm_kigo(s);
	/* summaries an earlier run left behind go out in the background */
	start_flush(s, false);
	s->changes |= KG_CHG_STATUS;
}

/* ---- the saved login, read from the keyring off the loop ---- */

#define KEYRING_SLOW_MS 3000
#define KEYRING_READING "Reading the saved login from the keyring..."
#define KEYRING_SLOW "The keyring is not answering; cached data shown, q quits."

static void
keyring_notice(struct kg_session *s, const char *text)
{
	set_str(&s->notice, text);
	s->changes |= KG_CHG_STATUS;
}

/* Is the notice still the keyring's progress line (nobody replaced it)? */
static bool
keyring_notice_shown(const struct kg_session *s)
{
	return kg_streq(s->notice, KEYRING_READING) || kg_streq(s->notice, KEYRING_SLOW);
}

static void
on_keyring_slow(struct kg_loop *loop, void *ud)
{
	struct kg_session *s = ud;

	(void)loop;
	s->keyring_timer = 0;
	/* another notice that came meanwhile stays */
	if (s->notice == NULL || keyring_notice_shown(s))
		keyring_notice(s, KEYRING_SLOW);
}

/* The saved login was read (or not): what kg_session_new would have done. */
static void
on_auth_loaded(enum kg_err err, const char *message, void *ud)
{
	struct kg_session *s = ud;
	char *notice;

	set_busy(s, KG_BUSY_KEYRING, false);
	kg_timer_cancel(s->loop, s->keyring_timer);
	s->keyring_timer = 0;
	if (keyring_notice_shown(s))
		keyring_notice(s, NULL);
	if ((notice = kg_auth_take_notice(s->auth)) != NULL) {
		set_str(&s->notice, notice);
		free(notice);
	}
	set_str(&s->user, kg_auth_user_name(s->auth));
	s->changes |= KG_CHG_AUTH | KG_CHG_STATUS;
	if (err != KG_ERR_OK)
		set_error(s, message); /* why, and what to do; it stays on the status bar */
	if (s->offline || s->network_started)
		return;
	if (kg_auth_logged_in(s->auth))
		start_network(s);
	else if (err != KG_ERR_OK)
		login_needed(s, message);
	else
		kg_session_login_start(s);
}

static void
load_cache(struct kg_session *s)
{
	struct kg_ticket t = { 0 };
	const char *key = s->want_number ? s->want_number : s->want_sys_id;
	char *kv = NULL, *k;

	if (key != NULL && kg_store_get_ticket(s->store, key, &t) == KG_ERR_OK) {
		s->ticket = t;
		san_ticket(&s->ticket);
		s->have_ticket = true;
		s->changes |= KG_CHG_TICKET;
	}
	reload_activity(s);
	/* the customer this ticket was last worked on, unless the launch says otherwise */
	if (s->pre_customer == NULL && !s->query_from_launch && ticket_ref(s) != NULL) {
		k = kg_xasprintf("customer:%s", ticket_ref(s));
		if (kg_store_kv_get(s->store, k, &kv) == KG_ERR_OK && kv != NULL)
			kg_session_select_customer(s, kv);
		free(kv);
		free(k);
	} else if (s->pre_customer != NULL) {
		kg_session_select_customer(s, s->pre_customer);
	}
}

enum kg_err
kg_session_new(struct kg_loop *loop, const struct kg_config *cfg,
               const struct kg_session_launch *launch, struct kg_session **out, char **cause)
{
	struct kg_session *s = kg_xcalloc(1, sizeof(*s));
	struct kg_http_opts hopts = { 0 };
	struct kg_kigo_opts kopts = { 0 };
	char *why = NULL, *notice;
	enum kg_err err;

	*out = NULL;
	s->loop = loop;
	s->cfg = cfg;
	s->offline = launch->offline;
	s->want_number = kg_xstrdup(launch->number);
	s->want_sys_id = kg_xstrdup(launch->sys_id);
	s->pre_customer = kg_xstrdup(launch->customer);
	s->query = kg_xstrdup("");
	s->sn_reachable = true;

	err = kg_store_open(cfg->state_dir, &s->store, cause);
	if (err != KG_ERR_OK)
		goto fail;
	s->metrics = kg_metrics_start(s->store);

	hopts.ca_bundle = cfg->tls_ca_bundle;
	s->http = kg_http_new(loop, &hopts, cause);
	if (s->http == NULL) {
		err = KG_ERR_CONFIG;
		goto fail;
	}

	err = kg_auth_new_async(loop, s->http, cfg, on_auth_loaded, s, &s->auth, &why);
	if (err != KG_ERR_OK) {
		if (!s->offline) {
			kg_set_cause(cause, "%s", why ? why : kg_err_str(err));
			free(why);
			goto fail;
		}
		kg_free(&why);
		s->auth = NULL;
	}
	if (s->auth != NULL) {
		notice = kg_auth_take_notice(s->auth);
		if (notice != NULL) {
			set_str(&s->notice, notice);
			free(notice);
		}
		set_str(&s->user, kg_auth_user_name(s->auth));
	}

	err = kg_sn_new(s->http, s->auth, cfg, &s->sn, &why);
	if (err != KG_ERR_OK) {
		/* the agent can still work tokens; the return will say why it cannot */
		s->sn = NULL;
		set_error(s, why);
		kg_free(&why);
	}

	kopts.api_url = cfg->kigo_api_url;
	kopts.offline = s->offline;
	err = kg_kigo_new(loop, s->http, s->auth, s->store, &kopts, &s->kigo, cause);
	if (err != KG_ERR_OK)
		goto fail;

	/* launch URL pre-fill: a customer id selects, the other fields search */
	if (!kg_str_empty(launch->email) || !kg_str_empty(launch->phone) ||
	    !kg_str_empty(launch->loyalty_id)) {
		set_str(&s->query, !kg_str_empty(launch->email)   ? launch->email
		                   : !kg_str_empty(launch->phone) ? launch->phone
		                                                  : launch->loyalty_id);
		s->query_from_launch = true;
	}
	if (s->pre_customer != NULL)
		s->query_from_launch = true;

	load_cache(s);
	if (!kg_str_empty(s->query))
		search_local(s);

	if (s->offline) {
		if (s->notice == NULL)
			set_str(&s->notice, "Offline (--offline): showing cached data only; actions "
			                    "and the return to ServiceNow are disabled.");
	} else if (s->auth != NULL && kg_auth_loading(s->auth)) {
		/* the network or the login starts once the keyring answers */
		set_busy(s, KG_BUSY_KEYRING, true);
		keyring_notice(s, KEYRING_READING);
		s->keyring_timer = kg_timer_add(loop, KEYRING_SLOW_MS, on_keyring_slow, s);
	} else if (s->auth != NULL && kg_auth_logged_in(s->auth)) {
		start_network(s);
	} else {
		kg_session_login_start(s);
	}
	s->changes = KG_CHG_ALL;
	*out = s;
	return KG_ERR_OK;
fail:
	kg_session_free(&s);
	return err;
}

void
kg_session_free(struct kg_session **sp)
{
	struct kg_session *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	kg_metrics_mark(s->metrics, KG_MARK_EXIT);
	kg_metrics_free(&s->metrics);
	if (s->search_timer != 0)
		kg_timer_cancel(s->loop, s->search_timer);
	if (s->warm_req != 0)
		kg_http_cancel(s->http, s->warm_req);
	kg_timer_cancel(s->loop, s->keyring_timer);
	kg_outbox_flush_cancel(&s->flush);
	/* the clients cancel what is in flight without calling back */
	kg_kigo_free(&s->kigo);
	kg_sn_free(&s->sn);
	kg_auth_free(&s->auth);
	kg_http_free(&s->http);
	kg_store_free(&s->store);
	kg_ticket_clear(&s->ticket);
	kg_customers_free(&s->customers, s->ncustomers);
	kg_customer_clear(&s->customer);
	kg_tokens_free(&s->tokens, s->ntokens);
	kg_activity_rows_free(&s->activity, s->nactivity);
	clear_result(s);
	free(s->want_number);
	free(s->want_sys_id);
	free(s->pre_customer);
	free(s->query);
	free(s->last_error);
	free(s->notice);
	free(s->user);
	free(s->login_uri);
	free(s->login_uri_complete);
	free(s->login_code);
	free(s->login_msg);
	free(s);
	*sp = NULL;
}

/* ---- accessors ---- */

void
kg_session_painted(struct kg_session *s)
{
	kg_metrics_mark(s->metrics, KG_MARK_FIRST_PAINT);
}

unsigned
kg_session_take_changes(struct kg_session *s)
{
	unsigned c = s->changes;

	s->changes = 0;
	return c;
}

unsigned
kg_session_busy(const struct kg_session *s)
{
	return s->busy;
}

const struct kg_ticket *
kg_session_ticket(const struct kg_session *s)
{
	return s->have_ticket ? &s->ticket : NULL;
}

int64_t
kg_session_ticket_age(const struct kg_session *s)
{
	int64_t age;

	if (!s->have_ticket || s->ticket.fetched_at == 0)
		return 0;
	age = kg_wall_now() - s->ticket.fetched_at;
	return age > 0 ? age : 0;
}

bool
kg_session_online(const struct kg_session *s)
{
	if (s->offline || !s->network_started)
		return false;
	return s->sn_reachable && (s->kigo == NULL || kg_kigo_reachable(s->kigo));
}

const char *
kg_session_query(const struct kg_session *s)
{
	return s->query ? s->query : "";
}

size_t
kg_session_customers(const struct kg_session *s, const struct kg_customer **v)
{
	*v = s->customers;
	return s->ncustomers;
}

const struct kg_customer *
kg_session_customer(const struct kg_session *s)
{
	return s->have_customer ? &s->customer : NULL;
}

size_t
kg_session_tokens(const struct kg_session *s, const struct kg_token **v)
{
	*v = s->tokens;
	return s->ntokens;
}

int64_t
kg_session_tokens_age(const struct kg_session *s)
{
	int64_t age;

	if (s->tokens_fetched == 0)
		return 0;
	age = kg_wall_now() - s->tokens_fetched;
	return age > 0 ? age : 0;
}

size_t
kg_session_activity(const struct kg_session *s, const struct kg_activity_row **v)
{
	*v = s->activity;
	return s->nactivity;
}

int64_t
kg_session_pending_sync(const struct kg_session *s)
{
	return s->pending_sync;
}

size_t
kg_session_unsynced(const struct kg_session *s)
{
	size_t n = s->unknown;

	for (size_t i = 0; i < s->nactivity; i++)
		if (s->activity[i].sync != KG_SYNC_SENT)
			n++;
	return n;
}

size_t
kg_session_unknown_actions(const struct kg_session *s)
{
	return s->unknown;
}

size_t
kg_session_keyring_pending(const struct kg_session *s)
{
	return s->auth != NULL ? kg_auth_store_pending(s->auth) : 0;
}

const char *
kg_session_last_error(const struct kg_session *s)
{
	return s->last_error;
}

const char *
kg_session_notice(const struct kg_session *s)
{
	return s->notice;
}

const char *
kg_session_user(const struct kg_session *s)
{
	return s->user;
}

void
kg_session_result(const struct kg_session *s, struct kg_result *out)
{
	*out = s->result;
}

void
kg_session_refresh(struct kg_session *s)
{
	if (s->offline) {
		reload_activity(s);
		reload_tokens(s);
		search_local(s);
		return;
	}
	if (!s->network_started)
		return;
	set_error(s, NULL);
	/* actions whose answer was lost or unreadable: completed with their key */
	if (s->kigo != NULL)
		s->resuming += kg_kigo_resume(s->kigo, on_resumed, s);
	fetch_ticket(s);
	fetch_tokens(s);
	if (!kg_str_empty(s->query))
		search_set(s, s->query, false);
	start_flush(s, false);
}

char *
kg_session_summary_preview(struct kg_session *s)
{
	struct kg_activity_row *rows = NULL;
	struct kg_outbox_item *items = NULL;
	size_t n = 0, ni = 0;
	char *text = NULL;
	const char *ref = ticket_ref(s);

	if (ref == NULL || !s->have_ticket)
		return NULL;
	if (kg_store_list_activity(s->store, ref, true, &rows, &n) == KG_ERR_OK && n > 0)
		text = kg_outbox_preview(&s->ticket, rows, n);
	kg_activity_rows_free(&rows, n);
	if (text == NULL &&
	    kg_store_outbox_pending(s->store, ref, &items, &ni) == KG_ERR_OK && ni > 0)
		text = kg_xstrdup(items[0].text); /* queued earlier, not yet confirmed */
	kg_outbox_items_free(&items, ni);
	if (actions_in_flight(s) > 0) {
		size_t k = actions_in_flight(s);
		char *t = kg_xasprintf("%s%s%zu action%s still on %s way to Kigo: the note lists %s "
		                       "once Kigo answers.",
		                       text ? text : "", text ? "\n\n" : "", k, k == 1 ? " is" : "s are",
		                       k == 1 ? "its" : "their", k == 1 ? "it" : "them");
		free(text);
		text = t;
	}
	if (s->unknown > 0) {
		size_t k = s->unknown;
		char *t = kg_xasprintf("%s%s%zu action%s of unknown outcome (Kigo's answer was lost "
		                       "or could not be read): not in this note. r asks Kigo again "
		                       "with the same idempotency key; the next R sends %s.",
		                       text ? text : "", text ? "\n\n" : "", k,
		                       k == 1 ? " is" : "s are", k == 1 ? "it" : "them");
		free(text);
		text = t;
	}
	if (text != NULL) {
		char *t = kg_sanitize(text, strlen(text), KG_SAN_KEEP_NEWLINES);
		free(text);
		text = t;
	}
	return text;
}

static void
return_failed(struct kg_session *s, enum kg_err err, char *cause)
{
	clear_result(s);
	s->result.kind = KG_RESULT_RETURN;
	s->result.err = err;
	set_str(&s->res_message, cause ? cause : kg_err_str(err));
	s->result.message = s->res_message;
	s->changes |= KG_CHG_RESULT;
	free(cause);
}

/* Queue this ticket's actions not yet in a summary, then send. */
static void
return_now(struct kg_session *s)
{
	struct kg_activity_row *rows = NULL;
	size_t n = 0;
	char *cause = NULL;
	const char *ref = ticket_ref(s);
	enum kg_err err;

	if ((err = kg_store_list_activity(s->store, ref, true, &rows, &n)) != KG_ERR_OK)
		kg_set_cause(&cause, "The actions on %s could not be read from the local database, "
		                     "so no summary was sent: %s.", ref, kg_store_error(s->store));
	else if (n > 0)
		err = kg_outbox_queue(s->store, s->cfg, &s->ticket, rows, n, NULL, &cause);
	kg_activity_rows_free(&rows, n);
	if (err != KG_ERR_OK) {
		return_failed(s, err, cause);
		return;
	}
	reload_activity(s);
	start_flush(s, true);
}

void
kg_session_return(struct kg_session *s)
{
	char *cause = NULL;
	const char *ref = ticket_ref(s);

	clear_result(s);
	s->result.kind = KG_RESULT_RETURN;
	if (s->offline) {
		kg_set_cause(&cause, "You are working offline (--offline): the summary cannot reach "
		                     "ServiceNow now. Your actions stay recorded; run "
		                     "`kigo-tui sync` when you are back online.");
		return_failed(s, KG_ERR_OFFLINE, cause);
	} else if (s->sn == NULL) {
		kg_set_cause(&cause, "%s", s->last_error ? s->last_error
		                                         : "ServiceNow is not set up; run "
		                                           "`kigo-tui doctor`.");
		return_failed(s, KG_ERR_CONFIG, cause);
	} else if (ref == NULL || !s->have_ticket) {
		kg_set_cause(&cause, "The ticket is not loaded yet, so there is nothing to write "
		                     "the summary to. Press r to retry.");
		return_failed(s, KG_ERR_PENDING, cause);
	} else if (actions_in_flight(s) > 0) {
		/* written and sent once they answer (return_if_waiting) */
		kg_log_info("return: waiting for %zu action(s) on their way to Kigo",
		            actions_in_flight(s));
		s->return_waiting = true;
	} else {
		return_now(s);
	}
}

char *
kg_session_ticket_url(const struct kg_session *s)
{
	if (!s->have_ticket)
		return NULL;
	return kg_sn_ticket_url(s->cfg, &s->ticket);
}
