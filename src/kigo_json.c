/*
 * kigo_json.c - parse and encode the Kigo token API v1 bodies.
 *
 * Pure functions: bytes in, plain records out.  Every member the contract
 * marks required must be there with the right JSON type, or the parse fails
 * with a sentence naming the member by its path ("items[3].version");
 * members this build does not know are ignored, because the backend adds
 * fields over time.  Never does I/O, never logs (bodies may be large and
 * hold customer data).
 */
#include "kigo/kigo_json.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* Member presence rules. */
enum need { REQUIRED, NULLABLE };

/* A parse position: the path of the object being read, for messages. */
struct jpos {
	const char *path;  /* "" for the top level, "items[3]" ... */
	char **cause;
};

static void
bad(const struct jpos *p, const char *member, const char *what)
{
	kg_set_cause(p->cause, "%s%s%s: %s", p->path, *p->path && member ? "." : "",
	             member ? member : "", what);
}

/* Parse text into a json-c tree; caller puts the result. */
static json_object *
parse_text(const char *body, size_t len, char **cause)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;

	if (body == NULL) {
		kg_set_cause(cause, "empty response body: expected JSON");
		return NULL;
	}
	if (len == 0)
		len = strlen(body);
	if (len > (size_t)INT32_MAX) {
		kg_set_cause(cause, "response body too large to parse");
		return NULL;
	}
	tok = json_tokener_new();
	if (tok == NULL)
		kg_fatal("out of memory");
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		json_object_put(o);
		o = NULL;
		kg_set_cause(cause, "response body is not complete JSON (it ends early)");
	} else if (jerr != json_tokener_success) {
		json_object_put(o);
		o = NULL;
		kg_set_cause(cause, "response body is not valid JSON: %s",
		             json_tokener_error_desc(jerr));
	} else if (json_tokener_get_parse_end(tok) < len) {
		size_t i = json_tokener_get_parse_end(tok);
		while (i < len && strchr(" \t\r\n", body[i]) != NULL)
			i++;
		if (i < len) {
			json_object_put(o);
			o = NULL;
			kg_set_cause(cause, "response body has data after the JSON value");
		}
	}
	json_tokener_free(tok);
	return o;
}

static bool
need_object(const struct jpos *p, json_object *o)
{
	if (o != NULL && json_object_is_type(o, json_type_object))
		return true;
	kg_set_cause(p->cause, "%s: expected a JSON object", *p->path ? p->path : "body");
	return false;
}

/* Member m of o: *out is NULL when absent or null (allowed only when NULLABLE). */
static bool
member(const struct jpos *p, json_object *o, const char *m, enum need need, json_object **out)
{
	json_object *v = NULL;

	*out = NULL;
	if (!json_object_object_get_ex(o, m, &v) || v == NULL) {
		if (need == NULLABLE)
			return true;
		bad(p, m, json_object_object_get_ex(o, m, NULL) ? "must not be null"
		                                                 : "required member is missing");
		return false;
	}
	*out = v;
	return true;
}

static bool
get_str(const struct jpos *p, json_object *o, const char *m, enum need need, char **out)
{
	json_object *v;

	if (!member(p, o, m, need, &v))
		return false;
	if (v == NULL)
		return true;
	if (!json_object_is_type(v, json_type_string)) {
		bad(p, m, "expected a string");
		return false;
	}
	free(*out);
	*out = kg_xstrndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (strlen(*out) != (size_t)json_object_get_string_len(v)) {
		bad(p, m, "string contains a NUL character");
		return false;
	}
	return true;
}

static bool
get_int(const struct jpos *p, json_object *o, const char *m, int64_t min, int64_t max,
        int64_t *out)
{
	json_object *v;
	int64_t x;

	if (!member(p, o, m, REQUIRED, &v))
		return false;
	if (!json_object_is_type(v, json_type_int)) {
		bad(p, m, "expected an integer");
		return false;
	}
	x = json_object_get_int64(v);
	if (x < min || x > max) {
		bad(p, m, "integer out of range");
		return false;
	}
	*out = x;
	return true;
}

