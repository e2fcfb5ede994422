/*
 * sn_json.h - pure parsers for ServiceNow Table API bodies: bytes in,
 * records out, no I/O.
 *
 * Every value in the Table API is a string; a field is either that string or,
 * with sysparm_display_value=all/true or for a reference, an object with
 * string members "value", "display_value" and "link".  Anything else is
 * rejected with a sentence in *cause; unknown members are ignored.
 */
#ifndef KIGO_SN_JSON_H
#define KIGO_SN_JSON_H

#include "kigo/common.h"
#include "kigo/model.h"

/* One entry of sys_journal_field. */
struct kg_sn_journal_entry {
	char *sys_id;
	char *element_id;    /* sys_id of the record it belongs to */
	char *element;       /* work_notes | comments */
	char *value;         /* the text */
	char *created_on;    /* sys_created_on, may be NULL */
};

/*
 * {"result": [record...]} from a query on a ticket table: every record
 * parsed (each needs sys_id and number).  table is copied into each ticket.
 * *out is NULL when n is 0; caller frees with kg_sn_tickets_free.
 */
enum kg_err kg_sn_json_tickets(const char *body, size_t len, const char *table,
                               struct kg_ticket **out, size_t *n, char **cause);
/* {"result": record}.  out is overwritten (cleared first on error). */
enum kg_err kg_sn_json_ticket(const char *body, size_t len, const char *table,
                              struct kg_ticket *out, char **cause);
void kg_sn_tickets_free(struct kg_ticket **v, size_t n);

/*
 * The ticket's caller dot-walked into the ticket request, so that it needs
 * no second request: ask for these fields with the ticket's.
 */
#define KG_SN_CALLER_FIELDS "caller_id.email,caller_id.phone,caller_id.mobile_phone"
/*
 * kg_sn_json_tickets and kg_sn_json_ticket, and each record's caller from
 * the dot-walked KG_SN_CALLER_FIELDS (members named "caller_id.email" etc.,
 * a string or {display_value, value}; the raw value is kept): sys_id = the
 * ticket's caller_id, name = its display value, email, phone (or
 * mobile_phone).  A caller's sys_id is NULL when the record has no caller,
 * or carries none of those members (not asked for, or left out by
 * ServiceNow): read sys_user then.  callers may be NULL; *callers is NULL
 * when n is 0; free with kg_sn_users_free (caller: kg_user_clear).
 */
enum kg_err kg_sn_json_tickets_callers(const char *body, size_t len, const char *table,
                                       struct kg_ticket **out, struct kg_user **callers,
                                       size_t *n, char **cause);
enum kg_err kg_sn_json_ticket_caller(const char *body, size_t len, const char *table,
                                     struct kg_ticket *out, struct kg_user *caller,
                                     char **cause);
void kg_sn_users_free(struct kg_user **v, size_t n);

/*
 * {"result": record}: the display value of one field (a journal field read
 * with sysparm_display_value=true is its entries as text).  A record without
 * that field is an error (the role may not read it).  Caller frees *value.
 */
enum kg_err kg_sn_json_field(const char *body, size_t len, const char *field, char **value,
                             char **cause);

/* {"result": sys_user record}: sys_id, name, email, phone (or mobile_phone). */
enum kg_err kg_sn_json_user(const char *body, size_t len, struct kg_user *out, char **cause);

/* {"result": [sys_journal_field...]}; caller frees with kg_sn_journal_free. */
enum kg_err kg_sn_json_journal(const char *body, size_t len, struct kg_sn_journal_entry **out,
                               size_t *n, char **cause);
void kg_sn_journal_free(struct kg_sn_journal_entry **v, size_t n);

/*
 * The error envelope {"error": {"message", "detail"}, "status": "failure"}.
 * Returns true when body holds one; *message and *detail (either may be
 * NULL when absent or empty) are set, caller frees.
 */
bool kg_sn_json_error(const char *body, size_t len, char **message, char **detail);

/* The JSON body {"field": text} for a journal PATCH.  Caller frees. */
char *kg_sn_json_journal_body(const char *field, const char *text);

#endif
