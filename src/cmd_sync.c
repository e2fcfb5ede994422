/*
 * cmd_sync.c - `kigo-tui sync`: send the ServiceNow summaries still in the
 * outbox, now.
 *
 * Exit 0 when nothing is left pending; 75 with one sentence per item that
 * is still pending and why (78 when the configuration keeps it from even
 * trying).  It never drops an item: whatever happens, an unconfirmed item
 * stays in the outbox for the next run.  Server text in the sentences is
 * sanitized before it is printed.
 */
#include "kigo/cmd.h"

#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/outbox.h"
#include "kigo/sanitize.h"
#include "kigo/sn.h"
#include "kigo/store.h"


#include <stdio.h>
#include <stdlib.h>

struct sync_run {
	bool done;
	size_t sent;
	size_t pending;
};

static void
print_sentence(FILE *fp, const char *msg)
{
	char *clean = kg_sanitize_str(msg);

	fprintf(fp, "%s\n", clean);
	free(clean);
}

static void
on_item(const struct kg_outbox_item *item, enum kg_err err, const char *message, void *ud)
{
	(void)item;
	(void)ud;
	print_sentence(err == KG_ERR_OK ? stdout : stderr, message);
}

static void
on_done(size_t sent, size_t pending, void *ud)
{
	struct sync_run *run = ud;

	run->sent = sent;
	run->pending = pending;
	run->done = true;
}

static bool
run_done(void *ud)
{
	return ((struct sync_run *)ud)->done;
}

/* Nothing could be tried: say so for each pending item. */
static void
report_untried(struct kg_store *st, const char *why)
{
	struct kg_outbox_item *v = NULL;
	size_t n = 0, i;
	char *msg;

	if (kg_store_outbox_pending(st, NULL, &v, &n) != KG_ERR_OK) {
		print_sentence(stderr, why);
		return;
	}
	for (i = 0; i < n; i++) {
		msg = kg_xasprintf("The summary for %s (sync id %s) is still pending: %s",
		                   v[i].ticket_ref, v[i].sync_id, why);
		print_sentence(stderr, msg);
		free(msg);
	}
	kg_outbox_items_free(&v, n);
}

int
kg_cmd_sync(const struct kg_cli *cli, const struct kg_config *cfg)
{
	struct kg_store *st = NULL;
	struct kg_loop *loop = NULL;
	struct kg_http *http = NULL;
	struct kg_auth *auth = NULL;
	struct kg_sn *sn = NULL;
	struct kg_outbox_flush *flush;
	struct kg_http_opts opts = {0};
	struct sync_run run = {0};
	char *cause = NULL, *why;
	int64_t npending = 0;
	enum kg_err err;
	int rc = KG_EXIT_TEMPFAIL;

	if (kg_log_open(NULL, cli->verbose, &cause) != KG_ERR_OK)
		kg_free(&cause);
	err = kg_store_open(cfg->state_dir, &st, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: sync: the local database could not be opened: %s\n",
		        cause != NULL ? cause : kg_err_str(err));
		rc = kg_err_exit(err);
		goto out;
	}
	err = kg_store_outbox_count_pending(st, &npending);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: sync: the outbox could not be read (%s)\n",
		        kg_err_str(err));
		rc = kg_err_exit(err);
		goto out;
	}
	if (npending == 0) {
		puts("Nothing to send: every summary is already in ServiceNow.");
		rc = KG_EXIT_OK;
		goto out;
	}

	loop = kg_loop_new();
	opts.ca_bundle = cfg->tls_ca_bundle;
	http = kg_http_new(loop, &opts, &cause);
	if (http == NULL) {
		why = kg_xasprintf("HTTPS could not be set up (%s).", cause);
		report_untried(st, why);
		free(why);
		goto out;
	}
	if (cfg->sn_auth == KG_SN_AUTH_OKTA) {
		err = kg_auth_new(loop, http, cfg, &auth, &cause);
		if (err == KG_ERR_OK && !kg_auth_logged_in(auth)) {
			err = KG_ERR_UNAUTHORIZED;
			kg_set_cause(&cause, "you are not logged in to Okta; run 'kigo-tui login', "
			                     "then 'kigo-tui sync'.");
		}
		if (err != KG_ERR_OK) {
			report_untried(st, cause);
			if (err == KG_ERR_CONFIG)
				rc = KG_EXIT_CONFIG;
			goto out;
		}
	}
	err = kg_sn_new(http, auth, cfg, &sn, &cause);
	if (err != KG_ERR_OK) {
		report_untried(st, cause);
		if (err == KG_ERR_CONFIG)
			rc = KG_EXIT_CONFIG;
		goto out;
	}
	flush = kg_outbox_flush(loop, sn, st, NULL, on_item, on_done, &run, &cause);
	if (flush == NULL) {
		fprintf(stderr, "kigo-tui: sync: %s\n", cause);
		rc = KG_EXIT_IOERR;
		goto out;
	}
	kg_loop_run(loop, run_done, &run);
	if (!run.done) {
		kg_outbox_flush_cancel(&flush);
		report_untried(st, "sync was interrupted before it finished.");
		goto out;
	}
	if (run.pending > 0) {
		fprintf(stderr, "%zu summar%s still pending; they stay queued and the next "
		                "'kigo-tui sync' or start sends them.\n",
		        run.pending, run.pending == 1 ? "y is" : "ies are");
		rc = KG_EXIT_TEMPFAIL;
	} else {
		rc = KG_EXIT_OK;
	}
out:
	kg_sn_free(&sn);
	kg_auth_free(&auth);
	kg_http_free(&http);
	kg_loop_free(&loop);
	kg_store_free(&st);
	free(cause);
	kg_log_close();
	return rc;
}
