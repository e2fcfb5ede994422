/*
 * sn.c - the ServiceNow Table API client.
 *
 * It reads the ticket (by number or sys_id) and its caller, PATCHes a
 * journal field, and searches sys_journal_field for an entry it wrote.
 * It must never put an unvalidated value into sysparm_query (ServiceNow
 * ignores what it does not understand, and "^NQ" in a value adds a whole
 * new query), never build a URL by hand (kg_url_build escapes), never let
 * kg_http resend a write, and never log or keep the password anywhere but
 * in this handle (wiped on free).
 */
#include "kigo/sn.h"

#include "kigo/auth.h"
#include "kigo/config.h"
#include "kigo/log.h"
#include "kigo/secret.h"
#include "kigo/sn_json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the caller's fields ride along (dot-walked): no second request for them */
#define SN_TICKET_FIELDS                                                                    \
	"number,short_description,state,priority,caller_id,assigned_to,sys_updated_on,sys_id," \
	KG_SN_CALLER_FIELDS
/* one array, not the macro, in the query lists: clang-tidy reads two adjacent
 * literals inside an initializer list as a missing comma */
static const char sn_ticket_fields[] = SN_TICKET_FIELDS;
#define SN_USER_FIELDS "sys_id,name,email,phone,mobile_phone"
#define SN_JOURNAL_FIELDS "sys_id,element_id,element,value,sys_created_on"
#define SN_NOT_FOUND_HINT \
	"no such ticket, or you may not see it (ServiceNow hides records your role cannot read)"

enum sn_kind { SN_TICKET, SN_USER, SN_WRITE, SN_FIND };

/* One request in flight. */
struct sn_req {
	struct kg_sn *sn;
	uint64_t id;             /* ours, handed to the caller */
	uint64_t http_id;        /* kg_http's (basic) or kg_auth's (okta) id */
	enum sn_kind kind;
	char *what;              /* "ticket INC0010001", for messages */
	char *number;            /* SN_TICKET by number: the number asked for */
	char *sys_id;            /* SN_TICKET by sys_id, SN_USER, SN_FIND: the record */
	char *table;             /* SN_FIND: the record's table */
	char *field;             /* SN_FIND: the journal field */
	int stage;               /* SN_FIND: 0 sys_journal_field, 1 the record itself */
	char *needle;            /* SN_FIND: text the entry must contain */
	union {
		kg_sn_ticket_fn ticket;
		kg_sn_user_fn user;
		kg_sn_write_fn write;
		kg_sn_find_fn find;
	} cb;
	void *ud;
	struct sn_req *next;
};

struct kg_sn {
	struct kg_http *http;          /* not owned */
	struct kg_auth *auth;          /* not owned; okta only */
	const struct kg_config *cfg;   /* not owned */
	enum kg_sn_auth mode;
	char *instance;                /* instance_url without a trailing '/' */
	char *table;                   /* servicenow.table */
	char *username;                /* basic only */
	char *password;                /* basic only; a secret */
	struct sn_req *reqs;           /* in flight */
	uint64_t next_id;
};

bool
kg_sn_number_valid(const char *s)
{
	size_t i = 0, letters, digits;

	if (s == NULL)
		return false;
	while (s[i] != '\0' && isalpha((unsigned char)s[i]) && (s[i] & 0x80) == 0)
		i++;
	letters = i;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	digits = i - letters;
	return s[i] == '\0' && letters >= 2 && letters <= 8 && digits >= 4 && digits <= 12;
}

bool
kg_sn_sys_id_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < 32; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[32] == '\0';
}

bool
kg_sn_name_valid(const char *s)
{
	size_t i;

	if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 80)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	}
	return true;
}

/* Text safe in an encoded query: letters, digits, '-', ':' and ' '. */
static bool
needle_valid(const char *s)
{
	size_t i;

	if (kg_str_empty(s) || strlen(s) > 200)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '-' || c == ':' || c == ' ') || (c & 0x80))
			return false;
	}
	return true;
}

static char *
strip_slash(const char *url)
{
	size_t len = url != NULL ? strlen(url) : 0;

	while (len > 0 && url[len - 1] == '/')
		len--;
	return kg_xstrndup(url != NULL ? url : "", len);
}

