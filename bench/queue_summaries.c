/*
 * queue_summaries - put N ServiceNow summaries in a state database's outbox
 * for the sync throughput figure (benchmark figure 9).  Nothing is sent.
 *
 *   queue_summaries CONFIG N
 *
 * Each summary is what an agent's return would queue: three activity rows
 * (a remove, a reissue, a dispute) on one of the fake ServiceNow's tickets
 * INC0010001, INC0010002, INC0010004 in turn (sys_id = md5 of the number,
 * as tests/fakes/servicenow_fake.py seeds them), stored with
 * kg_store_add_activity and queued with kg_outbox_queue, exactly as the
 * client does.  Prints "queued N".  Bench code only.
 */
#include "kigo/config.h"
#include "kigo/outbox.h"
#include "kigo/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *number, *sys_id;
} tickets[] = {
	{ "INC0010001", "0945e63cfb1064aee8687e7ffc34cba3" },
	{ "INC0010002", "dab13b28661251eb7a8eddb5d9d744a0" },
	{ "INC0010004", "467a29d8dcb720d63cbcf15c7b3f6d3c" },
};

static struct kg_token *
token(const char *id, enum kg_token_status status, const char *expires)
{
	struct kg_token *t = kg_xcalloc(1, sizeof(*t));

	t->id = kg_xstrdup(id);
	t->customer_id = kg_xstrdup("cus_8XK2");
	t->sku = kg_xstrdup("XB-5OFF");
	t->name = kg_xstrdup("$5 ExtraBucks");
	t->status = status;
	t->issued_at = kg_xstrdup("2026-11-01T10:00:00Z");
	t->expires_at = kg_xstrdup(expires);
	t->version = 2;
	return t;
}

static enum kg_err
queue_one(struct kg_store *st, const struct kg_config *cfg, int i, char **cause)
{
	static const enum kg_action acts[] = { KG_ACTION_REMOVE, KG_ACTION_REISSUE,
		                               KG_ACTION_DISPUTE };
	static const enum kg_token_status after[] = { KG_TOKEN_REMOVED, KG_TOKEN_ACTIVE,
		                                      KG_TOKEN_DISPUTED };
	const char *number = tickets[i % 3].number;
	struct kg_activity_row *rows = NULL;
	struct kg_ticket t = { 0 };
	size_t nrows = 0;
	enum kg_err err = KG_ERR_OK;

	for (size_t k = 0; k < KG_ARRAY_LEN(acts) && err == KG_ERR_OK; k++) {
		struct kg_activity a = { 0 };
		char id[64], tid[64];

		snprintf(id, sizeof(id), "act_bench_%d_%zu", i, k);
		snprintf(tid, sizeof(tid), "tok_B%05d%zu", i, k);
		a.id = kg_xstrdup(id);
		a.at = kg_xstrdup("2026-11-23T19:50:00Z");
		a.actor = kg_xstrdup("agent@cvs.example");
		a.action = acts[k];
		a.token_id = kg_xstrdup(tid);
		a.customer_id = kg_xstrdup("cus_8XK2");
		a.ticket_ref = kg_xstrdup(number);
		a.reason = kg_xstrdup("customer says it never arrived");
		a.before = token(tid, KG_TOKEN_ACTIVE, "2026-12-01");
		a.after = token(tid, after[k], "2027-01-15");
		err = kg_store_add_activity(st, &a, NULL);
		kg_activity_clear(&a);
	}
	if (err == KG_ERR_OK)
		err = kg_store_list_activity(st, number, true, &rows, &nrows);
	if (err == KG_ERR_OK) {
		t.number = (char *)number;
		t.sys_id = (char *)tickets[i % 3].sys_id;
		t.table = (char *)"incident";
		err = kg_outbox_queue(st, cfg, &t, rows, nrows, NULL, cause);
	} else {
		kg_set_cause(cause, "%s", kg_store_error(st));
	}
	kg_activity_rows_free(&rows, nrows);
	return err;
}

int
main(int argc, char **argv)
{
	struct kg_config cfg = { 0 };
	struct kg_store *st = NULL;
	char *cause = NULL;
	enum kg_err err;
	int n, i, rc = 1;

	if (argc != 3 || (n = (int)strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: queue_summaries CONFIG N\n");
		return 64;
	}
	err = kg_config_load(&cfg, argv[1], &cause);
	if (err == KG_ERR_OK)
		err = kg_store_open(cfg.state_dir, &st, &cause);
	for (i = 0; i < n && err == KG_ERR_OK; i++)
		err = queue_one(st, &cfg, i, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "queue_summaries: %s\n", cause ? cause : kg_err_str(err));
		goto out;
	}
	printf("queued %d\n", n);
	rc = 0;
out:
	kg_store_free(&st);
	kg_config_clear(&cfg);
	free(cause);
	return rc;
}
