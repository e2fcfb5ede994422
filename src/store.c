/*
 * store.c - the SQLite state file: opening it safely, the schema and its
 * migrations, the statement cache, and the cache tables (tickets,
 * customers with their trigram search, tokens, catalog, key/value).
 * Activity, outbox and pending mutations live in store_log.c.
 *
 * The database never holds a secret: no access or refresh token, password
 * or device code is ever written here.  It holds cached records and what
 * the agent did, so it is still private: the directory is 0700, the file
 * 0600, symlinks are refused and so is a file others can read.
 *
 * Two kigo-tui processes may share the file: WAL, a 5 s busy timeout, and
 * every write in a BEGIN IMMEDIATE transaction (so a writer waits for the
 * lock up front instead of failing half-way with SQLITE_BUSY).
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define KG_STORE_FILE "kigo-tui.db"
#define KG_STORE_BUSY_MS 5000

/*
 * Forward migrations: step i takes user_version i to i + 1, each in its own
 * transaction.  Never edit a step that has shipped; append a new one (one
 * line here, e.g. the metrics tables of issue 10).
 */
static const char *const migrations[] = {
	/* 1: the tables */
	"CREATE TABLE tickets ("
	" sys_id TEXT PRIMARY KEY, number TEXT NOT NULL, tbl TEXT, short_description TEXT,"
	" state TEXT, state_label TEXT, priority TEXT, priority_label TEXT, caller_id TEXT,"
	" caller_name TEXT, assigned_to TEXT, assigned_to_name TEXT, updated_on TEXT,"
	" fetched_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tickets_number ON tickets(number COLLATE NOCASE);"
	/* rid is explicit so VACUUM cannot renumber the rows the FTS index points at */
	"CREATE TABLE customers ("
	" rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',"
	" email TEXT, phone TEXT, loyalty_id TEXT, created_at TEXT, updated_at TEXT,"
	" fetched_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX customers_name ON customers(name COLLATE NOCASE, id);"
	"CREATE TABLE tokens ("
	" id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, sku TEXT, name TEXT,"
	" status TEXT NOT NULL, issued_at TEXT, expires_at TEXT, disputed_reason TEXT,"
	" version INTEGER NOT NULL DEFAULT 0, fetched_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tokens_customer ON tokens(customer_id);"
	"CREATE TABLE catalog ("
	" sku TEXT PRIMARY KEY, name TEXT, description TEXT, value_cents INTEGER NOT NULL DEFAULT 0,"
	" default_validity_days INTEGER NOT NULL DEFAULT 0, active INTEGER NOT NULL DEFAULT 1,"
	" fetched_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY, sync_id TEXT NOT NULL UNIQUE, ticket_ref TEXT NOT NULL,"
	" tbl TEXT NOT NULL, sys_id TEXT NOT NULL, journal_field TEXT NOT NULL, text TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),"
	" attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL,"
	" sent_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX outbox_state ON outbox(state, ticket_ref);"
	/* the sync state of an activity row is its outbox row's */
	"CREATE TABLE activity ("
	" rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, at TEXT, actor TEXT,"
	" action TEXT NOT NULL, token_id TEXT, customer_id TEXT, ticket_ref TEXT NOT NULL,"
	" reason TEXT, before_json TEXT, after_json TEXT, recorded_at INTEGER NOT NULL,"
	" outbox_id INTEGER REFERENCES outbox(id));"
	"CREATE INDEX activity_ticket ON activity(ticket_ref);"
	"CREATE INDEX activity_outbox ON activity(outbox_id);"
	"CREATE TABLE mutations ("
	" id INTEGER PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
	" path TEXT NOT NULL, body TEXT NOT NULL, if_match TEXT, ticket_ref TEXT,"
	" customer_id TEXT, token_id TEXT,"
	" state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),"
	" last_error TEXT, created_at INTEGER NOT NULL);"
	"CREATE INDEX mutations_state ON mutations(state);"
	"CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",

	/* 2: customer search, an external-content trigram index kept by triggers */
	"CREATE VIRTUAL TABLE customers_fts USING fts5(name, email, phone, loyalty_id,"
	" content='customers', content_rowid='rid', tokenize='trigram');"
	"CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN"
	" INSERT INTO customers_fts(rowid, name, email, phone, loyalty_id)"
	" VALUES (new.rid, new.name, new.email, new.phone, new.loyalty_id); END;"
	"CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN"
	" INSERT INTO customers_fts(customers_fts, rowid, name, email, phone, loyalty_id)"
	" VALUES ('delete', old.rid, old.name, old.email, old.phone, old.loyalty_id); END;"
	/* a re-fetched customer whose searchable fields did not change costs nothing */
	"CREATE TRIGGER customers_fts_au AFTER UPDATE OF name, email, phone, loyalty_id"
	" ON customers WHEN old.name IS NOT new.name OR old.email IS NOT new.email"
	" OR old.phone IS NOT new.phone OR old.loyalty_id IS NOT new.loyalty_id BEGIN"
	" INSERT INTO customers_fts(customers_fts, rowid, name, email, phone, loyalty_id)"
	" VALUES ('delete', old.rid, old.name, old.email, old.phone, old.loyalty_id);"
	" INSERT INTO customers_fts(rowid, name, email, phone, loyalty_id)"
	" VALUES (new.rid, new.name, new.email, new.phone, new.loyalty_id); END;"
	"INSERT INTO customers_fts(customers_fts) VALUES ('rebuild');",

	/* 3: the workflow metrics of issue 10 (src/metrics.c): no customer data */
	"CREATE TABLE metric_sessions (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL,"
	" first_paint_ms INTEGER, banner_ready_ms INTEGER, first_action_ms INTEGER,"
	" return_sent_ms INTEGER, exit_ms INTEGER);"
	"CREATE INDEX metric_sessions_at ON metric_sessions(started_at);"
	"CREATE TABLE metric_actions (id INTEGER PRIMARY KEY, session_id INTEGER"
	" REFERENCES metric_sessions(id), at INTEGER NOT NULL, kind TEXT NOT NULL,"
	" outcome TEXT NOT NULL, error TEXT, latency_ms INTEGER NOT NULL);"
	"CREATE INDEX metric_actions_at ON metric_actions(at);"
	"CREATE TABLE metric_events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	" name TEXT NOT NULL);",

	/* 4: 1-2 character search reads the fields from this index, not the table */
	"DROP INDEX customers_name;"
	" CREATE INDEX customers_search ON customers"
	" (name COLLATE NOCASE, id, email, phone, loyalty_id);",
};

