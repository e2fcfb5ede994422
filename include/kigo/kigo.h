/*
 * kigo.h - asynchronous client of the Kigo token API v1 (every endpoint),
 * with write-through to the local cache and exactly-once mutations.
 *
 * Reads: each list page is parsed by kigo_json.c, written through to the
 * store with the time it was fetched, and handed to a per-page callback, so
 * a 5,000-token inventory streams in without blocking the loop.
 *
 * Mutations (every POST, create customer included): the Idempotency-Key is
 * generated once per user action and stored with the exact request (path,
 * body, If-Match) via kg_store_mutation_add BEFORE the first send.  Retries,
 * and kg_kigo_resume() after a crash, resend the same key and body, so the
 * backend applies the action once.  On success (first answer or replay) the
 * token/customer goes to the cache, the activity entry is recorded and the
 * mutation row is finished.
 *
 * Callbacks run from the loop, never from inside the call that started the
 * operation, and exactly once unless the operation is cancelled.  Every
 * string handed to a callback is owned by the client and valid only during
 * the callback (copy what you keep).  Error messages are sentences (what
 * happened, why, what to do) with server text sanitized and
 * "(request id X)" at the end when the server gave one.
 */
#ifndef KIGO_KIGO_H
#define KIGO_KIGO_H

#include "kigo/common.h"
#include "kigo/model.h"
#include "kigo/session.h" /* enum kg_other_type */

struct kg_kigo;
struct kg_loop;
struct kg_http;
struct kg_auth;
struct kg_store;

struct kg_kigo_opts {
	const char *api_url;   /* kigo.api_url, e.g. https://kigo.example.com/api/v1 */
	bool offline;          /* --offline: no request is made, mutations refused */
	const char *bearer;    /* with auth == NULL only: fixed access token (tests) */
};

/* Why an operation failed; NULL is passed on success. */
struct kg_kigo_error {
	enum kg_err err;                 /* KG_ERR_PRECONDITION, KG_ERR_NOT_FOUND, ... */
	long status;                     /* HTTP status, 0 when none arrived */
	const char *code;                /* error.code ("precondition_failed"), may be NULL */
	const char *message;             /* the sentence to show */
	const char *request_id;          /* X-Request-Id, may be NULL */
	const struct kg_token *current;  /* 412: the token as it is now, else NULL */
	const char *existing_id;         /* 409 on create customer: the existing one */
	const char *allowed;             /* 422 invalid_transition: "remove, dispute" */
	int retry_after;                 /* 429/503: seconds, -1 when absent */
	bool pending;                    /* mutation outcome unknown (lost reply, 5xx):
	                                    the row stays pending for kg_kigo_resume */
};

/*
 * Client on http (and auth, which attaches the Bearer and refreshes once on
 * 401; NULL = opts->bearer).  store may be NULL only for tests that do not
 * mutate.  Returns KG_ERR_CONFIG with *cause when api_url is not https.
 */
enum kg_err kg_kigo_new(struct kg_loop *loop, struct kg_http *http, struct kg_auth *auth,
                        struct kg_store *store, const struct kg_kigo_opts *opts,
                        struct kg_kigo **out, char **cause);
/* Cancels everything in flight without calling callbacks; frees and NULLs.
 * Not from inside one of its callbacks (kg_kigo_cancel is fine there). */
void kg_kigo_free(struct kg_kigo **k);

/* Drop an operation (any kind): its callback will not be called. */
void kg_kigo_cancel(struct kg_kigo *k, uint64_t id);
/* Operations in flight. */
size_t kg_kigo_pending(const struct kg_kigo *k);
/* A mutation with this idempotency key is on its way (sent or re-sent). */
bool kg_kigo_sending(const struct kg_kigo *k, const char *idem_key);

/* --offline at run time. */
void kg_kigo_set_offline(struct kg_kigo *k, bool offline);
bool kg_kigo_offline(const struct kg_kigo *k);
/*
 * False after a request failed to reach the backend (DNS, connect, TLS,
 * timeout), true again after any HTTP answer.  Shown as "offline"; a
 * mutation tried meanwhile fails with a sentence, it is never queued.
 */
bool kg_kigo_reachable(const struct kg_kigo *k);

/* ---- reads (each returns an operation id, never 0) ---- */

/*
 * One page of GET /customers?q=&limit= (cursor NULL for the first),
 * written through to the cache.  next_cursor NULL on the last page.
 */
typedef void (*kg_kigo_customers_fn)(const struct kg_kigo_error *err,
                                     const struct kg_customer *v, size_t n,
                                     const char *next_cursor, void *ud);
uint64_t kg_kigo_search(struct kg_kigo *k, const char *q, int limit, const char *cursor,
                        kg_kigo_customers_fn cb, void *ud);

/* GET /customers/{id}; 404 drops the cached row. */
typedef void (*kg_kigo_customer_fn)(const struct kg_kigo_error *err,
                                    const struct kg_customer *c, void *ud);
uint64_t kg_kigo_get_customer(struct kg_kigo *k, const char *id, kg_kigo_customer_fn cb,
                              void *ud);

/*
 * Every page of GET /catalog, each written through; cb per page, `last`
 * true on the final one (the cache is then replaced completely).  After an
 * error no further page comes.
 */
typedef void (*kg_kigo_catalog_fn)(const struct kg_kigo_error *err,
                                   const struct kg_catalog_item *v, size_t n, bool last,
                                   void *ud);
