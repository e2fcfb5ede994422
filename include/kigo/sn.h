/*
 * sn.h - the ServiceNow Table API client: read the ticket and its caller,
 * add a journal entry, look journal entries up.
 *
 * Only what kigo-tui needs, on kg_http.  A ticket number is validated
 * strictly before it goes into an encoded query, and a record is accepted
 * only when its number is exactly the one asked for.  Authentication per
 * servicenow.auth: okta sends the Okta access token as Bearer through
 * kg_auth (one refresh on 401), basic sends servicenow.username and a
 * password from the keyring or $KIGO_TUI_SN_PASSWORD.  Every message handed
 * to a callback is a sentence (what, why, what to do, request id) and may
 * carry server text: sanitize it before it reaches a terminal.
 */
#ifndef KIGO_SN_H
#define KIGO_SN_H

#include "kigo/common.h"
#include "kigo/http.h"
#include "kigo/model.h"

struct kg_sn;
struct kg_auth;
struct kg_config;

/* Outcome of a request, for the lower-level calls. */
struct kg_sn_result {
	enum kg_err err;          /* KG_ERR_OK on a 2xx */
	long status;              /* HTTP status, 0 when none arrived */
	bool ambiguous;           /* a write may have been applied: timeout, reset or
	                             5xx after the request body went out */
	int retry_after;          /* seconds (429/503), -1 when absent */
	const char *message;      /* sentence, NULL on success */
	const char *request_id;   /* may be NULL */
};

/* caller: the ticket's caller read along with it (dot-walked fields); NULL when
 * the ticket has none or ServiceNow left those fields out: kg_sn_get_user then. */
typedef void (*kg_sn_ticket_fn)(enum kg_err err, const struct kg_ticket *ticket,
                                const struct kg_user *caller, const char *message, void *ud);
typedef void (*kg_sn_user_fn)(enum kg_err err, const struct kg_user *user, const char *message,
                              void *ud);
typedef void (*kg_sn_write_fn)(const struct kg_sn_result *res, void *ud);
/* found: an entry of the record's journal field holds the needle. */
typedef void (*kg_sn_find_fn)(const struct kg_sn_result *res, bool found, void *ud);

/*
 * A client on http (not owned).  auth is required when servicenow.auth is
 * okta and ignored for basic (may be NULL then).  For basic the password is
 * read now (keyring, then $KIGO_TUI_SN_PASSWORD); none is KG_ERR_UNAUTHORIZED
 * with a *cause saying how to provide one.  cfg must outlive the client.
 */
enum kg_err kg_sn_new(struct kg_http *http, struct kg_auth *auth, const struct kg_config *cfg,
                      struct kg_sn **out, char **cause);
/* Cancels every request without calling its callback; wipes the password. */
void kg_sn_free(struct kg_sn **sn);

/*
 * Fetch the ticket by number (validated, case-insensitive) or, when number
 * is NULL, by sys_id, with its caller's e-mail and phone in the same
 * request (dot-walked fields).  The callback runs once from the loop (never
 * from inside this call); ticket and caller are valid during the callback
 * only.  Returns a request id for kg_sn_cancel, or 0 when the arguments are
 * invalid (then no callback runs; validate first).  404 and zero matches
 * are KG_ERR_NOT_FOUND, two matches or a different number KG_ERR_PROTOCOL.
 */
uint64_t kg_sn_get_ticket(struct kg_sn *sn, const char *number, const char *sys_id,
                          kg_sn_ticket_fn cb, void *ud);
/* sys_user/{sys_id}: name, email, phone. */
uint64_t kg_sn_get_user(struct kg_sn *sn, const char *sys_id, kg_sn_user_fn cb, void *ud);
/* PATCH /table/{table}/{sys_id} {"field": text}.  Never retried by kg_http. */
uint64_t kg_sn_journal_add(struct kg_sn *sn, const char *table, const char *sys_id,
                           const char *field, const char *text, kg_sn_write_fn cb, void *ud);
/*
 * Does a journal entry of record table/sys_id, element field, contain needle
 * (letters, digits, '-', ':', ' ' only)?  First sys_journal_field (the
 * entries returned are checked again, since ServiceNow ignores the parts of
 * a query it does not understand); when the entry is not seen there (or that
 * table is closed to the agent: its ACL hides rows without an error), the
 * record's journal field read as text.  found is false only when neither
 * shows it; any failure is an error, never "not found".
 */
uint64_t kg_sn_journal_find(struct kg_sn *sn, const char *table, const char *sys_id,
                            const char *field, const char *needle, kg_sn_find_fn cb, void *ud);
/* The callback of that request will not run.  0 or an old id is harmless. */
void kg_sn_cancel(struct kg_sn *sn, uint64_t id);
/* Requests in flight. */
size_t kg_sn_pending(const struct kg_sn *sn);

/* ---- pure helpers ---- */
/* 2 to 8 ASCII letters then 4 to 12 digits (INC0012345, ritm0001234). */
bool kg_sn_number_valid(const char *s);
/* 32 hexadecimal digits. */
bool kg_sn_sys_id_valid(const char *s);
/* A table or field name: [a-z0-9_], 1..80, starting with a letter. */
bool kg_sn_name_valid(const char *s);

/*
 * INSTANCE/nav_to.do?uri=TABLE.do?sys_id=SYS_ID from servicenow.instance_url
 * and the ticket's table (cfg's when the ticket has none).  NULL when the
 * ticket has no valid sys_id.  Caller frees.
 */
char *kg_sn_ticket_url(const struct kg_config *cfg, const struct kg_ticket *ticket);
/* The same from its parts (pure, for tests).  Caller frees. */
char *kg_sn_record_url(const char *instance_url, const char *table, const char *sys_id);

/* OSC 8 hyperlink: ESC ]8;;URL ESC \ TEXT ESC ]8;; ESC \ .  Caller frees. */
char *kg_sn_hyperlink(const char *url, const char *text);
/* Whether to print one on fd: a terminal and not inside tmux ($TMUX). */
bool kg_sn_hyperlink_ok(int fd);

#endif
