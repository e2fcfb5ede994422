/*
 * sn_json.c - parse ServiceNow Table API bodies into plain records.
 *
 * Pure: bytes in, structs out.  Must never accept a value of the wrong type
 * silently (ServiceNow sends every value as a string, so a number or a bool
 * means we are not talking to what we think), never read past len, and
 * never fail because of a member it does not know.
 */
#include "kigo/sn_json.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* A field as ServiceNow sends it: plain string or {value, display_value, link}. */
struct field {
	const char *value;
	const char *label;
	const char *link;
};

static bool sys_id_ok(const char *s);

static json_object *
parse(const char *body, size_t len, char **cause)
{
	json_tokener *tok;
	json_object *root = NULL;
	enum json_tokener_error jerr;

	if (body == NULL || len == 0) {
		kg_set_cause(cause, "ServiceNow sent an empty body where JSON was expected");
		return NULL;
	}
	if (len > (size_t)INT32_MAX) {
		kg_set_cause(cause, "ServiceNow's reply is too large to parse");
		return NULL;
	}
	tok = json_tokener_new();
	if (tok == NULL)
		kg_fatal("out of memory");
	root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root == NULL || jerr != json_tokener_success) {
		kg_set_cause(cause, "ServiceNow's reply is not valid JSON (%s)",
		             jerr == json_tokener_continue ? "it ends too early"
		                                           : json_tokener_error_desc(jerr));
		json_object_put(root);
		root = NULL;
	} else if (json_tokener_get_parse_end(tok) < len) {
		size_t i;

		for (i = json_tokener_get_parse_end(tok); i < len; i++) {
			if (strchr(" \t\r\n", body[i]) == NULL) {
				kg_set_cause(cause, "ServiceNow's reply has data after the JSON value");
				json_object_put(root);
				root = NULL;
				break;
			}
		}
	}
	json_tokener_free(tok);
	return root;
}

/* The "result" member, which must be of the given type. */
static json_object *
result_of(json_object *root, json_type want, char **cause)
{
	json_object *res;

	if (!json_object_is_type(root, json_type_object)) {
		kg_set_cause(cause, "ServiceNow's reply is not a JSON object");
		return NULL;
	}
	if (!json_object_object_get_ex(root, "result", &res)) {
		kg_set_cause(cause, "ServiceNow's reply has no \"result\"");
		return NULL;
	}
	if (!json_object_is_type(res, want)) {
		kg_set_cause(cause, "ServiceNow's \"result\" is %s where %s was expected",
		             json_type_to_name(json_object_get_type(res)),
		             want == json_type_array ? "a list" : "a record");
		return NULL;
	}
	return res;
}

/*
 * Read field `name` of record obj.  Absent is fine (all members NULL);
 * a string is value and label at once; an object must hold only strings
 * in value / display_value / link.
 */
static bool
get_field(json_object *obj, const char *name, struct field *f, char **cause)
{
	static const char *const parts[] = {"value", "display_value", "link"};
	json_object *v, *p;
	const char **dst[3];
	size_t i;

	memset(f, 0, sizeof(*f));
	if (!json_object_object_get_ex(obj, name, &v))
		return true;
	if (json_object_is_type(v, json_type_string)) {
		f->value = f->label = json_object_get_string(v);
		return true;
	}
	if (!json_object_is_type(v, json_type_object)) {
		kg_set_cause(cause, "ServiceNow sent field \"%s\" as %s; every value should be a string",
		             name, json_type_to_name(json_object_get_type(v)));
		return false;
	}
	dst[0] = &f->value;
	dst[1] = &f->label;
	dst[2] = &f->link;
	for (i = 0; i < KG_ARRAY_LEN(parts); i++) {
		if (!json_object_object_get_ex(v, parts[i], &p))
			continue;
		if (!json_object_is_type(p, json_type_string)) {
			kg_set_cause(cause,
			             "ServiceNow sent \"%s.%s\" as %s; every value should be a string",
			             name, parts[i], json_type_to_name(json_object_get_type(p)));
			return false;
		}
		*dst[i] = json_object_get_string(p);
	}
	/* display_value=true gives {display_value, link}: the sys_id ends the link */
	if (f->value == NULL && f->link != NULL) {
		const char *slash = strrchr(f->link, '/');

		if (slash != NULL && sys_id_ok(slash + 1))
			f->value = slash + 1;
	}
	if (f->label == NULL)
		f->label = f->value;
	return true;
}

