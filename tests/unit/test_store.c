/*
 * test_store.c - the state store: opening (modes, symlinks, umask),
 * migrations, pragmas, and the cache tables with the customer search.
 * Every test works in its own temporary directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/store.h"

/* Records hold char *; -Wwrite-strings makes literals const. */
#define S(lit) ((char *)(lit))

static char tmp[64];

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/kg-store-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void
teardown(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store, .init = setup, .fini = teardown);

static char *
path(const char *rel)
{
	return kg_xasprintf("%s/%s", tmp, rel);
}

static unsigned
mode_of(const char *p)
{
	struct stat sb;

	cr_assert_eq(lstat(p, &sb), 0, "lstat %s: %s", p, strerror(errno));
	return (unsigned)(sb.st_mode & 07777);
}

static struct kg_store *
open_ok(const char *dir)
{
	struct kg_store *st = NULL;
	char *cause = NULL;
	enum kg_err err = kg_store_open(dir, &st, &cause);

	cr_assert_eq(err, KG_ERR_OK, "open %s: %s", dir, cause ? cause : "?");
	cr_assert_not_null(st);
	free(cause);
	return st;
}

static int64_t
pragma_int(struct kg_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	cr_assert_eq(sqlite3_prepare_v2(kg_store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* ---- opening ---- */

static void
check_created(mode_t mask)
{
	char *dir = path("a/b/state"), *db = path("a/b/state/kigo-tui.db");
	char *wal = path("a/b/state/kigo-tui.db-wal"), *a = path("a"), *ab = path("a/b");
	mode_t old = umask(mask);
	struct kg_store *st = open_ok(dir);

	umask(old);
	cr_assert_eq(mode_of(a), 0700, "a: %o", mode_of(a));
	cr_assert_eq(mode_of(ab), 0700);
	cr_assert_eq(mode_of(dir), 0700);
	cr_assert_eq(mode_of(db), 0600, "db: %o", mode_of(db));
	cr_assert_eq(kg_store_kv_set(st, "k", "v"), KG_ERR_OK);
	cr_assert_eq(mode_of(wal), 0600, "wal: %o", mode_of(wal));
	kg_store_free(&st);
	cr_assert_null(st);
	free(dir);
	free(db);
	free(wal);
	free(a);
	free(ab);
}

Test(store, creates_private_dirs_and_file_umask_022)
{
	check_created(022);
}

Test(store, creates_private_dirs_and_file_umask_000)
{
	check_created(0);
}

Test(store, creates_private_dirs_and_file_umask_277)
{
	check_created(0277);
}

Test(store, empty_state_dir_refused)
{
	struct kg_store *st = NULL;
	char *cause = NULL;

	cr_assert_eq(kg_store_open("", &st, &cause), KG_ERR_CONFIG);
	cr_assert_null(st);
	cr_assert_not_null(cause);
	free(cause);
}

Test(store, refuses_group_readable_dir)
{
	char *dir = path("state"), *fix;
	struct kg_store *st = NULL;
	char *cause = NULL;

	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chmod(dir, 0755), 0);
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_PERMS);
	cr_assert_null(st);
	fix = kg_xasprintf("chmod 700 %s", dir);
	cr_assert_not_null(strstr(cause, fix), "%s", cause);
	/* nothing was created in it */
	char *db = path("state/kigo-tui.db");
	cr_assert_neq(access(db, F_OK), 0);
	free(db);
	free(fix);
	free(cause);
	free(dir);
}

Test(store, refuses_world_readable_file)
{
	char *dir = path("state"), *db = path("state/kigo-tui.db"), *fix;
	struct kg_store *st = NULL;
	char *cause = NULL;
	int fd;

	cr_assert_eq(mkdir(dir, 0700), 0);
	fd = open(db, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(chmod(db, 0644), 0);
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_PERMS);
	cr_assert_null(st);
	fix = kg_xasprintf("chmod 600 %s", db);
	cr_assert_not_null(strstr(cause, fix), "%s", cause);
	free(fix);
	free(cause);
	free(dir);
	free(db);
}

Test(store, refuses_symlinked_db)
{
	char *dir = path("state"), *db = path("state/kigo-tui.db"), *real = path("real.db");
	struct kg_store *st = NULL;
	char *cause = NULL;
	int fd;

	cr_assert_eq(mkdir(dir, 0700), 0);
	fd = open(real, O_CREAT | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(symlink(real, db), 0);
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_PERMS);
	cr_assert_null(st);
	cr_assert_not_null(strstr(cause, "symbolic link"), "%s", cause);
	/* a dangling link is refused too, and not followed to create a file */
	free(cause);
	cause = NULL;
	cr_assert_eq(unlink(real), 0);
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_PERMS);
	cr_assert_neq(access(real, F_OK), 0);
	free(cause);
	free(dir);
	free(db);
	free(real);
}

