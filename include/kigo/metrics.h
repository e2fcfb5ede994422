/*
 * metrics.h - the workflow's success metrics, recorded locally (issue 10).
 *
 * Per ticket session: launch, first paint, banner ready, first action,
 * summary sent, exit.  Per action: kind, outcome, latency.  Per summary:
 * attempts, outcome, time from queued to confirmed (from the outbox), and
 * duplicates avoided by the sync-id check.  Only counts, durations and
 * kinds: no customer data, no ticket numbers, no token ids.  Nothing leaves
 * the machine.
 */
#ifndef KIGO_METRICS_H
#define KIGO_METRICS_H

#include "kigo/common.h"
#include "kigo/model.h"

struct kg_store;
struct kg_metrics;

enum kg_metric_mark {
	KG_MARK_FIRST_PAINT,   /* the first full screen was drawn */
	KG_MARK_BANNER_READY,  /* the fresh ticket is on screen */
	KG_MARK_FIRST_ACTION,  /* the first action was applied */
	KG_MARK_RETURN_SENT,   /* the summary is confirmed in ServiceNow */
	KG_MARK_EXIT,          /* the client exits */
};

enum kg_action_outcome {
	KG_OUTCOME_APPLIED,    /* the backend applied it */
	KG_OUTCOME_REFUSED,    /* refused (validation, 4xx other than 412) */
	KG_OUTCOME_CONFLICT,   /* 412: someone else changed the token */
	KG_OUTCOME_FAILED,     /* transport or server failure */
};

/* Start a session's timeline now.  NULL (nothing recorded) when st is NULL. */
struct kg_metrics *kg_metrics_start(struct kg_store *st);
void kg_metrics_free(struct kg_metrics **m);
/* Record a mark once (later calls of the same mark are ignored). */
void kg_metrics_mark(struct kg_metrics *m, enum kg_metric_mark mark);
/* Record an action's outcome; err is the failure (KG_ERR_OK when applied). */
void kg_metrics_action(struct kg_metrics *m, enum kg_action kind, enum kg_action_outcome outcome,
                       enum kg_err err, int64_t latency_ms);
/* A summary was found already in ServiceNow by its sync id (no second send). */
void kg_metrics_duplicate_avoided(struct kg_store *st);

/* Median and 90th percentile of a set of durations (ms). */
struct kg_stat_dist {
	int64_t n;
	int64_t median;   /* -1 when n == 0 */
	int64_t p90;      /* -1 when n == 0 */
};

struct kg_stats {
	int64_t since;                    /* epoch seconds the figures start at (0 = all) */
	int64_t sessions;
	struct kg_stat_dist task_time;    /* launch -> summary sent */
	struct kg_stat_dist transition_in;  /* launch -> banner ready */
	struct kg_stat_dist transition_out; /* summary sent -> exit */
	struct kg_stat_dist first_paint;  /* launch -> first paint */
	struct kg_stat_dist action_latency;
	int64_t actions[KG_ACTION__UNKNOWN + 1][KG_OUTCOME_FAILED + 1]; /* by kind, outcome */
	int64_t summaries_queued;
	int64_t summaries_confirmed;
	int64_t summaries_pending;
	int64_t sync_attempts;
	int64_t duplicates_avoided;
	double sync_success_rate;         /* confirmed / queued, -1 when none */
	struct kg_stat_dist sync_time;    /* queued -> confirmed, ms */
};

/* Nearest-rank median and p90 of v (n values, reordered in place). */
void kg_stat_dist_of(int64_t *v, size_t n, struct kg_stat_dist *out);
/* Aggregate everything recorded at or after since (epoch seconds, 0 = all). */
enum kg_err kg_metrics_stats(struct kg_store *st, int64_t since, struct kg_stats *out,
                             char **cause);
/* "YYYY-MM-DD" (local midnight) or RFC 3339 to epoch seconds. */
enum kg_err kg_metrics_parse_since(const char *s, int64_t *out, char **cause);
const char *kg_action_outcome_str(enum kg_action_outcome o);

#endif
