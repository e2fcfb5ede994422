/*
 * kigo_json.h - pure parsers and encoders for the Kigo token API v1 bodies.
 *
 * Bytes in, records out: no I/O, no globals, so every function can be unit
 * tested and fuzzed.  Parsers reject a wrong type or a missing required
 * member with KG_ERR_PROTOCOL and a *cause naming the member
 * ("items[3].version: expected an integer"); unknown members are ignored.
 * Nullable members (email, phone, loyalty_id, description, disputed_reason,
 * token_id, reason, before, after, next_cursor) may also be absent.
 * On error the outputs are left cleared.
 */
#ifndef KIGO_KIGO_JSON_H
#define KIGO_KIGO_JSON_H

#include "kigo/common.h"
#include "kigo/model.h"

/* Single resources. */
enum kg_err kg_kigo_json_customer(const char *body, size_t len, struct kg_customer *out,
                                  char **cause);
enum kg_err kg_kigo_json_catalog_item(const char *body, size_t len,
                                      struct kg_catalog_item *out, char **cause);
enum kg_err kg_kigo_json_token(const char *body, size_t len, struct kg_token *out,
                               char **cause);
enum kg_err kg_kigo_json_activity(const char *body, size_t len, struct kg_activity *out,
                                  char **cause);

/*
 * List pages {"items": [...], "next_cursor": "..." or null}.  *v is a new
 * array of *n records (free with kg_*_free), *next_cursor NULL on the last
 * page (caller frees).
 */
enum kg_err kg_kigo_json_customers_page(const char *body, size_t len, struct kg_customer **v,
                                        size_t *n, char **next_cursor, char **cause);
enum kg_err kg_kigo_json_catalog_page(const char *body, size_t len, struct kg_catalog_item **v,
                                      size_t *n, char **next_cursor, char **cause);
enum kg_err kg_kigo_json_tokens_page(const char *body, size_t len, struct kg_token **v,
                                     size_t *n, char **next_cursor, char **cause);
enum kg_err kg_kigo_json_activity_page(const char *body, size_t len, struct kg_activity **v,
                                       size_t *n, char **next_cursor, char **cause);

/* Mutation results: {"token", "activity"} and {"customer", "activity"}. */
enum kg_err kg_kigo_json_token_result(const char *body, size_t len, struct kg_token *tok,
                                      struct kg_activity *act, char **cause);
enum kg_err kg_kigo_json_customer_result(const char *body, size_t len, struct kg_customer *cus,
                                         struct kg_activity *act, char **cause);

/* The error envelope {"error": {code, message, request_id, details}}. */
struct kg_kigo_json_error {
	char *code;              /* "precondition_failed" */
	char *message;           /* raw server text: sanitize before showing */
	char *request_id;        /* may be NULL */
	struct kg_token *current;/* details.current (412), else NULL */
	char *existing_id;       /* details.existing_id (409), else NULL */
};
enum kg_err kg_kigo_json_error(const char *body, size_t len, struct kg_kigo_json_error *out,
                               char **cause);
void kg_kigo_json_error_clear(struct kg_kigo_json_error *e);

/*
 * Request bodies (json-c, members in a fixed order, NULL members omitted
 * except where the contract expects null).  Caller frees.
 */
char *kg_kigo_json_encode_customer(const char *name, const char *email, const char *phone,
                                   const char *loyalty_id, const char *ticket_ref);
char *kg_kigo_json_encode_add(const char *sku, const char *expires_at, const char *reason,
                              const char *ticket_ref);
/* remove and dispute: {"reason", "ticket_ref"} */
char *kg_kigo_json_encode_reason(const char *reason, const char *ticket_ref);
char *kg_kigo_json_encode_reissue(const char *expires_at, const char *reason,
                                  const char *ticket_ref);
/* actions: type "note", "resolve_dispute" or "extend" */
char *kg_kigo_json_encode_action(const char *type, const char *note, const char *expires_at,
                                 const char *ticket_ref);

#endif