Test(store, refuses_symlinked_dir)
{
	char *real = path("real"), *link = path("state");
	struct kg_store *st = NULL;
	char *cause = NULL;

	cr_assert_eq(mkdir(real, 0700), 0);
	cr_assert_eq(symlink(real, link), 0);
	cr_assert_eq(kg_store_open(link, &st, &cause), KG_ERR_PERMS);
	cr_assert_null(st);
	cr_assert_not_null(strstr(cause, "symbolic link"), "%s", cause);
	free(cause);
	free(real);
	free(link);
}

Test(store, pragmas_and_schema_version)
{
	char *dir = path("s");
	struct kg_store *st = open_ok(dir);
	sqlite3_stmt *s;

	cr_assert_geq(kg_store_schema_version(), 2);
	cr_assert_eq(pragma_int(st, "PRAGMA user_version"), kg_store_schema_version());
	cr_assert_eq(pragma_int(st, "PRAGMA foreign_keys"), 1);
	cr_assert_eq(pragma_int(st, "PRAGMA busy_timeout"), 5000);
	cr_assert_eq(pragma_int(st, "PRAGMA synchronous"), 1); /* NORMAL */
	cr_assert_eq(sqlite3_prepare_v2(kg_store_db(st), "PRAGMA journal_mode", -1, &s, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	cr_assert_null(kg_store_migration_sql(0));
	cr_assert_null(kg_store_migration_sql(kg_store_schema_version() + 1));
	cr_assert_str_eq(kg_store_error(st), "no error");
	kg_store_free(&st);
	/* reopening an up-to-date database changes nothing */
	st = open_ok(dir);
	cr_assert_eq(pragma_int(st, "PRAGMA user_version"), kg_store_schema_version());
	kg_store_free(&st);
	free(dir);
}

/* A database as an older kigo-tui left it: migrations 1..version only. */
static void
make_old_db(const char *dir, int version, const char *extra_sql)
{
	char *db = kg_xasprintf("%s/kigo-tui.db", dir), *bump;
	sqlite3 *h;
	int fd;

	cr_assert_eq(mkdir(dir, 0700), 0);
	fd = open(db, O_CREAT | O_EXCL | O_WRONLY, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	for (int v = 1; v <= version && v <= kg_store_schema_version(); v++)
		cr_assert_eq(sqlite3_exec(h, kg_store_migration_sql(v), NULL, NULL, NULL), SQLITE_OK,
		             "%s", sqlite3_errmsg(h));
	bump = kg_xasprintf("PRAGMA user_version = %d", version);
	cr_assert_eq(sqlite3_exec(h, bump, NULL, NULL, NULL), SQLITE_OK);
	if (extra_sql != NULL)
		cr_assert_eq(sqlite3_exec(h, extra_sql, NULL, NULL, NULL), SQLITE_OK, "%s",
		             sqlite3_errmsg(h));
	sqlite3_close(h);
	free(bump);
	free(db);
}

Test(store, migrates_from_version_1)
{
	char *dir = path("old");
	struct kg_store *st;
	struct kg_customer *v = NULL;
	size_t n = 0;

	/* rows written before the search index existed must be searchable after */
	make_old_db(dir, 1,
	            "INSERT INTO customers(id, name, email) VALUES "
	            "('cus_1', 'Ada Lovelace', 'ada@example.org');"
	            "INSERT INTO kv(key, value) VALUES ('last', 'cus_1');");
	st = open_ok(dir);
	cr_assert_eq(pragma_int(st, "PRAGMA user_version"), kg_store_schema_version());
	cr_assert_eq(kg_store_search_customers(st, "lovel", 10, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].id, "cus_1");
	kg_customers_free(&v, n);
	char *val = NULL;
	cr_assert_eq(kg_store_kv_get(st, "last", &val), KG_ERR_OK);
	cr_assert_str_eq(val, "cus_1");
	free(val);
	kg_store_free(&st);
	free(dir);
}

Test(store, migrates_from_version_0)
{
	char *dir = path("zero");
	struct kg_store *st;

	/* an empty file (version 0), e.g. left by a crash right after creation */
	make_old_db(dir, 0, NULL);
	st = open_ok(dir);
	cr_assert_eq(pragma_int(st, "PRAGMA user_version"), kg_store_schema_version());
	cr_assert_eq(pragma_int(st, "SELECT count(*) FROM sqlite_master WHERE name = 'outbox'"), 1);
	kg_store_free(&st);
	free(dir);
}

Test(store, refuses_newer_schema)
{
	char *dir = path("new"), *bump;
	struct kg_store *st = NULL;
	char *cause = NULL;

	bump = kg_xasprintf("PRAGMA user_version = %d", kg_store_schema_version() + 1);
	make_old_db(dir, kg_store_schema_version(), bump);
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_STORE);
	cr_assert_null(st);
	cr_assert_not_null(strstr(cause, "upgrade kigo-tui"), "%s", cause);
	free(cause);
	free(bump);
	free(dir);
}

Test(store, refuses_a_file_that_is_not_a_database)
{
	char *dir = path("junk"), *db = path("junk/kigo-tui.db");
	struct kg_store *st = NULL;
	char *cause = NULL;
	FILE *f;

	cr_assert_eq(mkdir(dir, 0700), 0);
	f = fopen(db, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database at all. ", f);
	fclose(f);
	cr_assert_eq(chmod(db, 0600), 0);
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_STORE);
	cr_assert_null(st);
	cr_assert_not_null(strstr(cause, db), "%s", cause);
	free(cause);
	free(dir);
	free(db);
}

/* ---- tickets ---- */

Test(store, ticket_round_trip)
{
	char *dir = path("s");
	struct kg_store *st = open_ok(dir);
	struct kg_ticket t = {
		.sys_id = S("0123456789abcdef0123456789abcdef"), .number = S("INC0012345"),
		.table = S("incident"), .short_description = S("Tokens missing"), .state = S("2"),
		.state_label = S("In Progress"), .priority = S("2"), .priority_label = S("2 - High"),
		.caller_id = S("c1"), .caller_name = S("Carla Caller"), .assigned_to = S("a1"),
		.assigned_to_name = S("Andy Agent"), .updated_on = S("2025-01-02 03:04:05"),
		.fetched_at = 1700000000,
	};
	struct kg_ticket g;

	cr_assert_eq(kg_store_put_ticket(st, &t), KG_ERR_OK);
	cr_assert_eq(kg_store_get_ticket(st, "inc0012345", &g), KG_ERR_OK);
	cr_assert_str_eq(g.sys_id, t.sys_id);
	cr_assert_str_eq(g.number, "INC0012345");
	cr_assert_str_eq(g.table, "incident");
	cr_assert_str_eq(g.short_description, "Tokens missing");
	cr_assert_str_eq(g.state, "2");
	cr_assert_str_eq(g.state_label, "In Progress");
	cr_assert_str_eq(g.priority, "2");
	cr_assert_str_eq(g.priority_label, "2 - High");
	cr_assert_str_eq(g.caller_id, "c1");
	cr_assert_str_eq(g.caller_name, "Carla Caller");
	cr_assert_str_eq(g.assigned_to, "a1");
	cr_assert_str_eq(g.assigned_to_name, "Andy Agent");
	cr_assert_str_eq(g.updated_on, "2025-01-02 03:04:05");
	cr_assert_eq(g.fetched_at, 1700000000);
	kg_ticket_clear(&g);
	/* update in place, by sys_id, with NULLs */
	t.short_description = NULL;
	t.state_label = S("Resolved");
	cr_assert_eq(kg_store_put_ticket(st, &t), KG_ERR_OK);
	cr_assert_eq(kg_store_get_ticket(st, t.sys_id, &g), KG_ERR_OK);
	cr_assert_null(g.short_description);
	cr_assert_str_eq(g.state_label, "Resolved");
	kg_ticket_clear(&g);
	cr_assert_eq(kg_store_get_ticket(st, "INC9999999", &g), KG_ERR_NOT_FOUND);
	cr_assert_null(g.sys_id);
	cr_assert_not_null(strstr(kg_store_error(st), "INC9999999"));
	t.sys_id = NULL;
	cr_assert_eq(kg_store_put_ticket(st, &t), KG_ERR_BAD_INPUT);
	kg_store_free(&st);
	free(dir);
}

/* ---- customers and search ---- */

static const struct kg_customer people[] = {
	{ .id = S("cus_1"), .name = S("Ada Lovelace"), .email = S("ada@analytical.example"),
	  .phone = S("+44 20 7946 0001"), .loyalty_id = S("LOY-1001") },
	{ .id = S("cus_2"), .name = S("Grace Hopper"), .email = S("grace@navy.example"),
	  .phone = S("+1 555 010 2000"), .loyalty_id = S("LOY-2002") },
	{ .id = S("cus_3"), .name = S("alan turing"), .email = NULL, .phone = NULL, .loyalty_id = NULL },
	{ .id = S("cus_4"), .name = S("Zoë Ångström"), .email = S("zoe@unicode.example"),
	  .phone = S("+46 8 123 456"), .loyalty_id = S("LOY-4004") },
	{ .id = S("cus_5"), .name = S("Ann \"Annie\" O'Hara"), .email = S("annie+tag@x.example"),
	  .phone = S("+1 555 010 3000"), .loyalty_id = S("LOY_5%05") },
	{ .id = S("cus_6"), .name = S("Bob Johnson OR Smith"), .email = S("bob@corp.example"),
	  .phone = S("+1 555 999 0000"), .loyalty_id = S("LOY-6006") },
};

static struct kg_store *
open_people(char **dir)
{
	struct kg_store *st;

	*dir = path("s");
	st = open_ok(*dir);
	cr_assert_eq(kg_store_put_customers(st, people, KG_ARRAY_LEN(people)), KG_ERR_OK, "%s",
	             kg_store_error(st));
	return st;
}

/* The ids found for q, comma-separated, in result order. */
static char *
found(struct kg_store *st, const char *q, size_t limit)
{
	struct kg_customer *v = NULL;
	size_t n = 0;
	char *ids = kg_xstrdup("");

	cr_assert_eq(kg_store_search_customers(st, q, limit, &v, &n), KG_ERR_OK, "q=%s: %s",
	             q ? q : "(null)", kg_store_error(st));
	for (size_t i = 0; i < n; i++) {
		char *more = kg_xasprintf("%s%s%s", ids, i ? "," : "", v[i].id);
		free(ids);
		ids = more;
	}
	kg_customers_free(&v, n);
	return ids;
}

#define ASSERT_FOUND(st, q, want)                                          \
	do {                                                               \
		const char *q_ = (q);                                      \
		char *got_ = found(st, q_, 0);                             \
		cr_assert_str_eq(got_, want, "search \"%s\": got %s",      \
		                 q_ ? q_ : "(null)", got_);                 \
		free(got_);                                                \
	} while (0)

Test(store, customer_round_trip_and_delete)
{
	char *dir;
	struct kg_store *st = open_people(&dir);
	struct kg_customer c, upd = people[1];
	int64_t nc, nt;

	cr_assert_eq(kg_store_get_customer(st, "cus_1", &c), KG_ERR_OK);
	cr_assert_str_eq(c.name, "Ada Lovelace");
	cr_assert_str_eq(c.email, "ada@analytical.example");
	cr_assert_str_eq(c.phone, "+44 20 7946 0001");
	cr_assert_str_eq(c.loyalty_id, "LOY-1001");
	cr_assert_gt(c.fetched_at, 0);
	kg_customer_clear(&c);
	cr_assert_eq(kg_store_get_customer(st, "cus_3", &c), KG_ERR_OK);
	cr_assert_null(c.email);
	cr_assert_null(c.phone);
	kg_customer_clear(&c);
	cr_assert_eq(kg_store_get_customer(st, "cus_404", &c), KG_ERR_NOT_FOUND);

	/* an update replaces the searchable text too */
	upd.email = S("rear.admiral@navy.example");
	upd.created_at = S("2024-01-01T00:00:00Z");
	upd.updated_at = S("2024-02-01T00:00:00Z");
	upd.fetched_at = 42;
	cr_assert_eq(kg_store_put_customers(st, &upd, 1), KG_ERR_OK);
	ASSERT_FOUND(st, "grace@navy", "");
	ASSERT_FOUND(st, "rear.admiral", "cus_2");
	cr_assert_eq(kg_store_get_customer(st, "cus_2", &c), KG_ERR_OK);
	cr_assert_str_eq(c.created_at, "2024-01-01T00:00:00Z");
	cr_assert_str_eq(c.updated_at, "2024-02-01T00:00:00Z");
	cr_assert_eq(c.fetched_at, 42);
	kg_customer_clear(&c);

	struct kg_token tok = { .id = S("tok_1"), .customer_id = S("cus_2"), .status = KG_TOKEN_ACTIVE };
	cr_assert_eq(kg_store_put_tokens(st, "cus_2", &tok, 1, true), KG_ERR_OK);
	cr_assert_eq(kg_store_counts(st, &nc, &nt), KG_ERR_OK);
	cr_assert_eq(nc, 6);
	cr_assert_eq(nt, 1);
	cr_assert_eq(kg_store_delete_customer(st, "cus_2"), KG_ERR_OK);
	ASSERT_FOUND(st, "hopper", "");
	cr_assert_eq(kg_store_counts(st, &nc, &nt), KG_ERR_OK);
	cr_assert_eq(nc, 5);
	cr_assert_eq(nt, 0);
	cr_assert_eq(sqlite3_exec(kg_store_db(st), "INSERT INTO customers_fts(customers_fts, rank) "
	                          "VALUES ('integrity-check', 1)", NULL, NULL, NULL), SQLITE_OK,
	             "%s", sqlite3_errmsg(kg_store_db(st)));

	/* a batch with a bad row stores nothing */
	struct kg_customer bad[2] = { { .id = S("cus_7"), .name = S("Ok") }, { .id = NULL } };
	cr_assert_eq(kg_store_put_customers(st, bad, 2), KG_ERR_BAD_INPUT);
	cr_assert_eq(kg_store_get_customer(st, "cus_7", &c), KG_ERR_NOT_FOUND);
	kg_store_free(&st);
	free(dir);
}

Test(store, search_substring_and_case)
{
	char *dir;
	struct kg_store *st = open_people(&dir);

	ASSERT_FOUND(st, "lovelace", "cus_1");
	ASSERT_FOUND(st, "OVELA", "cus_1");        /* middle of a word, any case */
	ASSERT_FOUND(st, "  hopper  ", "cus_2");   /* surrounding blanks ignored */
	ASSERT_FOUND(st, "TURING", "cus_3");
	ASSERT_FOUND(st, "ZOË", "cus_4");           /* Unicode case folding */
	ASSERT_FOUND(st, "ångs", "cus_4");
	ASSERT_FOUND(st, "nobody-here", "");
	kg_store_free(&st);
	free(dir);
}

Test(store, search_email_phone_loyalty)
{
	char *dir;
	struct kg_store *st = open_people(&dir);

	ASSERT_FOUND(st, "navy.example", "cus_2");
	ASSERT_FOUND(st, "annie+tag@", "cus_5");
	ASSERT_FOUND(st, "7946", "cus_1");
	ASSERT_FOUND(st, "555 010", "cus_5,cus_2"); /* Ann before Grace */
	ASSERT_FOUND(st, "loy-2002", "cus_2");
	ASSERT_FOUND(st, "LOY_5%05", "cus_5");
	ASSERT_FOUND(st, "example", "cus_1,cus_5,cus_6,cus_2,cus_4");
	kg_store_free(&st);
	free(dir);
}

Test(store, search_orders_by_name_and_limits)
{
	char *dir;
	struct kg_store *st = open_people(&dir);
	char *got;

	/* case-insensitive name order: Ada, alan, Ann, Bob, Grace, Zoë */
	ASSERT_FOUND(st, "", "cus_1,cus_3,cus_5,cus_6,cus_2,cus_4");
	ASSERT_FOUND(st, NULL, "cus_1,cus_3,cus_5,cus_6,cus_2,cus_4");
	got = found(st, "", 2);
	cr_assert_str_eq(got, "cus_1,cus_3");
	free(got);
	got = found(st, "example", 3);
	cr_assert_str_eq(got, "cus_1,cus_5,cus_6");
	free(got);
	kg_store_free(&st);
	free(dir);
}

Test(store, search_one_and_two_characters)
{
	char *dir;
	struct kg_store *st = open_people(&dir);

	ASSERT_FOUND(st, "z", "cus_4");
	ASSERT_FOUND(st, "Z", "cus_4");
	ASSERT_FOUND(st, "tu", "cus_3");
	ASSERT_FOUND(st, "UR", "cus_3");
	ASSERT_FOUND(st, "79", "cus_1");          /* phone */
	ASSERT_FOUND(st, "@n", "cus_2");          /* email */
	/* LIKE wildcards are literal */
	ASSERT_FOUND(st, "%", "cus_5");
	ASSERT_FOUND(st, "_", "cus_5");
	ASSERT_FOUND(st, "_5", "cus_5");
	ASSERT_FOUND(st, "\\", "");
	ASSERT_FOUND(st, "q", "");
	ASSERT_FOUND(st, "Zö", "");               /* 2 characters, 3 bytes: LIKE path */
	kg_store_free(&st);
	free(dir);
}

Test(store, search_query_is_literal_not_fts_syntax)
{
	char *dir;
	struct kg_store *st = open_people(&dir);

	ASSERT_FOUND(st, "\"Annie\"", "cus_5");
	ASSERT_FOUND(st, "\"", "cus_5");          /* a lone quote: LIKE path, literal */
	ASSERT_FOUND(st, "\"\"\"", "");
	ASSERT_FOUND(st, "O'Hara", "cus_5");
	ASSERT_FOUND(st, "Johnson OR Smith", "cus_6");
	ASSERT_FOUND(st, "lovelace OR hopper", "");
	ASSERT_FOUND(st, "ada AND NOT x", "");
	ASSERT_FOUND(st, "name:ada", "");
	ASSERT_FOUND(st, "{name}: ada", "");
	ASSERT_FOUND(st, "NEAR(ada lovelace)", "");
	ASSERT_FOUND(st, "ada*", "");
	ASSERT_FOUND(st, "^ada", "");
	ASSERT_FOUND(st, "ada\" OR \"grace", "");
	ASSERT_FOUND(st, "(((", "");
	ASSERT_FOUND(st, "-ada", "");
	ASSERT_FOUND(st, "a\"b", "");
	kg_store_free(&st);
	free(dir);
}

/* ---- tokens ---- */

Test(store, tokens_inventory_order_and_complete_replace)
{
	char *dir = path("s");
	struct kg_store *st = open_ok(dir);
	struct kg_token in[] = {
		{ .id = S("tok_e"), .customer_id = S("cus_1"), .sku = S("COFFEE"), .name = S("Coffee"),
		  .status = KG_TOKEN_REDEEMED, .expires_at = S("2025-01-01"), .version = 3 },
		{ .id = S("tok_d"), .status = KG_TOKEN_ACTIVE, .expires_at = NULL },
		{ .id = S("tok_c"), .status = KG_TOKEN_ACTIVE, .expires_at = S("2026-06-01") },
		{ .id = S("tok_b"), .status = KG_TOKEN_ACTIVE, .expires_at = S("2025-12-31"),
		  .issued_at = S("2025-01-01T10:00:00Z"), .disputed_reason = NULL },
		{ .id = S("tok_a"), .status = KG_TOKEN_DISPUTED, .expires_at = S("2024-01-01"),
		  .disputed_reason = S("never received") },
		{ .id = S("tok_f"), .status = KG_TOKEN_ACTIVE, .expires_at = S("2025-12-31") },
	};
	struct kg_token *v = NULL, one;
	size_t n = 0;

	cr_assert_eq(kg_store_put_tokens(st, "cus_1", in, KG_ARRAY_LEN(in), true), KG_ERR_OK, "%s",
	             kg_store_error(st));
	cr_assert_eq(kg_store_get_tokens(st, "cus_1", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 6);
	const char *order[] = { "tok_b", "tok_f", "tok_c", "tok_d", "tok_a", "tok_e" };
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(v[i].id, order[i], "position %zu: %s", i, v[i].id);
	cr_assert_str_eq(v[0].customer_id, "cus_1");
	cr_assert_str_eq(v[0].issued_at, "2025-01-01T10:00:00Z");
	cr_assert_eq(v[4].status, KG_TOKEN_DISPUTED);
	cr_assert_str_eq(v[4].disputed_reason, "never received");
	cr_assert_eq(v[5].version, 3);
	cr_assert_str_eq(v[5].sku, "COFFEE");
	kg_tokens_free(&v, n);

	cr_assert_eq(kg_store_get_token(st, "tok_e", &one), KG_ERR_OK);
	cr_assert_eq(one.status, KG_TOKEN_REDEEMED);
	cr_assert_str_eq(one.name, "Coffee");
	kg_token_clear(&one);
	cr_assert_eq(kg_store_get_token(st, "tok_zz", &one), KG_ERR_NOT_FOUND);

	/* partial page: upsert only */
	in[0].status = KG_TOKEN_REMOVED;
	in[0].version = 4;
	cr_assert_eq(kg_store_put_tokens(st, "cus_1", in, 1, false), KG_ERR_OK);
	cr_assert_eq(kg_store_get_tokens(st, "cus_1", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 6);
	kg_tokens_free(&v, n);
	/* complete list: the others disappear, other customers' tokens stay */
	struct kg_token other = { .id = S("tok_x"), .status = KG_TOKEN_ACTIVE };
	cr_assert_eq(kg_store_put_tokens(st, "cus_2", &other, 1, true), KG_ERR_OK);
	cr_assert_eq(kg_store_put_tokens(st, "cus_1", in, 2, true), KG_ERR_OK);
	cr_assert_eq(kg_store_get_tokens(st, "cus_1", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].id, "tok_d");
	cr_assert_str_eq(v[1].id, "tok_e");
	cr_assert_eq(v[1].status, KG_TOKEN_REMOVED);
	cr_assert_eq(v[1].version, 4);
	kg_tokens_free(&v, n);
	/* an empty complete list empties the customer */
	cr_assert_eq(kg_store_put_tokens(st, "cus_1", NULL, 0, true), KG_ERR_OK);
	cr_assert_eq(kg_store_get_tokens(st, "cus_1", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);
	cr_assert_null(v);
	cr_assert_eq(kg_store_get_tokens(st, "cus_2", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	kg_tokens_free(&v, n);
	/* a token of another customer is refused and nothing changes */
	cr_assert_eq(kg_store_put_tokens(st, "cus_2", in, 1, true), KG_ERR_BAD_INPUT);
	cr_assert_eq(kg_store_get_tokens(st, "cus_2", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	kg_tokens_free(&v, n);
	kg_store_free(&st);
	free(dir);
}

/* ---- catalog ---- */

Test(store, catalog_round_trip_filter_and_replace)
{
	char *dir = path("s");
	struct kg_store *st = open_ok(dir);
	struct kg_catalog_item in[] = {
		{ .sku = S("COFFEE-S"), .name = S("Small coffee"), .description = S("8 oz"),
		  .value_cents = 250, .default_validity_days = 30, .active = true },
		{ .sku = S("MUFFIN"), .name = S("Blueberry muffin"), .value_cents = 300,
		  .default_validity_days = 14, .active = false },
		{ .sku = S("TEA_100"), .name = S("Tea 100% leaf"), .value_cents = 200, .active = true },
	};
	struct kg_catalog_item *v = NULL;
	size_t n = 0;

	cr_assert_eq(kg_store_put_catalog(st, in, 3, true), KG_ERR_OK);
	cr_assert_eq(kg_store_get_catalog(st, NULL, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].sku, "MUFFIN");
	cr_assert_eq(v[0].active, false);
	cr_assert_eq(v[0].default_validity_days, 14);
	cr_assert_str_eq(v[1].sku, "COFFEE-S");
	cr_assert_str_eq(v[1].description, "8 oz");
	cr_assert_eq(v[1].value_cents, 250);
	cr_assert_eq(v[1].active, true);
	kg_catalog_free(&v, n);
	cr_assert_eq(kg_store_get_catalog(st, "coffee", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].sku, "COFFEE-S");
	kg_catalog_free(&v, n);
	cr_assert_eq(kg_store_get_catalog(st, "0%", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].sku, "TEA_100");
	kg_catalog_free(&v, n);
	cr_assert_eq(kg_store_get_catalog(st, "_", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	kg_catalog_free(&v, n);
	cr_assert_eq(kg_store_put_catalog(st, &in[2], 1, true), KG_ERR_OK);
	cr_assert_eq(kg_store_get_catalog(st, "", &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].name, "Tea 100% leaf");
	kg_catalog_free(&v, n);
	kg_store_free(&st);
	free(dir);
}

/* ---- kv and transactions ---- */

Test(store, kv_set_get_delete)
{
	char *dir = path("s");
	struct kg_store *st = open_ok(dir);
	char *v = NULL;

	cr_assert_eq(kg_store_kv_get(st, "last_customer", &v), KG_ERR_OK);
	cr_assert_null(v);
	cr_assert_eq(kg_store_kv_set(st, "last_customer", "cus_1"), KG_ERR_OK);
	cr_assert_eq(kg_store_kv_set(st, "last_customer", "cus_2"), KG_ERR_OK);
	cr_assert_eq(kg_store_kv_get(st, "last_customer", &v), KG_ERR_OK);
	cr_assert_str_eq(v, "cus_2");
	free(v);
	cr_assert_eq(kg_store_kv_set(st, "last_customer", NULL), KG_ERR_OK);
	cr_assert_eq(kg_store_kv_get(st, "last_customer", &v), KG_ERR_OK);
	cr_assert_null(v);
	cr_assert_eq(kg_store_kv_set(st, "", "x"), KG_ERR_BAD_INPUT);
	kg_store_free(&st);
	free(dir);
}

Test(store, begin_commit_rollback)
{
	char *dir = path("s");
	struct kg_store *st = open_ok(dir);
	char *v = NULL;

	cr_assert_eq(kg_store_begin(st), KG_ERR_OK);
	cr_assert_eq(kg_store_begin(st), KG_ERR_STORE); /* not nestable */
	cr_assert_eq(kg_store_kv_set(st, "a", "1"), KG_ERR_OK);
	cr_assert_eq(pragma_int(st, "PRAGMA synchronous"), 2); /* FULL while recording */
	kg_store_rollback(st);
	cr_assert_eq(pragma_int(st, "PRAGMA synchronous"), 1);
	cr_assert_eq(kg_store_kv_get(st, "a", &v), KG_ERR_OK);
	cr_assert_null(v);
	cr_assert_eq(kg_store_begin(st), KG_ERR_OK);
	cr_assert_eq(kg_store_kv_set(st, "a", "2"), KG_ERR_OK);
	cr_assert_eq(kg_store_kv_set(st, "b", "3"), KG_ERR_OK);
	cr_assert_eq(kg_store_commit(st), KG_ERR_OK);
	cr_assert_eq(kg_store_commit(st), KG_ERR_STORE);
	kg_store_free(&st);
	/* committed means on disk for the next process */
	st = open_ok(dir);
	cr_assert_eq(kg_store_kv_get(st, "b", &v), KG_ERR_OK);
	cr_assert_str_eq(v, "3");
	free(v);
	/* an open transaction is rolled back by free */
	cr_assert_eq(kg_store_begin(st), KG_ERR_OK);
	cr_assert_eq(kg_store_kv_set(st, "c", "4"), KG_ERR_OK);
	kg_store_free(&st);
	st = open_ok(dir);
	cr_assert_eq(kg_store_kv_get(st, "c", &v), KG_ERR_OK);
	cr_assert_null(v);
	kg_store_free(&st);
	free(dir);
}