#define KG_STMT_SQL(name, sql) sql,
static const char *const stmt_sql[] = { KG_STORE_STMTS(KG_STMT_SQL) };
#undef KG_STMT_SQL

int
kg_store_schema_version(void)
{
	return (int)KG_ARRAY_LEN(migrations);
}

const char *
kg_store_migration_sql(int version)
{
	if (version < 1 || version > kg_store_schema_version())
		return NULL;
	return migrations[version - 1];
}

const char *
kg_store_error(const struct kg_store *st)
{
	if (st == NULL || st->err == NULL)
		return "no error";
	return st->err;
}

struct sqlite3 *
kg_store_db(struct kg_store *st)
{
	return st->db;
}

/* ---- internal helpers shared with store_log.c ---- */

enum kg_err
kg_store__fail(struct kg_store *st, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);
	const char *hint = "";

	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		hint = "; another kigo-tui process held the database for more than 5 s, try again";
	else if ((rc & 0xff) == SQLITE_FULL)
		hint = "; free some disk space";
	else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		hint = "; move the file away and restart (it is only a cache and a log)";
	kg_set_cause(&st->err, "%s: %s (%s)%s", what, sqlite3_errmsg(st->db), st->path, hint);
	return KG_ERR_STORE;
}

enum kg_err
kg_store__err(struct kg_store *st, enum kg_err err, const char *fmt, ...)
{
	va_list ap;

	free(st->err);
	va_start(ap, fmt);
	st->err = kg_xvasprintf(fmt, ap);
	va_end(ap);
	return err;
}