/* 32 hex digits (a copy of kg_sn_sys_id_valid: this file links alone). */
static bool
sys_id_ok(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < 32; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return s[32] == '\0';
}

/* Duplicate, mapping "" to NULL. */
static char *
dup_nonempty(const char *s)
{
	return kg_str_empty(s) ? NULL : kg_xstrdup(s);
}

/*
 * The caller's fields dot-walked into a ticket record: ServiceNow returns
 * each as a member named by its path ("caller_id.email"), a string or, with
 * sysparm_display_value=all, {display_value, value}.  *present is true when
 * the record carries at least one of them (even empty: the caller has none);
 * false when it carries none (not asked for, or left out), and the caller
 * must then be read from sys_user.  The raw value is kept (a phone's display
 * value may be formatted for the agent's locale).
 */
static bool
caller_from(json_object *rec, const struct kg_ticket *t, struct kg_user *u, bool *present,
            char **cause)
{
	static const char *const names[] = {"caller_id.email", "caller_id.phone",
	                                    "caller_id.mobile_phone"};
	const char *got[KG_ARRAY_LEN(names)] = {NULL};
	struct field f;
	size_t i;

	memset(u, 0, sizeof(*u));
	*present = false;
	for (i = 0; i < KG_ARRAY_LEN(names); i++) {
		if (!json_object_object_get_ex(rec, names[i], NULL))
			continue;
		*present = true;
		if (!get_field(rec, names[i], &f, cause))
			return false;
		got[i] = !kg_str_empty(f.value) ? f.value : f.label;
	}
	if (!*present || kg_str_empty(t->caller_id))
		return true;
	u->sys_id = kg_xstrdup(t->caller_id);
	u->name = dup_nonempty(t->caller_name);
	u->email = dup_nonempty(got[0]);
	u->phone = dup_nonempty(!kg_str_empty(got[1]) ? got[1] : got[2]);
	return true;
}

/* caller may be NULL: the dot-walked caller fields are not wanted. */
static enum kg_err
ticket_from(json_object *rec, const char *table, struct kg_ticket *t, struct kg_user *caller,
            char **cause)
{
	struct field f;
	bool present;

	memset(t, 0, sizeof(*t));
	if (caller != NULL)
		memset(caller, 0, sizeof(*caller));
	if (!json_object_is_type(rec, json_type_object)) {
		kg_set_cause(cause, "ServiceNow sent a record that is not a JSON object");
		return KG_ERR_PROTOCOL;
	}
	if (!get_field(rec, "sys_id", &f, cause))
		goto bad;
	if (!sys_id_ok(f.value)) {
		kg_set_cause(cause, "ServiceNow sent a record without a valid sys_id");
		goto bad;
	}
	t->sys_id = kg_xstrdup(f.value);
	if (!get_field(rec, "number", &f, cause))
		goto bad;
	if (kg_str_empty(f.value)) {
		kg_set_cause(cause, "ServiceNow sent a record without a number");
		goto bad;
	}
	t->number = kg_xstrdup(f.value);
	t->table = dup_nonempty(table);

	if (!get_field(rec, "short_description", &f, cause))
		goto bad;
	t->short_description = dup_nonempty(f.label);
	if (!get_field(rec, "state", &f, cause))
		goto bad;
	t->state = dup_nonempty(f.value);
	t->state_label = dup_nonempty(f.label);
	if (!get_field(rec, "priority", &f, cause))
		goto bad;
	t->priority = dup_nonempty(f.value);
	t->priority_label = dup_nonempty(f.label);
	if (!get_field(rec, "caller_id", &f, cause))
		goto bad;
	t->caller_id = dup_nonempty(f.value);
	t->caller_name = dup_nonempty(f.label);
	if (!get_field(rec, "assigned_to", &f, cause))
		goto bad;
	t->assigned_to = dup_nonempty(f.value);
	t->assigned_to_name = dup_nonempty(f.label);
	if (!get_field(rec, "sys_updated_on", &f, cause))
		goto bad;
	/* the raw value is UTC; the display value is in the user's zone */
	t->updated_on = dup_nonempty(f.value);
	if (caller != NULL && !caller_from(rec, t, caller, &present, cause))
		goto bad;
	return KG_ERR_OK;
bad:
	kg_ticket_clear(t);
	return KG_ERR_PROTOCOL;
}

