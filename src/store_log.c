/*
 * store_log.c - what the agent did and what still has to be sent: the
 * activity log, the outbox of ServiceNow summaries and the pending Kigo
 * mutations with their idempotency keys.
 *
 * Each of these is written, durably (synchronous=FULL for that commit),
 * before the request it describes goes out, so a crash or a second
 * kigo-tui process can never send a summary or a mutation twice or lose
 * one.  An activity row's sync state is derived from the outbox row it is
 * attached to; it is never stored twice.  No secret is ever written here.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* ---- token <-> JSON (activity before/after) ---- */

static void
json_put_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

char *
kg_store__token_json(const struct kg_token *t)
{
	json_object *o;
	char *out;

	if (t == NULL)
		return NULL;
	o = json_object_new_object();
	json_put_str(o, "id", t->id);
	json_put_str(o, "customer_id", t->customer_id);
	json_put_str(o, "sku", t->sku);
	json_put_str(o, "name", t->name);
	json_put_str(o, "status", kg_token_status_str(t->status));
	json_put_str(o, "issued_at", t->issued_at);
	json_put_str(o, "expires_at", t->expires_at);
	json_put_str(o, "disputed_reason", t->disputed_reason);
	json_object_object_add(o, "version", json_object_new_int64(t->version));
	json_object_object_add(o, "fetched_at", json_object_new_int64(t->fetched_at));
	out = kg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static char *
json_get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return kg_xstrdup(json_object_get_string(v));
}

struct kg_token *
kg_store__token_from_json(const char *json)
{
	json_object *o, *v;
	struct kg_token *t;
	char *status;

	if (json == NULL || (o = json_tokener_parse(json)) == NULL)
		return NULL;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	t = kg_xcalloc(1, sizeof(*t));
	t->id = json_get_str(o, "id");
	t->customer_id = json_get_str(o, "customer_id");
	t->sku = json_get_str(o, "sku");
	t->name = json_get_str(o, "name");
	status = json_get_str(o, "status");
	t->status = kg_token_status_parse(status);
	free(status);
	t->issued_at = json_get_str(o, "issued_at");
	t->expires_at = json_get_str(o, "expires_at");
	t->disputed_reason = json_get_str(o, "disputed_reason");
	if (json_object_object_get_ex(o, "version", &v))
		t->version = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "fetched_at", &v))
		t->fetched_at = json_object_get_int64(v);
	json_object_put(o);
	return t;
}

/* ---- activity ---- */

enum kg_err
kg_store_add_activity(struct kg_store *st, const struct kg_activity *act, int64_t *rowid)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;
	char *before = NULL, *after = NULL;
	int rc;

	if (rowid != NULL)
		*rowid = 0;
	if (kg_str_empty(act->id) || kg_str_empty(act->ticket_ref))
		return kg_store__err(st, KG_ERR_BAD_INPUT, "an activity needs an id and a ticket");
	if ((err = kg_store__tx_begin(st, true, &tx)) != KG_ERR_OK)
		return err;
	if ((s = kg_store__stmt(st, KG_STMT_ACTIVITY_ADD)) == NULL) {
		err = KG_ERR_STORE;
		goto out;
	}
	before = kg_store__token_json(act->before);
	after = kg_store__token_json(act->after);
	kg_store__bind_str(s, 1, act->id);
	kg_store__bind_str(s, 2, act->at);
	kg_store__bind_str(s, 3, act->actor);
	kg_store__bind_str(s, 4, kg_action_str(act->action));
	kg_store__bind_str(s, 5, act->token_id);
	kg_store__bind_str(s, 6, act->customer_id);
	kg_store__bind_str(s, 7, act->ticket_ref);
	kg_store__bind_str(s, 8, act->reason);
	kg_store__bind_str(s, 9, before);
	kg_store__bind_str(s, 10, after);
	sqlite3_bind_int64(s, 11, kg_wall_now());
	if ((err = kg_store__run(st, s, "recording an activity")) != KG_ERR_OK || rowid == NULL)
		goto out;
	/* the row may have been there already (same kigo activity id): find it */
	if ((s = kg_store__stmt(st, KG_STMT_ACTIVITY_ROWID)) == NULL) {
		err = KG_ERR_STORE;
		goto out;
	}
	kg_store__bind_str(s, 1, act->id);
	/* NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): rc is for debugging */
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*rowid = sqlite3_column_int64(s, 0);
	else
		err = kg_store__fail(st, "reading back an activity");
	kg_store__done(s);
out:
	free(before);
	free(after);
	return kg_store__tx_end(st, &tx, err);
}

