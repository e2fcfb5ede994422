/*
 * cmd_stats.c - `kigo-tui stats [--since DATE] [--json]`: the workflow's
 * success metrics as a table or one JSON object.
 *
 * Reads the local state database only; never touches the network.
 */
#include "kigo/cmd.h"
#include "kigo/metrics.h"
#include "kigo/store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* 950ms, 4.2s, 3m12s, 1h05m */
static void
fmt_ms(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%" PRId64 "ms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000, (ms / 1000) % 60);
	else
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, (ms / 60000) % 60);
}

static void
print_dist(const char *label, const struct kg_stat_dist *d)
{
	char med[32], p90[32];

	fmt_ms(med, sizeof(med), d->median);
	fmt_ms(p90, sizeof(p90), d->p90);
	printf("  %-38s %9s %9s %6" PRId64 "\n", label, med, p90, d->n);
}

static json_object *
dist_json(const struct kg_stat_dist *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n", json_object_new_int64(d->n));
	json_object_object_add(o, "median_ms", d->n ? json_object_new_int64(d->median) : NULL);
	json_object_object_add(o, "p90_ms", d->n ? json_object_new_int64(d->p90) : NULL);
	return o;
}

static void
print_json(const struct kg_stats *s)
{
	json_object *root = json_object_new_object(), *sync, *acts, *kind;
	char since[32];
	time_t t = (time_t)s->since;
	struct tm tm;

	if (s->since > 0 && gmtime_r(&t, &tm) != NULL &&
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		json_object_object_add(root, "since", json_object_new_string(since));
	else
		json_object_object_add(root, "since", NULL);
	json_object_object_add(root, "sessions", json_object_new_int64(s->sessions));
	json_object_object_add(root, "time_on_task", dist_json(&s->task_time));
	json_object_object_add(root, "transition_in", dist_json(&s->transition_in));
	json_object_object_add(root, "transition_out", dist_json(&s->transition_out));
	json_object_object_add(root, "first_paint", dist_json(&s->first_paint));
	json_object_object_add(root, "action_latency", dist_json(&s->action_latency));
	sync = json_object_new_object();
	json_object_object_add(sync, "queued", json_object_new_int64(s->summaries_queued));
	json_object_object_add(sync, "confirmed", json_object_new_int64(s->summaries_confirmed));
	json_object_object_add(sync, "pending", json_object_new_int64(s->summaries_pending));
	json_object_object_add(sync, "attempts", json_object_new_int64(s->sync_attempts));
	json_object_object_add(sync, "duplicates_avoided",
	                       json_object_new_int64(s->duplicates_avoided));
	json_object_object_add(sync, "success_rate",
	                       s->sync_success_rate < 0 ? NULL
	                                                : json_object_new_double(s->sync_success_rate));
	json_object_object_add(sync, "time_to_confirm", dist_json(&s->sync_time));
	json_object_object_add(root, "sync", sync);
	acts = json_object_new_object();
	for (int k = 0; k < KG_ACTION__UNKNOWN; k++) {
		kind = json_object_new_object();
		for (int o = 0; o <= KG_OUTCOME_FAILED; o++)
			json_object_object_add(kind, kg_action_outcome_str((enum kg_action_outcome)o),
			                       json_object_new_int64(s->actions[k][o]));
		json_object_object_add(acts, kg_action_str((enum kg_action)k), kind);
	}
	json_object_object_add(root, "actions", acts);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void
print_table(const struct kg_stats *s, const char *since_arg)
{
	printf("kigo-tui stats, %s%s: %" PRId64 " ticket session(s)\n\n",
	       since_arg ? "since " : "all time", since_arg ? since_arg : "", s->sessions);
	printf("  %-38s %9s %9s %6s\n", "duration", "median", "p90", "n");
	print_dist("time on token tasks (launch->sent)", &s->task_time);
	print_dist("transition in (launch->banner ready)", &s->transition_in);
	print_dist("transition out (sent->exit)", &s->transition_out);
	print_dist("first paint (launch->screen)", &s->first_paint);
	print_dist("action latency (send->answer)", &s->action_latency);
	print_dist("summary queued->confirmed", &s->sync_time);
	printf("\n  sync to ServiceNow: %" PRId64 " queued, %" PRId64 " confirmed, %" PRId64
	       " pending, %" PRId64 " attempts, %" PRId64 " duplicates avoided",
	       s->summaries_queued, s->summaries_confirmed, s->summaries_pending, s->sync_attempts,
	       s->duplicates_avoided);
	if (s->sync_success_rate >= 0)
		printf("; success rate %.1f%%\n", s->sync_success_rate * 100.0);
	else
		printf("; success rate -\n");
	printf("\n  %-18s %8s %8s %8s %8s\n", "actions", "applied", "refused", "conflict", "failed");
	for (int k = 0; k < KG_ACTION__UNKNOWN; k++)
		printf("  %-18s %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 "\n",
		       kg_action_label((enum kg_action)k), s->actions[k][KG_OUTCOME_APPLIED],
		       s->actions[k][KG_OUTCOME_REFUSED], s->actions[k][KG_OUTCOME_CONFLICT],
		       s->actions[k][KG_OUTCOME_FAILED]);
}

int
kg_cmd_stats(const struct kg_cli *cli, const struct kg_config *cfg)
{
	struct kg_store *st = NULL;
	struct kg_stats stats;
	int64_t since = 0;
	char *cause = NULL;
	enum kg_err err;
	int rc = KG_EXIT_OK;

	if (cli->since != NULL) {
		err = kg_metrics_parse_since(cli->since, &since, &cause);
		if (err != KG_ERR_OK)
			goto fail;
	}
	err = kg_store_open(cfg->state_dir, &st, &cause);
	if (err != KG_ERR_OK)
		goto fail;
	err = kg_metrics_stats(st, since, &stats, &cause);
	if (err != KG_ERR_OK)
		goto fail;
	if (cli->json)
		print_json(&stats);
	else
		print_table(&stats, cli->since);
	goto out;
fail:
	fprintf(stderr, "kigo-tui: stats: %s\n", cause ? cause : kg_err_str(err));
	rc = kg_err_exit(err);
out:
	free(cause);
	kg_store_free(&st);
	return rc;
}