char *
kg_sn_record_url(const char *instance_url, const char *table, const char *sys_id)
{
	char *base, *url;

	if (kg_str_empty(instance_url) || !kg_sn_name_valid(table) || !kg_sn_sys_id_valid(sys_id))
		return NULL;
	base = strip_slash(instance_url);
	/* ServiceNow takes the inner URI unescaped; table and sys_id are validated */
	url = kg_xasprintf("%s/nav_to.do?uri=%s.do?sys_id=%s", base, table, sys_id);
	free(base);
	return url;
}

char *
kg_sn_ticket_url(const struct kg_config *cfg, const struct kg_ticket *ticket)
{
	const char *table;

	if (cfg == NULL || ticket == NULL)
		return NULL;
	table = !kg_str_empty(ticket->table) ? ticket->table : cfg->sn_table;
	return kg_sn_record_url(cfg->sn_instance_url, kg_str_empty(table) ? "incident" : table,
	                        ticket->sys_id);
}

char *
kg_sn_hyperlink(const char *url, const char *text)
{
	return kg_xasprintf("\033]8;;%s\033\\%s\033]8;;\033\\", url != NULL ? url : "",
	                    text != NULL ? text : (url != NULL ? url : ""));
}

bool
kg_sn_hyperlink_ok(int fd)
{
	const char *term = getenv("TERM");

	if (!isatty(fd) || !kg_str_empty(getenv("TMUX")))
		return false;
	return !kg_streq(term, "dumb");
}

/* ---- the client ---- */

/*
 * The basic-auth password from the keyring: issuer = the instance URL,
 * client_id = "servicenow:USER".  NULL when there is none or no keyring.
 */
static char *
keyring_password(const struct kg_sn *sn)
{
	struct kg_secret_opts opts = {0};
	struct kg_secret *sec = NULL;
	char *client = kg_xasprintf("servicenow:%s", sn->username);
	char *value = NULL, *cause = NULL;

	opts.mode = KG_SECRETS_KEYRING;
	opts.issuer = sn->instance;
	opts.client_id = client;
	if (kg_secret_open(&opts, &sec, NULL, &cause) == KG_ERR_OK &&
	    kg_secret_load(sec, &value, &cause) != KG_ERR_OK)
		value = NULL;
	if (cause != NULL)
		kg_log_info("ServiceNow password not taken from the keyring: %s", cause);
	kg_secret_close(&sec);
	free(cause);
	free(client);
	if (value != NULL && value[0] == '\0')
		kg_secret_free(&value);
	return value;
}

enum kg_err
kg_sn_new(struct kg_http *http, struct kg_auth *auth, const struct kg_config *cfg,
          struct kg_sn **out, char **cause)
{
	struct kg_sn *sn;
	const char *pw;

	*out = NULL;
	if (http == NULL || cfg == NULL) {
		kg_set_cause(cause, "internal error: ServiceNow client without HTTP or configuration");
		return KG_ERR_BAD_INPUT;
	}
	if (kg_str_empty(cfg->sn_instance_url) || !kg_url_is_https(cfg->sn_instance_url)) {
		kg_set_cause(cause, "servicenow.instance_url is not set to an https URL; "
		                    "set it in the configuration file");
		return KG_ERR_CONFIG;
	}
	if (!kg_sn_name_valid(cfg->sn_table != NULL ? cfg->sn_table : "incident") ||
	    (cfg->sn_journal_field != NULL && !kg_sn_name_valid(cfg->sn_journal_field))) {
		kg_set_cause(cause, "servicenow.table or servicenow.journal_field is not a valid "
		                    "ServiceNow name (lower-case letters, digits, '_')");
		return KG_ERR_CONFIG;
	}
	sn = kg_xcalloc(1, sizeof(*sn));
	sn->http = http;
	sn->cfg = cfg;
	sn->mode = cfg->sn_auth;
	sn->instance = strip_slash(cfg->sn_instance_url);
	sn->table = kg_xstrdup(cfg->sn_table != NULL ? cfg->sn_table : "incident");
	sn->next_id = 1;
	if (sn->mode == KG_SN_AUTH_OKTA) {
		if (auth == NULL) {
			kg_set_cause(cause, "servicenow.auth is okta but there is no Okta session; "
			                    "run 'kigo-tui login'");
			kg_sn_free(&sn);
			return KG_ERR_UNAUTHORIZED;
		}
		sn->auth = auth;
	} else {
		if (kg_str_empty(cfg->sn_username)) {
			kg_set_cause(cause, "servicenow.auth is basic but servicenow.username is empty; "
			                    "set it in the configuration file");
			kg_sn_free(&sn);
			return KG_ERR_CONFIG;
		}
		sn->username = kg_xstrdup(cfg->sn_username);
		pw = getenv("KIGO_TUI_SN_PASSWORD");
		if (!kg_str_empty(pw))
			sn->password = kg_xstrdup(pw);
		else if (cfg->secrets == KG_SECRETS_AUTO || cfg->secrets == KG_SECRETS_KEYRING)
			sn->password = keyring_password(sn);
		if (sn->password == NULL) {
			kg_set_cause(cause, "no ServiceNow password for %s: set KIGO_TUI_SN_PASSWORD, or "
			                    "store it in the keyring with: secret-tool store --label="
			                    "'kigo-tui ServiceNow' xdg:schema org.kigo.KigoTui.Token "
			                    "issuer %s client_id servicenow:%s",
			             sn->username, sn->instance, sn->username);
			kg_sn_free(&sn);
			return KG_ERR_UNAUTHORIZED;
		}
		kg_log_secret(sn->password);
	}
	*out = sn;
	return KG_ERR_OK;
}