static void
read_activity(sqlite3_stmt *s, struct kg_activity_row *r)
{
	char *action, *before, *after, *state;

	r->rowid = sqlite3_column_int64(s, 0);
	r->act.id = kg_store__col_str(s, 1);
	r->act.at = kg_store__col_str(s, 2);
	r->act.actor = kg_store__col_str(s, 3);
	action = kg_store__col_str(s, 4);
	r->act.action = kg_action_parse(action);
	free(action);
	r->act.token_id = kg_store__col_str(s, 5);
	r->act.customer_id = kg_store__col_str(s, 6);
	r->act.ticket_ref = kg_store__col_str(s, 7);
	r->act.reason = kg_store__col_str(s, 8);
	before = kg_store__col_str(s, 9);
	after = kg_store__col_str(s, 10);
	r->act.before = kg_store__token_from_json(before);
	r->act.after = kg_store__token_from_json(after);
	free(before);
	free(after);
	r->recorded_at = sqlite3_column_int64(s, 11);
	r->outbox_id = sqlite3_column_int64(s, 12);
	state = kg_store__col_str(s, 13);
	r->sync_error = kg_store__col_str(s, 14);
	if (r->outbox_id == 0)
		r->sync = KG_SYNC_UNREPORTED;
	else if (kg_streq(state, "sent"))
		r->sync = KG_SYNC_SENT;
	else if (r->sync_error != NULL)
		r->sync = KG_SYNC_FAILED;
	else
		r->sync = KG_SYNC_QUEUED;
	free(state);
}

enum kg_err
kg_store_list_activity(struct kg_store *st, const char *ticket_ref, bool unreported_only,
                       struct kg_activity_row **out, size_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_ACTIVITY_LIST);
	enum kg_err err = KG_ERR_OK;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, ticket_ref);
	sqlite3_bind_int(s, 2, unreported_only ? 1 : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = kg_xrealloc(*out, cap * sizeof(**out));
		}
		memset(&(*out)[*n], 0, sizeof(**out));
		read_activity(s, &(*out)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		err = kg_store__fail(st, "reading the activity log");
		kg_activity_rows_free(out, *n);
		*n = 0;
	}
	kg_store__done(s);
	return err;
}

void
kg_activity_rows_free(struct kg_activity_row **v, size_t n)
{
	if (v == NULL || *v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		kg_activity_clear(&(*v)[i].act);
		free((*v)[i].sync_error);
	}
	free(*v);
	*v = NULL;
}

/* ---- outbox ---- */

enum kg_err
kg_store_outbox_add(struct kg_store *st, struct kg_outbox_item *item,
                    const int64_t *activity_rowids, size_t n)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;
	int64_t id = 0;

	if (kg_str_empty(item->sync_id) || kg_str_empty(item->ticket_ref) ||
	    kg_str_empty(item->table) || kg_str_empty(item->sys_id) ||
	    kg_str_empty(item->journal_field) || item->text == NULL)
		return kg_store__err(st, KG_ERR_BAD_INPUT, "an outbox item needs a sync id, ticket, "
		                     "table, sys_id, journal field and text");
	if (item->created_at == 0)
		item->created_at = kg_wall_now();
	if ((err = kg_store__tx_begin(st, true, &tx)) != KG_ERR_OK)
		return err;
	if ((s = kg_store__stmt(st, KG_STMT_OUTBOX_ADD)) == NULL) {
		err = KG_ERR_STORE;
		goto out;
	}
	kg_store__bind_str(s, 1, item->sync_id);
	kg_store__bind_str(s, 2, item->ticket_ref);
	kg_store__bind_str(s, 3, item->table);
	kg_store__bind_str(s, 4, item->sys_id);
	kg_store__bind_str(s, 5, item->journal_field);
	kg_store__bind_str(s, 6, item->text);
	sqlite3_bind_int64(s, 7, item->created_at);
	if (sqlite3_step(s) != SQLITE_DONE) {
		int rc = sqlite3_extended_errcode(st->db);
		err = rc == SQLITE_CONSTRAINT_UNIQUE
		          ? kg_store__err(st, KG_ERR_CONFLICT, "sync id %s is already in the outbox",
		                          item->sync_id)
		          : kg_store__fail(st, "queueing a summary");
		kg_store__done(s);
		goto out;
	}
	kg_store__done(s);
	id = sqlite3_last_insert_rowid(st->db);
	if ((s = kg_store__stmt(st, KG_STMT_ACTIVITY_ATTACH)) == NULL) {
		err = KG_ERR_STORE;
		goto out;
	}
	for (size_t i = 0; i < n && err == KG_ERR_OK; i++) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, activity_rowids[i]);
		if ((err = kg_store__run(st, s, "attaching activity to a summary")) != KG_ERR_OK)
			break;
		/*
		 * Already in another summary (another kigo-tui window got there
		 * first) or gone: the text we were given would report it twice.
		 */
		if (sqlite3_changes(st->db) != 1)
			err = kg_store__err(st, KG_ERR_CONFLICT,
			                    "activity row %lld is already in another summary or does "
			                    "not exist; rebuild the summary", (long long)activity_rowids[i]);
	}
