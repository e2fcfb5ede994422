/*
 * store.h - the SQLite state: cache, activity log, outbox, pending mutations.
 *
 * One database file in state_dir (dir 0700, file 0600), WAL, busy_timeout,
 * foreign keys, schema version in PRAGMA user_version with forward
 * migrations.  Two kigo-tui processes may share it.  Never holds a secret.
 *
 * Everything an agent did is written here before it is sent anywhere.
 *
 * Errors: every function returns a kg_err (KG_ERR_STORE for SQLite
 * failures, KG_ERR_BAD_INPUT, KG_ERR_NOT_FOUND, KG_ERR_CONFLICT as noted);
 * the human detail of the last failure is kg_store_error(st).  Writes run
 * in BEGIN IMMEDIATE transactions (joining the caller's kg_store_begin()
 * one when open); waits for another process's lock up to 5 s.
 */
#ifndef KIGO_STORE_H
#define KIGO_STORE_H

#include "kigo/common.h"
#include "kigo/model.h"

struct kg_store;

/*
 * Opens (creating) state_dir/kigo-tui.db, migrating its schema.  Refuses
 * (KG_ERR_PERMS, *cause says the chmod that fixes it) a directory or file
 * others can access, not owned by the user, or a symlink; refuses
 * (KG_ERR_STORE) a schema newer than this build.  *cause: caller frees.
 */
enum kg_err kg_store_open(const char *state_dir, struct kg_store **out, char **cause);
void kg_store_free(struct kg_store **st);
/* The schema version this build migrates to (PRAGMA user_version). */
int kg_store_schema_version(void);
/* The SQL of migration step `version` (1..schema version), else NULL; for tests. */
const char *kg_store_migration_sql(int version);
/* What the last failing call on st said (never NULL; owned by st). */
const char *kg_store_error(const struct kg_store *st);

/* ---- cache ---- */
enum kg_err kg_store_put_ticket(struct kg_store *st, const struct kg_ticket *t);
/* by number (case-insensitive) or sys_id; KG_ERR_NOT_FOUND when absent */
enum kg_err kg_store_get_ticket(struct kg_store *st, const char *number_or_sys_id,
                                struct kg_ticket *out);

enum kg_err kg_store_put_customers(struct kg_store *st, const struct kg_customer *v, size_t n);
enum kg_err kg_store_get_customer(struct kg_store *st, const char *id, struct kg_customer *out);
/*
 * Case-insensitive substring search over name, email, phone and loyalty
 * id, ordered by name then id; limit 0 means 50; caller frees the array
 * (kg_customers_free).  3+ characters: FTS5 trigram index (the query is
 * one literal string, never FTS syntax); with more than 5000 matches the
 * result is the first by name among 5000 of them.  1-2 characters: LIKE
 * over the first 10000 customers in name order.  "" lists by name.
 */
enum kg_err kg_store_search_customers(struct kg_store *st, const char *q, size_t limit,
                                      struct kg_customer **out, size_t *n);
/* Also removes the customer's cached tokens. */
enum kg_err kg_store_delete_customer(struct kg_store *st, const char *id);

/*
 * Upsert tokens; when `complete`, tokens of that customer not in v are
 * removed.  A token whose customer_id is set and differs: KG_ERR_BAD_INPUT.
 */
enum kg_err kg_store_put_tokens(struct kg_store *st, const char *customer_id,
                                const struct kg_token *v, size_t n, bool complete);
/* In inventory order (kg_token_cmp_inventory). */
enum kg_err kg_store_get_tokens(struct kg_store *st, const char *customer_id,
                                struct kg_token **out, size_t *n);
enum kg_err kg_store_get_token(struct kg_store *st, const char *id, struct kg_token *out);

enum kg_err kg_store_put_catalog(struct kg_store *st, const struct kg_catalog_item *v, size_t n,
                                 bool complete);
/* filter NULL or "" = all; substring match on sku and name. */
enum kg_err kg_store_get_catalog(struct kg_store *st, const char *filter,
                                 struct kg_catalog_item **out, size_t *n);

/* Counts for `status`. */
enum kg_err kg_store_counts(struct kg_store *st, int64_t *customers, int64_t *tokens);

/* ---- activity (what this client did; feeds the pane and the summary) ---- */
enum kg_sync_state { KG_SYNC_UNREPORTED, KG_SYNC_QUEUED, KG_SYNC_SENT, KG_SYNC_FAILED };

struct kg_activity_row {
	int64_t rowid;
	struct kg_activity act;   /* act.ticket_ref is the ticket */
	enum kg_sync_state sync;
	int64_t outbox_id;        /* 0 when not yet in a summary */
	char *sync_error;         /* why the last send failed, may be NULL */
	int64_t recorded_at;
};

