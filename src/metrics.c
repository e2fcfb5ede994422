/*
 * metrics.c - record and aggregate the workflow's success metrics.
 *
 * Writes go to three small tables of the state database (migration 3 in
 * store.c); summary figures come from the outbox itself.  Recording is best
 * effort: a failed metrics write is logged and never disturbs the agent's
 * work.  Must never record customer data, ticket numbers or token ids.
 */
#include "kigo/metrics.h"

#include "kigo/log.h"
#include "kigo/store.h"

#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kg_metrics {
	struct kg_store *st;
	int64_t session_id;   /* metric_sessions row */
	int64_t start_ms;     /* monotonic ms at launch */
	unsigned marked;      /* bit per enum kg_metric_mark already recorded */
};

static const char *const mark_cols[] = {
	[KG_MARK_FIRST_PAINT] = "first_paint_ms",
	[KG_MARK_BANNER_READY] = "banner_ready_ms",
	[KG_MARK_FIRST_ACTION] = "first_action_ms",
	[KG_MARK_RETURN_SENT] = "return_sent_ms",
	[KG_MARK_EXIT] = "exit_ms",
};

static const char *const outcome_names[] = {
	[KG_OUTCOME_APPLIED] = "applied",
	[KG_OUTCOME_REFUSED] = "refused",
	[KG_OUTCOME_CONFLICT] = "conflict",
	[KG_OUTCOME_FAILED] = "failed",
};

const char *
kg_action_outcome_str(enum kg_action_outcome o)
{
	return (unsigned)o < KG_ARRAY_LEN(outcome_names) ? outcome_names[o] : "unknown";
}

/* Run one statement with up to three integer/text parameters; logs failures. */
static bool
exec(struct kg_store *st, const char *sql, int nint, const int64_t *ints, const char *text)
{
	sqlite3 *db = kg_store_db(st);
	sqlite3_stmt *s = NULL;
	bool ok = false;
	int i;

	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	for (i = 0; i < nint; i++)
		sqlite3_bind_int64(s, i + 1, ints[i]);
	if (text != NULL)
		sqlite3_bind_text(s, nint + 1, text, -1, SQLITE_TRANSIENT);
	ok = sqlite3_step(s) == SQLITE_DONE;
out:
	if (!ok)
		kg_log_warn("metrics: %s", db ? sqlite3_errmsg(db) : "no database");
	sqlite3_finalize(s);
	return ok;
}

struct kg_metrics *
kg_metrics_start(struct kg_store *st)
{
	struct kg_metrics *m;
	int64_t now = (int64_t)g_get_real_time() / 1000;

	if (st == NULL)
		return NULL;
	m = kg_xcalloc(1, sizeof(*m));
	m->st = st;
	m->start_ms = kg_now_ms();
	if (exec(st, "INSERT INTO metric_sessions(started_at) VALUES (?1)", 1, &now, NULL))
		m->session_id = sqlite3_last_insert_rowid(kg_store_db(st));
	return m;
}

void
kg_metrics_free(struct kg_metrics **m)
{
	kg_free(m);
}

void
kg_metrics_mark(struct kg_metrics *m, enum kg_metric_mark mark)
{
	int64_t args[2];
	char *sql;

	if (m == NULL || m->session_id == 0 || (unsigned)mark >= KG_ARRAY_LEN(mark_cols) ||
	    (m->marked & (1u << mark)))
		return;
	m->marked |= 1u << mark;
	args[0] = kg_now_ms() - m->start_ms;
	args[1] = m->session_id;
	sql = kg_xasprintf("UPDATE metric_sessions SET %s = ?1 WHERE id = ?2 AND %s IS NULL",
	                   mark_cols[mark], mark_cols[mark]);
	exec(m->st, sql, 2, args, NULL);
	free(sql);
}