out:
	err = kg_store__tx_end(st, &tx, err);
	if (err == KG_ERR_OK) {
		item->id = id;
		item->state = KG_OUTBOX_PENDING;
		item->attempts = 0;
		item->sent_at = 0;
	}
	return err;
}

enum kg_err
kg_store_outbox_pending(struct kg_store *st, const char *ticket_ref,
                        struct kg_outbox_item **out, size_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_OUTBOX_PENDING);
	enum kg_err err = KG_ERR_OK;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return KG_ERR_STORE;
	kg_store__bind_str(s, 1, ticket_ref);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct kg_outbox_item *o;
		char *state;

		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = kg_xrealloc(*out, cap * sizeof(**out));
		}
		o = &(*out)[(*n)++];
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(s, 0);
		o->sync_id = kg_store__col_str(s, 1);
		o->ticket_ref = kg_store__col_str(s, 2);
		o->table = kg_store__col_str(s, 3);
		o->sys_id = kg_store__col_str(s, 4);
		o->journal_field = kg_store__col_str(s, 5);
		o->text = kg_store__col_str(s, 6);
		state = kg_store__col_str(s, 7);
		o->state = kg_streq(state, "sent") ? KG_OUTBOX_SENT : KG_OUTBOX_PENDING;
		free(state);
		o->attempts = sqlite3_column_int(s, 8);
		o->last_error = kg_store__col_str(s, 9);
		o->created_at = sqlite3_column_int64(s, 10);
		o->sent_at = sqlite3_column_int64(s, 11);
	}
	if (rc != SQLITE_DONE) {
		err = kg_store__fail(st, "reading the outbox");
		kg_outbox_items_free(out, *n);
		*n = 0;
	}
	kg_store__done(s);
	return err;
}

/* One durable UPDATE by id; KG_ERR_NOT_FOUND when no row changed. */
static enum kg_err
update_by_id(struct kg_store *st, enum kg_store_stmt which, int64_t id, const char *text,
             int64_t num, const char *what)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;

	if ((err = kg_store__tx_begin(st, true, &tx)) != KG_ERR_OK)
		return err;
	if ((s = kg_store__stmt(st, which)) == NULL) {
		err = KG_ERR_STORE;
	} else {
		sqlite3_bind_int64(s, 1, id);
		if (which == KG_STMT_OUTBOX_SENT)
			sqlite3_bind_int64(s, 2, num);
		else if (which == KG_STMT_OUTBOX_FAIL)
			kg_store__bind_str(s, 2, text);
		else if (which == KG_STMT_MUTATION_FINISH) {
			kg_store__bind_str(s, 2, num == KG_MUT_DONE     ? "done"
			                         : num == KG_MUT_FAILED ? "failed"
			                                                : "pending");
			kg_store__bind_str(s, 3, text);
		}
		err = kg_store__run(st, s, what);
		if (err == KG_ERR_OK && sqlite3_changes(st->db) == 0)
			err = kg_store__err(st, KG_ERR_NOT_FOUND, "%s: no row %lld", what, (long long)id);
	}
	return kg_store__tx_end(st, &tx, err);
}

enum kg_err
kg_store_outbox_attempt(struct kg_store *st, int64_t id, const char *error)
{
	if (error == NULL)
		return update_by_id(st, KG_STMT_OUTBOX_START, id, NULL, 0, "counting a send attempt");
	return update_by_id(st, KG_STMT_OUTBOX_FAIL, id, error, 0, "recording a send failure");
}

enum kg_err
kg_store_outbox_sent(struct kg_store *st, int64_t id)
{
	return update_by_id(st, KG_STMT_OUTBOX_SENT, id, NULL, kg_wall_now(),
	                    "marking a summary sent");
}

void
kg_outbox_items_free(struct kg_outbox_item **v, size_t n)
{
	if (v == NULL || *v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct kg_outbox_item *o = &(*v)[i];
		free(o->sync_id);
		free(o->ticket_ref);
		free(o->table);
		free(o->sys_id);
		free(o->journal_field);
		free(o->text);
		free(o->last_error);
	}
	free(*v);
	*v = NULL;
}

