/*
 * test_kigo.c - the Kigo client against tests/fakes/kigo_fake.py over real
 * HTTPS (test CA made at test time), with a real SQLite store: every
 * endpoint, every error, pagination to the last page, the 5,000-token
 * inventory page by page, exactly-once mutations (lost reply retried with
 * the same key, resume after an unknown outcome), two clients racing.
 * Also the pure rules (transitions, dates, reasons).
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kigo/http.h"
#include "kigo/kigo.h"
#include "kigo/loop.h"
#include "kigo/store.h"
#include "support/fakesrv.h"

#define BEARER "test-access-token"
#define JANE "cus_8XK2"
#define BIG "cus_BIG1"
#define INACTIVE_SKU "GC-10OFF-0009" /* seed.py: every 10th item is inactive */

struct env {
	struct kg_fake f;
	struct kg_loop *loop;
	struct kg_http *http;
	struct kg_store *st;
	struct kg_kigo *k;
	char state[300];
	char api[128];
};

static void
env_client(struct env *e, struct kg_kigo **k, const char *bearer, bool offline)
{
	struct kg_kigo_opts o = { .api_url = e->api, .bearer = bearer, .offline = offline };
	char *cause = NULL;

	cr_assert_eq(kg_kigo_new(e->loop, e->http, NULL, e->st, &o, k, &cause), KG_ERR_OK, "%s",
	             cause);
}

/* retries: -1 none, 0 the default */
static void
env_start(struct env *e, int retries, const char *const *fake_args)
{
	static const char *const def_args[] = { "--bearer", BEARER, "--readonly-bearer",
		                                "readonly-token", "--customers", "60", NULL };
	struct kg_http_opts ho = { .max_retries = retries, .backoff_base_ms = 20,
		                   .backoff_cap_ms = 100, .timeout_ms = 20000 };
	char *cause = NULL;

	memset(e, 0, sizeof(*e));
	cr_assert(kg_fake_start(&e->f, "kigo_fake.py", "server", fake_args ? fake_args : def_args),
	          "fake did not start");
	snprintf(e->api, sizeof(e->api), "%s/api/v1", e->f.base);
	snprintf(e->state, sizeof(e->state), "%s/state", e->f.dir);
	e->loop = kg_loop_new();
	ho.ca_bundle = e->f.ca;
	e->http = kg_http_new(e->loop, &ho, &cause);
	cr_assert_not_null(e->http, "%s", cause);
	cr_assert_eq(kg_store_open(e->state, &e->st, &cause), KG_ERR_OK, "%s", cause);
	env_client(e, &e->k, BEARER, false);
}

static void
env_stop(struct env *e)
{
	kg_kigo_free(&e->k);
	kg_http_free(&e->http);
	kg_store_free(&e->st);
	kg_loop_free(&e->loop);
	kg_fake_stop(&e->f);
}

/* Run the loop until *flag or 30 s. */
static void
run_until(struct env *e, const bool *flag)
{
	int64_t end = kg_now_ms() + 30000;

	while (!*flag && kg_now_ms() < end)
		kg_loop_once(e->loop, 50);
	cr_assert(*flag, "timed out waiting for the client");
}

/* ---- a recorder for every callback kind ---- */

struct rec {
	bool done;
	int calls;
	enum kg_err err;
	long status;
	char *message;
	char *code;
	char *next;
	char *existing_id;
	char *allowed;
	bool pending;
	struct kg_token current;
	bool has_current;
	size_t n;          /* records over all pages */
	int pages;
	int lasts;
	struct kg_customer cus;
	struct kg_token tok;
	struct kg_activity act;
	int64_t rowid;
	bool replayed;
	int64_t mutation_id;
	char first_id[64];
};

static void
rec_error(struct rec *r, const struct kg_kigo_error *e)
{
	r->calls++;
	if (e == NULL)
		return;
	r->err = e->err;
	r->status = e->status;
	r->message = kg_xstrdup(e->message);
	r->code = kg_xstrdup(e->code);
	r->existing_id = kg_xstrdup(e->existing_id);
	r->allowed = kg_xstrdup(e->allowed);
	r->pending = e->pending;
	if (e->current != NULL) {
		kg_token_copy(&r->current, e->current);
		r->has_current = true;
	}
}

static void
rec_free(struct rec *r)
{
	free(r->message);
	free(r->code);
	free(r->next);
	free(r->existing_id);
	free(r->allowed);
	kg_token_clear(&r->current);
	kg_customer_clear(&r->cus);
	kg_token_clear(&r->tok);
	kg_activity_clear(&r->act);
	memset(r, 0, sizeof(*r));
}

static void
on_customers(const struct kg_kigo_error *e, const struct kg_customer *v, size_t n,
             const char *next, void *ud)
{
	struct rec *r = ud;

	rec_error(r, e);
	r->n += n;
	r->pages++;
	if (n > 0)
		snprintf(r->first_id, sizeof(r->first_id), "%s", v[0].id);
	r->next = kg_xstrdup(next);
	r->done = true;
}

static void
on_customer(const struct kg_kigo_error *e, const struct kg_customer *c, void *ud)
{
	struct rec *r = ud;

	rec_error(r, e);
	if (c != NULL)
		kg_customer_copy(&r->cus, c);
	r->done = true;
}

static void
on_catalog(const struct kg_kigo_error *e, const struct kg_catalog_item *v, size_t n, bool last,
           void *ud)
{
	struct rec *r = ud;

	(void)v;
	rec_error(r, e);
	r->n += n;
	r->pages++;
	r->lasts += last;
	if (last)
		r->done = true;
}

static void
on_tokens(const struct kg_kigo_error *e, const struct kg_token *v, size_t n, bool last,
          void *ud)
{
	struct rec *r = ud;

	rec_error(r, e);
	if (r->n == 0 && n > 0)
		snprintf(r->first_id, sizeof(r->first_id), "%s", v[0].id);
	r->n += n;
	r->pages++;
	r->lasts += last;
	if (last)
		r->done = true;
}

static void
on_activity(const struct kg_kigo_error *e, const struct kg_activity *v, size_t n,
            const char *next, void *ud)
{
	struct rec *r = ud;

	rec_error(r, e);
	r->n += n;
	r->pages++;
	if (n > 0 && r->act.id == NULL)
		kg_activity_copy(&r->act, &v[0]);
	r->next = kg_xstrdup(next);
	r->done = true;
}

static void
on_mutate(const struct kg_kigo_result *res, void *ud)
{
	struct rec *r = ud;

	rec_error(r, res->error);
	r->mutation_id = res->mutation_id;
	r->replayed = res->replayed;
	r->rowid = res->activity_rowid;
	if (res->token != NULL) {
		kg_token_clear(&r->tok);
		kg_token_copy(&r->tok, res->token);
	}
	if (res->customer != NULL) {
		kg_customer_clear(&r->cus);
		kg_customer_copy(&r->cus, res->customer);
	}
	if (res->activity != NULL) {
		kg_activity_clear(&r->act);
		kg_activity_copy(&r->act, res->activity);
	}
	r->done = true;
}

