/*
 * test_store_log.c - the activity log, the outbox and pending mutations,
 * and two processes writing the same database at once.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	return remove(path);
}

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/kg-storelog-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void
teardown(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store_log, .init = setup, .fini = teardown);

static struct kg_store *
open_ok(void)
{
	struct kg_store *st = NULL;
	char *cause = NULL;
	char *dir = kg_xasprintf("%s/state", tmp);
	enum kg_err err = kg_store_open(dir, &st, &cause);

	cr_assert_eq(err, KG_ERR_OK, "open: %s", cause ? cause : "?");
	free(cause);
	free(dir);
	return st;
}

static int64_t
sql_int(struct kg_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	cr_assert_eq(sqlite3_prepare_v2(kg_store_db(st), sql, -1, &s, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(kg_store_db(st)));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t
add_act(struct kg_store *st, const char *id, const char *ticket)
{
	struct kg_activity a = {
		.id = S(id), .at = S("2025-03-01T10:00:00Z"), .actor = S("agent@example.com"),
		.action = KG_ACTION_ADD, .token_id = S("tok_1"), .customer_id = S("cus_1"),
		.ticket_ref = S(ticket),
	};
	int64_t rowid = 0;

	cr_assert_eq(kg_store_add_activity(st, &a, &rowid), KG_ERR_OK, "%s", kg_store_error(st));
	cr_assert_gt(rowid, 0);
	return rowid;
}

static struct kg_outbox_item
item_for(const char *sync_id, const char *ticket)
{
	struct kg_outbox_item it = {
		.sync_id = S(sync_id), .ticket_ref = S(ticket), .table = S("incident"),
		.sys_id = S("0123456789abcdef0123456789abcdef"), .journal_field = S("work_notes"),
		.text = S("kigo-tui: 1 action\nkigo-sync-id: x"),
	};
	return it;
}

/* ---- activity ---- */