sqlite3_stmt *
kg_store__stmt(struct kg_store *st, enum kg_store_stmt id)
{
	sqlite3_stmt *s = st->stmts[id];

	if (s != NULL)
		return s;
	if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		kg_store__fail(st, "preparing a query");
		return NULL;
	}
	st->stmts[id] = s;
	return s;
}

void
kg_store__done(sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

enum kg_err
kg_store__run(struct kg_store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return KG_ERR_STORE;
	rc = sqlite3_step(s);
	kg_store__done(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return kg_store__fail(st, what);
	return KG_ERR_OK;
}

void
kg_store__bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

char *
kg_store__col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *v;

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	v = sqlite3_column_text(s, i);
	if (v == NULL)
		return NULL;
	return kg_xstrndup((const char *)v, (size_t)sqlite3_column_bytes(s, i));
}

static enum kg_err
set_sync(struct kg_store *st, bool full)
{
	return kg_store__run(st, kg_store__stmt(st, full ? KG_STMT_SYNC_FULL : KG_STMT_SYNC_NORMAL),
	                     "setting synchronous");
}

enum kg_err
kg_store__tx_begin(struct kg_store *st, bool durable, struct kg_store_tx *tx)
{
	enum kg_err err;

	tx->own = false;
	tx->durable = false;
	if (!sqlite3_get_autocommit(st->db))
		return KG_ERR_OK; /* the caller's kg_store_begin() transaction */
	/*
	 * synchronous=FULL for this commit only: an agent's action, a summary
	 * or an idempotency key must survive a power cut, or a retry after
	 * restart could post a second note or repeat a mutation.  Cache writes
	 * stay NORMAL (WAL: safe against crashes, may lose the last commits on
	 * power loss, which a re-fetch repairs).
	 */
	if (durable && (err = set_sync(st, true)) != KG_ERR_OK)
		return err;
	tx->durable = durable;
	err = kg_store__run(st, kg_store__stmt(st, KG_STMT_BEGIN), "starting a transaction");
	if (err != KG_ERR_OK) {
		if (durable)
			set_sync(st, false);
		return err;
	}
	tx->own = true;
	return KG_ERR_OK;
}

enum kg_err
kg_store__tx_end(struct kg_store *st, struct kg_store_tx *tx, enum kg_err err)
{
	if (!tx->own)
		return err;
	if (err == KG_ERR_OK)
		err = kg_store__run(st, kg_store__stmt(st, KG_STMT_COMMIT), "committing");
	if (err != KG_ERR_OK && !sqlite3_get_autocommit(st->db)) {
		/* keep the first error's message, not the rollback's */
		sqlite3_stmt *rb = kg_store__stmt(st, KG_STMT_ROLLBACK);
		if (rb != NULL) {
			sqlite3_step(rb);
			kg_store__done(rb);
		}
	}
	if (tx->durable)
		set_sync(st, false);
	tx->own = false;
	return err;
}

enum kg_err
kg_store_begin(struct kg_store *st)
{
	enum kg_err err;

	if (st->user_tx || !sqlite3_get_autocommit(st->db))
		return kg_store__err(st, KG_ERR_STORE, "kg_store_begin: a transaction is already open");
	/* grouped writes record actions (mutation done + activity): durable */
	if ((err = set_sync(st, true)) != KG_ERR_OK)
		return err;
	err = kg_store__run(st, kg_store__stmt(st, KG_STMT_BEGIN), "starting a transaction");
	if (err != KG_ERR_OK) {
		set_sync(st, false);
		return err;
	}
	st->user_tx = true;
	return KG_ERR_OK;
}

enum kg_err
kg_store_commit(struct kg_store *st)
{
	struct kg_store_tx tx = { .own = st->user_tx, .durable = true };

	if (!st->user_tx)
		return kg_store__err(st, KG_ERR_STORE, "kg_store_commit: no transaction is open");
	st->user_tx = false;
	return kg_store__tx_end(st, &tx, KG_ERR_OK);
}

void
kg_store_rollback(struct kg_store *st)
{
	struct kg_store_tx tx = { .own = st->user_tx, .durable = true };

	if (!st->user_tx)
		return;
	st->user_tx = false;
	kg_store__tx_end(st, &tx, KG_ERR_STORE);
}

/* ---- opening ---- */

/* mkdir -p with 0700 for every directory it creates (whatever the umask). */
static enum kg_err
make_dirs(const char *dir, char **cause)
{
	char *p = kg_xstrdup(dir);
	enum kg_err err = KG_ERR_OK;
	size_t len = strlen(p);

	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == 0) {
			if (chmod(p, 0700) != 0) {
				kg_set_cause(cause, "cannot set mode 0700 on %s: %s", p, strerror(errno));
				err = KG_ERR_IO;
				goto out;
			}
		} else if (errno != EEXIST) {
			kg_set_cause(cause, "cannot create directory %s: %s", p, strerror(errno));
			err = errno == EACCES ? KG_ERR_PERMS : KG_ERR_IO;
			goto out;
		}
		if (i < len)
			p[i] = '/';
	}
