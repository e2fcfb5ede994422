/*
 * model.c - lifecycle of the plain data records.  No I/O, no curses.
 */
#include "kigo/model.h"

#include <stdlib.h>
#include <string.h>

#define KG_TS_STR(name, str) str,
static const char *const token_status_names[] = { KG_TOKEN_STATUS_LIST(KG_TS_STR) };
#undef KG_TS_STR
#define KG_ACT_STR(name, str, label) str,
static const char *const action_names[] = { KG_ACTION_LIST(KG_ACT_STR) };
#undef KG_ACT_STR
#define KG_ACT_LABEL(name, str, label) label,
static const char *const action_labels[] = { KG_ACTION_LIST(KG_ACT_LABEL) };
#undef KG_ACT_LABEL

const char *
kg_token_status_str(enum kg_token_status s)
{
	return (unsigned)s < KG_TOKEN__UNKNOWN ? token_status_names[s] : "unknown";
}

enum kg_token_status
kg_token_status_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < KG_ARRAY_LEN(token_status_names); i++)
		if (strcmp(s, token_status_names[i]) == 0)
			return (enum kg_token_status)i;
	return KG_TOKEN__UNKNOWN;
}

const char *
kg_action_str(enum kg_action a)
{
	return (unsigned)a < KG_ACTION__UNKNOWN ? action_names[a] : "unknown";
}

const char *
kg_action_label(enum kg_action a)
{
	return (unsigned)a < KG_ACTION__UNKNOWN ? action_labels[a] : "unknown";
}

enum kg_action
kg_action_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < KG_ARRAY_LEN(action_names); i++)
		if (strcmp(s, action_names[i]) == 0)
			return (enum kg_action)i;
	return KG_ACTION__UNKNOWN;
}

void
kg_ticket_clear(struct kg_ticket *t)
{
	free(t->sys_id);
	free(t->number);
	free(t->table);
	free(t->short_description);
	free(t->state);
	free(t->state_label);
	free(t->priority);
	free(t->priority_label);
	free(t->caller_id);
	free(t->caller_name);
	free(t->assigned_to);
	free(t->assigned_to_name);
	free(t->updated_on);
	memset(t, 0, sizeof(*t));
}

void
kg_user_clear(struct kg_user *u)
{
	free(u->sys_id);
	free(u->name);
	free(u->email);
	free(u->phone);
	memset(u, 0, sizeof(*u));
}

void
kg_customer_clear(struct kg_customer *c)
{
	free(c->id);
	free(c->name);
	free(c->email);
	free(c->phone);
	free(c->loyalty_id);
	free(c->created_at);
	free(c->updated_at);
	memset(c, 0, sizeof(*c));
}

void
kg_catalog_item_clear(struct kg_catalog_item *c)
{
	free(c->sku);
	free(c->name);
	free(c->description);
	memset(c, 0, sizeof(*c));
}

void
kg_token_clear(struct kg_token *t)
{
	free(t->id);
	free(t->customer_id);
	free(t->sku);
	free(t->name);
	free(t->issued_at);
	free(t->expires_at);
	free(t->disputed_reason);
	memset(t, 0, sizeof(*t));
}

void
kg_token_free(struct kg_token **t)
{
	if (t == NULL || *t == NULL)
		return;
	kg_token_clear(*t);
	free(*t);
	*t = NULL;
}

void
kg_activity_clear(struct kg_activity *a)
{
	free(a->id);
	free(a->at);
	free(a->actor);
	free(a->token_id);
	free(a->customer_id);
	free(a->ticket_ref);
	free(a->reason);
	kg_token_free(&a->before);
	kg_token_free(&a->after);
	memset(a, 0, sizeof(*a));
}

#define DUP(f) dst->f = kg_xstrdup(src->f)

void
kg_ticket_copy(struct kg_ticket *dst, const struct kg_ticket *src)
{
	*dst = *src;
	DUP(sys_id);
	DUP(number);
	DUP(table);
	DUP(short_description);
	DUP(state);
	DUP(state_label);
	DUP(priority);
	DUP(priority_label);
	DUP(caller_id);
	DUP(caller_name);
	DUP(assigned_to);
	DUP(assigned_to_name);
	DUP(updated_on);
}

void
kg_customer_copy(struct kg_customer *dst, const struct kg_customer *src)
{
	*dst = *src;
	DUP(id);
	DUP(name);
	DUP(email);
	DUP(phone);
	DUP(loyalty_id);
	DUP(created_at);
	DUP(updated_at);
}

void
kg_token_copy(struct kg_token *dst, const struct kg_token *src)
{
	*dst = *src;
	DUP(id);
	DUP(customer_id);
	DUP(sku);
	DUP(name);
	DUP(issued_at);
	DUP(expires_at);
	DUP(disputed_reason);
}

void
kg_catalog_item_copy(struct kg_catalog_item *dst, const struct kg_catalog_item *src)
{
	*dst = *src;
	DUP(sku);
	DUP(name);
	DUP(description);
}

struct kg_token *
kg_token_dup(const struct kg_token *src)
{
	struct kg_token *t;

	if (src == NULL)
		return NULL;
	t = kg_xmalloc(sizeof(*t));
	kg_token_copy(t, src);
	return t;
}

void
kg_activity_copy(struct kg_activity *dst, const struct kg_activity *src)
{
	*dst = *src;
	DUP(id);
	DUP(at);
	DUP(actor);
	DUP(token_id);
	DUP(customer_id);
	DUP(ticket_ref);
	DUP(reason);
	dst->before = kg_token_dup(src->before);
	dst->after = kg_token_dup(src->after);
}

#undef DUP

#define ARRAY_FREE(fn, type, clear)              \
	void fn(type **v, size_t n)              \
	{                                        \
		if (v == NULL || *v == NULL)     \
			return;                  \
		for (size_t i = 0; i < n; i++)   \
			clear(&(*v)[i]);         \
		free(*v);                        \
		*v = NULL;                       \
	}

ARRAY_FREE(kg_customers_free, struct kg_customer, kg_customer_clear)
ARRAY_FREE(kg_tokens_free, struct kg_token, kg_token_clear)
ARRAY_FREE(kg_catalog_free, struct kg_catalog_item, kg_catalog_item_clear)
ARRAY_FREE(kg_activities_free, struct kg_activity, kg_activity_clear)

int
kg_token_cmp_inventory(const void *a, const void *b)
{
	const struct kg_token *x = a, *y = b;
	int xa = x->status == KG_TOKEN_ACTIVE, ya = y->status == KG_TOKEN_ACTIVE;
	int c;

	if (xa != ya)
		return ya - xa;
	if (x->expires_at == NULL || y->expires_at == NULL) {
		if (x->expires_at != y->expires_at)
			return x->expires_at == NULL ? 1 : -1;
	} else if ((c = strcmp(x->expires_at, y->expires_at)) != 0) {
		return c;
	}
	return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}