/* ---- helpers on the fake ---- */

/* The fake's token as JSON (for the version and status). */
static struct kg_token
fake_token(struct env *e, const char *id)
{
	char path[128], *out = NULL;
	struct kg_token t;
	json_object *o;

	memset(&t, 0, sizeof(t));
	snprintf(path, sizeof(path), "/__control/kigo/token/%s", id);
	cr_assert_eq(kg_fake_call(&e->f, "GET", path, NULL, &out), 200);
	o = json_tokener_parse(out);
	t.version = json_object_get_int64(json_object_object_get(o, "version"));
	t.status = kg_token_status_parse(json_object_get_string(json_object_object_get(o, "status")));
	t.expires_at = kg_xstrdup(json_object_get_string(json_object_object_get(o, "expires_at")));
	t.customer_id =
	        kg_xstrdup(json_object_get_string(json_object_object_get(o, "customer_id")));
	json_object_put(o);
	free(out);
	return t;
}

/* Times the fake applied a mutation under each key; total and max. */
static void
fake_applied(struct env *e, int *keys, int *max)
{
	char *out = NULL;
	json_object *o, *a;

	*keys = 0;
	*max = 0;
	cr_assert_eq(kg_fake_call(&e->f, "GET", "/__control/kigo/applied", NULL, &out), 200);
	o = json_tokener_parse(out);
	a = json_object_object_get(o, "applied");
	json_object_object_foreach(a, key, val) {
		(void)key;
		(*keys)++;
		if (json_object_get_int(val) > *max)
			*max = json_object_get_int(val);
	}
	json_object_put(o);
	free(out);
}

/* Requests the fake saw to a path prefix with a method. */
static int
fake_count(struct env *e, const char *method, const char *path_part)
{
	char *out = NULL;
	json_object *o, *v;
	int n = 0;

	cr_assert_eq(kg_fake_call(&e->f, "GET", "/__control/requests", NULL, &out), 200);
	o = json_tokener_parse(out);
	v = json_object_object_get(o, "requests");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *r = json_object_array_get_idx(v, i);
		if (strcmp(json_object_get_string(json_object_object_get(r, "method")), method) == 0 &&
		    strstr(json_object_get_string(json_object_object_get(r, "path")), path_part))
			n++;
	}
	json_object_put(o);
	free(out);
	return n;
}

/* First token of customer cid in status st (from the fake, via the client). */
static void
pick_token(struct env *e, const char *cid, const char *st, char *id, size_t idlen,
           int64_t *version)
{
	struct rec r = { 0 };
	struct kg_token t;

	kg_kigo_tokens(e->k, cid, st, on_tokens, &r);
	run_until(e, &r.done);
	cr_assert_null(r.message, "%s", r.message);
	cr_assert(r.n > 0, "no %s token for %s", st, cid);
	snprintf(id, idlen, "%s", r.first_id);
	t = fake_token(e, id);
	*version = t.version;
	kg_token_clear(&t);
	rec_free(&r);
}

static enum kg_err
mutate(struct env *e, struct kg_kigo *k, const struct kg_kigo_mutation *m, struct rec *r)
{
	char *cause = NULL;
	enum kg_err err = kg_kigo_mutate(k, m, on_mutate, r, NULL, &cause);

	cr_assert_eq(err, KG_ERR_OK, "mutate refused: %s", cause);
	run_until(e, &r->done);
	return r->err;
}

static size_t
pending_mutations(struct env *e)
{
	struct kg_mutation *v = NULL;
	size_t n = 0;

	cr_assert_eq(kg_store_mutation_pending(e->st, &v, &n), KG_ERR_OK);
	kg_mutations_free(&v, n);
	return n;
}

/* ================= reads ================= */

Test(kigo, search_one_page_then_the_next)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 };
	struct kg_customer c;

	env_start(&e, 0, NULL);
	kg_kigo_search(e.k, "JANE", 1, NULL, on_customers, &r);
	run_until(&e, &r.done);
	cr_assert_null(r.message, "%s", r.message);
	cr_assert_eq(r.n, 1);
	cr_assert_not_null(r.next, "several Janes: a next page");
	/* written through to the cache */
	cr_assert_eq(kg_store_get_customer(e.st, r.first_id, &c), KG_ERR_OK);
	cr_assert(c.fetched_at > 0);
	kg_customer_clear(&c);

	kg_kigo_search(e.k, "jane", 1, r.next, on_customers, &r2);
	run_until(&e, &r2.done);
	cr_assert_eq(r2.n, 1);
	cr_assert_str_neq(r2.first_id, r.first_id);
	/* the exact request */
	cr_assert_eq(fake_count(&e, "GET", "/api/v1/customers"), 2);
	rec_free(&r);
	rec_free(&r2);
	env_stop(&e);
}

Test(kigo, get_customer_and_404_drops_the_stale_row)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 };
	struct kg_customer ghost = { .id = (char *)"cus_GONE", .name = (char *)"Ghost" }, c;

	env_start(&e, 0, NULL);
	kg_kigo_get_customer(e.k, JANE, on_customer, &r);
	run_until(&e, &r.done);
	cr_assert_null(r.message);
	cr_assert_str_eq(r.cus.name, "Jane Doe");
	cr_assert_str_eq(r.cus.loyalty_id, "EC4012345678");

	cr_assert_eq(kg_store_put_customers(e.st, &ghost, 1), KG_ERR_OK);
	kg_kigo_get_customer(e.k, "cus_GONE", on_customer, &r2);
	run_until(&e, &r2.done);
	cr_assert_eq(r2.err, KG_ERR_NOT_FOUND);
	cr_assert_eq(r2.status, 404);
	cr_assert_str_eq(r2.code, "not_found");
	cr_assert(strstr(r2.message, "(request id req-") != NULL, "%s", r2.message);
	cr_assert(strstr(r2.message, "cache") != NULL, "%s", r2.message);
	cr_assert_eq(kg_store_get_customer(e.st, "cus_GONE", &c), KG_ERR_NOT_FOUND);
	rec_free(&r);
	rec_free(&r2);
	env_stop(&e);
}