out:
	free(p);
	return err;
}

/* The mode, owner and type checks shared by the directory and the file. */
static enum kg_err
check_private(int fd, const char *path, bool is_dir, char **cause)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0) {
		kg_set_cause(cause, "cannot stat %s: %s", path, strerror(errno));
		return KG_ERR_IO;
	}
	if (is_dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode)) {
		kg_set_cause(cause, "%s is not a %s", path, is_dir ? "directory" : "regular file");
		return KG_ERR_PERMS;
	}
	if (sb.st_uid != geteuid()) {
		kg_set_cause(cause, "%s belongs to uid %ld, not to you (uid %ld); use a state_dir of "
		             "your own", path, (long)sb.st_uid, (long)geteuid());
		return KG_ERR_PERMS;
	}
	if ((sb.st_mode & 077) != 0) {
		kg_set_cause(cause, "%s is accessible by group or others (mode %03o) and holds "
		             "customer data; fix it with: chmod %s %s", path,
		             (unsigned)(sb.st_mode & 0777), is_dir ? "700" : "600", path);
		return KG_ERR_PERMS;
	}
	return KG_ERR_OK;
}

/*
 * Creates the file 0600 (O_EXCL, so the mode is ours, then fchmod against
 * the umask) or checks the existing one, refusing symlinks either way.
 * On success *dirfd is the state directory, flock()ed exclusively: two
 * processes starting at once must not both create, switch to WAL and
 * migrate (SQLite does not wait on its busy handler for the WAL switch of
 * a new file; it fails at once).  The lock is on the directory, not the
 * database, because closing any descriptor of the database would drop
 * SQLite's own fcntl locks.
 */