/* ---- pending mutations ---- */

enum kg_err
kg_store_mutation_add(struct kg_store *st, struct kg_mutation *m)
{
	struct kg_store_tx tx;
	sqlite3_stmt *s;
	enum kg_err err;

	if (kg_str_empty(m->idem_key) || kg_str_empty(m->kind) || kg_str_empty(m->path) ||
	    m->body == NULL)
		return kg_store__err(st, KG_ERR_BAD_INPUT, "a mutation needs an idempotency key, "
		                     "kind, path and body");
	if (m->created_at == 0)
		m->created_at = kg_wall_now();
	if ((err = kg_store__tx_begin(st, true, &tx)) != KG_ERR_OK)
		return err;
	if ((s = kg_store__stmt(st, KG_STMT_MUTATION_ADD)) == NULL) {
		err = KG_ERR_STORE;
		goto out;
	}
	kg_store__bind_str(s, 1, m->idem_key);
	kg_store__bind_str(s, 2, m->kind);
	kg_store__bind_str(s, 3, m->path);
	kg_store__bind_str(s, 4, m->body);
	kg_store__bind_str(s, 5, m->if_match);
	kg_store__bind_str(s, 6, m->ticket_ref);
	kg_store__bind_str(s, 7, m->customer_id);
	kg_store__bind_str(s, 8, m->token_id);
	sqlite3_bind_int64(s, 9, m->created_at);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err = sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE
		          ? kg_store__err(st, KG_ERR_CONFLICT,
		                          "idempotency key %s is already recorded", m->idem_key)
		          : kg_store__fail(st, "recording a pending change");
	} else {
		m->id = sqlite3_last_insert_rowid(st->db);
		m->state = KG_MUT_PENDING;
	}
	kg_store__done(s);
out:
	return kg_store__tx_end(st, &tx, err);
}

enum kg_err
kg_store_mutation_pending(struct kg_store *st, struct kg_mutation **out, size_t *n)
{
	sqlite3_stmt *s = kg_store__stmt(st, KG_STMT_MUTATION_PENDING);
	enum kg_err err = KG_ERR_OK;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return KG_ERR_STORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct kg_mutation *m;
		char *state;

		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = kg_xrealloc(*out, cap * sizeof(**out));
		}
		m = &(*out)[(*n)++];
		memset(m, 0, sizeof(*m));
		m->id = sqlite3_column_int64(s, 0);
		m->idem_key = kg_store__col_str(s, 1);
		m->kind = kg_store__col_str(s, 2);
		m->path = kg_store__col_str(s, 3);
		m->body = kg_store__col_str(s, 4);
		m->if_match = kg_store__col_str(s, 5);
		m->ticket_ref = kg_store__col_str(s, 6);
		m->customer_id = kg_store__col_str(s, 7);
		m->token_id = kg_store__col_str(s, 8);
		state = kg_store__col_str(s, 9);
		m->state = kg_streq(state, "done")     ? KG_MUT_DONE
		           : kg_streq(state, "failed") ? KG_MUT_FAILED
		                                       : KG_MUT_PENDING;
		free(state);
		m->last_error = kg_store__col_str(s, 10);
		m->created_at = sqlite3_column_int64(s, 11);
	}
	if (rc != SQLITE_DONE) {
		err = kg_store__fail(st, "reading pending changes");
		kg_mutations_free(out, *n);
		*n = 0;
	}
	kg_store__done(s);
	return err;
}

enum kg_err
kg_store_mutation_finish(struct kg_store *st, int64_t id, enum kg_mutation_state state,
                         const char *error)
{
	if (state != KG_MUT_DONE && state != KG_MUT_FAILED && state != KG_MUT_PENDING)
		return kg_store__err(st, KG_ERR_BAD_INPUT, "unknown mutation state %d", (int)state);
	return update_by_id(st, KG_STMT_MUTATION_FINISH, id, error, state,
	                    "finishing a pending change");
}

void
kg_mutations_free(struct kg_mutation **v, size_t n)
{
	if (v == NULL || *v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct kg_mutation *m = &(*v)[i];
		free(m->idem_key);
		free(m->kind);
		free(m->path);
		free(m->body);
		free(m->if_match);
		free(m->ticket_ref);
		free(m->customer_id);
		free(m->token_id);
		free(m->last_error);
	}
	free(*v);
	*v = NULL;
}