Test(kigo, catalog_every_page_to_the_last)
{
	struct env e;
	struct rec r = { 0 };
	struct kg_catalog_item *v = NULL, stale = { .sku = (char *)"OLD-1", .name = (char *)"old",
	                                            .active = true };
	size_t n = 0;

	env_start(&e, 0, NULL);
	cr_assert_eq(kg_store_put_catalog(e.st, &stale, 1, false), KG_ERR_OK);
	kg_kigo_catalog(e.k, on_catalog, &r);
	run_until(&e, &r.done);
	cr_assert_null(r.message, "%s", r.message);
	cr_assert_eq(r.n, 2000);
	cr_assert_eq(r.pages, 40, "50 items a page");
	cr_assert_eq(r.lasts, 1);
	cr_assert_eq(kg_store_get_catalog(e.st, NULL, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 2000, "the complete catalog replaced the stale item");
	kg_catalog_free(&v, n);
	rec_free(&r);
	env_stop(&e);
}

struct stream {
	struct env *e;
	int pages;
	size_t seen;
	size_t cached_max;  /* tokens in the cache when a page arrived */
	bool done;
};

static void
on_stream(const struct kg_kigo_error *err, const struct kg_token *v, size_t n, bool last,
          void *ud)
{
	struct stream *s = ud;
	struct kg_token *c = NULL;
	size_t cn = 0;

	(void)v;
	cr_assert_null(err, "%s", err ? err->message : "");
	s->pages++;
	s->seen += n;
	/* each page is in the cache by the time it is delivered */
	cr_assert_eq(kg_store_get_tokens(s->e->st, BIG, &c, &cn), KG_ERR_OK);
	cr_assert_geq(cn, s->seen);
	s->cached_max = cn;
	kg_tokens_free(&c, cn);
	if (last)
		s->done = true;
}

Test(kigo, inventory_of_5000_streams_page_by_page)
{
	struct env e;
	struct stream s = { 0 };
	struct kg_token stale = { .id = (char *)"tok_STALE", .customer_id = (char *)BIG,
	                          .status = KG_TOKEN_ACTIVE };
	struct kg_token *c = NULL;
	size_t cn = 0;
	struct kg_loop_stats st;
	uint64_t passes_before;

	env_start(&e, 0, NULL);
	s.e = &e;
	cr_assert_eq(kg_store_put_tokens(e.st, BIG, &stale, 1, false), KG_ERR_OK);
	kg_loop_get_stats(e.loop, &st);
	passes_before = st.passes;
	kg_kigo_tokens(e.k, BIG, NULL, on_stream, &s);
	run_until(&e, &s.done);
	cr_assert_eq(s.seen, 5000);
	cr_assert_eq(s.pages, 50, "100 tokens a page");
	kg_loop_get_stats(e.loop, &st);
	/* the loop kept turning between pages: nothing blocked on the lot */
	cr_assert_gt(st.passes - passes_before, (uint64_t)s.pages);
	cr_assert_eq(kg_store_get_tokens(e.st, BIG, &c, &cn), KG_ERR_OK);
	cr_assert_eq(cn, 5000, "complete replace dropped the stale token");
	for (size_t i = 0; i < cn; i++)
		cr_assert_str_neq(c[i].id, "tok_STALE");
	kg_tokens_free(&c, cn);
	env_stop(&e);
}

Test(kigo, tokens_filtered_by_status_do_not_replace)
{
	struct env e;
	struct rec r = { 0 };
	struct kg_token stale = { .id = (char *)"tok_KEEP", .customer_id = (char *)JANE,
	                          .status = KG_TOKEN_ACTIVE },
	                t;

	env_start(&e, 0, NULL);
	cr_assert_eq(kg_store_put_tokens(e.st, JANE, &stale, 1, false), KG_ERR_OK);
	kg_kigo_tokens(e.k, JANE, "disputed", on_tokens, &r);
	run_until(&e, &r.done);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(kg_store_get_token(e.st, "tok_KEEP", &t), KG_ERR_OK);
	kg_token_clear(&t);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, activity_lazily_by_page)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 };
	char id[64];
	int64_t ver;

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	/* 21 notes: one more than a page of activity */
	for (int i = 0; i < 21; i++) {
		struct rec m = { 0 };
		struct kg_kigo_mutation req = { .action = KG_ACTION_OTHER, .other = KG_OTHER_NOTE,
			                        .token_id = id, .token_version = ver,
			                        .note = "called the customer", .ticket_ref = "INC1" };
		cr_assert_eq(mutate(&e, e.k, &req, &m), KG_ERR_OK, "%s", m.message);
		rec_free(&m);
	}
	kg_kigo_activity(e.k, JANE, NULL, on_activity, &r);
	run_until(&e, &r.done);
	cr_assert_eq(r.n, 20);
	cr_assert_not_null(r.next);
	cr_assert_eq(r.act.action, KG_ACTION_OTHER);
	kg_kigo_activity(e.k, JANE, r.next, on_activity, &r2);
	run_until(&e, &r2.done);
	cr_assert_eq(r2.n, 1);
	cr_assert_null(r2.next);
	rec_free(&r);
	rec_free(&r2);
	env_stop(&e);
}

/* ================= mutations ================= */

