/*
 * store_cache.c - the cached copies of remote records: tickets, customers
 * (and the customer search behind every keystroke), tokens, catalog.
 *
 * Everything here can be rebuilt by fetching again, so writes use the
 * connection's synchronous=NORMAL.  No secret is ever written.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define KG_SEARCH_DEFAULT_LIMIT 50
/*
 * Search bounds, measured on 1,000,000 generated customers (see the store
 * report): FTS candidates are cut at this many before the sort by name, and
 * a 1-2 character query reads at most this many rows in name order.
 */
/*
 * Reading each candidate row to sort it by name is most of a search's time:
 * 1,000 keeps the p95 of a keystroke on 1,000,000 cached customers near
 * 3 ms (2,000: 4-5 ms, 5,000: 8-10 ms; docs/benchmarks.md).  A query with
 * more matches than that is not specific yet: the next character narrows it.
 */
#define KG_SEARCH_CANDIDATES 1000
#define KG_SEARCH_SHORT_SCAN 10000

static int64_t
fetched(int64_t at)
{
	return at != 0 ? at : kg_wall_now();
}

/* ---- tickets ---- */

enum kg_err
kg_store_put_ticket(struct kg_store *st, const struct kg_ticket *t)
{
	sqlite3_stmt *s;

	if (kg_str_empty(t->sys_id) || kg_str_empty(t->number))
		return kg_store__err(st, KG_ERR_BAD_INPUT, "a ticket needs a sys_id and a number");
	if ((s = kg_store__stmt(st, KG_STMT_TICKET_PUT)) == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, t->sys_id);
	kg_store__bind_str(s, 2, t->number);
	kg_store__bind_str(s, 3, t->table);
	kg_store__bind_str(s, 4, t->short_description);
	kg_store__bind_str(s, 5, t->state);
	kg_store__bind_str(s, 6, t->state_label);
	kg_store__bind_str(s, 7, t->priority);
	kg_store__bind_str(s, 8, t->priority_label);
	kg_store__bind_str(s, 9, t->caller_id);
	kg_store__bind_str(s, 10, t->caller_name);
	kg_store__bind_str(s, 11, t->assigned_to);
	kg_store__bind_str(s, 12, t->assigned_to_name);
	kg_store__bind_str(s, 13, t->updated_on);
	sqlite3_bind_int64(s, 14, fetched(t->fetched_at));
	return kg_store__run(st, s, "saving a ticket");
}

enum kg_err
kg_store_get_ticket(struct kg_store *st, const char *number_or_sys_id, struct kg_ticket *out)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_TICKET_GET);
	enum kg_err err = KG_ERR_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, number_or_sys_id ? number_or_sys_id : "");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->sys_id = kg_store__col_str(s, 0);
		out->number = kg_store__col_str(s, 1);
		out->table = kg_store__col_str(s, 2);
		out->short_description = kg_store__col_str(s, 3);
		out->state = kg_store__col_str(s, 4);
		out->state_label = kg_store__col_str(s, 5);
		out->priority = kg_store__col_str(s, 6);
		out->priority_label = kg_store__col_str(s, 7);
		out->caller_id = kg_store__col_str(s, 8);
		out->caller_name = kg_store__col_str(s, 9);
		out->assigned_to = kg_store__col_str(s, 10);
		out->assigned_to_name = kg_store__col_str(s, 11);
		out->updated_on = kg_store__col_str(s, 12);
		out->fetched_at = sqlite3_column_int64(s, 13);
	} else if (rc == SQLITE_DONE) {
		err = kg_store__err(st, KG_ERR_NOT_FOUND, "ticket %s is not in the local cache",
		                    number_or_sys_id ? number_or_sys_id : "");
	} else {
		err = kg_store__fail(st, "reading a ticket");
	}
	kg_store__done(s);
	return err;
}

/* ---- customers ---- */

