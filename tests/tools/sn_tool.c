/*
 * sn_tool.c - drive the ServiceNow client and the outbox from integration
 * tests (tests/integration/test_sn_*.py).  Test code only.
 *
 *   sn_tool CONFIG ticket NUMBER|SYS_ID   fetch; prints key=value lines
 *   sn_tool CONFIG user SYS_ID            fetch the caller
 *   sn_tool CONFIG queue NUMBER SYS_ID N  store N activity rows for the
 *                                         ticket and queue their summary;
 *                                         prints sync_id=... (nothing sent)
 *   sn_tool CONFIG flush                  flush the outbox in-process
 *
 * Exit: 0 success, else the exit status of the error (kg_err_exit).
 * On error the first line is "err=NAME" and the second "message=...".
 */
#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/outbox.h"
#include "kigo/sn.h"
#include "kigo/store.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_names[] = {
#define X(name, code, msg) #name,
	KG_ERR_LIST(X)
#undef X
};

struct tool {
	struct kg_loop *loop;
	struct kg_http *http;
	struct kg_auth *auth;      /* servicenow.auth = okta only */
	struct kg_sn *sn;
	bool done;
	int rc;
};

static void
print_err(enum kg_err err, const char *message)
{
	printf("err=%s\nmessage=%s\n", err_names[err], message != NULL ? message : "");
}

static void
kv(const char *k, const char *v)
{
	printf("%s=%s\n", k, v != NULL ? v : "");
}

static void
on_ticket(enum kg_err err, const struct kg_ticket *t, const struct kg_user *caller,
          const char *message, void *ud)
{
	struct tool *tl = ud;

	tl->done = true;
	tl->rc = kg_err_exit(err);
	if (err != KG_ERR_OK) {
		print_err(err, message);
		return;
	}
	printf("err=OK\n");
	kv("number", t->number);
	kv("sys_id", t->sys_id);
	kv("table", t->table);
	kv("short_description", t->short_description);
	kv("state", t->state);
	kv("state_label", t->state_label);
	kv("priority", t->priority);
	kv("priority_label", t->priority_label);
	kv("caller_id", t->caller_id);
	kv("caller_name", t->caller_name);
	kv("assigned_to", t->assigned_to);
	kv("assigned_to_name", t->assigned_to_name);
	kv("updated_on", t->updated_on);
	/* read along with the ticket (dot-walked); absent: a sys_user request is needed */
	kv("caller_read", caller != NULL ? "yes" : "no");
	if (caller != NULL) {
		kv("caller_email", caller->email);
		kv("caller_phone", caller->phone);
	}
}

static void
on_user(enum kg_err err, const struct kg_user *u, const char *message, void *ud)
{
	struct tool *tl = ud;

	tl->done = true;
	tl->rc = kg_err_exit(err);
	if (err != KG_ERR_OK) {
		print_err(err, message);
		return;
	}
	printf("err=OK\n");
	kv("sys_id", u->sys_id);
	kv("name", u->name);
	kv("email", u->email);
	kv("phone", u->phone);
}

static void
on_item(const struct kg_outbox_item *item, enum kg_err err, const char *message, void *ud)
{
	(void)ud;
	printf("item=%s err=%s message=%s\n", item->sync_id, err_names[err], message);
}

static void
on_flushed(size_t sent, size_t pending, void *ud)
{
	struct tool *tl = ud;

	printf("sent=%zu pending=%zu\n", sent, pending);
	tl->done = true;
	tl->rc = pending == 0 ? 0 : 75;
}

static bool
is_done(void *ud)
{
	return ((struct tool *)ud)->done;
}

static struct kg_token *
token(const char *id, enum kg_token_status st, const char *exp)
{
	struct kg_token *t = kg_xcalloc(1, sizeof(*t));

	t->id = kg_xstrdup(id);
	t->customer_id = kg_xstrdup("cus_8XK2");
	t->sku = kg_xstrdup("XB-5OFF");
	t->name = kg_xstrdup("$5 ExtraBucks");
	t->status = st;
	t->expires_at = kg_xstrdup(exp);
	t->version = 2;
	return t;
}