Test(store_log, activity_round_trip)
{
	struct kg_store *st = open_ok();
	struct kg_token before = { .id = S("tok_9"), .customer_id = S("cus_1"), .sku = S("COFFEE"),
	                           .name = S("Coffee \"large\""), .status = KG_TOKEN_ACTIVE,
	                           .issued_at = S("2025-01-01T00:00:00Z"),
	                           .expires_at = S("2025-12-31"), .version = 4,
	                           .fetched_at = 1700000000 };
	struct kg_token after = before;
	struct kg_activity a = {
		.id = S("act_1"), .at = S("2025-03-01T10:00:00Z"), .actor = S("agent@example.com"),
		.action = KG_ACTION_DISPUTE, .token_id = S("tok_9"), .customer_id = S("cus_1"),
		.ticket_ref = S("INC0000001"), .reason = S("never received"),
		.before = &before, .after = &after,
	};
	struct kg_activity_row *v = NULL;
	size_t n = 0;
	int64_t r1 = 0, r2 = 0;

	after.status = KG_TOKEN_DISPUTED;
	after.disputed_reason = S("never received");
	after.version = 5;
	cr_assert_eq(kg_store_add_activity(st, &a, &r1), KG_ERR_OK, "%s", kg_store_error(st));
	cr_assert_gt(r1, 0);
	/* the same kigo activity again (a replayed response): ignored, same row */
	cr_assert_eq(kg_store_add_activity(st, &a, &r2), KG_ERR_OK);
	cr_assert_eq(r2, r1);
	cr_assert_eq(kg_store_add_activity(st, &a, NULL), KG_ERR_OK);

	cr_assert_eq(kg_store_list_activity(st, "INC0000001", false, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].rowid, r1);
	cr_assert_str_eq(v[0].act.id, "act_1");
	cr_assert_str_eq(v[0].act.at, "2025-03-01T10:00:00Z");
	cr_assert_str_eq(v[0].act.actor, "agent@example.com");
	cr_assert_eq(v[0].act.action, KG_ACTION_DISPUTE);
	cr_assert_str_eq(v[0].act.token_id, "tok_9");
	cr_assert_str_eq(v[0].act.customer_id, "cus_1");
	cr_assert_str_eq(v[0].act.ticket_ref, "INC0000001");
	cr_assert_str_eq(v[0].act.reason, "never received");
	cr_assert_not_null(v[0].act.before);
	cr_assert_str_eq(v[0].act.before->name, "Coffee \"large\"");
	cr_assert_eq(v[0].act.before->status, KG_TOKEN_ACTIVE);
	cr_assert_null(v[0].act.before->disputed_reason);
	cr_assert_eq(v[0].act.before->version, 4);
	cr_assert_eq(v[0].act.before->fetched_at, 1700000000);
	cr_assert_str_eq(v[0].act.before->expires_at, "2025-12-31");
	cr_assert_str_eq(v[0].act.before->issued_at, "2025-01-01T00:00:00Z");
	cr_assert_str_eq(v[0].act.before->sku, "COFFEE");
	cr_assert_str_eq(v[0].act.before->customer_id, "cus_1");
	cr_assert_eq(v[0].act.after->status, KG_TOKEN_DISPUTED);
	cr_assert_str_eq(v[0].act.after->disputed_reason, "never received");
	cr_assert_eq(v[0].act.after->version, 5);
	cr_assert_eq(v[0].sync, KG_SYNC_UNREPORTED);
	cr_assert_eq(v[0].outbox_id, 0);
	cr_assert_null(v[0].sync_error);
	cr_assert_gt(v[0].recorded_at, 0);
	kg_activity_rows_free(&v, n);
	cr_assert_null(v);

	/* create_customer: no token, no before/after */
	struct kg_activity c = { .id = S("act_2"), .action = KG_ACTION_CREATE_CUSTOMER,
	                         .customer_id = S("cus_2"), .ticket_ref = S("INC0000002") };
	cr_assert_eq(kg_store_add_activity(st, &c, NULL), KG_ERR_OK);
	add_act(st, "act_3", "INC0000001");
	cr_assert_eq(kg_store_list_activity(st, NULL, false, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0].act.id, "act_3"); /* newest first */
	cr_assert_str_eq(v[1].act.id, "act_2");
	cr_assert_eq(v[1].act.action, KG_ACTION_CREATE_CUSTOMER);
	cr_assert_null(v[1].act.before);
	cr_assert_null(v[1].act.after);
	cr_assert_null(v[1].act.token_id);
	cr_assert_str_eq(v[2].act.id, "act_1");
	kg_activity_rows_free(&v, n);
	cr_assert_eq(kg_store_list_activity(st, "INC0000001", false, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 2);
	kg_activity_rows_free(&v, n);
	cr_assert_eq(kg_store_list_activity(st, "INC404", false, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);

	a.id = NULL;
	cr_assert_eq(kg_store_add_activity(st, &a, NULL), KG_ERR_BAD_INPUT);
	/* foreign keys are enforced: an activity cannot point at a missing summary */
	cr_assert_neq(sqlite3_exec(kg_store_db(st), "UPDATE activity SET outbox_id = 999", NULL,
	                           NULL, NULL), SQLITE_OK);
	kg_store_free(&st);
}

/* ---- outbox ---- */

static enum kg_sync_state
sync_of(struct kg_store *st, int64_t rowid, char **error)
{
	struct kg_activity_row *v = NULL;
	size_t n = 0;
	enum kg_sync_state s = KG_SYNC_UNREPORTED;
	bool seen = false;

	cr_assert_eq(kg_store_list_activity(st, NULL, false, &v, &n), KG_ERR_OK);
	for (size_t i = 0; i < n; i++) {
		if (v[i].rowid != rowid)
			continue;
		s = v[i].sync;
		seen = true;
		if (error != NULL)
			*error = kg_xstrdup(v[i].sync_error);
	}
	kg_activity_rows_free(&v, n);
	cr_assert(seen, "activity row %lld not listed", (long long)rowid);
	return s;
}

Test(store_log, outbox_lifecycle)
{
	struct kg_store *st = open_ok();
	int64_t a1 = add_act(st, "act_1", "INC1"), a2 = add_act(st, "act_2", "INC1");
	int64_t a3 = add_act(st, "act_3", "INC1"), ids[2] = { a1, a2 }, n64;
	struct kg_outbox_item it = item_for("sync-1", "INC1"), *p = NULL;
	struct kg_activity_row *v = NULL;
	size_t n = 0;
	char *e = NULL;

	add_act(st, "act_4", "INC2");
	cr_assert_eq(kg_store_outbox_add(st, &it, ids, 2), KG_ERR_OK, "%s", kg_store_error(st));
	cr_assert_gt(it.id, 0);
	cr_assert_gt(it.created_at, 0);
	cr_assert_eq(it.state, KG_OUTBOX_PENDING);
	/* synchronous goes back to NORMAL after the durable commit */
	cr_assert_eq(sql_int(st, "PRAGMA synchronous"), 1);

	cr_assert_eq(kg_store_list_activity(st, "INC1", true, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].rowid, a3);
	kg_activity_rows_free(&v, n);
	cr_assert_eq(kg_store_list_activity(st, "INC1", false, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(v[1].sync, KG_SYNC_QUEUED);
	cr_assert_eq(v[1].outbox_id, it.id);
	cr_assert_eq(v[2].sync, KG_SYNC_QUEUED);
	kg_activity_rows_free(&v, n);

	cr_assert_eq(kg_store_outbox_pending(st, NULL, &p, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(p[0].id, it.id);
	cr_assert_str_eq(p[0].sync_id, "sync-1");
	cr_assert_str_eq(p[0].ticket_ref, "INC1");
	cr_assert_str_eq(p[0].table, "incident");
	cr_assert_str_eq(p[0].sys_id, "0123456789abcdef0123456789abcdef");
	cr_assert_str_eq(p[0].journal_field, "work_notes");
	cr_assert_str_eq(p[0].text, "kigo-tui: 1 action\nkigo-sync-id: x");
	cr_assert_eq(p[0].state, KG_OUTBOX_PENDING);
	cr_assert_eq(p[0].attempts, 0);
	cr_assert_null(p[0].last_error);
	cr_assert_eq(p[0].created_at, it.created_at);
	cr_assert_eq(p[0].sent_at, 0);
	kg_outbox_items_free(&p, n);
	cr_assert_eq(kg_store_outbox_pending(st, "INC2", &p, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(kg_store_outbox_count_pending(st, &n64), KG_ERR_OK);
	cr_assert_eq(n64, 1);

	/* attempt, failure, retry */
	cr_assert_eq(kg_store_outbox_attempt(st, it.id, NULL), KG_ERR_OK);
	cr_assert_eq(sync_of(st, a1, NULL), KG_SYNC_QUEUED);
	cr_assert_eq(kg_store_outbox_attempt(st, it.id, "HTTP 503 (request id r-1)"), KG_ERR_OK);
	cr_assert_eq(sync_of(st, a1, &e), KG_SYNC_FAILED);
	cr_assert_str_eq(e, "HTTP 503 (request id r-1)");
	free(e);
	cr_assert_eq(sync_of(st, a3, NULL), KG_SYNC_UNREPORTED);
	cr_assert_eq(kg_store_outbox_attempt(st, it.id, NULL), KG_ERR_OK);
	cr_assert_eq(kg_store_outbox_pending(st, "INC1", &p, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(p[0].attempts, 2);
	cr_assert_str_eq(p[0].last_error, "HTTP 503 (request id r-1)");
	kg_outbox_items_free(&p, n);

	/* confirmed */
	cr_assert_eq(kg_store_outbox_sent(st, it.id), KG_ERR_OK);
	e = NULL;
	cr_assert_eq(sync_of(st, a1, &e), KG_SYNC_SENT);
	cr_assert_null(e);
	cr_assert_eq(sync_of(st, a2, NULL), KG_SYNC_SENT);
	cr_assert_eq(kg_store_outbox_pending(st, NULL, &p, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(kg_store_outbox_count_pending(st, &n64), KG_ERR_OK);
	cr_assert_eq(n64, 0);
	cr_assert_gt(sql_int(st, "SELECT sent_at FROM outbox"), 0);

	cr_assert_eq(kg_store_outbox_attempt(st, 999, NULL), KG_ERR_NOT_FOUND);
	cr_assert_eq(kg_store_outbox_attempt(st, 999, "x"), KG_ERR_NOT_FOUND);
	cr_assert_eq(kg_store_outbox_sent(st, 999), KG_ERR_NOT_FOUND);
	kg_store_free(&st);
}

Test(store_log, outbox_never_reports_a_row_twice)
{
	struct kg_store *st = open_ok();
	int64_t a1 = add_act(st, "act_1", "INC1"), a2 = add_act(st, "act_2", "INC1");
	int64_t both[2] = { a2, a1 }, missing = 12345;
	struct kg_outbox_item it = item_for("sync-1", "INC1"), it2 = item_for("sync-2", "INC1");
	struct kg_outbox_item it3 = item_for("sync-1", "INC1");

	cr_assert_eq(kg_store_outbox_add(st, &it, &a1, 1), KG_ERR_OK);
	/* a second window built its summary from the same rows: refused whole */
	cr_assert_eq(kg_store_outbox_add(st, &it2, both, 2), KG_ERR_CONFLICT);
	cr_assert_not_null(strstr(kg_store_error(st), "already in another summary"));
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM outbox"), 1);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity WHERE outbox_id IS NULL"), 1);
	cr_assert_eq(kg_store_outbox_add(st, &it2, &missing, 1), KG_ERR_CONFLICT);
	/* the same sync id twice */
	cr_assert_eq(kg_store_outbox_add(st, &it3, &a2, 1), KG_ERR_CONFLICT);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM outbox"), 1);
	/* and the rebuilt summary goes in */
	cr_assert_eq(kg_store_outbox_add(st, &it2, &a2, 1), KG_ERR_OK);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity WHERE outbox_id IS NULL"), 0);
	cr_assert_eq(sql_int(st, "PRAGMA synchronous"), 1);

	struct kg_outbox_item bad = item_for("sync-3", "INC1");
	bad.sys_id = NULL;
	cr_assert_eq(kg_store_outbox_add(st, &bad, NULL, 0), KG_ERR_BAD_INPUT);
	kg_store_free(&st);
}

/* ---- mutations ---- */

Test(store_log, mutation_lifecycle)
{
	struct kg_store *st = open_ok();
	struct kg_mutation m1 = {
		.idem_key = S("6f1c1b3e-0000-4000-8000-000000000001"), .kind = S("remove"),
		.path = S("/tokens/tok_1/remove"), .body = S("{\"reason\":\"duplicate\"}"),
		.if_match = S("\"4\""), .ticket_ref = S("INC1"), .customer_id = S("cus_1"),
		.token_id = S("tok_1"),
	};
	struct kg_mutation m2 = {
		.idem_key = S("6f1c1b3e-0000-4000-8000-000000000002"), .kind = S("add"),
		.path = S("/customers/cus_1/tokens"), .body = S("{\"sku\":\"COFFEE\"}"),
		.ticket_ref = S("INC1"), .customer_id = S("cus_1"),
	};
	struct kg_mutation dup = m2, *v = NULL;
	size_t n = 0;

	cr_assert_eq(kg_store_mutation_add(st, &m1), KG_ERR_OK, "%s", kg_store_error(st));
	cr_assert_eq(kg_store_mutation_add(st, &m2), KG_ERR_OK);
	cr_assert_gt(m1.id, 0);
	cr_assert_gt(m2.id, m1.id);
	cr_assert_gt(m1.created_at, 0);
	cr_assert_eq(kg_store_mutation_add(st, &dup), KG_ERR_CONFLICT);
	cr_assert_eq(sql_int(st, "PRAGMA synchronous"), 1);

	cr_assert_eq(kg_store_mutation_pending(st, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[0].id, m1.id);
	cr_assert_str_eq(v[0].idem_key, m1.idem_key);
	cr_assert_str_eq(v[0].kind, "remove");
	cr_assert_str_eq(v[0].path, "/tokens/tok_1/remove");
	cr_assert_str_eq(v[0].body, "{\"reason\":\"duplicate\"}");
	cr_assert_str_eq(v[0].if_match, "\"4\"");
	cr_assert_str_eq(v[0].ticket_ref, "INC1");
	cr_assert_str_eq(v[0].customer_id, "cus_1");
	cr_assert_str_eq(v[0].token_id, "tok_1");
	cr_assert_eq(v[0].state, KG_MUT_PENDING);
	cr_assert_null(v[0].last_error);
	cr_assert_eq(v[0].created_at, m1.created_at);
	cr_assert_null(v[1].if_match);
	cr_assert_null(v[1].token_id);
	kg_mutations_free(&v, n);
	cr_assert_null(v);

	cr_assert_eq(kg_store_mutation_finish(st, m1.id, KG_MUT_DONE, NULL), KG_ERR_OK);
	/* outcome unknown: stays pending with the reason */
	cr_assert_eq(kg_store_mutation_finish(st, m2.id, KG_MUT_PENDING, "timed out"), KG_ERR_OK);
	cr_assert_eq(kg_store_mutation_pending(st, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].id, m2.id);
	cr_assert_str_eq(v[0].last_error, "timed out");
	kg_mutations_free(&v, n);
	cr_assert_eq(kg_store_mutation_finish(st, m2.id, KG_MUT_FAILED, "HTTP 409"), KG_ERR_OK);
	cr_assert_eq(kg_store_mutation_pending(st, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM mutations WHERE state = 'failed' "
	                         "AND last_error = 'HTTP 409'"), 1);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM mutations WHERE state = 'done'"), 1);
	cr_assert_eq(kg_store_mutation_finish(st, 999, KG_MUT_DONE, NULL), KG_ERR_NOT_FOUND);
	cr_assert_eq(kg_store_mutation_finish(st, m1.id, (enum kg_mutation_state)7, NULL),
	             KG_ERR_BAD_INPUT);

	struct kg_mutation bad = m1;
	bad.idem_key = S("another");
	bad.body = NULL;
	cr_assert_eq(kg_store_mutation_add(st, &bad), KG_ERR_BAD_INPUT);
	kg_store_free(&st);
}

/* The finish, the cache row and the activity in one caller transaction. */
Test(store_log, mutation_done_with_activity_in_one_transaction)
{
	struct kg_store *st = open_ok();
	struct kg_mutation m = { .idem_key = S("k1"), .kind = S("add"), .path = S("/x"),
	                         .body = S("{}") };
	struct kg_activity a = { .id = S("act_1"), .action = KG_ACTION_ADD,
	                         .ticket_ref = S("INC1") };
	struct kg_mutation *v = NULL;
	size_t n = 0;

	cr_assert_eq(kg_store_mutation_add(st, &m), KG_ERR_OK);
	cr_assert_eq(kg_store_begin(st), KG_ERR_OK);
	cr_assert_eq(kg_store_add_activity(st, &a, NULL), KG_ERR_OK);
	cr_assert_eq(kg_store_mutation_finish(st, m.id, KG_MUT_DONE, NULL), KG_ERR_OK);
	kg_store_rollback(st);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity"), 0);
	cr_assert_eq(kg_store_mutation_pending(st, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	kg_mutations_free(&v, n);
	cr_assert_eq(kg_store_begin(st), KG_ERR_OK);
	cr_assert_eq(kg_store_add_activity(st, &a, NULL), KG_ERR_OK);
	cr_assert_eq(kg_store_mutation_finish(st, m.id, KG_MUT_DONE, NULL), KG_ERR_OK);
	cr_assert_eq(kg_store_commit(st), KG_ERR_OK);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity"), 1);
	cr_assert_eq(kg_store_mutation_pending(st, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);
	kg_store_free(&st);
}

/* ---- two processes ---- */

#define ROWS_PER_WRITER 500
/*
 * The writers start each round of rows together (a barrier through the
 * parent), so their transactions contend and interleave; without rounds
 * SQLite's busy handler, which is not fair, can let one writer finish all
 * its rows before the other gets a turn.
 */
#define ROUND 25

static int
writer(int who, int go_fd, int ready_fd)
{
	struct kg_store *st = NULL;
	char *cause = NULL, *dir = kg_xasprintf("%s/state", tmp), go;
	int rc = 1;

	/* both open at once too: creation and migration race */
	if (kg_store_open(dir, &st, &cause) != KG_ERR_OK) {
		fprintf(stderr, "writer %d: open: %s\n", who, cause);
		goto out;
	}
	for (int i = 0; i < ROWS_PER_WRITER; i++) {
		if (i % ROUND == 0 && (write(ready_fd, "r", 1) != 1 || read(go_fd, &go, 1) != 1))
			goto out;
		char *id = kg_xasprintf("act_%d_%d", who, i);
		char *sync = kg_xasprintf("sync-%d-%d", who, i);
		char *ticket = kg_xasprintf("INC%d", who);
		struct kg_activity a = { .id = id, .action = KG_ACTION_ADD, .ticket_ref = ticket };
		struct kg_outbox_item it = item_for(sync, ticket);
		int64_t rowid = 0;
		enum kg_err err;

		if (i % 10 == 0) {
			/* a grouped transaction now and then, as a finished mutation does */
			err = kg_store_begin(st);
			if (err == KG_ERR_OK)
				err = kg_store_add_activity(st, &a, &rowid);
			if (err == KG_ERR_OK)
				err = kg_store_kv_set(st, "last", id);
			err = err == KG_ERR_OK ? kg_store_commit(st) : err;
		} else {
			err = kg_store_add_activity(st, &a, &rowid);
		}
		if (err == KG_ERR_OK)
			err = kg_store_outbox_add(st, &it, &rowid, 1);
		free(id);
		free(sync);
		free(ticket);
		if (err != KG_ERR_OK) {
			fprintf(stderr, "writer %d row %d: %s: %s\n", who, i, kg_err_str(err),
			        kg_store_error(st));
			goto out;
		}
	}
	rc = 0;
out:
	kg_store_free(&st);
	free(cause);
	free(dir);
	return rc;
}

Test(store_log, two_processes_write_at_once, .timeout = 120)
{
	int go[2][2], ready[2][2];
	pid_t pid[2];
	struct kg_store *st;
	sqlite3_stmt *s;
	char c;

	for (int w = 0; w < 2; w++) {
		cr_assert_eq(pipe(go[w]), 0);
		cr_assert_eq(pipe(ready[w]), 0);
	}
	for (int w = 0; w < 2; w++) {
		pid[w] = fork();
		cr_assert_geq(pid[w], 0);
		if (pid[w] == 0) {
			/* keep only our own ends, so a dead peer or parent means EOF, not a hang */
			for (int o = 0; o < 2; o++) {
				if (o != w) {
					close(go[o][0]);
					close(ready[o][1]);
				}
				close(go[o][1]);
				close(ready[o][0]);
			}
			_exit(writer(w, go[w][0], ready[w][1]));
		}
	}
	for (int w = 0; w < 2; w++) {
		close(go[w][0]);
		close(ready[w][1]);
	}
	/* each round: wait until both are ready, then release both */
	for (int round = 0; round < ROWS_PER_WRITER / ROUND; round++) {
		for (int w = 0; w < 2; w++)
			cr_assert_eq(read(ready[w][0], &c, 1), 1, "writer %d died", w);
		for (int w = 0; w < 2; w++)
			cr_assert_eq(write(go[w][1], "g", 1), 1);
	}
	for (int w = 0; w < 2; w++) {
		close(go[w][1]);
		close(ready[w][0]);
	}
	for (int w = 0; w < 2; w++) {
		int status = 0;
		cr_assert_eq(waitpid(pid[w], &status, 0), pid[w]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed (%d)", w,
		          status);
	}
	st = open_ok();
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity"), 2 * ROWS_PER_WRITER);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM outbox"), 2 * ROWS_PER_WRITER);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity WHERE outbox_id IS NULL"), 0);
	cr_assert_eq(sql_int(st, "SELECT count(DISTINCT outbox_id) FROM activity"),
	             2 * ROWS_PER_WRITER);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM activity WHERE ticket_ref = 'INC0'"),
	             ROWS_PER_WRITER);
	/* interleaved: writer 1's rows are not all after writer 0's */
	cr_assert_lt(sql_int(st, "SELECT min(rowid) FROM activity WHERE ticket_ref = 'INC1'"),
	             sql_int(st, "SELECT max(rowid) FROM activity WHERE ticket_ref = 'INC0'"));
	cr_assert_eq(sqlite3_prepare_v2(kg_store_db(st), "PRAGMA integrity_check", -1, &s, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	cr_assert_eq(sql_int(st, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	kg_store_free(&st);
}

/* Several processes opening a database that does not exist yet, at once. */
Test(store_log, simultaneous_first_open, .timeout = 120)
{
	enum { PROCS = 4, ROUNDS = 8 };

	for (int r = 0; r < ROUNDS; r++) {
		char *dir = kg_xasprintf("%s/fresh%d/state", tmp, r);
		pid_t pid[PROCS];
		int go[2];
		struct kg_store *st = NULL;
		char *cause = NULL;

		cr_assert_eq(pipe(go), 0);
		for (int p = 0; p < PROCS; p++) {
			pid[p] = fork();
			cr_assert_geq(pid[p], 0);
			if (pid[p] == 0) {
				char c, key[32];
				int rc = 1;

				close(go[1]);
				if (read(go[0], &c, 1) == 1 &&
				    kg_store_open(dir, &st, &cause) == KG_ERR_OK) {
					/* keep writing while the others are still opening */
					rc = 0;
					for (int i = 0; i < 50 && rc == 0; i++) {
						snprintf(key, sizeof(key), "p%d.%d", p, i);
						if (kg_store_kv_set(st, key, "x") != KG_ERR_OK)
							rc = 2;
					}
				} else {
					fprintf(stderr, "open %d: %s\n", p, cause ? cause : "?");
				}
				kg_store_free(&st);
				free(cause);
				free(dir);
				_exit(rc);
			}
		}
		close(go[0]);
		cr_assert_eq(write(go[1], "gggg", PROCS), PROCS);
		close(go[1]);
		for (int p = 0; p < PROCS; p++) {
			int status = 0;
			cr_assert_eq(waitpid(pid[p], &status, 0), pid[p]);
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			          "round %d: process %d failed (%d)", r, p, status);
		}
		cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_OK, "%s", cause);
		cr_assert_eq(sql_int(st, "SELECT count(*) FROM kv"), PROCS * 50);
		cr_assert_eq(sql_int(st, "PRAGMA user_version"), kg_store_schema_version());
		kg_store_free(&st);
		free(dir);
	}
}