static void
read_customer(sqlite3_stmt *s, struct kg_customer *c)
{
	memset(c, 0, sizeof(*c));
	c->id = kg_store__col_str(s, 0);
	c->name = kg_store__col_str(s, 1);
	c->email = kg_store__col_str(s, 2);
	c->phone = kg_store__col_str(s, 3);
	c->loyalty_id = kg_store__col_str(s, 4);
	c->created_at = kg_store__col_str(s, 5);
	c->updated_at = kg_store__col_str(s, 6);
	c->fetched_at = sqlite3_column_int64(s, 7);
}

static enum kg_err
put_customer(struct kg_store *st, sqlite3_stmt *s, const struct kg_customer *c)
{
	if (kg_str_empty(c->id))
		return kg_store__err(st, KG_ERR_BAD_INPUT, "a customer without an id");
	kg_store__bind_str(s, 1, c->id);
	kg_store__bind_str(s, 2, c->name ? c->name : "");
	kg_store__bind_str(s, 3, c->email);
	kg_store__bind_str(s, 4, c->phone);
	kg_store__bind_str(s, 5, c->loyalty_id);
	kg_store__bind_str(s, 6, c->created_at);
	kg_store__bind_str(s, 7, c->updated_at);
	sqlite3_bind_int64(s, 8, fetched(c->fetched_at));
	return kg_store__run(st, s, "saving a customer");
}

enum kg_err
kg_store_put_customers(struct kg_store *st, const struct kg_customer *v, size_t n)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;

	if ((s = kg_store__stmt(st, KG_STMT_CUSTOMER_PUT)) == NULL)
		return KG_ERR_STORE;
	if ((err = kg_store__tx_begin(st, false, &tx)) != KG_ERR_OK)
		return err;
	for (size_t i = 0; i < n && err == KG_ERR_OK; i++) {
		kg_store__done(s);
		err = put_customer(st, s, &v[i]);
	}
	kg_store__done(s);
	return kg_store__tx_end(st, &tx, err);
}

enum kg_err
kg_store_get_customer(struct kg_store *st, const char *id, struct kg_customer *out)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_CUSTOMER_GET);
	enum kg_err err = KG_ERR_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, id ? id : "");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_customer(s, out);
	else if (rc == SQLITE_DONE)
		err = kg_store__err(st, KG_ERR_NOT_FOUND, "customer %s is not in the local cache",
		                    id ? id : "");
	else
		err = kg_store__fail(st, "reading a customer");
	kg_store__done(s);
	return err;
}

enum kg_err
kg_store_delete_customer(struct kg_store *st, const char *id)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;

	if ((err = kg_store__tx_begin(st, false, &tx)) != KG_ERR_OK)
		return err;
	/* the customer's tokens go with it: they cannot be shown without it */
	if ((s = kg_store__stmt(st, KG_STMT_CUSTOMER_TOKENS_DEL)) == NULL) {
		err = KG_ERR_STORE;
	} else {
		kg_store__bind_str(s, 1, id ? id : "");
		err = kg_store__run(st, s, "deleting a customer's tokens");
	}
	if (err == KG_ERR_OK && (s = kg_store__stmt(st, KG_STMT_CUSTOMER_DEL)) == NULL)
		err = KG_ERR_STORE;
	if (err == KG_ERR_OK) {
		kg_store__bind_str(s, 1, id ? id : "");
		err = kg_store__run(st, s, "deleting a customer");
	}
	return kg_store__tx_end(st, &tx, err);
}