Test(kigo, remove_records_activity_and_finishes_the_row)
{
	struct env e;
	struct rec r = { 0 };
	char id[64];
	int64_t ver;
	struct kg_activity_row *rows = NULL;
	size_t n = 0;
	int keys, max;
	struct kg_token t;

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	struct kg_kigo_mutation req = { .action = KG_ACTION_REMOVE, .token_id = id,
		                        .token_version = ver, .reason = "duplicate issue",
		                        .ticket_ref = "INC0012345" };
	cr_assert_eq(mutate(&e, e.k, &req, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_eq(r.tok.status, KG_TOKEN_REMOVED);
	cr_assert_eq(r.tok.version, ver + 1);
	cr_assert_not_null(r.act.before);
	cr_assert_eq(r.act.before->status, KG_TOKEN_ACTIVE);
	cr_assert_eq(r.act.after->status, KG_TOKEN_REMOVED);
	cr_assert_gt(r.rowid, 0);
	cr_assert(!r.replayed);
	/* cache, activity, mutation row */
	cr_assert_eq(kg_store_get_token(e.st, id, &t), KG_ERR_OK);
	cr_assert_eq(t.status, KG_TOKEN_REMOVED);
	kg_token_clear(&t);
	cr_assert_eq(kg_store_list_activity(e.st, "INC0012345", false, &rows, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rows[0].act.reason, "duplicate issue");
	kg_activity_rows_free(&rows, n);
	cr_assert_eq(pending_mutations(&e), 0);
	fake_applied(&e, &keys, &max);
	cr_assert_eq(keys, 1);
	cr_assert_eq(max, 1);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, every_mutation_kind)
{
	struct env e;
	char id[64], day[11];
	int64_t ver;
	struct rec r = { 0 };
	time_t later = time(NULL) + 40 * 86400;
	struct tm tm;

	localtime_r(&later, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	env_start(&e, 0, NULL);

	/* add with the default expiry, then with an explicit one */
	struct kg_kigo_mutation add = { .action = KG_ACTION_ADD, .customer_id = JANE,
		                        .sku = "XB-5OFF", .reason = "goodwill", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &add, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_eq(r.tok.status, KG_TOKEN_ACTIVE);
	cr_assert_eq(r.tok.version, 1);
	cr_assert_null(r.act.before);
	cr_assert_eq(r.act.action, KG_ACTION_ADD);
	snprintf(id, sizeof(id), "%s", r.tok.id);
	ver = r.tok.version;
	rec_free(&r);

	/* dispute -> resolve -> extend -> note (no new version) -> reissue */
	struct kg_kigo_mutation dis = { .action = KG_ACTION_DISPUTE, .token_id = id,
		                        .token_version = ver, .reason = "not honoured",
		                        .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &dis, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_eq(r.tok.status, KG_TOKEN_DISPUTED);
	cr_assert_str_eq(r.tok.disputed_reason, "not honoured");
	ver = r.tok.version;
	rec_free(&r);

	struct kg_kigo_mutation res = { .action = KG_ACTION_OTHER,
		                        .other = KG_OTHER_RESOLVE_DISPUTE, .token_id = id,
		                        .token_version = ver, .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &res, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_eq(r.tok.status, KG_TOKEN_ACTIVE);
	cr_assert_null(r.tok.disputed_reason);
	cr_assert_eq(r.act.action, KG_ACTION_OTHER);
	ver = r.tok.version;
	rec_free(&r);

	struct kg_kigo_mutation ext = { .action = KG_ACTION_OTHER, .other = KG_OTHER_EXTEND,
		                        .token_id = id, .token_version = ver, .expires_at = day,
		                        .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &ext, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_str_eq(r.tok.expires_at, day);
	ver = r.tok.version;
	rec_free(&r);

	struct kg_kigo_mutation note = { .action = KG_ACTION_OTHER, .other = KG_OTHER_NOTE,
		                         .token_id = id, .token_version = ver,
		                         .note = "customer happy", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &note, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_eq(r.tok.version, ver, "a note does not bump the version");
	rec_free(&r);

	later += 86400;
	localtime_r(&later, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	struct kg_kigo_mutation re = { .action = KG_ACTION_REISSUE, .token_id = id,
		                       .token_version = ver, .expires_at = day,
		                       .reason = "expired before use", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &re, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_eq(r.tok.version, ver + 1);
	cr_assert_str_eq(r.tok.expires_at, day);
	rec_free(&r);

	/* create customer */
	struct kg_kigo_mutation cc = { .action = KG_ACTION_CREATE_CUSTOMER, .name = "Ana Lima",
		                       .email = "ana.lima@example.com", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &cc, &r), KG_ERR_OK, "%s", r.message);
	cr_assert_str_eq(r.cus.name, "Ana Lima");
	cr_assert_null(r.cus.phone);
	cr_assert_eq(r.act.action, KG_ACTION_CREATE_CUSTOMER);
	struct kg_customer c;
	cr_assert_eq(kg_store_get_customer(e.st, r.cus.id, &c), KG_ERR_OK);
	kg_customer_clear(&c);
	rec_free(&r);

	cr_assert_eq(pending_mutations(&e), 0);
	env_stop(&e);
}

Test(kigo, two_clients_race_one_gets_412_with_current)
{
	struct env e;
	struct kg_kigo *k2 = NULL;
	struct rec a = { 0 }, b = { 0 };
	char id[64], *cause = NULL;
	int64_t ver;
	struct kg_token t;

	env_start(&e, 0, NULL);
	env_client(&e, &k2, BEARER, false);
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	struct kg_kigo_mutation rm = { .action = KG_ACTION_REMOVE, .token_id = id,
		                       .token_version = ver, .reason = "dup", .ticket_ref = "INC1" };
	struct kg_kigo_mutation dis = { .action = KG_ACTION_DISPUTE, .token_id = id,
		                        .token_version = ver, .reason = "not honoured",
		                        .ticket_ref = "INC2" };
	/* both looked at the same version; both send at once */
	cr_assert_eq(kg_kigo_mutate(e.k, &rm, on_mutate, &a, NULL, &cause), KG_ERR_OK);
	cr_assert_eq(kg_kigo_mutate(k2, &dis, on_mutate, &b, NULL, &cause), KG_ERR_OK);
	run_until(&e, &a.done);
	run_until(&e, &b.done);
	cr_assert((a.err == KG_ERR_OK) != (b.err == KG_ERR_OK), "exactly one wins");
	struct rec *lost = a.err == KG_ERR_OK ? &b : &a;
	struct rec *won = a.err == KG_ERR_OK ? &a : &b;
	cr_assert_eq(lost->err, KG_ERR_PRECONDITION);
	cr_assert_eq(lost->status, 412);
	cr_assert(lost->has_current);
	cr_assert_eq(lost->current.version, ver + 1);
	cr_assert_eq(lost->current.status, won->tok.status);
	cr_assert(strstr(lost->message, "someone else changed") != NULL, "%s", lost->message);
	cr_assert(strstr(lost->message, "(request id ") != NULL);
	/* fetch nothing blindly: no GET after the 412, but the cache has current */
	cr_assert_eq(fake_count(&e, "GET", "/tokens"), 1, "only pick_token's list");
	cr_assert_eq(kg_store_get_token(e.st, id, &t), KG_ERR_OK);
	cr_assert_eq(t.version, ver + 1);
	kg_token_clear(&t);
	cr_assert_eq(pending_mutations(&e), 0, "the loser's row is failed, not pending");
	rec_free(&a);
	rec_free(&b);
	kg_kigo_free(&k2);
	env_stop(&e);
}

/* ================= errors ================= */

Test(kigo, create_customer_409_hands_over_existing_id)
{
	struct env e;
	struct rec r = { 0 };

	env_start(&e, 0, NULL);
	struct kg_kigo_mutation cc = { .action = KG_ACTION_CREATE_CUSTOMER, .name = "J. Doe",
		                       .email = "JANE@example.com", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &cc, &r), KG_ERR_CONFLICT);
	cr_assert_str_eq(r.existing_id, JANE);
	cr_assert(strstr(r.message, JANE) != NULL, "%s", r.message);
	cr_assert(strstr(r.message, "Open the existing customer") != NULL, "%s", r.message);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, invalid_transition_says_what_is_allowed)
{
	struct env e;
	struct rec r = { 0 };
	char id[64];
	int64_t ver;

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "removed", id, sizeof(id), &ver);
	struct kg_kigo_mutation dis = { .action = KG_ACTION_DISPUTE, .token_id = id,
		                        .token_version = ver, .reason = "x", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &dis, &r), KG_ERR_INVALID_TRANSITION);
	cr_assert_eq(r.status, 422);
	cr_assert_str_eq(r.allowed, "note");
	cr_assert(strstr(r.message, "removed") != NULL, "%s", r.message);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, bad_input_400_inactive_catalog_item)
{
	struct env e;
	struct rec r = { 0 };

	env_start(&e, 0, NULL);
	struct kg_kigo_mutation add = { .action = KG_ACTION_ADD, .customer_id = JANE,
		                        .sku = INACTIVE_SKU, .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, e.k, &add, &r), KG_ERR_BAD_INPUT);
	cr_assert_eq(r.status, 400);
	cr_assert(strstr(r.message, "inactive") != NULL, "%s", r.message);
	cr_assert_eq(pending_mutations(&e), 0);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, unauthorized_401_and_forbidden_403_not_retried)
{
	struct env e;
	struct kg_kigo *bad = NULL, *ro = NULL;
	struct rec r = { 0 }, m = { 0 };

	env_start(&e, 0, NULL);
	env_client(&e, &bad, "not-a-known-token", false);
	kg_kigo_get_customer(bad, JANE, on_customer, &r);
	run_until(&e, &r.done);
	cr_assert_eq(r.err, KG_ERR_UNAUTHORIZED);
	cr_assert(strstr(r.message, "Log in again") != NULL, "%s", r.message);

	env_client(&e, &ro, "readonly-token", false);
	struct kg_kigo_mutation add = { .action = KG_ACTION_ADD, .customer_id = JANE,
		                        .sku = "XB-5OFF", .ticket_ref = "INC1" };
	cr_assert_eq(mutate(&e, ro, &add, &m), KG_ERR_FORBIDDEN);
	cr_assert(strstr(m.message, "permission") != NULL, "%s", m.message);
	cr_assert_eq(fake_count(&e, "POST", "/tokens"), 1, "a 403 is never retried");
	rec_free(&r);
	rec_free(&m);
	kg_kigo_free(&bad);
	kg_kigo_free(&ro);
	env_stop(&e);
}

Test(kigo, rate_limited_429_and_unavailable_503)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 };

	env_start(&e, -1, NULL);
	cr_assert(kg_fake_fault(&e.f, "{\"kind\":\"429\",\"path\":\"/api/v1/customers\","
	                              "\"retry_after\":7}"));
	kg_kigo_get_customer(e.k, JANE, on_customer, &r);
	run_until(&e, &r.done);
	cr_assert_eq(r.err, KG_ERR_RATE_LIMITED);
	cr_assert(strstr(r.message, "Wait 7 seconds") != NULL, "%s", r.message);

	cr_assert(kg_fake_fault(&e.f, "{\"kind\":\"503\",\"path\":\"/api/v1/catalog\"}"));
	kg_kigo_catalog(e.k, on_catalog, &r2);
	run_until(&e, &r2.done);
	cr_assert_eq(r2.err, KG_ERR_UNAVAILABLE);
	cr_assert(strstr(r2.message, "(request id ") != NULL, "%s", r2.message);
	rec_free(&r);
	rec_free(&r2);
	env_stop(&e);
}

Test(kigo, transient_503_on_read_is_retried)
{
	struct env e;
	struct rec r = { 0 };

	env_start(&e, 0, NULL);
	cr_assert(kg_fake_fault(&e.f, "{\"kind\":\"503\",\"path\":\"/api/v1/customers\"}"));
	kg_kigo_get_customer(e.k, JANE, on_customer, &r);
	run_until(&e, &r.done);
	cr_assert_null(r.message, "%s", r.message);
	cr_assert_str_eq(r.cus.id, JANE);
	rec_free(&r);
	env_stop(&e);
}

/* Store a mutation row by hand (what a crashed run or a bug left behind). */
static int64_t
store_row(struct env *e, const char *key, const char *path, const char *body,
          const char *if_match)
{
	struct kg_mutation m = { .idem_key = (char *)key, .kind = (char *)"remove",
		                 .path = (char *)path, .body = (char *)body,
		                 .if_match = (char *)if_match, .ticket_ref = (char *)"INC1",
		                 .customer_id = (char *)JANE, .state = KG_MUT_PENDING };

	cr_assert_eq(kg_store_mutation_add(e->st, &m), KG_ERR_OK);
	return m.id;
}

static void
on_resumed(const struct kg_kigo_result *res, void *ud)
{
	on_mutate(res, ud);
}

Test(kigo, idempotency_mismatch_422_and_missing_if_match_428)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 }, r3 = { 0 };
	char id[64], path[128], ifm[32], st2dir[320], *cause = NULL;
	int64_t ver;
	struct kg_store *st2 = NULL;
	struct kg_kigo *k2 = NULL;
	struct kg_kigo_opts o = { .bearer = BEARER };

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	snprintf(path, sizeof(path), "/tokens/%s/actions", id);
	snprintf(ifm, sizeof(ifm), "\"%lld\"", (long long)ver);

	/* the key is used once with one body ... */
	store_row(&e, "key-shared", path, "{\"type\":\"note\",\"note\":\"a\"}", ifm);
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r), 1);
	run_until(&e, &r.done);
	cr_assert_null(r.message, "%s", r.message);

	/* ... and again (another database, a bug) with another body */
	snprintf(st2dir, sizeof(st2dir), "%s/state2", e.f.dir);
	cr_assert_eq(kg_store_open(st2dir, &st2, &cause), KG_ERR_OK, "%s", cause);
	o.api_url = e.api;
	cr_assert_eq(kg_kigo_new(e.loop, e.http, NULL, st2, &o, &k2, &cause), KG_ERR_OK);
	struct kg_mutation m = { .idem_key = (char *)"key-shared", .kind = (char *)"other",
		                 .path = path, .body = (char *)"{\"type\":\"note\",\"note\":\"b\"}",
		                 .if_match = ifm, .ticket_ref = (char *)"INC1",
		                 .state = KG_MUT_PENDING };
	cr_assert_eq(kg_store_mutation_add(st2, &m), KG_ERR_OK);
	cr_assert_eq(kg_kigo_resume(k2, on_resumed, &r2), 1);
	run_until(&e, &r2.done);
	cr_assert_eq(r2.err, KG_ERR_BAD_INPUT);
	cr_assert_eq(r2.status, 422);
	cr_assert_str_eq(r2.code, "idempotency_mismatch");
	cr_assert(strstr(r2.message, "idempotency key") != NULL, "%s", r2.message);

	/* a token mutation without If-Match: 428, a client bug */
	store_row(&e, "key-nomatch", path, "{\"type\":\"note\",\"note\":\"c\"}", NULL);
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r3), 1);
	run_until(&e, &r3.done);
	cr_assert_eq(r3.status, 428);
	cr_assert(strstr(r3.message, "If-Match") != NULL, "%s", r3.message);
	cr_assert_eq(pending_mutations(&e), 0);

	rec_free(&r);
	rec_free(&r2);
	rec_free(&r3);
	kg_kigo_free(&k2);
	kg_store_free(&st2);
	env_stop(&e);
}

