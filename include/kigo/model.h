/*
 * model.h - plain records for the data kigo-tui shows: the ServiceNow
 * ticket and user, Kigo customers, catalog items, tokens and activity.
 *
 * Every string member is owned by the record (malloc'd, may be NULL).  The
 * *_clear() functions free the members and zero the record; they do not
 * free the record itself.  Nothing here touches curses, the network or the
 * database.
 */
#ifndef KIGO_MODEL_H
#define KIGO_MODEL_H

#include "kigo/common.h"

struct kg_ticket {
	char *sys_id;            /* 32 hex digits */
	char *number;            /* INC0012345 */
	char *table;             /* incident */
	char *short_description;
	char *state;             /* raw value, e.g. "2" */
	char *state_label;       /* display value, e.g. "In Progress" */
	char *priority;          /* raw value, e.g. "2" */
	char *priority_label;    /* display value, e.g. "2 - High" */
	char *caller_id;         /* sys_user sys_id */
	char *caller_name;       /* display value */
	char *assigned_to;       /* sys_user sys_id */
	char *assigned_to_name;  /* display value */
	char *updated_on;        /* sys_updated_on as ServiceNow gives it */
	int64_t fetched_at;      /* wall clock seconds when fetched; 0 unknown */
};

struct kg_user {
	char *sys_id;
	char *name;
	char *email;
	char *phone;
};

struct kg_customer {
	char *id;          /* cus_... */
	char *name;
	char *email;       /* may be NULL */
	char *phone;       /* may be NULL */
	char *loyalty_id;  /* may be NULL */
	char *created_at;  /* RFC 3339 */
	char *updated_at;  /* RFC 3339 */
	int64_t fetched_at;
};

struct kg_catalog_item {
	char *sku;
	char *name;
	char *description;
	int64_t value_cents;
	int default_validity_days;
	bool active;
};

#define KG_TOKEN_STATUS_LIST(X) \
	X(ACTIVE, "active")     \
	X(REDEEMED, "redeemed") \
	X(EXPIRED, "expired")   \
	X(DISPUTED, "disputed") \
	X(REMOVED, "removed")

#define KG_TS_ENUM(name, str) KG_TOKEN_##name,
enum kg_token_status { KG_TOKEN_STATUS_LIST(KG_TS_ENUM) KG_TOKEN__UNKNOWN };
#undef KG_TS_ENUM

struct kg_token {
	char *id;               /* tok_... */
	char *customer_id;
	char *sku;
	char *name;
	enum kg_token_status status;
	char *issued_at;        /* RFC 3339 */
	char *expires_at;       /* YYYY-MM-DD */
	char *disputed_reason;  /* may be NULL */
	int64_t version;
	int64_t fetched_at;
};

#define KG_ACTION_LIST(X)                          \
	X(CREATE_CUSTOMER, "create_customer", "create customer") \
	X(ADD, "add", "add")                       \
	X(REMOVE, "remove", "remove")              \
	X(REISSUE, "reissue", "reissue")           \
	X(DISPUTE, "dispute", "dispute")           \
	X(OTHER, "other", "other")

#define KG_ACT_ENUM(name, str, label) KG_ACTION_##name,
enum kg_action { KG_ACTION_LIST(KG_ACT_ENUM) KG_ACTION__UNKNOWN };
#undef KG_ACT_ENUM

struct kg_activity {
	char *id;           /* act_... */
	char *at;           /* RFC 3339 */
	char *actor;
	enum kg_action action;
	char *token_id;     /* NULL for create_customer */
	char *customer_id;
	char *ticket_ref;
	char *reason;       /* may be NULL */
	struct kg_token *before; /* NULL for add and create_customer */
	struct kg_token *after;  /* NULL when the backend gave none */
};

const char *kg_token_status_str(enum kg_token_status s);
enum kg_token_status kg_token_status_parse(const char *s); /* KG_TOKEN__UNKNOWN */
const char *kg_action_str(enum kg_action a);   /* wire name: "create_customer" */
const char *kg_action_label(enum kg_action a); /* for people: "create customer" */
enum kg_action kg_action_parse(const char *s); /* KG_ACTION__UNKNOWN */

void kg_ticket_clear(struct kg_ticket *t);
void kg_user_clear(struct kg_user *u);
void kg_customer_clear(struct kg_customer *c);
void kg_catalog_item_clear(struct kg_catalog_item *c);
void kg_token_clear(struct kg_token *t);
void kg_activity_clear(struct kg_activity *a);

/* Deep copies into *dst (which is overwritten, not cleared). */
void kg_ticket_copy(struct kg_ticket *dst, const struct kg_ticket *src);
void kg_customer_copy(struct kg_customer *dst, const struct kg_customer *src);
void kg_token_copy(struct kg_token *dst, const struct kg_token *src);
void kg_catalog_item_copy(struct kg_catalog_item *dst, const struct kg_catalog_item *src);
void kg_activity_copy(struct kg_activity *dst, const struct kg_activity *src);
/* Heap copy of a token (NULL in, NULL out); caller frees with kg_token_free. */
struct kg_token *kg_token_dup(const struct kg_token *src);
void kg_token_free(struct kg_token **t);

/* Free arrays of records: clears each of the n elements, frees the array, NULLs it. */
void kg_customers_free(struct kg_customer **v, size_t n);
void kg_tokens_free(struct kg_token **v, size_t n);
void kg_catalog_free(struct kg_catalog_item **v, size_t n);
void kg_activities_free(struct kg_activity **v, size_t n);

/*
 * Inventory order: active first, then by expiry (soonest first, no expiry
 * last), then by id.  A qsort comparator over struct kg_token.
 */
int kg_token_cmp_inventory(const void *a, const void *b);

#endif