static enum kg_err
prepare_files(const char *dir, const char *file, int *dirfd, char **cause)
{
	int dfd = -1, fd = -1;
	enum kg_err err;

	*dirfd = -1;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			kg_set_cause(cause, "state directory %s is a symbolic link or not a directory; "
			             "point state_dir at the real directory", dir);
		else
			kg_set_cause(cause, "cannot open state directory %s: %s", dir, strerror(errno));
		err = errno == ELOOP || errno == ENOTDIR || errno == EACCES ? KG_ERR_PERMS : KG_ERR_IO;
		goto out;
	}
	if ((err = check_private(dfd, dir, true, cause)) != KG_ERR_OK)
		goto out;
	/* best effort: a file system without flock still gets SQLite's locking */
	while (flock(dfd, LOCK_EX) != 0 && errno == EINTR)
		continue;
	fd = openat(dfd, KG_STORE_FILE, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (fchmod(fd, 0600) != 0) {
			kg_set_cause(cause, "cannot set mode 0600 on %s: %s", file, strerror(errno));
			err = KG_ERR_IO;
			goto out;
		}
	} else if (errno == EEXIST) {
		fd = openat(dfd, KG_STORE_FILE, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ELOOP)
				kg_set_cause(cause, "%s is a symbolic link; kigo-tui refuses it (remove "
				             "the link)", file);
			else
				kg_set_cause(cause, "cannot open %s: %s", file, strerror(errno));
			err = errno == ELOOP || errno == EACCES ? KG_ERR_PERMS : KG_ERR_IO;
			goto out;
		}
	} else {
		kg_set_cause(cause, "cannot create %s: %s", file, strerror(errno));
		err = errno == EACCES ? KG_ERR_PERMS : KG_ERR_IO;
		goto out;
	}
	err = check_private(fd, file, false, cause);
out:
	if (fd >= 0)
		close(fd);
	if (err == KG_ERR_OK)
		*dirfd = dfd;
	else if (dfd >= 0)
		close(dfd);
	return err;
}

static int
read_user_version(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static enum kg_err
exec(struct kg_store *st, const char *sql, const char *what, char **cause)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		kg_store__fail(st, what);
		kg_set_cause(cause, "%s", st->err);
		return KG_ERR_STORE;
	}
	return KG_ERR_OK;
}

/* Brings the schema up to this build's version, one transaction per step. */
static enum kg_err
migrate(struct kg_store *st, char **cause)
{
	int have = kg_store_schema_version();

	for (;;) {
		int v = read_user_version(st->db);
		enum kg_err err;
		char *bump;

		if (v < 0)
			return exec(st, "SELECT 1 FROM sqlite_master", "reading the schema version",
			            cause);
		if (v > have) {
			kg_set_cause(cause, "%s has schema version %d but this kigo-tui only knows "
			             "up to %d: it was written by a newer kigo-tui; upgrade kigo-tui "
			             "(or use another state_dir)", st->path, v, have);
			return KG_ERR_STORE;
		}
		if (v == have)
			return KG_ERR_OK;
		if ((err = exec(st, "BEGIN IMMEDIATE", "starting a migration", cause)) != KG_ERR_OK)
			return err;
		/* another process may have migrated while we waited for the lock */
		if (read_user_version(st->db) != v) {
			exec(st, "ROLLBACK", "ending a migration", NULL);
			continue;
		}
		bump = kg_xasprintf("PRAGMA user_version = %d", v + 1);
		err = exec(st, migrations[v], "migrating the database schema", cause);
		if (err == KG_ERR_OK)
			err = exec(st, bump, "migrating the database schema", cause);
		if (err == KG_ERR_OK)
			err = exec(st, "COMMIT", "committing a migration", cause);
		free(bump);
		if (err != KG_ERR_OK) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return err;
		}
	}
}

static enum kg_err
configure(struct kg_store *st, char **cause)
{
	sqlite3_stmt *s = NULL;
	enum kg_err err = KG_ERR_OK;

	sqlite3_extended_result_codes(st->db, 1);
	/* before anything that may need a lock, so the first pragma waits too */
	sqlite3_busy_timeout(st->db, KG_STORE_BUSY_MS);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		err = kg_store__fail(st, "switching to WAL");
		kg_set_cause(cause, "%s", st->err);
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		kg_set_cause(cause, "%s: the file system does not support SQLite's WAL mode "
		             "(journal mode is %s); put state_dir on a local file system", st->path,
		             (const char *)sqlite3_column_text(s, 0));
		err = KG_ERR_STORE;
		goto out;
	}
	/*
	 * 8 MiB of page cache (allocated as used).  A search of 1,000,000
	 * cached customers touches more pages than that, but the file stays in
	 * the OS page cache, so a bigger cache buys little time (docs/
	 * benchmarks.md: p95 8.5 ms with 32 MiB) for a lot of memory (the
	 * client peaked at 52 MB with 32 MiB; the target is 32 MB).
	 */
	err = exec(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-8192",
	           "configuring", cause);