/* Counts UTF-8 code points, which is what the trigram tokenizer counts. */
static size_t
utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* An FTS5 string literal: the whole query is one phrase, never syntax. */
static char *
fts_literal(const char *q, size_t len)
{
	char *out = kg_xmalloc(2 * len + 3), *p = out;

	*p++ = '"';
	for (size_t i = 0; i < len; i++) {
		if (q[i] == '"')
			*p++ = '"';
		*p++ = q[i];
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* '%q%' with LIKE's own wildcards and the escape character escaped. */
static char *
like_pattern(const char *q, size_t len)
{
	char *out = kg_xmalloc(2 * len + 3), *p = out;

	*p++ = '%';
	for (size_t i = 0; i < len; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			*p++ = '\\';
		*p++ = q[i];
	}
	*p++ = '%';
	*p = '\0';
	return out;
}

/*
 * Three plans, all ordered by name (case-insensitively), then id:
 *  - empty query: the first rows of the name index;
 *  - 3+ characters: the FTS5 trigram index gives at most
 *    KG_SEARCH_CANDIDATES matching rows, which are sorted by name.  When
 *    more customers match than that, the list is the first by name among
 *    those candidates; typing one more character narrows it;
 *  - 1-2 characters (too short for trigrams): LIKE over the four fields
 *    while walking the covering name index (no table reads), stopping
 *    after `limit` hits or KG_SEARCH_SHORT_SCAN rows; then the hits are
 *    read by rowid.  What it returns is the true beginning of the list in
 *    name order, possibly shorter than `limit`.
 */
static enum kg_err
search_short(struct kg_store *st, const char *pattern, size_t limit, struct kg_customer **out,
             size_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_CUSTOMER_SHORT), *get;
	int64_t *rids = NULL;
	size_t hits = 0;
	enum kg_err err = KG_ERR_OK;
	int rc = SQLITE_DONE;

	if (s == NULL || (get = kg_store__stmt(st, KG_STMT_CUSTOMER_BY_RID)) == NULL)
		return KG_ERR_STORE;
	rids = kg_xcalloc(limit, sizeof(*rids));
	kg_store__bind_str(s, 1, pattern);
	sqlite3_bind_int64(s, 2, KG_SEARCH_SHORT_SCAN);
	while (hits < limit && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if (sqlite3_column_int(s, 1) != 0)
			rids[hits++] = sqlite3_column_int64(s, 0);
	if (hits < limit && rc != SQLITE_DONE)
		err = kg_store__fail(st, "searching customers");
	kg_store__done(s);
	if (err == KG_ERR_OK && hits > 0)
		*out = kg_xcalloc(hits, sizeof(**out));
	/* one read transaction per statement: a row deleted in between is skipped */
	for (size_t i = 0; i < hits && err == KG_ERR_OK; i++) {
		sqlite3_bind_int64(get, 1, rids[i]);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW)
			read_customer(get, &(*out)[(*n)++]);
		else if (rc != SQLITE_DONE)
			err = kg_store__fail(st, "reading a customer");
		kg_store__done(get);
	}
	if (err != KG_ERR_OK) {
		kg_customers_free(out, *n);
		*n = 0;
	}
	free(rids);
	return err;
}

enum kg_err
kg_store_search_customers(struct kg_store *st, const char *q, size_t limit,
                          struct kg_customer **out, size_t *n)
{
	sqlite3_stmt *s;
	enum kg_err err = KG_ERR_OK;
	size_t len, chars, cap = 0;
	char *arg = NULL;
	int rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (limit == 0)
		limit = KG_SEARCH_DEFAULT_LIMIT;
	if (q == NULL)
		q = "";
	while (*q == ' ' || *q == '\t')
		q++;
	len = strlen(q);
	while (len > 0 && (q[len - 1] == ' ' || q[len - 1] == '\t'))
		len--;
	chars = utf8_chars(q, len);
	if (chars == 0) {
		s = kg_store__stmt(st, KG_STMT_CUSTOMER_ALL);
		if (s != NULL)
			sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	} else if (chars >= 3) {
		arg = fts_literal(q, len);
		s = kg_store__stmt(st, KG_STMT_CUSTOMER_FTS);
		if (s != NULL) {
			kg_store__bind_str(s, 1, arg);
			sqlite3_bind_int64(s, 2, KG_SEARCH_CANDIDATES);
			sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
		}
	} else {
		arg = like_pattern(q, len);
		err = search_short(st, arg, limit, out, n);
		free(arg);
		return err;
	}
	if (s == NULL) {
		err = KG_ERR_STORE;
		goto out;
	}
	while (*n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = kg_xrealloc(*out, cap * sizeof(**out));
		}
		read_customer(s, &(*out)[(*n)++]);
	}
	if (*n < limit && rc != SQLITE_DONE) {
		err = kg_store__fail(st, "searching customers");
		kg_customers_free(out, *n);
		*n = 0;
	}
out:
	kg_store__done(s);
	free(arg);
	return err;
}

