/* Aggregation of the workflow metrics (issue 10): empty, one, many, --since. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kigo/metrics.h"
#include "kigo/store.h"

static char dir[64];
static struct kg_store *st;

static void
setup(void)
{
	char *cause = NULL;

	snprintf(dir, sizeof(dir), "/tmp/kg-metrics-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(kg_store_open(dir, &st, &cause), KG_ERR_OK, "%s", cause ? cause : "");
}

static void
teardown(void)
{
	char *cmd;

	kg_store_free(&st);
	cmd = kg_xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static void
sql(const char *q)
{
	char *err = NULL;

	cr_assert_eq(sqlite3_exec(kg_store_db(st), q, NULL, NULL, &err), SQLITE_OK, "%s", err);
}

TestSuite(metrics, .init = setup, .fini = teardown);

Test(metrics, dist_of_degenerate)
{
	struct kg_stat_dist d;
	int64_t one[] = { 42 };
	int64_t ten[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };

	kg_stat_dist_of(NULL, 0, &d);
	cr_assert_eq(d.n, 0);
	cr_assert_eq(d.median, -1);
	cr_assert_eq(d.p90, -1);
	kg_stat_dist_of(one, 1, &d);
	cr_assert_eq(d.median, 42);
	cr_assert_eq(d.p90, 42);
	kg_stat_dist_of(ten, 10, &d);
	cr_assert_eq(d.median, 5);
	cr_assert_eq(d.p90, 9);
}

Test(metrics, empty_database)
{
	struct kg_stats s;

	cr_assert_eq(kg_metrics_stats(st, 0, &s, NULL), KG_ERR_OK);
	cr_assert_eq(s.sessions, 0);
	cr_assert_eq(s.task_time.n, 0);
	cr_assert_eq(s.task_time.median, -1);
	cr_assert(s.sync_success_rate < 0);
	cr_assert_eq(s.actions[KG_ACTION_ADD][KG_OUTCOME_APPLIED], 0);
}

Test(metrics, one_recorded_session)
{
	struct kg_metrics *m = kg_metrics_start(st);
	struct kg_stats s;

	cr_assert_not_null(m);
	kg_metrics_mark(m, KG_MARK_FIRST_PAINT);
	kg_metrics_mark(m, KG_MARK_BANNER_READY);
	kg_metrics_action(m, KG_ACTION_ADD, KG_OUTCOME_APPLIED, KG_ERR_OK, 120);
	kg_metrics_action(m, KG_ACTION_REMOVE, KG_OUTCOME_CONFLICT, KG_ERR_PRECONDITION, 80);
	kg_metrics_action(m, KG_ACTION_DISPUTE, KG_OUTCOME_REFUSED, KG_ERR_BAD_INPUT, 0);
	kg_metrics_mark(m, KG_MARK_RETURN_SENT);
	kg_metrics_mark(m, KG_MARK_EXIT);
	kg_metrics_mark(m, KG_MARK_EXIT); /* a second mark is ignored */
	kg_metrics_duplicate_avoided(st);
	kg_metrics_free(&m);

	cr_assert_eq(kg_metrics_stats(st, 0, &s, NULL), KG_ERR_OK);
	cr_assert_eq(s.sessions, 1);
	cr_assert_eq(s.first_paint.n, 1);
	cr_assert_eq(s.transition_in.n, 1);
	cr_assert_eq(s.task_time.n, 1);
	cr_assert_eq(s.transition_out.n, 1);
	cr_assert_geq(s.transition_out.median, 0);
	cr_assert_eq(s.actions[KG_ACTION_ADD][KG_OUTCOME_APPLIED], 1);
	cr_assert_eq(s.actions[KG_ACTION_REMOVE][KG_OUTCOME_CONFLICT], 1);
	cr_assert_eq(s.actions[KG_ACTION_DISPUTE][KG_OUTCOME_REFUSED], 1);
	cr_assert_eq(s.action_latency.n, 3);
	cr_assert_eq(s.action_latency.median, 80);
	cr_assert_eq(s.duplicates_avoided, 1);
}

