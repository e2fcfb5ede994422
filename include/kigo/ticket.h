/*
 * ticket.h - the TICKET argument: a ServiceNow number, a sys_id, or a launch
 * URL built by a "Manage Tokens" button in ServiceNow.
 *
 *   INC0012345, ritm0001234          2-8 letters then 4-12 digits -> upper-case
 *   0123456789abcdef0123456789ABCDEF 32 hex digits               -> lower-case
 *   https://HOST/launch?ticket=INC0012345&customer=cus_42&email=a%40b.example
 *
 * Parsing is pure (no I/O, no configuration).  Everything else is refused
 * with a one-line reason that never holds a raw control character, so a
 * value can never reach a ServiceNow encoded query or a URL unchecked.
 */
#ifndef KIGO_TICKET_H
#define KIGO_TICKET_H

#include "kigo/common.h"

/* Caps on what a TICKET may hold. */
#define KG_TICKET_ARG_MAX 2048     /* the whole argument */
#define KG_TICKET_CUSTOMER_MAX 64  /* cus_ + id */
#define KG_TICKET_EMAIL_MAX 254
#define KG_TICKET_PHONE_MAX 32
#define KG_TICKET_LOYALTY_MAX 64

struct kg_ticket_ref {
	char *number;      /* "INC0012345" (upper-case), or NULL when sys_id is set */
	char *sys_id;      /* 32 lower-case hex digits, or NULL when number is set */
	/* From a launch URL only, NULL otherwise: */
	char *host;        /* host the URL named (not trusted; shown, never contacted) */
	char *customer;    /* "cus_..." */
	char *email;
	char *phone;       /* [+0-9 ()-] */
	char *loyalty_id;  /* letters and digits */
};

/*
 * Parse a TICKET argument into *out (cleared first).  Returns KG_ERR_OK or
 * KG_ERR_BAD_INPUT (exit 65) with a one-line *cause (caller frees) saying
 * why; input is quoted in it with kg_cli_quote().  Free with
 * kg_ticket_ref_clear() in both cases.
 */
enum kg_err kg_ticket_parse(const char *arg, struct kg_ticket_ref *out, char **cause);
void kg_ticket_ref_clear(struct kg_ticket_ref *t);

/* Single checks, for other inputs of the same shape (no normalization). */
bool kg_ticket_is_number(const char *s);
bool kg_ticket_is_sys_id(const char *s);
bool kg_ticket_valid_customer_id(const char *s);
bool kg_ticket_valid_email(const char *s);
bool kg_ticket_valid_phone(const char *s);
bool kg_ticket_valid_loyalty_id(const char *s);

#endif