/* ---- tokens ---- */

static void
read_token(sqlite3_stmt *s, struct kg_token *t)
{
	char *status;

	t->id = kg_store__col_str(s, 0);
	t->customer_id = kg_store__col_str(s, 1);
	t->sku = kg_store__col_str(s, 2);
	t->name = kg_store__col_str(s, 3);
	status = kg_store__col_str(s, 4);
	t->status = kg_token_status_parse(status);
	free(status);
	t->issued_at = kg_store__col_str(s, 5);
	t->expires_at = kg_store__col_str(s, 6);
	t->disputed_reason = kg_store__col_str(s, 7);
	t->version = sqlite3_column_int64(s, 8);
	t->fetched_at = sqlite3_column_int64(s, 9);
}

/* A JSON array of strings, for "NOT IN (SELECT value FROM json_each(?))". */
static char *
json_id_array(const void *v, size_t n, size_t stride, size_t offset)
{
	json_object *a = json_object_new_array();
	char *out;

	for (size_t i = 0; i < n; i++) {
		const char *id = *(char *const *)((const char *)v + i * stride + offset);
		json_object_array_add(a, json_object_new_string(id ? id : ""));
	}
	out = kg_xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return out;
}

enum kg_err
kg_store_put_tokens(struct kg_store *st, const char *customer_id, const struct kg_token *v,
                    size_t n, bool complete)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;
	char *keep = NULL;

	if (kg_str_empty(customer_id))
		return kg_store__err(st, KG_ERR_BAD_INPUT, "tokens without a customer id");
	for (size_t i = 0; i < n; i++) {
		if (kg_str_empty(v[i].id))
			return kg_store__err(st, KG_ERR_BAD_INPUT, "a token without an id");
		if (v[i].customer_id != NULL && strcmp(v[i].customer_id, customer_id) != 0)
			return kg_store__err(st, KG_ERR_BAD_INPUT, "token %s belongs to %s, not %s",
			                     v[i].id, v[i].customer_id, customer_id);
	}
	if ((s = kg_store__stmt(st, KG_STMT_TOKEN_PUT)) == NULL)
		return KG_ERR_STORE;
	if ((err = kg_store__tx_begin(st, false, &tx)) != KG_ERR_OK)
		return err;
	for (size_t i = 0; i < n && err == KG_ERR_OK; i++) {
		const struct kg_token *t = &v[i];

		kg_store__bind_str(s, 1, t->id);
		kg_store__bind_str(s, 2, customer_id);
		kg_store__bind_str(s, 3, t->sku);
		kg_store__bind_str(s, 4, t->name);
		kg_store__bind_str(s, 5, kg_token_status_str(t->status));
		kg_store__bind_str(s, 6, t->issued_at);
		kg_store__bind_str(s, 7, t->expires_at);
		kg_store__bind_str(s, 8, t->disputed_reason);
		sqlite3_bind_int64(s, 9, t->version);
		sqlite3_bind_int64(s, 10, fetched(t->fetched_at));
		err = kg_store__run(st, s, "saving a token");
	}
	if (err == KG_ERR_OK && complete) {
		if ((s = kg_store__stmt(st, KG_STMT_TOKEN_PRUNE)) == NULL) {
			err = KG_ERR_STORE;
		} else {
			keep = json_id_array(v, n, sizeof(*v), offsetof(struct kg_token, id));
			kg_store__bind_str(s, 1, customer_id);
			kg_store__bind_str(s, 2, keep);
			err = kg_store__run(st, s, "removing tokens the server no longer lists");
		}
	}
	free(keep);
	return kg_store__tx_end(st, &tx, err);
}

