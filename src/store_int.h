/*
 * store_int.h - private to src/store*.c: the handle, the cached statement
 * list and the transaction helpers the split store files share.
 *
 * Nothing outside src/store*.c includes this; everyone else goes through
 * include/kigo/store.h.
 */
#ifndef KIGO_STORE_INT_H
#define KIGO_STORE_INT_H

#include <sqlite3.h>

#include "kigo/store.h"

/* Columns read back for a customer, in read_customer() order. */
#define KG_CUSTOMER_COLS "id, name, email, phone, loyalty_id, created_at, updated_at, fetched_at"
#define KG_TOKEN_COLS                                                                    \
	"id, customer_id, sku, name, status, issued_at, expires_at, disputed_reason, version, " \
	"fetched_at"
#define KG_TICKET_COLS                                                                   \
	"sys_id, number, tbl, short_description, state, state_label, priority, "              \
	"priority_label, caller_id, caller_name, assigned_to, assigned_to_name, updated_on, " \
	"fetched_at"
#define KG_ACTIVITY_COLS                                                               \
	"a.rowid, a.id, a.at, a.actor, a.action, a.token_id, a.customer_id, a.ticket_ref, " \
	"a.reason, a.before_json, a.after_json, a.recorded_at, a.outbox_id, o.state, "      \
	"o.last_error"
#define KG_OUTBOX_COLS                                                                 \
	"id, sync_id, ticket_ref, tbl, sys_id, journal_field, text, state, attempts, "     \
	"last_error, created_at, sent_at"
#define KG_MUTATION_COLS                                                                \
	"id, idem_key, kind, path, body, if_match, ticket_ref, customer_id, token_id, state, " \
	"last_error, created_at"

/*
 * Every statement the store runs more than once: prepared on first use,
 * kept for the life of the handle.  X(name, sql)
 */