/* ================= exactly once ================= */

Test(kigo, lost_reply_is_retried_with_the_same_key_and_applied_once)
{
	struct env e;
	struct rec r = { 0 };
	char id[64];
	int64_t ver;
	int keys, max;
	struct kg_activity_row *rows = NULL;
	size_t n = 0;

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	cr_assert(kg_fake_fault(&e.f, "{\"kind\":\"commit_then_drop\",\"path\":\"/api/v1/tokens/\"}"));
	struct kg_kigo_mutation rm = { .action = KG_ACTION_REMOVE, .token_id = id,
		                       .token_version = ver, .reason = "duplicate",
		                       .ticket_ref = "INC7" };
	cr_assert_eq(mutate(&e, e.k, &rm, &r), KG_ERR_OK, "%s", r.message);
	cr_assert(r.replayed, "the second send was answered from the key");
	cr_assert_eq(r.tok.status, KG_TOKEN_REMOVED);
	cr_assert_eq(fake_count(&e, "POST", "/remove"), 2);
	fake_applied(&e, &keys, &max);
	cr_assert_eq(keys, 1);
	cr_assert_eq(max, 1, "applied once");
	cr_assert_eq(kg_store_list_activity(e.st, "INC7", false, &rows, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	kg_activity_rows_free(&rows, n);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, unknown_outcome_stays_pending_then_resume_completes_once)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 }, r3 = { 0 };
	char id[64];
	int64_t ver;
	int keys, max;
	struct kg_activity_row *rows = NULL;
	size_t n = 0;

	env_start(&e, -1, NULL);   /* no automatic retries: the reply is just lost */
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	cr_assert(kg_fake_fault(&e.f, "{\"kind\":\"commit_then_drop\",\"path\":\"/api/v1/tokens/\"}"));
	struct kg_kigo_mutation dis = { .action = KG_ACTION_DISPUTE, .token_id = id,
		                        .token_version = ver, .reason = "not honoured",
		                        .ticket_ref = "INC8" };
	mutate(&e, e.k, &dis, &r);
	cr_assert_neq(r.err, KG_ERR_OK);
	cr_assert(r.pending, "%s", r.message);
	cr_assert(strstr(r.message, "pending") != NULL, "%s", r.message);
	cr_assert_eq(pending_mutations(&e), 1);
	cr_assert_eq(kg_store_list_activity(e.st, "INC8", false, &rows, &n), KG_ERR_OK);
	cr_assert_eq(n, 0);
	kg_activity_rows_free(&rows, n);

	/* the same client, or a restarted one, resumes it */
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r2), 1);
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r3), 0, "already in flight");
	run_until(&e, &r2.done);
	cr_assert_null(r2.message, "%s", r2.message);
	cr_assert(r2.replayed);
	cr_assert_eq(r2.tok.status, KG_TOKEN_DISPUTED);
	cr_assert_eq(r2.mutation_id, r.mutation_id);
	cr_assert_eq(pending_mutations(&e), 0);
	fake_applied(&e, &keys, &max);
	cr_assert_eq(max, 1);
	cr_assert_eq(kg_store_list_activity(e.st, "INC8", false, &rows, &n), KG_ERR_OK);
	cr_assert_eq(n, 1);
	kg_activity_rows_free(&rows, n);
	rec_free(&r);
	rec_free(&r2);
	rec_free(&r3);
	env_stop(&e);
}