enum kg_err
kg_store_get_tokens(struct kg_store *st, const char *customer_id, struct kg_token **out,
                    size_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_TOKEN_LIST);
	enum kg_err err = KG_ERR_OK;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, customer_id ? customer_id : "");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = kg_xrealloc(*out, cap * sizeof(**out));
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		read_token(s, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		err = kg_store__fail(st, "reading tokens");
		kg_tokens_free(out, *n);
		*n = 0;
	}
	kg_store__done(s);
	/* the model's comparator is the one definition of inventory order */
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), kg_token_cmp_inventory);
	return err;
}

enum kg_err
kg_store_get_token(struct kg_store *st, const char *id, struct kg_token *out)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_TOKEN_GET);
	enum kg_err err = KG_ERR_OK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, id ? id : "");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_token(s, out);
	else if (rc == SQLITE_DONE)
		err = kg_store__err(st, KG_ERR_NOT_FOUND, "token %s is not in the local cache",
		                    id ? id : "");
	else
		err = kg_store__fail(st, "reading a token");
	kg_store__done(s);
	return err;
}

/* ---- catalog ---- */

enum kg_err
kg_store_put_catalog(struct kg_store *st, const struct kg_catalog_item *v, size_t n,
                     bool complete)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;
	char *keep = NULL;
	int64_t now = kg_wall_now();

	for (size_t i = 0; i < n; i++)
		if (kg_str_empty(v[i].sku))
			return kg_store__err(st, KG_ERR_BAD_INPUT, "a catalog item without a sku");
	if ((s = kg_store__stmt(st, KG_STMT_CATALOG_PUT)) == NULL)
		return KG_ERR_STORE;
	if ((err = kg_store__tx_begin(st, false, &tx)) != KG_ERR_OK)
		return err;
	for (size_t i = 0; i < n && err == KG_ERR_OK; i++) {
		kg_store__bind_str(s, 1, v[i].sku);
		kg_store__bind_str(s, 2, v[i].name);
		kg_store__bind_str(s, 3, v[i].description);
		sqlite3_bind_int64(s, 4, v[i].value_cents);
		sqlite3_bind_int(s, 5, v[i].default_validity_days);
		sqlite3_bind_int(s, 6, v[i].active ? 1 : 0);
		sqlite3_bind_int64(s, 7, now);
		err = kg_store__run(st, s, "saving a catalog item");
	}
	if (err == KG_ERR_OK && complete) {
		if ((s = kg_store__stmt(st, KG_STMT_CATALOG_PRUNE)) == NULL) {
			err = KG_ERR_STORE;
		} else {
			keep = json_id_array(v, n, sizeof(*v), offsetof(struct kg_catalog_item, sku));
			kg_store__bind_str(s, 1, keep);
			err = kg_store__run(st, s, "removing withdrawn catalog items");
		}
	}
	free(keep);
	return kg_store__tx_end(st, &tx, err);
}

enum kg_err
kg_store_get_catalog(struct kg_store *st, const char *filter, struct kg_catalog_item **out,
                     size_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_CATALOG_LIST);
	enum kg_err err = KG_ERR_OK;
	char *pat = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return KG_ERR_STORE;
	if (!kg_str_empty(filter)) {
		pat = like_pattern(filter, strlen(filter));
		kg_store__bind_str(s, 1, pat);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct kg_catalog_item *c;

		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = kg_xrealloc(*out, cap * sizeof(**out));
		}
		c = &(*out)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->sku = kg_store__col_str(s, 0);
		c->name = kg_store__col_str(s, 1);
		c->description = kg_store__col_str(s, 2);
		c->value_cents = sqlite3_column_int64(s, 3);
		c->default_validity_days = sqlite3_column_int(s, 4);
		c->active = sqlite3_column_int(s, 5) != 0;
	}
	if (rc != SQLITE_DONE) {
		err = kg_store__fail(st, "reading the catalog");
		kg_catalog_free(out, *n);
		*n = 0;
	}
	kg_store__done(s);
	free(pat);
	return err;
}