static bool
get_bool(const struct jpos *p, json_object *o, const char *m, bool *out)
{
	json_object *v;

	if (!member(p, o, m, REQUIRED, &v))
		return false;
	if (!json_object_is_type(v, json_type_boolean)) {
		bad(p, m, "expected true or false");
		return false;
	}
	*out = json_object_get_boolean(v);
	return true;
}

/* A child position "parent.member" or "parent[i]". */
static char *
child_path(const struct jpos *p, const char *m, long idx)
{
	if (idx >= 0)
		return kg_xasprintf("%s%s%s[%ld]", p->path, *p->path && m ? "." : "", m ? m : "",
		                    idx);
	return kg_xasprintf("%s%s%s", p->path, *p->path ? "." : "", m);
}

/* ---- resources ---- */

static bool
customer_from(const struct jpos *p, json_object *o, struct kg_customer *c)
{
	memset(c, 0, sizeof(*c));
	if (need_object(p, o) && get_str(p, o, "id", REQUIRED, &c->id) &&
	    get_str(p, o, "name", REQUIRED, &c->name) &&
	    get_str(p, o, "email", NULLABLE, &c->email) &&
	    get_str(p, o, "phone", NULLABLE, &c->phone) &&
	    get_str(p, o, "loyalty_id", NULLABLE, &c->loyalty_id) &&
	    get_str(p, o, "created_at", REQUIRED, &c->created_at) &&
	    get_str(p, o, "updated_at", REQUIRED, &c->updated_at))
		return true;
	kg_customer_clear(c);
	return false;
}

static bool
catalog_from(const struct jpos *p, json_object *o, struct kg_catalog_item *c)
{
	int64_t cents = 0, days = 0;

	memset(c, 0, sizeof(*c));
	if (need_object(p, o) && get_str(p, o, "sku", REQUIRED, &c->sku) &&
	    get_str(p, o, "name", REQUIRED, &c->name) &&
	    get_str(p, o, "description", NULLABLE, &c->description) &&
	    get_int(p, o, "value_cents", INT64_MIN, INT64_MAX, &cents) &&
	    get_int(p, o, "default_validity_days", 0, 36600, &days) &&
	    get_bool(p, o, "active", &c->active)) {
		c->value_cents = cents;
		c->default_validity_days = (int)days;
		return true;
	}
	kg_catalog_item_clear(c);
	return false;
}

static bool
token_from(const struct jpos *p, json_object *o, struct kg_token *t)
{
	char *status = NULL;
	bool ok;

	memset(t, 0, sizeof(*t));
	ok = need_object(p, o) && get_str(p, o, "id", REQUIRED, &t->id) &&
	     get_str(p, o, "customer_id", REQUIRED, &t->customer_id) &&
	     get_str(p, o, "sku", REQUIRED, &t->sku) &&
	     get_str(p, o, "name", REQUIRED, &t->name) &&
	     get_str(p, o, "status", REQUIRED, &status) &&
	     get_str(p, o, "issued_at", REQUIRED, &t->issued_at) &&
	     get_str(p, o, "expires_at", REQUIRED, &t->expires_at) &&
	     get_str(p, o, "disputed_reason", NULLABLE, &t->disputed_reason) &&
	     get_int(p, o, "version", 0, INT64_MAX, &t->version);
	/* A status this build does not know is kept as UNKNOWN, not refused:
	 * the backend may grow new ones and the list must still load. */
	if (ok)
		t->status = kg_token_status_parse(status);
	free(status);
	if (!ok)
		kg_token_clear(t);
	return ok;
}

/* Nullable embedded token (activity before/after, details.current). */
static bool
token_member(const struct jpos *p, json_object *o, const char *m, struct kg_token **out)
{
	json_object *v;
	struct jpos cp = { .cause = p->cause };
	char *path;
	struct kg_token t;
	bool ok;

	*out = NULL;
	if (!member(p, o, m, NULLABLE, &v))
		return false;
	if (v == NULL)
		return true;
	path = child_path(p, m, -1);
	cp.path = path;
	ok = token_from(&cp, v, &t);
	free(path);
	if (ok) {
		*out = kg_xmalloc(sizeof(t));
		**out = t;
	}
	return ok;
}

