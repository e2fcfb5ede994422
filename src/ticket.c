/*
 * ticket.c - validation of the TICKET argument (number, sys_id, launch URL).
 *
 * This is the gate between what a user (or a link in a ticket) hands us and
 * the encoded queries and URLs built later: it accepts exactly the shapes of
 * the contract and refuses everything else, with a reason that quotes the
 * input safely.  The launch URL is taken apart by libcurl's URL API and its
 * values decoded by libcurl, never by hand.  No I/O, no configuration.
 */
#include "kigo/ticket.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "kigo/cli.h"

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool
kg_ticket_is_number(const char *s)
{
	size_t letters = 0, digits = 0;

	if (s == NULL)
		return false;
	while (is_alpha(s[letters]))
		letters++;
	while (is_digit(s[letters + digits]))
		digits++;
	return s[letters + digits] == '\0' && letters >= 2 && letters <= 8 && digits >= 4 &&
	       digits <= 12;
}

bool
kg_ticket_is_sys_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	while (is_hex(s[n]))
		n++;
	return n == 32 && s[n] == '\0';
}

bool
kg_ticket_valid_customer_id(const char *s)
{
	size_t n;

	if (s == NULL || strncmp(s, "cus_", 4) != 0)
		return false;
	for (n = 4; is_alnum(s[n]); n++)
		;
	return s[n] == '\0' && n > 4 && n <= KG_TICKET_CUSTOMER_MAX;
}

bool
kg_ticket_valid_loyalty_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	while (is_alnum(s[n]))
		n++;
	return s[n] == '\0' && n >= 1 && n <= KG_TICKET_LOYALTY_MAX;
}

bool
kg_ticket_valid_phone(const char *s)
{
	size_t n, digits = 0;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		if (is_digit(s[n]))
			digits++;
		else if (s[n] == '+' && n == 0)
			continue;
		else if (s[n] != ' ' && s[n] != '(' && s[n] != ')' && s[n] != '-')
			return false;
	}
	return digits >= 3 && n <= KG_TICKET_PHONE_MAX;
}

/*
 * A deliberately plain address: local part of letters, digits and . _ + -
 * (no leading, trailing or double dot), a domain of two or more labels of
 * letters, digits and inner hyphens, the last one letters only.
 */