/* N remove actions on the ticket, then their summary in the outbox. */
static int
queue(const struct kg_config *cfg, const char *number, const char *sys_id, int n)
{
	struct kg_store *st = NULL;
	struct kg_activity_row *rows = NULL;
	struct kg_outbox_item *item = NULL;
	struct kg_ticket t = {0};
	size_t nrows = 0;
	char *cause = NULL;
	enum kg_err err;
	int i, rc = 0;

	err = kg_store_open(cfg->state_dir, &st, &cause);
	if (err != KG_ERR_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		struct kg_activity a = {0};
		char id[64], tid[64];

		snprintf(id, sizeof(id), "act_%s_%d_%lld", number, i, (long long)kg_now_ms());
		snprintf(tid, sizeof(tid), "tok_%d", i + 1);
		a.id = kg_xstrdup(id);
		a.at = kg_xstrdup("2026-11-23T19:50:00Z");
		a.actor = kg_xstrdup("agent@cvs.example");
		a.action = KG_ACTION_REMOVE;
		a.token_id = kg_xstrdup(tid);
		a.customer_id = kg_xstrdup("cus_8XK2");
		a.ticket_ref = kg_xstrdup(number);
		a.reason = kg_xstrdup("duplicate token");
		a.before = token(tid, KG_TOKEN_ACTIVE, "2026-12-01");
		a.after = token(tid, KG_TOKEN_REMOVED, "2026-12-01");
		err = kg_store_add_activity(st, &a, NULL);
		kg_activity_clear(&a);
		if (err != KG_ERR_OK)
			goto fail;
	}
	err = kg_store_list_activity(st, number, true, &rows, &nrows);
	if (err != KG_ERR_OK)
		goto fail;
	t.number = (char *)number;
	t.sys_id = (char *)sys_id;
	err = kg_outbox_queue(st, cfg, &t, rows, nrows, &item, &cause);
	if (err != KG_ERR_OK)
		goto fail;
	printf("sync_id=%s\noutbox_id=%lld\n", item->sync_id, (long long)item->id);
	goto out;
fail:
	print_err(err, cause);
	rc = kg_err_exit(err);
out:
	kg_outbox_items_free(&item, 1);
	kg_activity_rows_free(&rows, nrows);
	kg_store_free(&st);
	free(cause);
	return rc;
}

int
main(int argc, char **argv)
{
	struct kg_config cfg = {0};
	struct tool tl = {0};
	struct kg_http_opts opts = {0};
	struct kg_store *st = NULL;
	struct kg_outbox_flush *fl = NULL;
	char *cause = NULL;
	enum kg_err err;
	uint64_t id = 1;
	int rc = 70;

	if (argc < 3) {
		fputs("usage: sn_tool CONFIG ticket|user|queue|flush ...\n", stderr);
		return 64;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	kg_log_open(NULL, getenv("SN_TOOL_VERBOSE") ? 2 : 0, &cause);
	err = kg_config_load(&cfg, argv[1], &cause);
	if (err != KG_ERR_OK) {
		print_err(err, cause);
		rc = kg_err_exit(err);
		goto out;
	}
	if (strcmp(argv[2], "queue") == 0 && argc == 6) {
		rc = queue(&cfg, argv[3], argv[4], (int)strtol(argv[5], NULL, 10));
		goto out;
	}
	tl.loop = kg_loop_new();
	opts.ca_bundle = cfg.tls_ca_bundle;
	if (getenv("SN_TOOL_TIMEOUT_MS") != NULL)
		opts.timeout_ms = strtol(getenv("SN_TOOL_TIMEOUT_MS"), NULL, 10);
	opts.backoff_base_ms = 50;
	tl.http = kg_http_new(tl.loop, &opts, &cause);
	if (tl.http == NULL) {
		print_err(KG_ERR_NETWORK, cause);
		goto out;
	}
	if (cfg.sn_auth == KG_SN_AUTH_OKTA) {
		err = kg_auth_new(tl.loop, tl.http, &cfg, &tl.auth, &cause);
		if (err != KG_ERR_OK) {
			print_err(err, cause);
			rc = kg_err_exit(err);
			goto out;
		}
	}
	err = kg_sn_new(tl.http, tl.auth, &cfg, &tl.sn, &cause);
	if (err != KG_ERR_OK) {
		print_err(err, cause);
		rc = kg_err_exit(err);
		goto out;
	}
	if (strcmp(argv[2], "ticket") == 0 && argc == 4) {
		const char *v = argv[3];

		if (kg_sn_sys_id_valid(v))
			id = kg_sn_get_ticket(tl.sn, NULL, v, on_ticket, &tl);
		else
			id = kg_sn_get_ticket(tl.sn, v, NULL, on_ticket, &tl);
	} else if (strcmp(argv[2], "user") == 0 && argc == 4) {
		id = kg_sn_get_user(tl.sn, argv[3], on_user, &tl);
	} else if (strcmp(argv[2], "flush") == 0) {
		err = kg_store_open(cfg.state_dir, &st, &cause);
		if (err == KG_ERR_OK)
			fl = kg_outbox_flush(tl.loop, tl.sn, st, NULL, on_item, on_flushed, &tl, &cause);
		if (fl == NULL) {
			print_err(KG_ERR_STORE, cause);
			goto out;
		}
	} else {
		fputs("sn_tool: bad arguments\n", stderr);
		rc = 64;
		goto out;
	}
	if (id == 0) {
		print_err(KG_ERR_BAD_INPUT, "refused before sending");
		rc = kg_err_exit(KG_ERR_BAD_INPUT);
		goto out;
	}
	kg_loop_run(tl.loop, is_done, &tl);
	rc = tl.rc;
out:
	kg_sn_free(&tl.sn);
	kg_auth_free(&tl.auth);
	kg_http_free(&tl.http);
	kg_loop_free(&tl.loop);
	kg_store_free(&st);
	kg_config_clear(&cfg);
	free(cause);
	kg_log_close();
	curl_global_cleanup();
	return rc;
}