static bool
activity_from(const struct jpos *p, json_object *o, struct kg_activity *a)
{
	char *action = NULL;
	bool ok;

	memset(a, 0, sizeof(*a));
	ok = need_object(p, o) && get_str(p, o, "id", REQUIRED, &a->id) &&
	     get_str(p, o, "at", REQUIRED, &a->at) &&
	     get_str(p, o, "actor", REQUIRED, &a->actor) &&
	     get_str(p, o, "action", REQUIRED, &action) &&
	     get_str(p, o, "token_id", NULLABLE, &a->token_id) &&
	     get_str(p, o, "customer_id", REQUIRED, &a->customer_id) &&
	     get_str(p, o, "ticket_ref", NULLABLE, &a->ticket_ref) &&
	     get_str(p, o, "reason", NULLABLE, &a->reason) &&
	     token_member(p, o, "before", &a->before) && token_member(p, o, "after", &a->after);
	if (ok)
		a->action = kg_action_parse(action);
	free(action);
	if (!ok)
		kg_activity_clear(a);
	return ok;
}

/* ---- single-resource entry points ---- */

#define SINGLE(fn, type, from, clear)                                                   \
	enum kg_err fn(const char *body, size_t len, type *out, char **cause)           \
	{                                                                               \
		struct jpos p = { .path = "", .cause = cause };                         \
		json_object *o = parse_text(body, len, cause);                          \
		bool ok;                                                                \
                                                                                        \
		memset(out, 0, sizeof(*out));                                           \
		if (o == NULL)                                                          \
			return KG_ERR_PROTOCOL;                                         \
		ok = from(&p, o, out);                                                  \
		json_object_put(o);                                                     \
		return ok ? KG_ERR_OK : KG_ERR_PROTOCOL;                                \
	}

SINGLE(kg_kigo_json_customer, struct kg_customer, customer_from, kg_customer_clear)
SINGLE(kg_kigo_json_catalog_item, struct kg_catalog_item, catalog_from, kg_catalog_item_clear)
SINGLE(kg_kigo_json_token, struct kg_token, token_from, kg_token_clear)
SINGLE(kg_kigo_json_activity, struct kg_activity, activity_from, kg_activity_clear)
#undef SINGLE

/* ---- pages ---- */

/*
 * Common page walk: items array, each element parsed by `from` into slot
 * i of an array of `size`-byte records; on failure the elements parsed so
 * far are cleared by `clear`.
 */
typedef bool (*from_fn)(const struct jpos *p, json_object *o, void *rec);
typedef void (*clear_fn)(void *rec);

static enum kg_err
page(const char *body, size_t len, size_t size, from_fn from, clear_fn clear, void **vout,
     size_t *nout, char **next_cursor, char **cause)
{
	struct jpos p = { .path = "", .cause = cause };
	json_object *o, *items = NULL;
	char *cursor = NULL;
	unsigned char *v = NULL;
	size_t n = 0, i;
	enum kg_err err = KG_ERR_PROTOCOL;

	*vout = NULL;
	*nout = 0;
	if (next_cursor != NULL)
		*next_cursor = NULL;
	o = parse_text(body, len, cause);
	if (o == NULL)
		return KG_ERR_PROTOCOL;
	if (!need_object(&p, o) || !member(&p, o, "items", REQUIRED, &items))
		goto out;
	if (!json_object_is_type(items, json_type_array)) {
		bad(&p, "items", "expected an array");
		goto out;
	}
	if (!get_str(&p, o, "next_cursor", NULLABLE, &cursor))
		goto out;
	if (cursor != NULL && *cursor == '\0')
		kg_free(&cursor);
	n = json_object_array_length(items);
	v = kg_xcalloc(n ? n : 1, size);
	for (i = 0; i < n; i++) {
		char *path = kg_xasprintf("items[%zu]", i);
		struct jpos ip = { .path = path, .cause = cause };
		bool ok = from(&ip, json_object_array_get_idx(items, i), v + i * size);

		free(path);
		if (!ok) {
			while (i-- > 0)
				clear(v + i * size);
			kg_free(&v);
			n = 0; /* NOLINT(clang-analyzer-deadcode.DeadStores): kept for `out` */
			goto out;
		}
	}
	*vout = v;
	*nout = n;
	v = NULL;
	if (next_cursor != NULL) {
		*next_cursor = cursor;
		cursor = NULL;
	}
	err = KG_ERR_OK;
out:
	free(v);
	free(cursor);
	json_object_put(o);
	return err;
}