/*
 * A real crash: a child process (its own loop, HTTP client, store and Kigo
 * client on the same database) stores and sends a mutation whose reply the
 * fake delays; it is killed with SIGKILL after the backend got the request
 * and before the reply.  The "restarted" client (the parent) finds the row
 * pending, resumes it with the same key and body, and the backend has
 * applied it once.
 */
static void
crash_child(const char *api, const char *ca, const char *state, const char *token_id,
            int64_t version)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_http_opts ho = { .ca_bundle = ca, .max_retries = -1, .timeout_ms = 60000 };
	struct kg_http *http = kg_http_new(loop, &ho, NULL);
	struct kg_store *st = NULL;
	struct kg_kigo *k = NULL;
	struct kg_kigo_opts o = { .api_url = api, .bearer = BEARER };
	struct rec r = { 0 };
	struct kg_kigo_mutation m = { .action = KG_ACTION_REISSUE, .token_id = token_id,
		                      .token_version = version, .expires_at = "2099-12-31",
		                      .reason = "expired before use", .ticket_ref = "INC9" };

	if (http == NULL || kg_store_open(state, &st, NULL) != KG_ERR_OK ||
	    kg_kigo_new(loop, http, NULL, st, &o, &k, NULL) != KG_ERR_OK ||
	    kg_kigo_mutate(k, &m, on_mutate, &r, NULL, NULL) != KG_ERR_OK)
		_exit(3);
	for (;;)   /* until killed; a reply arriving would be a test bug */
		kg_loop_once(loop, 100);
}

Test(kigo, kill_9_after_store_before_reply_completes_once_on_restart)
{
	struct env e;
	struct rec r = { 0 };
	char id[64];
	int64_t ver;
	int keys = 0, max = 0, status;
	struct kg_activity_row *rows = NULL;
	size_t n = 0;
	pid_t pid;
	int64_t end;

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "expired", id, sizeof(id), &ver);
	cr_assert(kg_fake_fault(&e.f, "{\"kind\":\"delay\",\"delay_ms\":1500,"
	                              "\"path\":\"/api/v1/tokens/\"}"));
	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		crash_child(e.api, e.f.ca, e.state, id, ver);
	/* the request reached the backend: it was stored before it was sent */
	end = kg_now_ms() + 20000;
	while (fake_count(&e, "POST", "/reissue") == 0 && kg_now_ms() < end)
		usleep(20000);
	cr_assert_eq(fake_count(&e, "POST", "/reissue"), 1);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the child was killed");
	cr_assert_eq(pending_mutations(&e), 1, "the crashed action is pending");
	/* the backend applies it meanwhile; the reply has nobody to go to */
	end = kg_now_ms() + 20000;
	while (keys == 0 && kg_now_ms() < end) {
		fake_applied(&e, &keys, &max);
		usleep(20000);
	}
	cr_assert_eq(keys, 1);

	/* restart: resume sends the stored key and body again */
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r), 1);
	run_until(&e, &r.done);
	cr_assert_null(r.message, "%s", r.message);
	cr_assert(r.replayed, "answered from the idempotency key, not applied again");
	cr_assert_eq(r.tok.status, KG_TOKEN_ACTIVE);
	cr_assert_str_eq(r.tok.expires_at, "2099-12-31");
	cr_assert_eq(pending_mutations(&e), 0);
	fake_applied(&e, &keys, &max);
	cr_assert_eq(keys, 1);
	cr_assert_eq(max, 1, "applied exactly once");
	cr_assert_eq(fake_count(&e, "POST", "/reissue"), 2);
	cr_assert_eq(kg_store_list_activity(e.st, "INC9", false, &rows, &n), KG_ERR_OK);
	cr_assert_eq(n, 1, "recorded once");
	kg_activity_rows_free(&rows, n);
	rec_free(&r);
	env_stop(&e);
}

Test(kigo, resumed_mutation_refused_by_login_stays_pending)
{
	struct env e;
	struct kg_kigo *bad = NULL;
	struct rec r = { 0 };
	char id[64], path[128], ifm[32];
	int64_t ver;

	env_start(&e, 0, NULL);
	pick_token(&e, JANE, "active", id, sizeof(id), &ver);
	snprintf(path, sizeof(path), "/tokens/%s/remove", id);
	snprintf(ifm, sizeof(ifm), "\"%lld\"", (long long)ver);
	store_row(&e, "key-401", path, "{\"reason\":\"dup\",\"ticket_ref\":\"INC1\"}", ifm);
	env_client(&e, &bad, "expired-token", false);
	cr_assert_eq(kg_kigo_resume(bad, on_resumed, &r), 1);
	run_until(&e, &r.done);
	cr_assert_eq(r.err, KG_ERR_UNAUTHORIZED);
	cr_assert(r.pending, "a 401 settles nothing about an earlier send");
	cr_assert_eq(pending_mutations(&e), 1);
	rec_free(&r);
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r), 1);
	run_until(&e, &r.done);
	cr_assert_null(r.message, "%s", r.message);
	cr_assert_eq(pending_mutations(&e), 0);
	rec_free(&r);
	kg_kigo_free(&bad);
	env_stop(&e);
}

