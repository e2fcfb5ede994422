/*
 * session.h - the controller behind the full-screen client: one ticket,
 * the customer search, the selected customer's tokens, this session's
 * activity, the Okta login state and the return to ServiceNow.
 *
 * It owns the model and talks to the store and the network clients; the UI
 * only reads it through these accessors and calls the operations below.
 * Every operation returns at once: network work completes later in the loop,
 * updates the model and the cache, and raises change bits that the UI takes
 * with kg_session_take_changes() to mark panes dirty.  Never includes curses.
 * All strings handed out are already sanitized for the terminal.
 */
#ifndef KIGO_SESSION_H
#define KIGO_SESSION_H

#include "kigo/common.h"
#include "kigo/model.h"
#include "kigo/store.h"

struct kg_session;
struct kg_config;
struct kg_loop;

/* Change bits (kg_session_take_changes). */
enum {
	KG_CHG_TICKET = 1 << 0,
	KG_CHG_CUSTOMERS = 1 << 1,
	KG_CHG_TOKENS = 1 << 2,
	KG_CHG_ACTIVITY = 1 << 3,
	KG_CHG_STATUS = 1 << 4,   /* online, pending count, last error, notice, busy */
	KG_CHG_AUTH = 1 << 5,     /* login screen state */
	KG_CHG_CATALOG = 1 << 6,
	KG_CHG_RESULT = 1 << 7,   /* an operation finished: see kg_session_result */
	KG_CHG_ALL = 0xff,
};

/* What is in flight, for the spinners. */
enum kg_busy {
	KG_BUSY_TICKET = 1 << 0,
	KG_BUSY_SEARCH = 1 << 1,
	KG_BUSY_TOKENS = 1 << 2,
	KG_BUSY_ACTION = 1 << 3,
	KG_BUSY_SYNC = 1 << 4,
	KG_BUSY_LOGIN = 1 << 5,
	KG_BUSY_CATALOG = 1 << 6,
	KG_BUSY_KEYRING = 1 << 7,   /* the saved login is being read from the keyring */
};

/* Launch parameters (from the TICKET argument). */
struct kg_session_launch {
	const char *number;      /* INC0012345, or NULL */
	const char *sys_id;      /* or a sys_id */
	const char *customer;    /* launch URL pre-fill, may be NULL */
	const char *email;
	const char *phone;
	const char *loyalty_id;
	bool offline;            /* --offline: cache only, mutations refused */
};

enum kg_err kg_session_new(struct kg_loop *loop, const struct kg_config *cfg,
                           const struct kg_session_launch *launch, struct kg_session **out,
                           char **cause);
void kg_session_free(struct kg_session **s);

/* The UI drew a complete screen (first paint is recorded once, issue 10). */
void kg_session_painted(struct kg_session *s);

/* Change bits raised since the last call; clears them. */
unsigned kg_session_take_changes(struct kg_session *s);
/* enum kg_busy bits now in flight. */
unsigned kg_session_busy(const struct kg_session *s);

/* ---- what the screen shows ---- */
/* NULL until a ticket (cached or fresh) is known. */
const struct kg_ticket *kg_session_ticket(const struct kg_session *s);
/* Seconds since the shown ticket was fetched (0 = fresh this run). */
int64_t kg_session_ticket_age(const struct kg_session *s);
bool kg_session_online(const struct kg_session *s);
/* The text in the search box (pre-filled from the ticket or launch URL). */
const char *kg_session_query(const struct kg_session *s);
size_t kg_session_customers(const struct kg_session *s, const struct kg_customer **v);
/* NULL when none is selected. */
const struct kg_customer *kg_session_customer(const struct kg_session *s);
/* Tokens of the selected customer in inventory order. */
size_t kg_session_tokens(const struct kg_session *s, const struct kg_token **v);
int64_t kg_session_tokens_age(const struct kg_session *s);
/* This session's activity on this ticket, newest first. */
size_t kg_session_activity(const struct kg_session *s, const struct kg_activity_row **v);
int64_t kg_session_pending_sync(const struct kg_session *s);
/* Actions done this session and not yet in a sent summary (those of
 * unknown outcome included). */
size_t kg_session_unsynced(const struct kg_session *s);
/* This ticket's actions whose outcome Kigo has not told (its answer was
 * lost or unreadable) and that are not on their way now: r retries them. */