uint64_t kg_kigo_catalog(struct kg_kigo *k, kg_kigo_catalog_fn cb, void *ud);

/*
 * Every page of GET /customers/{id}/tokens (status NULL = all), each page
 * written through with its fetch time and handed to cb; on the last page,
 * unfiltered, the customer's cached tokens are replaced completely.
 */
typedef void (*kg_kigo_tokens_fn)(const struct kg_kigo_error *err, const struct kg_token *v,
                                  size_t n, bool last, void *ud);
uint64_t kg_kigo_tokens(struct kg_kigo *k, const char *customer_id, const char *status,
                        kg_kigo_tokens_fn cb, void *ud);

/* One page of GET /customers/{id}/activity (newest first); lazy, by cursor. */
typedef void (*kg_kigo_activity_fn)(const struct kg_kigo_error *err,
                                    const struct kg_activity *v, size_t n,
                                    const char *next_cursor, void *ud);
uint64_t kg_kigo_activity(struct kg_kigo *k, const char *customer_id, const char *cursor,
                          kg_kigo_activity_fn cb, void *ud);

/* ---- mutations ---- */

struct kg_kigo_mutation {
	enum kg_action action;      /* CREATE_CUSTOMER, ADD, REMOVE, REISSUE, DISPUTE, OTHER */
	enum kg_other_type other;   /* OTHER: note, resolve_dispute, extend */
	const char *ticket_ref;     /* INC0012345, sent and recorded */
	const char *customer_id;    /* ADD (required); others: recorded with the row */
	const char *token_id;       /* REMOVE, REISSUE, DISPUTE, OTHER */
	int64_t token_version;      /* the version the agent was looking at (If-Match) */
	const char *sku;            /* ADD */
	const char *expires_at;     /* YYYY-MM-DD: ADD (optional), REISSUE, extend */
	const char *reason;         /* REMOVE, REISSUE, DISPUTE (1..500 chars); ADD optional */
	const char *note;           /* OTHER */
	const char *name;           /* CREATE_CUSTOMER: name + one of the three below */
	const char *email;
	const char *phone;
	const char *loyalty_id;
};

struct kg_kigo_result {
	const struct kg_kigo_error *error;  /* NULL on success */
	int64_t mutation_id;                /* store row of the mutation */
	const char *idem_key;
	enum kg_action action;
	const struct kg_token *token;       /* after (token actions), else NULL */
	const struct kg_customer *customer; /* CREATE_CUSTOMER, else NULL */
	const struct kg_activity *activity; /* recorded entry, NULL on error */
	int64_t activity_rowid;             /* its row in the store (0 if already there) */
	bool replayed;                      /* Idempotent-Replayed: true */
};
typedef void (*kg_kigo_mutate_fn)(const struct kg_kigo_result *res, void *ud);

/*
 * Validate (kg_kigo_check with today's local date), encode, store the
 * mutation with a fresh Idempotency-Key, then send it.  Returns KG_ERR_OK
 * and sets *id (may be NULL) when cb will be called; otherwise nothing was
 * stored or sent and *cause says why (offline, invalid input, store error).
 */
enum kg_err kg_kigo_mutate(struct kg_kigo *k, const struct kg_kigo_mutation *req,
                           kg_kigo_mutate_fn cb, void *ud, uint64_t *id, char **cause);

/*
 * Re-send every pending mutation of the store (after a crash or a lost
 * reply) with its stored key, body and If-Match; cb once per mutation.
 * Mutations already in flight in this client are skipped.  A row older
 * than 23 h (Kigo keeps keys 24 h) is not re-sent: it fails with
 * KG_ERR_EXPIRED and a sentence.  A 401/403/429/5xx or a lost reply leaves
 * the row pending (error->pending).  Returns how many were taken up (0 when
 * offline or none).  Call it at start-up and when Kigo is reachable again.
 */
size_t kg_kigo_resume(struct kg_kigo *k, kg_kigo_mutate_fn cb, void *ud);

/* ---- rules the UI checks before sending (pure) ---- */

/*
 * The contract's transition table: may `action` (with `other` for OTHER)
 * be applied to a token in `status`?  ADD and CREATE_CUSTOMER need no token
 * and are always true.
 */
bool kg_kigo_transition_ok(enum kg_action action, enum kg_other_type other,
                           enum kg_token_status status);
/* "remove, reissue, dispute, note, extend": what is allowed from status. */
const char *kg_kigo_allowed_actions(enum kg_token_status status);
/* Wire/display name of an OTHER type: "note", "resolve_dispute", "extend". */
const char *kg_kigo_other_str(enum kg_other_type t);

/*
 * Check a mutation before it is sent: required members, reason 1..500
 * characters for remove/reissue/dispute, every expires_at a valid date
 * after `today` (YYYY-MM-DD; NULL = today's local date), and, when status
 * is not KG_TOKEN__UNKNOWN, the transition.  KG_ERR_OK, or KG_ERR_BAD_INPUT
 * / KG_ERR_INVALID_TRANSITION with *cause a sentence for the dialog.
 */
enum kg_err kg_kigo_check(const struct kg_kigo_mutation *req, enum kg_token_status status,
                          const char *today, char **cause);
/* Today's local date as YYYY-MM-DD into out[11]. */
void kg_kigo_today(char out[11]);

#endif