Test(kigo, resume_refuses_a_mutation_older_than_the_key_window)
{
	struct env e;
	struct rec r = { 0 };
	struct kg_mutation m = { .idem_key = (char *)"key-old", .kind = (char *)"add",
		                 .path = (char *)"/customers/cus_8XK2/tokens",
		                 .body = (char *)"{\"sku\":\"XB-5OFF\",\"ticket_ref\":\"INC1\"}",
		                 .ticket_ref = (char *)"INC1", .customer_id = (char *)JANE,
		                 .state = KG_MUT_PENDING };

	env_start(&e, 0, NULL);
	m.created_at = kg_wall_now() - 25 * 3600;
	cr_assert_eq(kg_store_mutation_add(e.st, &m), KG_ERR_OK);
	cr_assert_eq(kg_kigo_resume(e.k, on_resumed, &r), 1);
	run_until(&e, &r.done);
	cr_assert_eq(r.err, KG_ERR_EXPIRED);
	cr_assert(strstr(r.message, "idempotency window") != NULL, "%s", r.message);
	cr_assert_eq(pending_mutations(&e), 0);
	cr_assert_eq(fake_count(&e, "POST", "/tokens"), 0, "not re-sent");
	rec_free(&r);
	env_stop(&e);
}

/* ================= offline and unreachable ================= */

Test(kigo, offline_refuses_mutations_and_reads)
{
	struct env e;
	struct kg_kigo *off = NULL;
	struct rec r = { 0 };
	char *cause = NULL;
	uint64_t id = 99;

	env_start(&e, 0, NULL);
	env_client(&e, &off, BEARER, true);
	cr_assert(kg_kigo_offline(off));
	cr_assert(!kg_kigo_reachable(off));
	struct kg_kigo_mutation add = { .action = KG_ACTION_ADD, .customer_id = JANE,
		                        .sku = "XB-5OFF", .ticket_ref = "INC1" };
	cr_assert_eq(kg_kigo_mutate(off, &add, on_mutate, &r, &id, &cause), KG_ERR_OFFLINE);
	cr_assert_eq(id, 0);
	cr_assert(strstr(cause, "never queued") != NULL, "%s", cause);
	free(cause);
	cr_assert_eq(pending_mutations(&e), 0, "nothing stored");
	cr_assert_eq(kg_kigo_resume(off, on_resumed, &r), 0);

	kg_kigo_get_customer(off, JANE, on_customer, &r);
	cr_assert(!r.done, "never called from inside the call");
	run_until(&e, &r.done);
	cr_assert_eq(r.err, KG_ERR_OFFLINE);
	cr_assert_eq(fake_count(&e, "GET", "/customers"), 0);
	rec_free(&r);
	kg_kigo_free(&off);
	env_stop(&e);
}

Test(kigo, unreachable_backend_fails_the_mutation_with_a_sentence)
{
	struct env e;
	struct kg_kigo *k = NULL;
	struct rec r = { 0 };
	struct kg_kigo_opts o = { .api_url = "https://127.0.0.1:1/api/v1", .bearer = BEARER };
	char *cause = NULL;
	struct kg_mutation *v = NULL;
	size_t n = 0;

	env_start(&e, -1, NULL);
	cr_assert_eq(kg_kigo_new(e.loop, e.http, NULL, e.st, &o, &k, &cause), KG_ERR_OK);
	struct kg_kigo_mutation add = { .action = KG_ACTION_ADD, .customer_id = JANE,
		                        .sku = "XB-5OFF", .ticket_ref = "INC1" };
	mutate(&e, k, &add, &r);
	cr_assert_eq(r.err, KG_ERR_CONNECT, "%s", r.message);
	cr_assert(!r.pending, "never sent, so nothing is pending");
	cr_assert(strstr(r.message, "Nothing was changed") != NULL, "%s", r.message);
	cr_assert(!kg_kigo_reachable(k));
	cr_assert_eq(kg_store_mutation_pending(e.st, &v, &n), KG_ERR_OK);
	cr_assert_eq(n, 0, "failed, not queued");
	kg_mutations_free(&v, n);
	rec_free(&r);
	kg_kigo_free(&k);
	env_stop(&e);
}

Test(kigo, cancel_drops_the_callback)
{
	struct env e;
	struct rec r = { 0 }, r2 = { 0 };
	uint64_t id;

	env_start(&e, 0, NULL);
	id = kg_kigo_get_customer(e.k, JANE, on_customer, &r);
	cr_assert_neq(id, 0);
	cr_assert_eq(kg_kigo_pending(e.k), 1);
	kg_kigo_cancel(e.k, id);
	cr_assert_eq(kg_kigo_pending(e.k), 0);
	kg_kigo_get_customer(e.k, JANE, on_customer, &r2);
	run_until(&e, &r2.done);
	cr_assert(!r.done);
	/* freeing with work in flight calls nothing */
	kg_kigo_tokens(e.k, BIG, NULL, on_tokens, &r);
	rec_free(&r2);
	env_stop(&e);
	cr_assert(!r.done);
	rec_free(&r);
}

Test(kigo, config_must_be_https)
{
	struct kg_kigo *k = NULL;
	struct kg_kigo_opts o = { .api_url = "http://kigo.example.com/api/v1" };
	char *cause = NULL;

	cr_assert_eq(kg_kigo_new(NULL, NULL, NULL, NULL, &o, &k, &cause), KG_ERR_CONFIG);
	cr_assert(strstr(cause, "https") != NULL);
	cr_assert_null(k);
	free(cause);
}

/* ================= pure rules ================= */

Test(kigo_rules, transition_table)
{
	cr_assert(kg_kigo_transition_ok(KG_ACTION_REMOVE, 0, KG_TOKEN_ACTIVE));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_REMOVE, 0, KG_TOKEN_EXPIRED));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_REMOVE, 0, KG_TOKEN_DISPUTED));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_REMOVE, 0, KG_TOKEN_REDEEMED));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_REMOVE, 0, KG_TOKEN_REMOVED));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_REISSUE, 0, KG_TOKEN_EXPIRED));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_REISSUE, 0, KG_TOKEN_DISPUTED));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_DISPUTE, 0, KG_TOKEN_REDEEMED));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_DISPUTE, 0, KG_TOKEN_REMOVED));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_DISPUTE, 0, KG_TOKEN_DISPUTED));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_OTHER, KG_OTHER_RESOLVE_DISPUTE,
	                                KG_TOKEN_DISPUTED));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_OTHER, KG_OTHER_RESOLVE_DISPUTE,
	                                 KG_TOKEN_ACTIVE));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_OTHER, KG_OTHER_EXTEND, KG_TOKEN_ACTIVE));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION_OTHER, KG_OTHER_EXTEND, KG_TOKEN_EXPIRED));
	for (int s = 0; s <= KG_TOKEN__UNKNOWN; s++)
		cr_assert(kg_kigo_transition_ok(KG_ACTION_OTHER, KG_OTHER_NOTE, s));
	cr_assert(kg_kigo_transition_ok(KG_ACTION_ADD, 0, KG_TOKEN__UNKNOWN));
	cr_assert(!kg_kigo_transition_ok(KG_ACTION__UNKNOWN, 0, KG_TOKEN_ACTIVE));
}