out:
	sqlite3_finalize(s);
	return err;
}

enum kg_err
kg_store_open(const char *state_dir, struct kg_store **out, char **cause)
{
	struct kg_store *st = NULL;
	enum kg_err err;
	int dirfd = -1;

	*out = NULL;
	if (kg_str_empty(state_dir)) {
		kg_set_cause(cause, "no state directory given");
		return KG_ERR_CONFIG;
	}
	if ((err = make_dirs(state_dir, cause)) != KG_ERR_OK)
		return err;
	st = kg_xcalloc(1, sizeof(*st));
	st->path = kg_xasprintf("%s%s" KG_STORE_FILE, state_dir,
	                        state_dir[strlen(state_dir) - 1] == '/' ? "" : "/");
	if ((err = prepare_files(state_dir, st->path, &dirfd, cause)) != KG_ERR_OK)
		goto out;
	if (sqlite3_open_v2(st->path, &st->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		kg_set_cause(cause, "cannot open %s: %s", st->path,
		             st->db ? sqlite3_errmsg(st->db) : "out of memory");
		err = KG_ERR_STORE;
		goto out;
	}
	if ((err = configure(st, cause)) != KG_ERR_OK)
		goto out;
	err = migrate(st, cause);
out:
	if (dirfd >= 0)
		close(dirfd); /* releases the flock */
	if (err != KG_ERR_OK)
		kg_store_free(&st);
	*out = st;
	return err;
}

void
kg_store_free(struct kg_store **stp)
{
	struct kg_store *st;

	if (stp == NULL || (st = *stp) == NULL)
		return;
	if (st->user_tx)
		kg_store_rollback(st);
	for (size_t i = 0; i < KG_STMT__COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st->path);
	free(st->err);
	free(st);
	*stp = NULL;
}

/* ---- key/value and counts ---- */

enum kg_err
kg_store_kv_set(struct kg_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;

	if (kg_str_empty(key))
		return kg_store__err(st, KG_ERR_BAD_INPUT, "kv: empty key");
	s = kg_store__stmt(st, value != NULL ? KG_STMT_KV_SET : KG_STMT_KV_DEL);
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, key);
	if (value != NULL)
		kg_store__bind_str(s, 2, value);
	return kg_store__run(st, s, "saving a setting");
}

enum kg_err
kg_store_kv_get(struct kg_store *st, const char *key, char **value)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_KV_GET);
	enum kg_err err = KG_ERR_OK;
	int rc;

	*value = NULL;
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = kg_store__col_str(s, 0);
	else if (rc != SQLITE_DONE)
		err = kg_store__fail(st, "reading a setting");
	kg_store__done(s);
	return err;
}

static enum kg_err
count(struct kg_store *st, enum kg_store_stmt id, int64_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, id);
	enum kg_err err = KG_ERR_OK;

	*n = 0;
	if (s == NULL)
		return KG_ERR_STORE;
	if (sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else
		err = kg_store__fail(st, "counting rows");
	kg_store__done(s);
	return err;
}

enum kg_err
kg_store_counts(struct kg_store *st, int64_t *customers, int64_t *tokens)
{
	enum kg_err err = count(st, KG_STMT_COUNT_CUSTOMERS, customers);

	if (err == KG_ERR_OK)
		err = count(st, KG_STMT_COUNT_TOKENS, tokens);
	return err;
}

enum kg_err
kg_store_outbox_count_pending(struct kg_store *st, int64_t *n)
{
	return count(st, KG_STMT_OUTBOX_COUNT, n);
}