enum kg_err
kg_sn_json_tickets_callers(const char *body, size_t len, const char *table,
                           struct kg_ticket **out, struct kg_user **callers, size_t *n,
                           char **cause)
{
	json_object *root, *res;
	enum kg_err err = KG_ERR_PROTOCOL;
	struct kg_ticket *v = NULL;
	struct kg_user *u = NULL;
	size_t i, count;

	*out = NULL;
	if (callers != NULL)
		*callers = NULL;
	*n = 0;
	if ((root = parse(body, len, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((res = result_of(root, json_type_array, cause)) == NULL)
		goto out;
	count = json_object_array_length(res);
	if (count > 0) {
		v = kg_xcalloc(count, sizeof(*v));
		if (callers != NULL)
			u = kg_xcalloc(count, sizeof(*u));
	}
	for (i = 0; i < count; i++) {
		err = ticket_from(json_object_array_get_idx(res, i), table, &v[i],
		                  u != NULL ? &u[i] : NULL, cause);
		if (err != KG_ERR_OK) {
			kg_sn_tickets_free(&v, i);
			kg_sn_users_free(&u, i);
			goto out;
		}
	}
	*out = v;
	if (callers != NULL)
		*callers = u;
	*n = count;
	err = KG_ERR_OK;
out:
	json_object_put(root);
	return err;
}

enum kg_err
kg_sn_json_tickets(const char *body, size_t len, const char *table, struct kg_ticket **out,
                   size_t *n, char **cause)
{
	return kg_sn_json_tickets_callers(body, len, table, out, NULL, n, cause);
}

enum kg_err
kg_sn_json_ticket_caller(const char *body, size_t len, const char *table, struct kg_ticket *out,
                         struct kg_user *caller, char **cause)
{
	json_object *root, *res;
	enum kg_err err = KG_ERR_PROTOCOL;

	memset(out, 0, sizeof(*out));
	if (caller != NULL)
		memset(caller, 0, sizeof(*caller));
	if ((root = parse(body, len, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((res = result_of(root, json_type_object, cause)) != NULL)
		err = ticket_from(res, table, out, caller, cause);
	json_object_put(root);
	return err;
}

enum kg_err
kg_sn_json_ticket(const char *body, size_t len, const char *table, struct kg_ticket *out,
                  char **cause)
{
	return kg_sn_json_ticket_caller(body, len, table, out, NULL, cause);
}

void
kg_sn_users_free(struct kg_user **v, size_t n)
{
	size_t i;

	if (*v == NULL)
		return;
	for (i = 0; i < n; i++)
		kg_user_clear(&(*v)[i]);
	kg_free(v);
}

void
kg_sn_tickets_free(struct kg_ticket **v, size_t n)
{
	size_t i;

	if (*v == NULL)
		return;
	for (i = 0; i < n; i++)
		kg_ticket_clear(&(*v)[i]);
	kg_free(v);
}

enum kg_err
kg_sn_json_field(const char *body, size_t len, const char *field, char **value, char **cause)
{
	json_object *root, *res;
	enum kg_err err = KG_ERR_PROTOCOL;
	struct field f;

	*value = NULL;
	if ((root = parse(body, len, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((res = result_of(root, json_type_object, cause)) == NULL)
		goto out;
	if (!json_object_object_get_ex(res, field, NULL)) {
		kg_set_cause(cause, "the record has no field \"%s\" (your role may not read it)",
		             field);
		goto out;
	}
	if (!get_field(res, field, &f, cause))
		goto out;
	*value = kg_xstrdup(f.label != NULL ? f.label : "");
	err = KG_ERR_OK;
out:
	json_object_put(root);
	return err;
}

enum kg_err
kg_sn_json_user(const char *body, size_t len, struct kg_user *out, char **cause)
{
	json_object *root, *res;
	struct field f;

	memset(out, 0, sizeof(*out));
	if ((root = parse(body, len, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((res = result_of(root, json_type_object, cause)) == NULL)
		goto bad;
	if (!get_field(res, "sys_id", &f, cause))
		goto bad;
	if (!sys_id_ok(f.value)) {
		kg_set_cause(cause, "ServiceNow sent a user without a valid sys_id");
		goto bad;
	}
	out->sys_id = kg_xstrdup(f.value);
	if (!get_field(res, "name", &f, cause))
		goto bad;
	out->name = dup_nonempty(f.label);
	if (!get_field(res, "email", &f, cause))
		goto bad;
	out->email = dup_nonempty(f.label);
	if (!get_field(res, "phone", &f, cause))
		goto bad;
	out->phone = dup_nonempty(f.label);
	if (out->phone == NULL) {
		if (!get_field(res, "mobile_phone", &f, cause))
			goto bad;
		out->phone = dup_nonempty(f.label);
	}
	json_object_put(root);
	return KG_ERR_OK;
bad:
	kg_user_clear(out);
	json_object_put(root);
	return KG_ERR_PROTOCOL;
}

enum kg_err
kg_sn_json_journal(const char *body, size_t len, struct kg_sn_journal_entry **out, size_t *n,
                   char **cause)
{
	json_object *root, *res, *rec;
	struct kg_sn_journal_entry *v = NULL;
	enum kg_err err = KG_ERR_PROTOCOL;
	struct field f;
	size_t i, count;

	*out = NULL;
	*n = 0;
	if ((root = parse(body, len, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((res = result_of(root, json_type_array, cause)) == NULL)
		goto out;
	count = json_object_array_length(res);
	if (count > 0)
		v = kg_xcalloc(count, sizeof(*v));
	for (i = 0; i < count; i++) {
		rec = json_object_array_get_idx(res, i);
		if (!json_object_is_type(rec, json_type_object)) {
			kg_set_cause(cause, "ServiceNow sent a journal entry that is not an object");
			goto bad;
		}
		if (!get_field(rec, "sys_id", &f, cause))
			goto bad;
		v[i].sys_id = dup_nonempty(f.value);
		if (!get_field(rec, "element_id", &f, cause))
			goto bad;
		v[i].element_id = dup_nonempty(f.value);
		if (!get_field(rec, "element", &f, cause))
			goto bad;
		v[i].element = dup_nonempty(f.value);
		if (!get_field(rec, "value", &f, cause))
			goto bad;
		v[i].value = kg_xstrdup(f.value != NULL ? f.value : "");
		if (!get_field(rec, "sys_created_on", &f, cause))
			goto bad;
		v[i].created_on = dup_nonempty(f.value);
	}
	*out = v;
	*n = count;
	err = KG_ERR_OK;
	goto out;
bad:
	kg_sn_journal_free(&v, count);
out:
	json_object_put(root);
	return err;
}

void
kg_sn_journal_free(struct kg_sn_journal_entry **v, size_t n)
{
	size_t i;

	if (*v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free((*v)[i].sys_id);
		free((*v)[i].element_id);
		free((*v)[i].element);
		free((*v)[i].value);
		free((*v)[i].created_on);
	}
	kg_free(v);
}

bool
kg_sn_json_error(const char *body, size_t len, char **message, char **detail)
{
	json_object *root, *e, *m;
	char *cause = NULL;
	bool ok = false;

	*message = NULL;
	*detail = NULL;
	root = parse(body, len, &cause);
	free(cause);
	if (root == NULL)
		return false;
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		ok = true;
		if (json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string))
			*message = dup_nonempty(json_object_get_string(m));
		if (json_object_object_get_ex(e, "detail", &m) &&
		    json_object_is_type(m, json_type_string))
			*detail = dup_nonempty(json_object_get_string(m));
	}
	json_object_put(root);
	return ok;
}

char *
kg_sn_json_journal_body(const char *field, const char *text)
{
	json_object *o = json_object_new_object();
	char *s;

	if (o == NULL)
		kg_fatal("out of memory");
	json_object_object_add(o, field, json_object_new_string(text != NULL ? text : ""));
	s = kg_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}