/* Insert (ignored when act->id is already there); *rowid (may be NULL) is the row either way. */
enum kg_err kg_store_add_activity(struct kg_store *st, const struct kg_activity *act,
                                  int64_t *rowid);
/* Newest first; ticket_ref NULL = all.  unreported_only: not yet in any summary. */
enum kg_err kg_store_list_activity(struct kg_store *st, const char *ticket_ref,
                                   bool unreported_only, struct kg_activity_row **out,
                                   size_t *n);
void kg_activity_rows_free(struct kg_activity_row **v, size_t n);

/* ---- outbox (ServiceNow summaries, exactly once) ---- */
enum kg_outbox_state { KG_OUTBOX_PENDING, KG_OUTBOX_SENT };

struct kg_outbox_item {
	int64_t id;
	char *sync_id;           /* uuid in the text's last line */
	char *ticket_ref;        /* number */
	char *table;
	char *sys_id;            /* record the note goes to */
	char *journal_field;     /* work_notes | comments */
	char *text;              /* the exact text sent */
	enum kg_outbox_state state;
	int attempts;
	char *last_error;        /* may be NULL */
	int64_t created_at;
	int64_t sent_at;         /* 0 until confirmed */
};

/*
 * Store a summary and attach the given activity rows to it, in one
 * transaction, before anything is sent.  Sets item->id (and created_at
 * when 0).  KG_ERR_CONFLICT, and nothing stored, when the sync id exists or
 * a row is already in another summary (e.g. queued from a second window).
 */
enum kg_err kg_store_outbox_add(struct kg_store *st, struct kg_outbox_item *item,
                                const int64_t *activity_rowids, size_t n);
/* Pending items (ticket_ref NULL = all tickets), oldest first. */
enum kg_err kg_store_outbox_pending(struct kg_store *st, const char *ticket_ref,
                                    struct kg_outbox_item **out, size_t *n);
enum kg_err kg_store_outbox_count_pending(struct kg_store *st, int64_t *n);
/*
 * Record an attempt: error NULL when a send is starting (attempts + 1),
 * else the send failed (last_error = error; the activity shows "failed").
 */
enum kg_err kg_store_outbox_attempt(struct kg_store *st, int64_t id, const char *error);
/* Confirmed in ServiceNow: marks the item and its activity rows sent. */
enum kg_err kg_store_outbox_sent(struct kg_store *st, int64_t id);
void kg_outbox_items_free(struct kg_outbox_item **v, size_t n);

/* ---- pending mutations (Kigo POSTs, idempotency key stored before sending) ---- */
enum kg_mutation_state { KG_MUT_PENDING, KG_MUT_DONE, KG_MUT_FAILED };

struct kg_mutation {
	int64_t id;
	char *idem_key;          /* uuid, generated once per user action */
	char *kind;              /* add, remove, reissue, dispute, other, create_customer */
	char *path;              /* relative to kigo.api_url, e.g. /tokens/tok_1/remove */
	char *body;              /* exact JSON body sent */
	char *if_match;          /* "\"4\"" or NULL */
	char *ticket_ref;
	char *customer_id;
	char *token_id;          /* may be NULL */
	enum kg_mutation_state state;
	char *last_error;
	int64_t created_at;
};

/* Sets m->id (and created_at when 0); KG_ERR_CONFLICT when idem_key exists. */
enum kg_err kg_store_mutation_add(struct kg_store *st, struct kg_mutation *m);
enum kg_err kg_store_mutation_pending(struct kg_store *st, struct kg_mutation **out, size_t *n);
/*
 * Mark done (the activity is recorded by the caller in the same step) or
 * failed; KG_MUT_PENDING keeps it pending (outcome unknown, to be retried
 * with the same key) and records error.  KG_ERR_NOT_FOUND for an unknown id.
 */
enum kg_err kg_store_mutation_finish(struct kg_store *st, int64_t id, enum kg_mutation_state state,
                                     const char *error);
void kg_mutations_free(struct kg_mutation **v, size_t n);

/* ---- small key/value (schema-free settings such as the last customer) ---- */
/* value NULL removes the key. */
enum kg_err kg_store_kv_set(struct kg_store *st, const char *key, const char *value);
/* *value NULL when absent; caller frees. */
enum kg_err kg_store_kv_get(struct kg_store *st, const char *key, char **value);

/*
 * Begin/commit around several writes (not nestable); the commit is synced
 * to disk.  kg_store_free rolls back an open one.
 */
enum kg_err kg_store_begin(struct kg_store *st);
enum kg_err kg_store_commit(struct kg_store *st);
void kg_store_rollback(struct kg_store *st);

/* The sqlite3 handle, for metrics and benchmarks living in other modules. */
struct sqlite3 *kg_store_db(struct kg_store *st);

#endif