/* Typed wrappers for the page walker (no casts of function pointers). */
#define PAGE_ADAPT(name, type, from, clear)                                   \
	static bool name##_from_v(const struct jpos *p, json_object *o, void *r) \
	{                                                                     \
		return from(p, o, (type *)r);                                 \
	}                                                                     \
	static void name##_clear_v(void *r)                                   \
	{                                                                     \
		clear((type *)r);                                             \
	}
PAGE_ADAPT(cus, struct kg_customer, customer_from, kg_customer_clear)
PAGE_ADAPT(cat, struct kg_catalog_item, catalog_from, kg_catalog_item_clear)
PAGE_ADAPT(tok, struct kg_token, token_from, kg_token_clear)
PAGE_ADAPT(act, struct kg_activity, activity_from, kg_activity_clear)
#undef PAGE_ADAPT

enum kg_err
kg_kigo_json_customers_page(const char *body, size_t len, struct kg_customer **v, size_t *n,
                            char **next_cursor, char **cause)
{
	void *p;
	enum kg_err err = page(body, len, sizeof(**v), cus_from_v, cus_clear_v, &p, n,
	                       next_cursor, cause);
	*v = p;
	return err;
}

enum kg_err
kg_kigo_json_catalog_page(const char *body, size_t len, struct kg_catalog_item **v, size_t *n,
                          char **next_cursor, char **cause)
{
	void *p;
	enum kg_err err = page(body, len, sizeof(**v), cat_from_v, cat_clear_v, &p, n,
	                       next_cursor, cause);
	*v = p;
	return err;
}

enum kg_err
kg_kigo_json_tokens_page(const char *body, size_t len, struct kg_token **v, size_t *n,
                         char **next_cursor, char **cause)
{
	void *p;
	enum kg_err err = page(body, len, sizeof(**v), tok_from_v, tok_clear_v, &p, n,
	                       next_cursor, cause);
	*v = p;
	return err;
}

enum kg_err
kg_kigo_json_activity_page(const char *body, size_t len, struct kg_activity **v, size_t *n,
                           char **next_cursor, char **cause)
{
	void *p;
	enum kg_err err = page(body, len, sizeof(**v), act_from_v, act_clear_v, &p, n,
	                       next_cursor, cause);
	*v = p;
	return err;
}

/* ---- mutation results ---- */

/* Parse {"<what>": X, "activity": Activity} with X read by from into rec. */
static enum kg_err
result(const char *body, size_t len, const char *what, from_fn from, clear_fn clear, void *rec,
       struct kg_activity *act, char **cause)
{
	struct jpos p = { .path = "", .cause = cause };
	struct jpos wp = { .path = what, .cause = cause };
	struct jpos ap = { .path = "activity", .cause = cause };
	json_object *o, *w = NULL, *a = NULL;
	enum kg_err err = KG_ERR_PROTOCOL;

	memset(act, 0, sizeof(*act));
	o = parse_text(body, len, cause);
	if (o == NULL)
		return KG_ERR_PROTOCOL;
	if (!need_object(&p, o) || !member(&p, o, what, REQUIRED, &w) ||
	    !member(&p, o, "activity", REQUIRED, &a))
		goto out;
	if (!from(&wp, w, rec))
		goto out;
	if (!activity_from(&ap, a, act)) {
		clear(rec);
		goto out;
	}
	err = KG_ERR_OK;
out:
	json_object_put(o);
	return err;
}

enum kg_err
kg_kigo_json_token_result(const char *body, size_t len, struct kg_token *tok,
                          struct kg_activity *act, char **cause)
{
	memset(tok, 0, sizeof(*tok));
	return result(body, len, "token", tok_from_v, tok_clear_v, tok, act, cause);
}

enum kg_err
kg_kigo_json_customer_result(const char *body, size_t len, struct kg_customer *cus,
                             struct kg_activity *act, char **cause)
{
	memset(cus, 0, sizeof(*cus));
	return result(body, len, "customer", cus_from_v, cus_clear_v, cus, act, cause);
}

/* ---- error envelope ---- */