#define KG_STORE_STMTS(X)                                                                    \
	X(BEGIN, "BEGIN IMMEDIATE")                                                          \
	X(COMMIT, "COMMIT")                                                                  \
	X(ROLLBACK, "ROLLBACK")                                                              \
	X(SYNC_FULL, "PRAGMA synchronous=FULL")                                              \
	X(SYNC_NORMAL, "PRAGMA synchronous=NORMAL")                                          \
	X(KV_SET, "INSERT INTO kv(key, value) VALUES (?1, ?2) "                              \
	          "ON CONFLICT(key) DO UPDATE SET value = excluded.value")                  \
	X(KV_DEL, "DELETE FROM kv WHERE key = ?1")                                           \
	X(KV_GET, "SELECT value FROM kv WHERE key = ?1")                                     \
	X(COUNT_CUSTOMERS, "SELECT count(*) FROM customers")                                 \
	X(COUNT_TOKENS, "SELECT count(*) FROM tokens")                                       \
	X(TICKET_PUT,                                                                        \
	  "INSERT INTO tickets(" KG_TICKET_COLS ") VALUES "                                   \
	  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "                   \
	  "ON CONFLICT(sys_id) DO UPDATE SET number = excluded.number, tbl = excluded.tbl, " \
	  "short_description = excluded.short_description, state = excluded.state, "         \
	  "state_label = excluded.state_label, priority = excluded.priority, "               \
	  "priority_label = excluded.priority_label, caller_id = excluded.caller_id, "       \
	  "caller_name = excluded.caller_name, assigned_to = excluded.assigned_to, "         \
	  "assigned_to_name = excluded.assigned_to_name, updated_on = excluded.updated_on, " \
	  "fetched_at = excluded.fetched_at")                                                \
	X(TICKET_GET,                                                                        \
	  "SELECT " KG_TICKET_COLS " FROM tickets WHERE sys_id = ?1 "                        \
	  "OR number = ?1 COLLATE NOCASE ORDER BY sys_id = ?1 DESC, fetched_at DESC LIMIT 1") \
	X(CUSTOMER_PUT,                                                                      \
	  "INSERT INTO customers(" KG_CUSTOMER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) " \
	  "ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, "     \
	  "phone = excluded.phone, loyalty_id = excluded.loyalty_id, "                       \
	  "created_at = excluded.created_at, updated_at = excluded.updated_at, "             \
	  "fetched_at = excluded.fetched_at")                                                \
	X(CUSTOMER_GET, "SELECT " KG_CUSTOMER_COLS " FROM customers WHERE id = ?1")          \
	X(CUSTOMER_DEL, "DELETE FROM customers WHERE id = ?1")                               \
	X(CUSTOMER_TOKENS_DEL, "DELETE FROM tokens WHERE customer_id = ?1")                  \
	X(CUSTOMER_ALL, "SELECT " KG_CUSTOMER_COLS " FROM customers "                        \
	                "ORDER BY name COLLATE NOCASE, id LIMIT ?1")                         \
	/* The FTS candidates are bounded (?2) before they are sorted by name. */            \
	X(CUSTOMER_FTS,                                                                      \
	  "SELECT " KG_CUSTOMER_COLS " FROM customers WHERE rid IN "                         \
	  "(SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?1 LIMIT ?2) "         \
	  "ORDER BY name COLLATE NOCASE, id LIMIT ?3")                                       \
	/* Walks the covering name index only; the caller stops after `limit` hits. */     \
	X(CUSTOMER_SHORT,                                                                    \
	  "SELECT rid, coalesce(name LIKE ?1 ESCAPE '\\' "                                    \
	  "OR email LIKE ?1 ESCAPE '\\' OR phone LIKE ?1 ESCAPE '\\' "                       \
	  "OR loyalty_id LIKE ?1 ESCAPE '\\', 0) FROM customers INDEXED BY customers_search " \
	  "ORDER BY name COLLATE NOCASE, id LIMIT ?2")                                       \
	X(CUSTOMER_BY_RID, "SELECT " KG_CUSTOMER_COLS " FROM customers WHERE rid = ?1")      \
	X(TOKEN_PUT,                                                                         \
	  "INSERT INTO tokens(" KG_TOKEN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) " \
	  "ON CONFLICT(id) DO UPDATE SET customer_id = excluded.customer_id, "               \
	  "sku = excluded.sku, name = excluded.name, status = excluded.status, "             \
	  "issued_at = excluded.issued_at, expires_at = excluded.expires_at, "               \
	  "disputed_reason = excluded.disputed_reason, version = excluded.version, "         \
	  "fetched_at = excluded.fetched_at")                                                \
	/* ?2 is a JSON array of the ids to keep. */                                         \
	X(TOKEN_PRUNE, "DELETE FROM tokens WHERE customer_id = ?1 "                          \
	               "AND id NOT IN (SELECT value FROM json_each(?2))")                    \
	X(TOKEN_LIST, "SELECT " KG_TOKEN_COLS " FROM tokens WHERE customer_id = ?1")         \
	X(TOKEN_GET, "SELECT " KG_TOKEN_COLS " FROM tokens WHERE id = ?1")                   \
	X(CATALOG_PUT,                                                                       \
	  "INSERT INTO catalog(sku, name, description, value_cents, default_validity_days, " \
	  "active, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "                          \
	  "ON CONFLICT(sku) DO UPDATE SET name = excluded.name, "                            \
	  "description = excluded.description, value_cents = excluded.value_cents, "         \
	  "default_validity_days = excluded.default_validity_days, "                         \
	  "active = excluded.active, fetched_at = excluded.fetched_at")                      \
	X(CATALOG_PRUNE, "DELETE FROM catalog WHERE sku NOT IN (SELECT value FROM json_each(?1))") \
	X(CATALOG_LIST,                                                                      \
	  "SELECT sku, name, description, value_cents, default_validity_days, active "       \
	  "FROM catalog WHERE ?1 IS NULL OR sku LIKE ?1 ESCAPE '\\' "                        \
	  "OR name LIKE ?1 ESCAPE '\\' ORDER BY name COLLATE NOCASE, sku")                   \
	X(ACTIVITY_ADD,                                                                      \
	  "INSERT INTO activity(id, at, actor, action, token_id, customer_id, ticket_ref, "  \
	  "reason, before_json, after_json, recorded_at) "                                   \
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT(id) DO NOTHING") \
	X(ACTIVITY_ROWID, "SELECT rowid FROM activity WHERE id = ?1")                        \
	X(ACTIVITY_LIST,                                                                     \
	  "SELECT " KG_ACTIVITY_COLS " FROM activity a LEFT JOIN outbox o ON o.id = a.outbox_id " \
	  "WHERE (?1 IS NULL OR a.ticket_ref = ?1) AND (?2 = 0 OR a.outbox_id IS NULL) "     \
	  "ORDER BY a.rowid DESC")                                                           \
	X(ACTIVITY_ATTACH,                                                                   \
	  "UPDATE activity SET outbox_id = ?1 WHERE rowid = ?2 AND outbox_id IS NULL")       \
	X(OUTBOX_ADD,                                                                        \
	  "INSERT INTO outbox(sync_id, ticket_ref, tbl, sys_id, journal_field, text, "       \
	  "state, attempts, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7)")  \
	X(OUTBOX_PENDING,                                                                    \
	  "SELECT " KG_OUTBOX_COLS " FROM outbox WHERE state = 'pending' "                   \
	  "AND (?1 IS NULL OR ticket_ref = ?1) ORDER BY id")                                 \
	X(OUTBOX_COUNT, "SELECT count(*) FROM outbox WHERE state = 'pending'")               \
	X(OUTBOX_START, "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1")           \
	X(OUTBOX_FAIL, "UPDATE outbox SET last_error = ?2 WHERE id = ?1")                    \
	X(OUTBOX_SENT,                                                                       \
	  "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1") \
	X(MUTATION_ADD,                                                                      \
	  "INSERT INTO mutations(idem_key, kind, path, body, if_match, ticket_ref, "         \
	  "customer_id, token_id, state, created_at) "                                       \
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9)")                          \
	X(MUTATION_PENDING,                                                                  \
	  "SELECT " KG_MUTATION_COLS " FROM mutations WHERE state = 'pending' ORDER BY id")  \
	X(MUTATION_FINISH, "UPDATE mutations SET state = ?2, last_error = ?3 WHERE id = ?1")

#define KG_STMT_ENUM(name, sql) KG_STMT_##name,
enum kg_store_stmt { KG_STORE_STMTS(KG_STMT_ENUM) KG_STMT__COUNT };
#undef KG_STMT_ENUM

struct kg_store {
	sqlite3 *db;
	char *path;                            /* state_dir/kigo-tui.db */
	char *err;                             /* detail of the last failure */
	bool user_tx;                          /* inside kg_store_begin() */
	sqlite3_stmt *stmts[KG_STMT__COUNT];   /* prepared on first use */
};

/* A write transaction this call opened (own) or joined (the caller's). */
struct kg_store_tx {
	bool own;
	bool durable;
};

/* Records "what: sqlite's message" as the last error; returns KG_ERR_STORE. */
enum kg_err kg_store__fail(struct kg_store *st, const char *what);
/* Records a formatted last error and returns err. */
enum kg_err kg_store__err(struct kg_store *st, enum kg_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The cached statement, reset and unbound; NULL (error recorded) on failure. */
sqlite3_stmt *kg_store__stmt(struct kg_store *st, enum kg_store_stmt id);
/* Reset after use so no read transaction or bound pointer stays behind. */
void kg_store__done(sqlite3_stmt *s);
/* Runs a statement that returns no rows; KG_ERR_STORE on failure. */
enum kg_err kg_store__run(struct kg_store *st, sqlite3_stmt *s, const char *what);

/*
 * BEGIN IMMEDIATE unless the caller already holds a transaction.  durable:
 * the commit is synced to disk (synchronous=FULL) because it records an
 * agent's action.
 */
enum kg_err kg_store__tx_begin(struct kg_store *st, bool durable, struct kg_store_tx *tx);
/* Commit when err is KG_ERR_OK, else roll back; returns the final error. */
enum kg_err kg_store__tx_end(struct kg_store *st, struct kg_store_tx *tx, enum kg_err err);

/* NULL-safe binding (SQLITE_STATIC: the value must outlive the step). */
void kg_store__bind_str(sqlite3_stmt *s, int i, const char *v);
/* The column as a new string, NULL for SQL NULL; caller frees. */
char *kg_store__col_str(sqlite3_stmt *s, int i);

/* Token <-> JSON text used for activity before/after; caller frees. */
char *kg_store__token_json(const struct kg_token *t);
struct kg_token *kg_store__token_from_json(const char *json);

#endif