bool
kg_ticket_valid_email(const char *s)
{
	const char *at, *p, *label;
	size_t local;

	if (s == NULL || strlen(s) > KG_TICKET_EMAIL_MAX)
		return false;
	at = strchr(s, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	local = (size_t)(at - s);
	if (local < 1 || local > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (p = s; p < at; p++) {
		if (!is_alnum(*p) && *p != '.' && *p != '_' && *p != '+' && *p != '-')
			return false;
		if (*p == '.' && p[1] == '.')
			return false;
	}
	label = at + 1;
	for (p = label;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t n = (size_t)(p - label);

			if (n < 1 || n > 63 || label[0] == '-' || p[-1] == '-')
				return false;
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!is_alnum(*p) && *p != '-')
			return false;
	}
	if (label == at + 1 || strlen(label) < 2)
		return false; /* one label only, or a one-letter top-level domain */
	for (p = label; *p != '\0'; p++)
		if (!is_alpha(*p))
			return false;
	return true;
}

void
kg_ticket_ref_clear(struct kg_ticket_ref *t)
{
	if (t == NULL)
		return;
	free(t->number);
	free(t->sys_id);
	free(t->host);
	free(t->customer);
	free(t->email);
	free(t->phone);
	free(t->loyalty_id);
	memset(t, 0, sizeof(*t));
}

static char *
dup_case(const char *s, bool upper)
{
	char *d = kg_xstrdup(s);

	for (char *p = d; *p != '\0'; p++) {
		if (upper && *p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!upper && *p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return d;
}

/* Number or sys_id into t; false when s is neither. */
static bool
take_id(const char *s, struct kg_ticket_ref *t)
{
	if (kg_ticket_is_number(s))
		t->number = dup_case(s, true);
	else if (kg_ticket_is_sys_id(s))
		t->sys_id = dup_case(s, false);
	else
		return false;
	return true;
}

/* Why s is not a number or sys_id, for the message.  Static text. */
static const char *
id_reason(const char *s)
{
	size_t letters = 0, digits = 0;

	if (s[0] == '\0')
		return "it is empty";
	while (is_alpha(s[letters]))
		letters++;
	while (is_digit(s[letters + digits]))
		digits++;
	switch (s[letters + digits]) {
	case '\0':
		break;
	case ' ':
		return "a space is not allowed";
	case '^':
		return "'^' is not allowed (it would extend a ServiceNow query)";
	case '\'':
	case '"':
	case '`':
		return "quotes are not allowed";
	default:
		return "only letters followed by digits are allowed";
	}
	if (letters < 2 || letters > 8)
		return "a number starts with 2 to 8 letters";
	return "a number has 4 to 12 digits after its letters";
}

/* The first byte a TICKET may never hold, or NULL. */
static const char *
bad_byte(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return s;
	return NULL;
}

/* The launch URL parameters: where each goes and how it is checked. */
struct param {
	const char *name;
	size_t offset;
	bool (*valid)(const char *);
	const char *what;
};

#define REF_OFF(f) offsetof(struct kg_ticket_ref, f)
static const struct param params[] = {
	{ "ticket", 0, NULL, "a ServiceNow number or sys_id" },
	{ "customer", REF_OFF(customer), kg_ticket_valid_customer_id,
	  "a customer id like cus_ followed by letters and digits" },
	{ "email", REF_OFF(email), kg_ticket_valid_email, "an email address" },
	{ "phone", REF_OFF(phone), kg_ticket_valid_phone,
	  "a phone number of digits, spaces, + ( ) -" },
	{ "loyalty_id", REF_OFF(loyalty_id), kg_ticket_valid_loyalty_id,
	  "a loyalty id of letters and digits" },
};

/* One name=value pair of the query.  *why is set on refusal. */
static enum kg_err
take_param(struct kg_ticket_ref *t, const char *pair, size_t len, unsigned *seen, char **why)
{
	const char *eq = memchr(pair, '=', len);
	size_t nlen = eq != NULL ? (size_t)(eq - pair) : len;
	const struct param *p = NULL;
	char *val = NULL, *q = NULL;
	enum kg_err err = KG_ERR_BAD_INPUT;
	int vlen = 0;
	size_t i;

	for (i = 0; i < KG_ARRAY_LEN(params); i++)
		if (strlen(params[i].name) == nlen && memcmp(params[i].name, pair, nlen) == 0) {
			p = &params[i];
			break;
		}
	if (p == NULL) {
		char *name = kg_xstrndup(pair, nlen);

		q = kg_cli_quote(name, 40);
		free(name);
		kg_set_cause(why, "unknown parameter \"%s\" (known: ticket, customer, email, "
		             "phone, loyalty_id)", q);
		goto out;
	}
	if (*seen & (1u << i)) {
		kg_set_cause(why, "parameter %s is given twice", p->name);
		goto out;
	}
	*seen |= 1u << i;
	if (eq == NULL) {
		kg_set_cause(why, "parameter %s has no value", p->name);
		goto out;
	}
	/*
	 * libcurl decodes %XX; '+' stays a plus (RFC 3986, not form encoding).
	 * A length of 0 would make it call strlen(), so "" is decoded as "=".
	 */
	vlen = (int)(len - nlen - 1);
	val = curl_easy_unescape(NULL, vlen > 0 ? eq + 1 : "", vlen, &vlen);
	if (val == NULL)
		kg_fatal("curl_easy_unescape: out of memory");
	if ((size_t)vlen != strlen(val)) {
		kg_set_cause(why, "parameter %s holds a NUL byte (%%00)", p->name);
		goto out;
	}
	if (bad_byte(val) != NULL) {
		q = kg_cli_quote(val, 40);
		kg_set_cause(why, "parameter %s holds a control or non-ASCII character (\"%s\")",
		             p->name, q);
		goto out;
	}
	if (p->valid == NULL) {
		if (!take_id(val, t)) {
			q = kg_cli_quote(val, 40);
			kg_set_cause(why, "ticket=\"%s\" is not %s: %s", q, p->what, id_reason(val));
			goto out;
		}
	} else if (val[0] != '\0') {
		/* An empty pre-fill (a button filling in a blank field) means "not given". */
		if (!p->valid(val)) {
			q = kg_cli_quote(val, 40);
			kg_set_cause(why, "%s=\"%s\" is not %s", p->name, q, p->what);
			goto out;
		}
		*(char **)(void *)((char *)t + p->offset) = kg_xstrdup(val);
	}
	err = KG_ERR_OK;
out:
	curl_free(val);
	free(q);
	return err;
}

static enum kg_err
parse_url(const char *arg, struct kg_ticket_ref *t, char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL, *pass = NULL, *host = NULL, *path = NULL;
	char *query = NULL, *frag = NULL;
	enum kg_err err = KG_ERR_BAD_INPUT;
	unsigned seen = 0;
	CURLUcode rc;

	if (u == NULL)
		kg_fatal("curl_url: out of memory");
	rc = curl_url_set(u, CURLUPART_URL, arg, 0);
	if (rc != CURLUE_OK) {
		kg_set_cause(why, "not a valid launch URL (%s)", curl_url_strerror(rc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (scheme == NULL || strcmp(scheme, "https") != 0) {
		kg_set_cause(why, "a launch URL must use https");
		goto out;
	}
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (user != NULL || pass != NULL || frag != NULL) {
		kg_set_cause(why, "a launch URL has no user name, password or #fragment");
		goto out;
	}
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	if (path == NULL || strcmp(path, "/launch") != 0) {
		kg_set_cause(why, "a launch URL has the path /launch");
		goto out;
	}
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	if (query == NULL) {
		kg_set_cause(why, "a launch URL needs ?ticket=NUMBER");
		goto out;
	}
	for (const char *p = query; *p != '\0';) {
		size_t n = strcspn(p, "&");

		if (n > 0 && take_param(t, p, n, &seen, why) != KG_ERR_OK)
			goto out;
		p += n;
		if (*p == '&')
			p++;
	}
	if (t->number == NULL && t->sys_id == NULL) {
		kg_set_cause(why, "a launch URL needs ?ticket=NUMBER");
		goto out;
	}
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	t->host = kg_xstrdup(host);
	err = KG_ERR_OK;
out:
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(host);
	curl_free(path);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return err;
}

/* "word:" at the start: the argument is meant as a URL. */
static bool
has_scheme(const char *s, char **scheme)
{
	size_t n = 0;

	while (is_alnum(s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')
		n++;
	if (n == 0 || s[n] != ':' || !is_alpha(s[0]))
		return false;
	*scheme = kg_xstrndup(s, n);
	return true;
}

enum kg_err
kg_ticket_parse(const char *arg, struct kg_ticket_ref *out, char **cause)
{
	char *why = NULL, *q, *scheme = NULL;
	const char *bad;
	enum kg_err err = KG_ERR_BAD_INPUT;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (arg == NULL)
		arg = "";
	len = strlen(arg);
	q = kg_cli_quote(arg, 60);
	if (len > KG_TICKET_ARG_MAX) {
		kg_set_cause(&why, "too long (%zu characters, at most %d)", len, KG_TICKET_ARG_MAX);
		goto out;
	}
	bad = bad_byte(arg);
	if (bad != NULL) {
		kg_set_cause(&why, "%s \\x%02X at position %zu",
		             (unsigned char)*bad >= 0x80 ? "non-ASCII byte" : "control character",
		             (unsigned char)*bad, (size_t)(bad - arg) + 1);
		goto out;
	}
	if (take_id(arg, out)) {
		err = KG_ERR_OK;
		goto out;
	}
	if (has_scheme(arg, &scheme)) {
		if (!kg_strcaseeq(scheme, "https")) {
			char *qs = kg_cli_quote(scheme, 20);

			kg_set_cause(&why, "a launch URL must use https, not \"%s:\"", qs);
			free(qs);
			goto out;
		}
		if (strchr(arg, ' ') != NULL) {
			kg_set_cause(&why, "a space is not allowed in a launch URL");
			goto out;
		}
		err = parse_url(arg, out, &why);
		goto out;
	}
	kg_set_cause(&why, "not a ServiceNow number (2-8 letters then 4-12 digits, like "
	             "INC0012345), a 32-hex-digit sys_id or an https launch URL: %s",
	             id_reason(arg));
out:
	if (err != KG_ERR_OK) {
		kg_ticket_ref_clear(out);
		kg_set_cause(cause, "invalid TICKET \"%s\": %s", q, why);
	}
	free(scheme);
	free(why);
	free(q);
	return err;
}