enum kg_err
kg_kigo_json_error(const char *body, size_t len, struct kg_kigo_json_error *out, char **cause)
{
	struct jpos p = { .path = "", .cause = cause };
	struct jpos ep = { .path = "error", .cause = cause };
	struct jpos dp = { .path = "error.details", .cause = cause };
	json_object *o, *e = NULL, *d = NULL;
	enum kg_err err = KG_ERR_PROTOCOL;

	memset(out, 0, sizeof(*out));
	o = parse_text(body, len, cause);
	if (o == NULL)
		return KG_ERR_PROTOCOL;
	if (!need_object(&p, o) || !member(&p, o, "error", REQUIRED, &e) || !need_object(&ep, e))
		goto out;
	if (!get_str(&ep, e, "code", REQUIRED, &out->code) ||
	    !get_str(&ep, e, "message", REQUIRED, &out->message) ||
	    !get_str(&ep, e, "request_id", NULLABLE, &out->request_id) ||
	    !member(&ep, e, "details", NULLABLE, &d))
		goto out;
	if (d != NULL) {
		if (!need_object(&dp, d) || !token_member(&dp, d, "current", &out->current) ||
		    !get_str(&dp, d, "existing_id", NULLABLE, &out->existing_id))
			goto out;
	}
	err = KG_ERR_OK;
out:
	if (err != KG_ERR_OK)
		kg_kigo_json_error_clear(out);
	json_object_put(o);
	return err;
}

void
kg_kigo_json_error_clear(struct kg_kigo_json_error *e)
{
	free(e->code);
	free(e->message);
	free(e->request_id);
	kg_token_free(&e->current);
	free(e->existing_id);
	memset(e, 0, sizeof(*e));
}

/* ---- encoders ---- */

/* Add name: value, value NULL becomes JSON null only when keep_null. */
static void
put_str(json_object *o, const char *name, const char *value, bool keep_null)
{
	if (value == NULL && !keep_null)
		return;
	json_object_object_add(o, name, value ? json_object_new_string(value) : NULL);
}

static char *
finish(json_object *o)
{
	char *s = kg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static json_object *
new_obj(void)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		kg_fatal("out of memory");
	return o;
}

char *
kg_kigo_json_encode_customer(const char *name, const char *email, const char *phone,
                             const char *loyalty_id, const char *ticket_ref)
{
	json_object *o = new_obj();

	put_str(o, "name", name, true);
	put_str(o, "email", kg_str_empty(email) ? NULL : email, true);
	put_str(o, "phone", kg_str_empty(phone) ? NULL : phone, true);
	put_str(o, "loyalty_id", kg_str_empty(loyalty_id) ? NULL : loyalty_id, true);
	put_str(o, "ticket_ref", ticket_ref, false);
	return finish(o);
}

char *
kg_kigo_json_encode_add(const char *sku, const char *expires_at, const char *reason,
                        const char *ticket_ref)
{
	json_object *o = new_obj();

	put_str(o, "sku", sku, true);
	put_str(o, "expires_at", kg_str_empty(expires_at) ? NULL : expires_at, false);
	put_str(o, "reason", kg_str_empty(reason) ? NULL : reason, false);
	put_str(o, "ticket_ref", ticket_ref, false);
	return finish(o);
}

char *
kg_kigo_json_encode_reason(const char *reason, const char *ticket_ref)
{
	json_object *o = new_obj();

	put_str(o, "reason", reason, true);
	put_str(o, "ticket_ref", ticket_ref, false);
	return finish(o);
}

char *
kg_kigo_json_encode_reissue(const char *expires_at, const char *reason, const char *ticket_ref)
{
	json_object *o = new_obj();

	put_str(o, "expires_at", expires_at, true);
	put_str(o, "reason", reason, true);
	put_str(o, "ticket_ref", ticket_ref, false);
	return finish(o);
}

char *
kg_kigo_json_encode_action(const char *type, const char *note, const char *expires_at,
                           const char *ticket_ref)
{
	json_object *o = new_obj();

	put_str(o, "type", type, true);
	put_str(o, "note", kg_str_empty(note) ? NULL : note, false);
	put_str(o, "expires_at", kg_str_empty(expires_at) ? NULL : expires_at, false);
	put_str(o, "ticket_ref", ticket_ref, false);
	return finish(o);
}