Test(metrics, no_customer_data_in_metric_tables)
{
	struct kg_metrics *m = kg_metrics_start(st);
	sqlite3_stmt *q;

	kg_metrics_action(m, KG_ACTION_REISSUE, KG_OUTCOME_APPLIED, KG_ERR_OK, 5);
	kg_metrics_free(&m);
	cr_assert_eq(sqlite3_prepare_v2(kg_store_db(st), "SELECT * FROM metric_actions", -1, &q,
	                                NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	/* id, session_id, at, kind, outcome, error, latency: nothing else */
	cr_assert_eq(sqlite3_column_count(q), 7);
	sqlite3_finalize(q);
}

Test(metrics, many_sessions_percentiles_and_sync_rate)
{
	struct kg_stats s;
	char *q;

	/* 10 sessions: task time 1..10 s, banner at 100..1000 ms */
	for (int i = 1; i <= 10; i++) {
		q = kg_xasprintf("INSERT INTO metric_sessions(started_at, banner_ready_ms,"
		                 " return_sent_ms, exit_ms) VALUES (%d000, %d00, %d000, %d500)",
		                 1700000000 + i, i, i, i);
		sql(q);
		free(q);
	}
	/* 4 summaries: 3 confirmed (after 2, 4, 6 s), 1 pending */
	sql("INSERT INTO outbox(sync_id, ticket_ref, tbl, sys_id, journal_field, text, state,"
	    " attempts, created_at, sent_at) VALUES"
	    " ('a', 'INC1', 'incident', 'x', 'work_notes', 't', 'sent', 1, 1700000000, 1700000002),"
	    " ('b', 'INC1', 'incident', 'x', 'work_notes', 't', 'sent', 2, 1700000000, 1700000004),"
	    " ('c', 'INC1', 'incident', 'x', 'work_notes', 't', 'sent', 1, 1700000000, 1700000006),"
	    " ('d', 'INC1', 'incident', 'x', 'work_notes', 't', 'pending', 3, 1700000000, 0)");
	cr_assert_eq(kg_metrics_stats(st, 0, &s, NULL), KG_ERR_OK);
	cr_assert_eq(s.sessions, 10);
	cr_assert_eq(s.task_time.median, 5000);
	cr_assert_eq(s.task_time.p90, 9000);
	cr_assert_eq(s.transition_in.median, 500);
	cr_assert_eq(s.transition_out.median, 500);
	cr_assert_eq(s.summaries_queued, 4);
	cr_assert_eq(s.summaries_confirmed, 3);
	cr_assert_eq(s.summaries_pending, 1);
	cr_assert_eq(s.sync_attempts, 7);
	cr_assert_float_eq(s.sync_success_rate, 0.75, 1e-9);
	cr_assert_eq(s.sync_time.median, 4000);
}

Test(metrics, since_boundaries)
{
	struct kg_stats s;

	sql("INSERT INTO metric_sessions(started_at, return_sent_ms) VALUES"
	    " (1699999999999, 1000), (1700000000000, 2000), (1700000000001, 3000)");
	cr_assert_eq(kg_metrics_stats(st, 1700000000, &s, NULL), KG_ERR_OK);
	cr_assert_eq(s.sessions, 2, "a session exactly at --since counts, one a ms before does not");
	cr_assert_eq(s.task_time.median, 2000);
	cr_assert_eq(kg_metrics_stats(st, 1700000001, &s, NULL), KG_ERR_OK);
	cr_assert_eq(s.sessions, 0);
}

Test(metrics, parse_since)
{
	int64_t t;
	char *cause = NULL;

	cr_assert_eq(kg_metrics_parse_since("2026-11-01T09:00:00Z", &t, NULL), KG_ERR_OK);
	cr_assert_eq(t, 1793523600);
	setenv("TZ", "UTC", 1);
	cr_assert_eq(kg_metrics_parse_since("2026-11-01", &t, NULL), KG_ERR_OK);
	cr_assert_eq(t, 1793491200);
	cr_assert_eq(kg_metrics_parse_since("yesterday", &t, &cause), KG_ERR_USAGE);
	cr_assert_not_null(strstr(cause, "YYYY-MM-DD"));
	free(cause);
	cr_assert_eq(kg_metrics_parse_since(NULL, &t, NULL), KG_ERR_USAGE);
}