size_t kg_session_unknown_actions(const struct kg_session *s);
/* Keyring jobs (a renewed login being saved) kg_session_free waits for. */
size_t kg_session_keyring_pending(const struct kg_session *s);
/* Last error: what happened, why, what to do, "(request id X)". NULL when none. */
const char *kg_session_last_error(const struct kg_session *s);
/* One-time notices ("tokens kept in memory only: ..."). NULL when none. */
const char *kg_session_notice(const struct kg_session *s);
/* Signed-in user's display name, NULL when not logged in. */
const char *kg_session_user(const struct kg_session *s);

/* ---- login (device code), shown as a screen of its own ---- */
enum kg_login_phase { KG_LOGIN_NONE, KG_LOGIN_STARTING, KG_LOGIN_WAITING, KG_LOGIN_FAILED };
struct kg_login_view {
	enum kg_login_phase phase;
	const char *verification_uri;
	const char *verification_uri_complete; /* for the QR code, may be NULL */
	const char *user_code;
	int64_t expires_at_ms;                 /* monotonic ms */
	const char *message;                   /* failure reason or hint, may be NULL */
};
void kg_session_login_view(const struct kg_session *s, struct kg_login_view *out);
/* Start (or restart after a failure) the device login. */
void kg_session_login_start(struct kg_session *s);
void kg_session_login_cancel(struct kg_session *s);

/* ---- operations ---- */
void kg_session_search(struct kg_session *s, const char *query);
void kg_session_select_customer(struct kg_session *s, const char *customer_id);
void kg_session_refresh(struct kg_session *s);
/* Ask for the catalog (cached at once, refreshed in the background). */
void kg_session_load_catalog(struct kg_session *s);
/* Catalog items matching filter (active ones only), caller frees with kg_catalog_free. */
size_t kg_session_catalog(struct kg_session *s, const char *filter, struct kg_catalog_item **out);

enum kg_other_type { KG_OTHER_NOTE, KG_OTHER_RESOLVE_DISPUTE, KG_OTHER_EXTEND };

struct kg_action_req {
	enum kg_action action;        /* ADD, REMOVE, REISSUE, DISPUTE, OTHER */
	const char *token_id;         /* not for ADD */
	int64_t token_version;        /* the version the agent was looking at */
	const char *sku;              /* ADD */
	const char *expires_at;       /* YYYY-MM-DD: ADD (optional), REISSUE, extend */
	const char *reason;           /* required for REMOVE, REISSUE, DISPUTE */
	enum kg_other_type other;     /* OTHER */
	const char *note;             /* OTHER */
};

/*
 * Check an action before it is sent (required reason, date after today,
 * transition allowed from the token's status).  Returns KG_ERR_OK or an
 * error with *cause a sentence for the dialog.
 */
enum kg_err kg_session_check_action(struct kg_session *s, const struct kg_action_req *req,
                                    char **cause);
/* Persist and send the action; the result arrives as KG_CHG_RESULT. */
void kg_session_act(struct kg_session *s, const struct kg_action_req *req);

struct kg_new_customer {
	const char *name, *email, *phone, *loyalty_id;
};
void kg_session_create_customer(struct kg_session *s, const struct kg_new_customer *c);

/* Result of the last finished operation (act, create customer, return). */
enum kg_result_kind { KG_RESULT_NONE, KG_RESULT_ACTION, KG_RESULT_CUSTOMER, KG_RESULT_RETURN };
struct kg_result {
	enum kg_result_kind kind;
	enum kg_err err;                  /* OK on success */
	const char *message;              /* sentence for the status bar / dialog */
	const struct kg_token *current;   /* 412: the token as it is now, else NULL */
	const char *existing_customer_id; /* 409 on create: the one that exists */
	const char *allowed;              /* 422 invalid transition: "remove, dispute" */
};
void kg_session_result(const struct kg_session *s, struct kg_result *out);

/* The exact summary text that `R` would send (caller frees); NULL when nothing to report. */
char *kg_session_summary_preview(struct kg_session *s);
/* Queue the summary in the outbox and send it; KG_RESULT_RETURN when done. */
void kg_session_return(struct kg_session *s);
/* The ticket's link: INSTANCE/nav_to.do?uri=TABLE.do?sys_id=... (caller frees). */
char *kg_session_ticket_url(const struct kg_session *s);

#endif