void
kg_metrics_action(struct kg_metrics *m, enum kg_action kind, enum kg_action_outcome outcome,
                  enum kg_err err, int64_t latency_ms)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;

	if (m == NULL || (db = kg_store_db(m->st)) == NULL)
		return;
	/* kind, outcome and the error's name only: nothing about the customer */
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO metric_actions(session_id, at, latency_ms, kind, outcome,"
	                       " error) VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6)",
	                       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, m->session_id);
		sqlite3_bind_int64(s, 2, (int64_t)g_get_real_time() / 1000);
		sqlite3_bind_int64(s, 3, latency_ms < 0 ? 0 : latency_ms);
		sqlite3_bind_text(s, 4, kg_action_str(kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, kg_action_outcome_str(outcome), -1, SQLITE_STATIC);
		if (err != KG_ERR_OK)
			sqlite3_bind_text(s, 6, kg_err_str(err), -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			kg_log_warn("metrics: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	if (outcome == KG_OUTCOME_APPLIED)
		kg_metrics_mark(m, KG_MARK_FIRST_ACTION);
}

void
kg_metrics_duplicate_avoided(struct kg_store *st)
{
	int64_t now = (int64_t)g_get_real_time() / 1000;

	if (st != NULL)
		exec(st, "INSERT INTO metric_events(at, name) VALUES (?1, ?2)", 1, &now,
		     "sync_duplicate_avoided");
}

/* ---- aggregation ---- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of the values at or below it. */
static int64_t
rank(const int64_t *sorted, size_t n, unsigned p)
{
	size_t r = (size_t)(((uint64_t)p * n + 99) / 100);

	return sorted[r == 0 ? 0 : r - 1];
}

void
kg_stat_dist_of(int64_t *v, size_t n, struct kg_stat_dist *out)
{
	out->n = (int64_t)n;
	out->median = out->p90 = -1;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	out->median = rank(v, n, 50);
	out->p90 = rank(v, n, 90);
}

/* Collect one integer column of a query with one bound integer into a distribution. */
static bool
dist_query(sqlite3 *db, const char *sql, int64_t since_ms, struct kg_stat_dist *out)
{
	sqlite3_stmt *s = NULL;
	int64_t *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(s, 1, since_ms);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = kg_xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	kg_stat_dist_of(v, n, out);
	free(v);
	return rc == SQLITE_DONE;
}

static bool
count_query(sqlite3 *db, const char *sql, int64_t since, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	bool ok;

	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(s, 1, since);
	ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ok;
}

enum kg_err
kg_metrics_stats(struct kg_store *st, int64_t since, struct kg_stats *out, char **cause)
{
	sqlite3 *db = kg_store_db(st);
	sqlite3_stmt *s = NULL;
	int64_t since_ms = since * 1000;
	bool ok = true;

	memset(out, 0, sizeof(*out));
	out->since = since;
	out->sync_success_rate = -1;
	if (db == NULL) {
		kg_set_cause(cause, "no database");
		return KG_ERR_STORE;
	}
	ok &= count_query(db, "SELECT count(*) FROM metric_sessions WHERE started_at >= ?1",
	                  since_ms, &out->sessions);
	ok &= dist_query(db, "SELECT return_sent_ms FROM metric_sessions WHERE started_at >= ?1"
	                     " AND return_sent_ms IS NOT NULL", since_ms, &out->task_time);
	ok &= dist_query(db, "SELECT banner_ready_ms FROM metric_sessions WHERE started_at >= ?1"
	                     " AND banner_ready_ms IS NOT NULL", since_ms, &out->transition_in);
	ok &= dist_query(db, "SELECT exit_ms - return_sent_ms FROM metric_sessions"
	                     " WHERE started_at >= ?1 AND exit_ms IS NOT NULL"
	                     " AND return_sent_ms IS NOT NULL", since_ms, &out->transition_out);
	ok &= dist_query(db, "SELECT first_paint_ms FROM metric_sessions WHERE started_at >= ?1"
	                     " AND first_paint_ms IS NOT NULL", since_ms, &out->first_paint);
	ok &= dist_query(db, "SELECT latency_ms FROM metric_actions WHERE at >= ?1", since_ms,
	                 &out->action_latency);
	if (sqlite3_prepare_v2(db, "SELECT kind, outcome, count(*) FROM metric_actions"
	                           " WHERE at >= ?1 GROUP BY kind, outcome", -1, &s, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(s, 1, since_ms);
		while (sqlite3_step(s) == SQLITE_ROW) {
			enum kg_action k = kg_action_parse((const char *)sqlite3_column_text(s, 0));
			const char *o = (const char *)sqlite3_column_text(s, 1);
			for (size_t i = 0; i < KG_ARRAY_LEN(outcome_names); i++)
				if (o != NULL && strcmp(o, outcome_names[i]) == 0)
					out->actions[k][i] += sqlite3_column_int64(s, 2);
		}
		sqlite3_finalize(s);
	} else {
		ok = false;
	}
	/* summaries: the outbox is the record (created_at/sent_at are seconds) */
	ok &= count_query(db, "SELECT count(*) FROM outbox WHERE created_at >= ?1", since,
	                  &out->summaries_queued);
	ok &= count_query(db, "SELECT count(*) FROM outbox WHERE created_at >= ?1"
	                      " AND state = 'sent'", since, &out->summaries_confirmed);
	ok &= count_query(db, "SELECT count(*) FROM outbox WHERE created_at >= ?1"
	                      " AND state = 'pending'", since, &out->summaries_pending);
	ok &= count_query(db, "SELECT coalesce(sum(attempts), 0) FROM outbox"
	                      " WHERE created_at >= ?1", since, &out->sync_attempts);
	ok &= count_query(db, "SELECT count(*) FROM metric_events WHERE at >= ?1"
	                      " AND name = 'sync_duplicate_avoided'", since_ms,
	                  &out->duplicates_avoided);
	ok &= dist_query(db, "SELECT (sent_at - created_at) * 1000 FROM outbox"
	                     " WHERE created_at >= ?1 AND state = 'sent'", since, &out->sync_time);
	if (out->summaries_queued > 0)
		out->sync_success_rate =
		    (double)out->summaries_confirmed / (double)out->summaries_queued;
	if (!ok) {
		kg_set_cause(cause, "reading the metrics failed: %s", sqlite3_errmsg(db));
		return KG_ERR_STORE;
	}
	return KG_ERR_OK;
}

enum kg_err
kg_metrics_parse_since(const char *s, int64_t *out, char **cause)
{
	GDateTime *dt = NULL;
	GTimeZone *tz;
	int y, mo, d;
	char tail;

	if (s != NULL && sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3 && strlen(s) == 10) {
		tz = g_time_zone_new_local();
		dt = g_date_time_new(tz, y, mo, d, 0, 0, 0);
		g_time_zone_unref(tz);
	} else if (s != NULL) {
		dt = g_date_time_new_from_iso8601(s, NULL);
	}
	if (dt == NULL) {
		kg_set_cause(cause, "--since wants a date YYYY-MM-DD or an RFC 3339 time such as "
		                    "2026-11-01T09:00:00Z");
		return KG_ERR_USAGE;
	}
	*out = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return KG_ERR_OK;
}