Test(kigo_rules, allowed_actions_words)
{
	cr_assert_str_eq(kg_kigo_allowed_actions(KG_TOKEN_ACTIVE),
	                 "remove, reissue, dispute, extend, note");
	cr_assert_str_eq(kg_kigo_allowed_actions(KG_TOKEN_REDEEMED), "dispute, note");
	cr_assert_str_eq(kg_kigo_allowed_actions(KG_TOKEN_EXPIRED),
	                 "remove, reissue, dispute, note");
	cr_assert_str_eq(kg_kigo_allowed_actions(KG_TOKEN_DISPUTED),
	                 "remove, resolve dispute, note");
	cr_assert_str_eq(kg_kigo_allowed_actions(KG_TOKEN_REMOVED), "note");
	cr_assert_str_eq(kg_kigo_other_str(KG_OTHER_RESOLVE_DISPUTE), "resolve_dispute");
}

static enum kg_err
chk(const struct kg_kigo_mutation *m, enum kg_token_status st, const char *needle)
{
	char *cause = NULL;
	enum kg_err err = kg_kigo_check(m, st, "2026-11-23", &cause);

	if (needle != NULL) {
		cr_assert_not_null(cause);
		cr_assert(strstr(cause, needle) != NULL, "\"%s\" lacks \"%s\"", cause, needle);
	}
	free(cause);
	return err;
}

Test(kigo_rules, reasons_dates_and_required_members)
{
	char long_reason[600];
	struct kg_kigo_mutation m = { .action = KG_ACTION_REMOVE, .token_id = "tok_1",
		                      .reason = "dup" };

	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, NULL), KG_ERR_OK);
	m.reason = "   ";
	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, "reason is required"), KG_ERR_BAD_INPUT);
	m.reason = NULL;
	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, "reason is required"), KG_ERR_BAD_INPUT);
	memset(long_reason, 'x', 501);
	long_reason[501] = '\0';
	m.reason = long_reason;
	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, "500"), KG_ERR_BAD_INPUT);
	m.reason = "dup";
	cr_assert_eq(chk(&m, KG_TOKEN_REDEEMED, "Allowed from redeemed: dispute, note"),
	             KG_ERR_INVALID_TRANSITION);
	m.token_id = "a/b";
	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, "Pick a token"), KG_ERR_BAD_INPUT);

	struct kg_kigo_mutation re = { .action = KG_ACTION_REISSUE, .token_id = "tok_1",
		                       .reason = "r", .expires_at = "2026-11-24" };
	cr_assert_eq(chk(&re, KG_TOKEN_EXPIRED, NULL), KG_ERR_OK);
	re.expires_at = "2026-11-23";
	cr_assert_eq(chk(&re, KG_TOKEN_EXPIRED, "not after today"), KG_ERR_BAD_INPUT);
	re.expires_at = "2027-02-29";
	cr_assert_eq(chk(&re, KG_TOKEN_EXPIRED, "real date"), KG_ERR_BAD_INPUT);
	re.expires_at = "2028-02-29";
	cr_assert_eq(chk(&re, KG_TOKEN_EXPIRED, NULL), KG_ERR_OK);
	re.expires_at = "2027-1-01";
	cr_assert_eq(chk(&re, KG_TOKEN_EXPIRED, "YYYY-MM-DD"), KG_ERR_BAD_INPUT);
	re.expires_at = NULL;
	cr_assert_eq(chk(&re, KG_TOKEN_EXPIRED, "YYYY-MM-DD"), KG_ERR_BAD_INPUT);

	struct kg_kigo_mutation ext = { .action = KG_ACTION_OTHER, .other = KG_OTHER_EXTEND,
		                        .token_id = "tok_1", .expires_at = "2026-01-01" };
	cr_assert_eq(chk(&ext, KG_TOKEN_ACTIVE, "not after today"), KG_ERR_BAD_INPUT);
	struct kg_kigo_mutation note = { .action = KG_ACTION_OTHER, .other = KG_OTHER_NOTE,
		                         .token_id = "tok_1" };
	cr_assert_eq(chk(&note, KG_TOKEN_REMOVED, "note"), KG_ERR_BAD_INPUT);
	note.note = "n";
	cr_assert_eq(chk(&note, KG_TOKEN_REMOVED, NULL), KG_ERR_OK);

	struct kg_kigo_mutation add = { .action = KG_ACTION_ADD, .customer_id = "cus_1" };
	cr_assert_eq(chk(&add, KG_TOKEN__UNKNOWN, "catalog item"), KG_ERR_BAD_INPUT);
	add.sku = "XB";
	cr_assert_eq(chk(&add, KG_TOKEN__UNKNOWN, NULL), KG_ERR_OK);
	add.expires_at = "2020-01-01";
	cr_assert_eq(chk(&add, KG_TOKEN__UNKNOWN, "not after today"), KG_ERR_BAD_INPUT);

	struct kg_kigo_mutation cc = { .action = KG_ACTION_CREATE_CUSTOMER, .name = "A" };
	cr_assert_eq(chk(&cc, KG_TOKEN__UNKNOWN, "email, a phone"), KG_ERR_BAD_INPUT);
	cc.phone = "+14015550100";
	cr_assert_eq(chk(&cc, KG_TOKEN__UNKNOWN, NULL), KG_ERR_OK);
	cc.name = "";
	cr_assert_eq(chk(&cc, KG_TOKEN__UNKNOWN, "name"), KG_ERR_BAD_INPUT);
}

Test(kigo_rules, reason_counts_characters_not_bytes)
{
	char r[1101];
	struct kg_kigo_mutation m = { .action = KG_ACTION_DISPUTE, .token_id = "tok_1",
		                      .reason = r };

	for (int i = 0; i < 500; i++) {
		r[2 * i] = (char)0xc3;
		r[2 * i + 1] = (char)0xa9;
	}
	r[1000] = '\0';
	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, NULL), KG_ERR_OK);
	r[1000] = 'x';
	r[1001] = '\0';
	cr_assert_eq(chk(&m, KG_TOKEN_ACTIVE, "500"), KG_ERR_BAD_INPUT);
}

Test(kigo_rules, today_is_a_date)
{
	char d[11];

	kg_kigo_today(d);
	cr_assert_eq(strlen(d), 10);
	cr_assert_eq(d[4], '-');
}