static void
req_free(struct sn_req *r)
{
	free(r->what);
	free(r->number);
	free(r->sys_id);
	free(r->table);
	free(r->field);
	free(r->needle);
	free(r);
}

static void
req_unlink(struct kg_sn *sn, struct sn_req *r)
{
	struct sn_req **pp;

	for (pp = &sn->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

/* Stop a request's transfer: its completion will not come. */
static void
req_abort(struct kg_sn *sn, struct sn_req *r)
{
	if (sn->auth != NULL)
		kg_auth_http_cancel(sn->auth, r->http_id);
	else
		kg_http_cancel(sn->http, r->http_id);
}

void
kg_sn_free(struct kg_sn **snp)
{
	struct kg_sn *sn = *snp;
	struct sn_req *r, *next;

	if (sn == NULL)
		return;
	for (r = sn->reqs; r != NULL; r = next) {
		next = r->next;
		req_abort(sn, r);
		req_free(r);
	}
	if (sn->password != NULL) {
		kg_log_forget_secret(sn->password);
		kg_secret_free(&sn->password);
	}
	free(sn->username);
	free(sn->instance);
	free(sn->table);
	free(sn);
	*snp = NULL;
}

void
kg_sn_cancel(struct kg_sn *sn, uint64_t id)
{
	struct sn_req *r;

	if (sn == NULL || id == 0)
		return;
	for (r = sn->reqs; r != NULL; r = r->next) {
		if (r->id != id)
			continue;
		req_abort(sn, r);
		req_unlink(sn, r);
		req_free(r);
		return;
	}
}

size_t
kg_sn_pending(const struct kg_sn *sn)
{
	const struct sn_req *r;
	size_t n = 0;

	for (r = sn->reqs; r != NULL; r = r->next)
		n++;
	return n;
}

/*
 * A sentence for a failed response: what, why (ServiceNow's message and
 * detail, both), what to do, and the request id.  Sets res->err.
 */
static char *
describe_failure(struct sn_req *r, const struct kg_http_resp *resp, struct kg_sn_result *res)
{
	char *msg = NULL, *detail = NULL, *why, *out, *rid;
	const char *todo;
	struct kg_buf b;

	if (resp->err == KG_ERR_UNAUTHORIZED) {
		/* kg_auth could not renew the session: its sentence says what to do */
		res->err = resp->err;
		return kg_xasprintf("ServiceNow needs a valid Okta session for %s: %s", r->what,
		                    resp->error != NULL ? resp->error : kg_err_str(resp->err));
	}
	if (resp->err != KG_ERR_OK) {
		res->err = resp->err;
		/* kg_http's words already say what to do */
		out = kg_xasprintf("Could not reach ServiceNow for %s: %s", r->what,
		                   resp->error != NULL ? resp->error : kg_err_str(resp->err));
		return out;
	}
	kg_buf_init(&b, 0);
	if (kg_sn_json_error(resp->body.data, resp->body.len, &msg, &detail)) {
		if (msg != NULL)
			kg_buf_puts(&b, msg);
		if (detail != NULL)
			kg_buf_printf(&b, "%s%s", msg != NULL ? " - " : "", detail);
	}
	why = kg_buf_steal(&b);
	free(msg);
	free(detail);
	switch (resp->status) {
	case 401:
		res->err = KG_ERR_UNAUTHORIZED;
		todo = resp->status == 401 && r->sn != NULL && r->sn->mode == KG_SN_AUTH_BASIC
		               ? "check servicenow.username and the password"
		               : "run 'kigo-tui login' and try again";
		break;
	case 403:
		res->err = KG_ERR_FORBIDDEN;
		todo = "your ServiceNow role does not allow this; ask your ServiceNow administrator";
		break;
	case 404:
		res->err = KG_ERR_NOT_FOUND;
		todo = r->kind == SN_TICKET || r->kind == SN_WRITE
		               ? SN_NOT_FOUND_HINT
		               : "it does not exist, or your role cannot read it";
		break;
	case 429:
		res->err = KG_ERR_RATE_LIMITED;
		todo = "ServiceNow is limiting requests; wait and try again";
		break;
	default:
		if (resp->status >= 500) {
			res->err = KG_ERR_UNAVAILABLE;
			todo = "ServiceNow is having trouble; try again later";
		} else if (resp->status >= 400) {
			res->err = KG_ERR_HTTP;
			todo = "this looks like a bug in kigo-tui; please report it";
		} else {
			res->err = KG_ERR_PROTOCOL;
			todo = "this looks like a bug in kigo-tui; please report it";
		}
		break;
	}
	rid = resp->request_id != NULL ? kg_xasprintf(" (request id %s)", resp->request_id)
	                               : kg_xstrdup("");
	if (resp->status == 429 && resp->retry_after >= 0)
		out = kg_xasprintf("ServiceNow answered %ld for %s%s%s: %s, retry after %d s.%s",
		                   resp->status, r->what, *why ? ": " : "", why, todo,
		                   resp->retry_after, rid);
	else
		out = kg_xasprintf("ServiceNow answered %ld for %s%s%s: %s.%s", resp->status, r->what,
		                   *why ? ": " : "", why, todo, rid);
	free(rid);
	free(why);
	return out;
}

/* " (request id X)" or "", for the end of a sentence. */
static char *
rid_tail(const struct kg_http_resp *resp)
{
	return resp->request_id != NULL ? kg_xasprintf(" (request id %s)", resp->request_id)
	                                : kg_xstrdup("");
}

/* What an unreadable 2xx body was: an HTML page, or the parser's words. */
static char *
unreadable(const struct kg_http_resp *resp, const char *cause)
{
	const char *hint = kg_http_body_hint(resp);

	return hint != NULL ? kg_xasprintf("it was %s; check the proxy settings and "
	                                   "servicenow.instance_url", hint)
	                    : kg_xstrdup(cause != NULL ? cause : "it could not be parsed");
}

/*
 * A PATCH answered 2xx counts only when the answer is the record we wrote
 * to ({"result": {"sys_id": ...}}): a proxy's page or a cut body says
 * nothing about whether ServiceNow has the entry, so it is ambiguous and the
 * outbox looks before it sends again.
 */
static void
finish_write(struct sn_req *r, struct kg_http_resp *resp, struct kg_sn_result *res, char **msg)
{
	char *cause = NULL, *sys_id = NULL, *why, *rid;

	if (kg_sn_json_field(resp->body.data, resp->body.len, "sys_id", &sys_id, &cause) ==
	    KG_ERR_OK && kg_strcaseeq(sys_id, r->sys_id)) {
		free(sys_id);
		return;
	}
	if (cause == NULL)
		cause = kg_xstrdup("it names another record");
	why = unreadable(resp, cause);
	rid = rid_tail(resp);
	res->err = KG_ERR_PROTOCOL;
	res->ambiguous = true;
	*msg = kg_xasprintf("ServiceNow's answer (HTTP %ld) to the write of %s could not be read "
	                    "(%s), so it is not known whether the entry was added%s.",
	                    resp->status, r->what, why, rid);
	res->message = *msg;
	free(rid);
	free(why);
	free(sys_id);
	free(cause);
}

static void
finish_ticket(struct sn_req *r, struct kg_http_resp *resp, struct kg_sn_result *res, char **msg)
{
	struct kg_ticket *v = NULL, one;
	struct kg_user *callers = NULL, one_caller;
	size_t n = 0, i;
	char *cause = NULL;
	const struct kg_ticket *hit = NULL;
	const struct kg_user *caller = NULL;

	memset(&one, 0, sizeof(one));
	memset(&one_caller, 0, sizeof(one_caller));
	if (r->number != NULL) {
		res->err = kg_sn_json_tickets_callers(resp->body.data, resp->body.len, r->sn->table,
		                                      &v, &callers, &n, &cause);
		if (res->err == KG_ERR_OK) {
			for (i = 0; i < n; i++) {
				if (kg_streq(v[i].number, r->number)) {
					hit = &v[i];
					caller = &callers[i];
				}
			}
			if (n == 0) {
				res->err = KG_ERR_NOT_FOUND;
				*msg = kg_xasprintf("%s: %s.", r->what, SN_NOT_FOUND_HINT);
			} else if (n > 1) {
				res->err = KG_ERR_PROTOCOL;
				*msg = kg_xasprintf("ServiceNow returned %zu records for %s where one was "
				                    "expected; refusing to guess.  Open it by sys_id instead.",
				                    n, r->what);
			} else if (hit == NULL) {
				res->err = KG_ERR_PROTOCOL;
				*msg = kg_xasprintf("ServiceNow returned a record that is not %s; refusing "
				                    "to show it.  Check the number.", r->number);
			}
		}
	} else {
		res->err = kg_sn_json_ticket_caller(resp->body.data, resp->body.len, r->sn->table,
		                                    &one, &one_caller, &cause);
		if (res->err == KG_ERR_OK) {
			if (kg_strcaseeq(one.sys_id, r->sys_id)) {
				hit = &one;
				caller = &one_caller;
			} else {
				res->err = KG_ERR_PROTOCOL;
				*msg = kg_xasprintf("ServiceNow returned another record than %s; refusing "
				                    "to show it.", r->what);
			}
		}
	}
	if (res->err != KG_ERR_OK && *msg == NULL) {
		char *why = unreadable(resp, cause), *rid = rid_tail(resp);

		*msg = kg_xasprintf("ServiceNow's answer for %s could not be read: %s. Press r to "
		                    "try again.%s", r->what, why, rid);
		free(why);
		free(rid);
	}
	if (hit != NULL)
		((struct kg_ticket *)hit)->fetched_at = kg_wall_now();
	/* no dot-walked caller fields in the answer: the callback reads sys_user */
	if (caller != NULL && caller->sys_id == NULL)
		caller = NULL;
	r->cb.ticket(res->err, res->err == KG_ERR_OK ? hit : NULL,
	             res->err == KG_ERR_OK ? caller : NULL, *msg, r->ud);
	kg_sn_tickets_free(&v, n);
	kg_sn_users_free(&callers, n);
	kg_ticket_clear(&one);
	kg_user_clear(&one_caller);
	free(cause);
}

static void
finish_user(struct sn_req *r, struct kg_http_resp *resp, struct kg_sn_result *res, char **msg)
{
	struct kg_user u;
	char *cause = NULL;

	res->err = kg_sn_json_user(resp->body.data, resp->body.len, &u, &cause);
	if (res->err == KG_ERR_OK && !kg_strcaseeq(u.sys_id, r->sys_id)) {
		res->err = KG_ERR_PROTOCOL;
		kg_set_cause(&cause, "it is another user");
	}
	if (res->err != KG_ERR_OK) {
		char *why = unreadable(resp, cause), *rid = rid_tail(resp);

		*msg = kg_xasprintf("ServiceNow's answer for %s could not be read: %s.%s", r->what,
		                    why, rid);
		free(why);
		free(rid);
	}
	r->cb.user(res->err, res->err == KG_ERR_OK ? &u : NULL, *msg, r->ud);
	kg_user_clear(&u);
	free(cause);
}

static bool find_record(struct sn_req *r);

/*
 * Stage 0 looked in sys_journal_field; stage 1 reads the record's journal
 * field as text (display value), which an agent who cannot read
 * sys_journal_field (an ACL hides its rows without an error) can still see.
 * Returns true when the request goes on with stage 1.
 */
static bool
finish_find(struct sn_req *r, struct kg_http_resp *resp, struct kg_sn_result *res, char **msg)
{
	struct kg_sn_journal_entry *v = NULL;
	size_t n = 0, i;
	char *cause = NULL, *text = NULL;
	bool found = false;

	if (r->stage == 0) {
		res->err = kg_sn_json_journal(resp->body.data, resp->body.len, &v, &n, &cause);
		/* ServiceNow drops query parts it does not understand: check again */
		for (i = 0; res->err == KG_ERR_OK && i < n; i++) {
			if (kg_strcaseeq(v[i].element_id, r->sys_id) && kg_streq(v[i].element, r->field) &&
			    v[i].value != NULL && strstr(v[i].value, r->needle) != NULL)
				found = true;
		}
		kg_sn_journal_free(&v, n);
	} else {
		res->err = kg_sn_json_field(resp->body.data, resp->body.len, r->field, &text, &cause);
		found = res->err == KG_ERR_OK && strstr(text, r->needle) != NULL;
		free(text);
	}
	if (res->err == KG_ERR_OK && !found && r->stage == 0 && find_record(r)) {
		free(cause);
		return true;
	}
	if (res->err != KG_ERR_OK) {
		char *why = unreadable(resp, cause), *rid = rid_tail(resp);

		*msg = kg_xasprintf("ServiceNow's answer for %s could not be read: %s.%s", r->what,
		                    why, rid);
		res->message = *msg;
		free(why);
		free(rid);
	}
	r->cb.find(res, found, r->ud);
	free(cause);
	return false;
}

static void
on_done(struct kg_http_resp *resp, void *ud)
{
	struct sn_req *r = ud;
	struct kg_sn_result res;
	char *msg = NULL;

	req_unlink(r->sn, r);
	r->http_id = 0;
	memset(&res, 0, sizeof(res));
	res.status = resp->status;
	res.retry_after = resp->retry_after;
	res.request_id = resp->request_id;
	if (resp->err != KG_ERR_OK || resp->status < 200 || resp->status > 299) {
		msg = describe_failure(r, resp, &res);
		res.message = msg;
		/* a write that went out and got no clear answer may have been applied */
		res.ambiguous = r->kind == SN_WRITE && resp->request_sent &&
		                resp->err != KG_ERR_UNAUTHORIZED &&
		                (resp->err != KG_ERR_OK || resp->status >= 500);
		/* sys_journal_field may be closed to the agent: try the record */
		if (r->kind == SN_FIND && r->stage == 0 && resp->err == KG_ERR_OK &&
		    (resp->status == 403 || resp->status == 404) && find_record(r)) {
			free(msg);
			return;
		}
		switch (r->kind) {
		case SN_TICKET:
			r->cb.ticket(res.err, NULL, NULL, msg, r->ud);
			break;
		case SN_USER:
			r->cb.user(res.err, NULL, msg, r->ud);
			break;
		case SN_WRITE:
			r->cb.write(&res, r->ud);
			break;
		case SN_FIND:
			r->cb.find(&res, false, r->ud);
			break;
		}
		goto out;
	}
	res.err = KG_ERR_OK;
	switch (r->kind) {
	case SN_TICKET:
		finish_ticket(r, resp, &res, &msg);
		break;
	case SN_USER:
		finish_user(r, resp, &res, &msg);
		break;
	case SN_WRITE:
		finish_write(r, resp, &res, &msg);
		r->cb.write(&res, r->ud);
		break;
	case SN_FIND:
		if (finish_find(r, resp, &res, &msg)) {
			free(msg);
			return; /* r goes on with its next stage */
		}
		break;
	}
out:
	free(msg);
	req_free(r);
}

static struct sn_req *
req_new(struct kg_sn *sn, enum sn_kind kind, void *ud)
{
	struct sn_req *r = kg_xcalloc(1, sizeof(*r));

	r->sn = sn;
	r->kind = kind;
	r->ud = ud;
	r->id = sn->next_id++;
	return r;
}

/* Send hr for r with the configured auth; r joins the in-flight list. */
static uint64_t
req_send(struct kg_sn *sn, struct sn_req *r, struct kg_http_req *hr)
{
	static const char *const headers[] = {"Accept: application/json", NULL};

	hr->headers = headers;
	r->next = sn->reqs;
	sn->reqs = r;
	if (sn->auth != NULL) {
		r->http_id = kg_auth_http_send(sn->auth, hr, on_done, r);
		return r->id;
	}
	hr->basic_user = sn->username;
	hr->basic_pass = sn->password;
	r->http_id = kg_http_send(sn->http, hr, on_done, r);
	return r->id;
}

/* Arguments refused before anything is sent: no callback, id 0. */
static uint64_t
req_refuse(struct sn_req *r, const char *why)
{
	kg_log_warn("ServiceNow request refused: %s", why);
	req_free(r);
	return 0;
}

static char *
build_url(struct kg_sn *sn, const char *const *segs, const char *const *query, char **cause)
{
	return kg_url_build(sn->instance, segs, query, cause);
}

uint64_t
kg_sn_get_ticket(struct kg_sn *sn, const char *number, const char *sys_id, kg_sn_ticket_fn cb,
                 void *ud)
{
	struct sn_req *r = req_new(sn, SN_TICKET, ud);
	struct kg_http_req hr;
	char *url = NULL, *cause = NULL, *q = NULL;
	size_t i;
	uint64_t id;

	r->cb.ticket = cb;
	memset(&hr, 0, sizeof(hr));
	hr.method = KG_HTTP_GET;
	hr.retry = true;
	if (number != NULL) {
		if (!kg_sn_number_valid(number))
			return req_refuse(r, "an invalid ticket number");
		r->number = kg_xstrdup(number);
		for (i = 0; r->number[i] != '\0'; i++)
			r->number[i] = (char)toupper((unsigned char)r->number[i]);
		r->what = kg_xasprintf("ticket %s", r->number);
		q = kg_xasprintf("number=%s", r->number);
		{
			const char *segs[] = {"api", "now", "table", sn->table, NULL};
			const char *query[] = {"sysparm_query", q,
			                       "sysparm_limit", "2",
			                       "sysparm_fields", sn_ticket_fields,
			                       "sysparm_display_value", "all",
			                       "sysparm_exclude_reference_link", "true",
			                       NULL};

			url = build_url(sn, segs, query, &cause);
		}
	} else {
		if (!kg_sn_sys_id_valid(sys_id))
			return req_refuse(r, "an invalid ticket sys_id");
		r->sys_id = kg_xstrdup(sys_id);
		for (i = 0; r->sys_id[i] != '\0'; i++)
			r->sys_id[i] = (char)tolower((unsigned char)r->sys_id[i]);
		r->what = kg_xasprintf("ticket %s", r->sys_id);
		{
			const char *segs[] = {"api", "now", "table", sn->table, r->sys_id, NULL};
			const char *query[] = {"sysparm_fields", sn_ticket_fields,
			                       "sysparm_display_value", "all",
			                       "sysparm_exclude_reference_link", "true",
			                       NULL};

			url = build_url(sn, segs, query, &cause);
		}
	}
	free(q);
	if (url == NULL) {
		id = req_refuse(r, "a ticket URL that could not be built");
		free(cause);
		return id;
	}
	hr.url = url;
	id = req_send(sn, r, &hr);
	free(url);
	return id;
}

uint64_t
kg_sn_get_user(struct kg_sn *sn, const char *sys_id, kg_sn_user_fn cb, void *ud)
{
	struct sn_req *r = req_new(sn, SN_USER, ud);
	struct kg_http_req hr;
	char *url, *cause = NULL;
	uint64_t id;

	r->cb.user = cb;
	if (!kg_sn_sys_id_valid(sys_id))
		return req_refuse(r, "a user without a valid sys_id");
	r->sys_id = kg_xstrdup(sys_id);
	r->what = kg_xasprintf("user %s", sys_id);
	{
		const char *segs[] = {"api", "now", "table", "sys_user", sys_id, NULL};
		const char *query[] = {"sysparm_fields", SN_USER_FIELDS, NULL};

		url = build_url(sn, segs, query, &cause);
	}
	if (url == NULL) {
		free(cause);
		return req_refuse(r, "a user URL that could not be built");
	}
	memset(&hr, 0, sizeof(hr));
	hr.method = KG_HTTP_GET;
	hr.url = url;
	hr.retry = true;
	id = req_send(sn, r, &hr);
	free(url);
	return id;
}

uint64_t
kg_sn_journal_add(struct kg_sn *sn, const char *table, const char *sys_id, const char *field,
                  const char *text, kg_sn_write_fn cb, void *ud)
{
	struct sn_req *r = req_new(sn, SN_WRITE, ud);
	struct kg_http_req hr;
	char *url, *cause = NULL, *body;
	uint64_t id;

	r->cb.write = cb;
	if (!kg_sn_name_valid(table) || !kg_sn_sys_id_valid(sys_id) || !kg_sn_name_valid(field))
		return req_refuse(r, "a journal entry for an invalid record");
	r->what = kg_xasprintf("the %s of %s %s", field, table, sys_id);
	r->sys_id = kg_xstrdup(sys_id);
	{
		const char *segs[] = {"api", "now", "table", table, sys_id, NULL};
		const char *query[] = {"sysparm_fields", "sys_id", NULL};

		url = build_url(sn, segs, query, &cause);
	}
	if (url == NULL) {
		free(cause);
		return req_refuse(r, "a journal URL that could not be built");
	}
	body = kg_sn_json_journal_body(field, text);
	memset(&hr, 0, sizeof(hr));
	hr.method = KG_HTTP_PATCH;
	hr.url = url;
	hr.body = body;
	hr.retry = false; /* never resent blindly: the outbox checks first */
	id = req_send(sn, r, &hr);
	free(url);
	free(body);
	return id;
}

/* Stage 1 of a find: GET the record's journal field as text. */
static bool
find_record(struct sn_req *r)
{
	struct kg_http_req hr;
	char *url, *cause = NULL;

	{
		const char *segs[] = {"api", "now", "table", r->table, r->sys_id, NULL};
		const char *query[] = {"sysparm_fields", r->field,
		                       "sysparm_display_value", "true",
		                       NULL};

		url = build_url(r->sn, segs, query, &cause);
	}
	free(cause);
	if (url == NULL)
		return false;
	r->stage = 1;
	memset(&hr, 0, sizeof(hr));
	hr.method = KG_HTTP_GET;
	hr.url = url;
	hr.retry = true;
	req_send(r->sn, r, &hr);
	free(url);
	return true;
}

uint64_t
kg_sn_journal_find(struct kg_sn *sn, const char *table, const char *sys_id, const char *field,
                   const char *needle, kg_sn_find_fn cb, void *ud)
{
	struct sn_req *r = req_new(sn, SN_FIND, ud);
	struct kg_http_req hr;
	char *url, *cause = NULL, *q;
	uint64_t id;

	r->cb.find = cb;
	if (!kg_sn_name_valid(table) || !kg_sn_sys_id_valid(sys_id) || !kg_sn_name_valid(field) ||
	    !needle_valid(needle))
		return req_refuse(r, "a journal search with invalid values");
	r->table = kg_xstrdup(table);
	r->sys_id = kg_xstrdup(sys_id);
	r->field = kg_xstrdup(field);
	r->needle = kg_xstrdup(needle);
	r->what = kg_xasprintf("the journal of %s", sys_id);
	/* every part validated above: no '^', '=' or '@' can reach the query */
	q = kg_xasprintf("element_id=%s^element=%s^valueLIKE%s", sys_id, field, needle);
	{
		const char *segs[] = {"api", "now", "table", "sys_journal_field", NULL};
		const char *query[] = {"sysparm_query", q,
		                       "sysparm_fields", SN_JOURNAL_FIELDS,
		                       "sysparm_limit", "10",
		                       NULL};

		url = build_url(sn, segs, query, &cause);
	}
	free(q);
	if (url == NULL) {
		free(cause);
		return req_refuse(r, "a journal search URL that could not be built");
	}
	memset(&hr, 0, sizeof(hr));
	hr.method = KG_HTTP_GET;
	hr.url = url;
	hr.retry = true;
	id = req_send(sn, r, &hr);
	free(url);
	return id;
}
