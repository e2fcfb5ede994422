/*
 * oidc_json.c - pure parsers for OpenID provider responses and the token
 * record kept in the secret store.
 *
 * Bytes in, structs out: no I/O, no clock, no globals.  A body over its
 * cap, a body that is not one JSON object, a missing required member or a
 * member of the wrong type is an error naming the member; unknown members
 * are ignored.  Secrets that pass through json-c's own buffers are zeroed
 * before json-c frees them, and every secret copied out is registered with
 * kg_log_secret so a slip in a log line is redacted.  Must never log.
 */
#include "kigo/oidc_json.h"

#include <glib.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <string.h>

#include "kigo/buf.h"
#include "kigo/log.h"

#define MAX_DEPTH 16
#define MAX_SECONDS (10LL * 366 * 24 * 3600)

/* Zero every string value in a json-c tree (keys are not secrets). */
static void
wipe_tree(struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		kg_memzero((char *)json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			wipe_tree(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val)
		{
			(void)key;
			wipe_tree(val);
		}
		break;
	}
	default:
		break;
	}
}

static void
put_wiped(struct json_object **o)
{
	if (*o == NULL)
		return;
	wipe_tree(*o);
	json_object_put(*o);
	*o = NULL;
}

/* Parse exactly one JSON object of at most max bytes. */
static struct json_object *
parse_object(const char *body, size_t len, size_t max, const char *what, char **cause)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;
	enum json_tokener_error jerr;

	if (body == NULL || len == 0) {
		kg_set_cause(cause, "the %s is empty", what);
		return NULL;
	}
	if (len > max) {
		kg_set_cause(cause, "the %s is too large (%zu bytes, at most %zu accepted)", what, len,
		             max);
		return NULL;
	}
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (tok == NULL)
		kg_fatal("out of memory (json tokener)");
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success) {
		kg_set_cause(cause, "the %s is not valid JSON (%s)", what,
		             jerr == json_tokener_continue ? "it ends too early"
		                                            : json_tokener_error_desc(jerr));
		put_wiped(&o);
	} else if (json_tokener_get_parse_end(tok) < len &&
	           strspn(body + json_tokener_get_parse_end(tok), " \t\r\n") !=
	                   len - json_tokener_get_parse_end(tok)) {
		kg_set_cause(cause, "the %s has extra data after the JSON object", what);
		put_wiped(&o);
	} else if (!json_object_is_type(o, json_type_object)) {
		kg_set_cause(cause, "the %s is not a JSON object", what);
		put_wiped(&o);
	}
	/* The tokener's scratch buffer may hold pieces of a token. */
	if (tok->pb != NULL && tok->pb->buf != NULL)
		kg_memzero(tok->pb->buf, (size_t)tok->pb->size);
	json_tokener_free(tok);
	return o;
}

/*
 * A string member: absent or null leaves *out NULL (an error when
 * required); another type, an embedded NUL or an oversized value is an
 * error.
 */
static enum kg_err
get_str(struct json_object *o, const char *key, bool required, bool secret, const char *what,
        char **out, char **cause)
{
	struct json_object *v = NULL;
	const char *s;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return KG_ERR_OK;
		kg_set_cause(cause, "the %s has no \"%s\"", what, key);
		return KG_ERR_PROTOCOL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		kg_set_cause(cause, "the %s has \"%s\" of the wrong type (a string was expected)",
		             what, key);
		return KG_ERR_PROTOCOL;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n) {
		kg_set_cause(cause, "the %s has a NUL character inside \"%s\"", what, key);
		return KG_ERR_PROTOCOL;
	}
	if (n > KG_OIDC_MAX_STRING) {
		kg_set_cause(cause, "the %s has \"%s\" longer than %d bytes", what, key,
		             KG_OIDC_MAX_STRING);
		return KG_ERR_PROTOCOL;
	}
	if (n == 0) {
		if (!required)
			return KG_ERR_OK;
		kg_set_cause(cause, "the %s has an empty \"%s\"", what, key);
		return KG_ERR_PROTOCOL;
	}
	*out = kg_xstrndup(s, n);
	if (secret)
		kg_log_secret(*out);
	return KG_ERR_OK;
}

/* An integer member in [min, max]; *out = dflt when absent or null. */
static enum kg_err
get_int(struct json_object *o, const char *key, bool required, int64_t min, int64_t max,
        int64_t dflt, const char *what, int64_t *out, char **cause)
{
	struct json_object *v = NULL;
	int64_t x;

	*out = dflt;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return KG_ERR_OK;
		kg_set_cause(cause, "the %s has no \"%s\"", what, key);
		return KG_ERR_PROTOCOL;
	}
	if (!json_object_is_type(v, json_type_int)) {
		kg_set_cause(cause, "the %s has \"%s\" of the wrong type (an integer was expected)",
		             what, key);
		return KG_ERR_PROTOCOL;
	}
	x = json_object_get_int64(v);
	if (x < min || x > max) {
		kg_set_cause(cause, "the %s has \"%s\" out of range (%lld, expected %lld to %lld)",
		             what, key, (long long)x, (long long)min, (long long)max);
		return KG_ERR_PROTOCOL;
	}
	*out = x;
	return KG_ERR_OK;
}

static bool
is_https(const char *url)
{
	return url != NULL && strncmp(url, "https://", 8) == 0 && url[8] != '\0';
}

static enum kg_err
get_endpoint(struct json_object *o, const char *key, bool required, const char *what, char **out,
             char **cause)
{
	enum kg_err err = get_str(o, key, required, false, what, out, cause);

	if (err == KG_ERR_OK && *out != NULL && !is_https(*out)) {
		kg_set_cause(cause, "the %s has \"%s\" that is not an https URL", what, key);
		kg_free(out);
		err = KG_ERR_PROTOCOL;
	}
	return err;
}

/* ---- discovery ---- */

enum kg_err
kg_oidc_parse_discovery(const char *body, size_t len, struct kg_oidc_discovery *out,
                        char **cause)
{
	static const char what[] = "OpenID discovery document";
	struct json_object *o;
	enum kg_err err;

	memset(out, 0, sizeof(*out));
	if ((o = parse_object(body, len, KG_OIDC_MAX_BODY, what, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((err = get_str(o, "issuer", true, false, what, &out->issuer, cause)) != KG_ERR_OK ||
	    (err = get_endpoint(o, "token_endpoint", true, what, &out->token_endpoint, cause)) !=
	            KG_ERR_OK ||
	    (err = get_endpoint(o, "device_authorization_endpoint", false, what,
	                        &out->device_authorization_endpoint, cause)) != KG_ERR_OK ||
	    (err = get_endpoint(o, "revocation_endpoint", false, what, &out->revocation_endpoint,
	                        cause)) != KG_ERR_OK ||
	    (err = get_endpoint(o, "userinfo_endpoint", false, what, &out->userinfo_endpoint,
	                        cause)) != KG_ERR_OK)
		goto out;
	err = KG_ERR_OK;
out:
	json_object_put(o);
	if (err != KG_ERR_OK)
		kg_oidc_discovery_clear(out);
	return err;
}

void
kg_oidc_discovery_clear(struct kg_oidc_discovery *d)
{
	kg_free(&d->issuer);
	kg_free(&d->device_authorization_endpoint);
	kg_free(&d->token_endpoint);
	kg_free(&d->revocation_endpoint);
	kg_free(&d->userinfo_endpoint);
}

/* ---- device authorization ---- */

enum kg_err
kg_oidc_parse_device(const char *body, size_t len, struct kg_oidc_device *out, char **cause)
{
	static const char what[] = "device authorization response";
	struct json_object *o;
	enum kg_err err;

	memset(out, 0, sizeof(*out));
	if ((o = parse_object(body, len, KG_OIDC_MAX_BODY, what, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((err = get_str(o, "device_code", true, true, what, &out->device_code, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "user_code", true, false, what, &out->user_code, cause)) != KG_ERR_OK)
		goto out;
	/* Some IdPs (Google) still say verification_url. */
	err = get_endpoint(o, "verification_uri", false, what, &out->verification_uri, cause);
	if (err == KG_ERR_OK && out->verification_uri == NULL)
		err = get_endpoint(o, "verification_url", false, what, &out->verification_uri,
		                   cause);
	if (err != KG_ERR_OK)
		goto out;
	if (out->verification_uri == NULL) {
		kg_set_cause(cause, "the %s has no \"verification_uri\"", what);
		err = KG_ERR_PROTOCOL;
		goto out;
	}
	if ((err = get_endpoint(o, "verification_uri_complete", false, what,
	                        &out->verification_uri_complete, cause)) != KG_ERR_OK ||
	    (err = get_int(o, "expires_in", true, 1, MAX_SECONDS, 0, what, &out->expires_in,
	                   cause)) != KG_ERR_OK ||
	    (err = get_int(o, "interval", false, 1, 3600, 0, what, &out->interval, cause)) !=
	            KG_ERR_OK)
		goto out;
	err = KG_ERR_OK;
out:
	put_wiped(&o);
	if (err != KG_ERR_OK)
		kg_oidc_device_clear(out);
	return err;
}

void
kg_oidc_device_clear(struct kg_oidc_device *d)
{
	if (d->device_code != NULL)
		kg_log_forget_secret(d->device_code);
	kg_secret_free(&d->device_code);
	kg_secret_free(&d->user_code);
	kg_free(&d->verification_uri);
	kg_free(&d->verification_uri_complete);
	d->expires_in = d->interval = 0;
}

/* ---- token ---- */

enum kg_err
kg_oidc_parse_token(const char *body, size_t len, struct kg_oidc_token *out, char **cause)
{
	static const char what[] = "token response";
	struct json_object *o;
	enum kg_err err;

	memset(out, 0, sizeof(*out));
	out->expires_in = -1;
	if ((o = parse_object(body, len, KG_OIDC_MAX_BODY, what, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((err = get_str(o, "access_token", true, true, what, &out->access_token, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "token_type", true, false, what, &out->token_type, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "refresh_token", false, true, what, &out->refresh_token, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "id_token", false, true, what, &out->id_token, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "scope", false, false, what, &out->scope, cause)) != KG_ERR_OK ||
	    (err = get_int(o, "expires_in", false, 0, MAX_SECONDS, -1, what, &out->expires_in,
	                   cause)) != KG_ERR_OK)
		goto out;
	if (!kg_strcaseeq(out->token_type, "Bearer")) {
		kg_set_cause(cause, "the %s has a token_type other than Bearer", what);
		err = KG_ERR_PROTOCOL;
		goto out;
	}
	err = KG_ERR_OK;
out:
	put_wiped(&o);
	if (err != KG_ERR_OK)
		kg_oidc_token_clear(out);
	return err;
}

static void
forget_free(char **sp)
{
	if (*sp != NULL)
		kg_log_forget_secret(*sp);
	kg_secret_free(sp);
}

void
kg_oidc_token_clear(struct kg_oidc_token *t)
{
	forget_free(&t->access_token);
	forget_free(&t->refresh_token);
	forget_free(&t->id_token);
	kg_free(&t->token_type);
	kg_free(&t->scope);
	t->expires_in = -1;
}

/* ---- error ---- */

enum kg_err
kg_oidc_parse_error(const char *body, size_t len, struct kg_oidc_error *out, char **cause)
{
	static const char what[] = "error response";
	struct json_object *o;
	enum kg_err err;

	memset(out, 0, sizeof(*out));
	if ((o = parse_object(body, len, KG_OIDC_MAX_BODY, what, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((err = get_str(o, "error", true, false, what, &out->error, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "error_description", false, false, what, &out->error_description,
	                   cause)) != KG_ERR_OK ||
	    (err = get_str(o, "error_uri", false, false, what, &out->error_uri, cause)) !=
	            KG_ERR_OK)
		goto out;
	err = KG_ERR_OK;
out:
	put_wiped(&o);
	if (err != KG_ERR_OK)
		kg_oidc_error_clear(out);
	return err;
}

void
kg_oidc_error_clear(struct kg_oidc_error *e)
{
	kg_free(&e->error);
	kg_free(&e->error_description);
	kg_free(&e->error_uri);
}

/* ---- id_token claims ---- */

static enum kg_err
get_claims(struct json_object *o, const char *what, struct kg_oidc_claims *out, char **cause)
{
	enum kg_err err;

	if ((err = get_str(o, "sub", false, false, what, &out->sub, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "name", false, false, what, &out->name, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "email", false, false, what, &out->email, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "preferred_username", false, false, what, &out->preferred_username,
	                   cause)) != KG_ERR_OK ||
	    (err = get_int(o, "exp", false, 0, INT64_MAX, 0, what, &out->exp, cause)) !=
	            KG_ERR_OK)
		return err;
	return KG_ERR_OK;
}

enum kg_err
kg_oidc_parse_userinfo(const char *body, size_t len, struct kg_oidc_claims *out, char **cause)
{
	struct json_object *o;
	enum kg_err err;

	memset(out, 0, sizeof(*out));
	if ((o = parse_object(body, len, KG_OIDC_MAX_BODY, "userinfo response", cause)) == NULL)
		return KG_ERR_PROTOCOL;
	err = get_claims(o, "userinfo response", out, cause);
	json_object_put(o);
	if (err != KG_ERR_OK)
		kg_oidc_claims_clear(out);
	return err;
}

enum kg_err
kg_oidc_parse_id_token(const char *jwt, struct kg_oidc_claims *out, char **cause)
{
	static const char what[] = "id_token payload";
	const char *dot1, *dot2;
	char *b64 = NULL;
	guchar *raw = NULL;
	gsize rawlen = 0;
	struct json_object *o = NULL;
	size_t n = 0, i;
	enum kg_err err = KG_ERR_PROTOCOL;

	memset(out, 0, sizeof(*out));
	if (jwt == NULL || strlen(jwt) > KG_OIDC_MAX_STRING) {
		kg_set_cause(cause, "the id_token is missing or too large");
		return KG_ERR_PROTOCOL;
	}
	dot1 = strchr(jwt, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL || dot2 == dot1 + 1) {
		kg_set_cause(cause, "the id_token is not a JWT (three parts separated by dots)");
		return KG_ERR_PROTOCOL;
	}
	/* base64url -> base64 with padding, for g_base64_decode. */
	n = (size_t)(dot2 - dot1 - 1);
	b64 = kg_xcalloc(1, n + 4);
	for (i = 0; i < n; i++) {
		char c = dot1[1 + i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9'))) {
			kg_set_cause(cause, "the id_token payload is not base64url");
			goto out;
		}
		b64[i] = c;
	}
	if (n % 4 == 1) {
		kg_set_cause(cause, "the id_token payload is not base64url");
		goto out;
	}
	while (n % 4 != 0)
		b64[n++] = '=';
	b64[n] = '\0';
	raw = g_base64_decode(b64, &rawlen);
	if (raw == NULL || rawlen == 0) {
		kg_set_cause(cause, "the id_token payload is empty");
		goto out;
	}
	if ((o = parse_object((const char *)raw, rawlen, KG_OIDC_MAX_STRING, what, cause)) == NULL)
		goto out;
	err = get_claims(o, what, out, cause);
out:
	put_wiped(&o);
	if (raw != NULL) {
		kg_memzero(raw, rawlen);
		g_free(raw);
	}
	if (b64 != NULL) {
		kg_memzero(b64, n);
		free(b64);
	}
	if (err != KG_ERR_OK)
		kg_oidc_claims_clear(out);
	return err;
}

void
kg_oidc_claims_clear(struct kg_oidc_claims *c)
{
	kg_free(&c->sub);
	kg_free(&c->name);
	kg_free(&c->email);
	kg_free(&c->preferred_username);
	c->exp = 0;
}

/* ---- the stored record ---- */

enum kg_err
kg_oidc_parse_stored(const char *text, size_t len, struct kg_oidc_stored *out, char **cause)
{
	static const char what[] = "saved login";
	struct json_object *o;
	int64_t version = 0;
	enum kg_err err;

	memset(out, 0, sizeof(*out));
	if ((o = parse_object(text, len, KG_OIDC_MAX_BODY, what, cause)) == NULL)
		return KG_ERR_PROTOCOL;
	if ((err = get_int(o, "version", true, 1, 1, 0, what, &version, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "issuer", true, false, what, &out->issuer, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "client_id", true, false, what, &out->client_id, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "access_token", false, true, what, &out->access_token, cause)) !=
	            KG_ERR_OK ||
	    (err = get_str(o, "refresh_token", false, true, what, &out->refresh_token, cause)) !=
	            KG_ERR_OK ||
	    (err = get_int(o, "expires_at", false, 0, INT64_MAX, 0, what, &out->expires_at,
	                   cause)) != KG_ERR_OK ||
	    (err = get_str(o, "name", false, false, what, &out->name, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "email", false, false, what, &out->email, cause)) != KG_ERR_OK ||
	    (err = get_str(o, "sub", false, false, what, &out->sub, cause)) != KG_ERR_OK)
		goto out;
	err = KG_ERR_OK;
out:
	put_wiped(&o);
	if (err != KG_ERR_OK)
		kg_oidc_stored_clear(out);
	return err;
}

/* Append a JSON string literal (RFC 8259 escaping). */
static void
json_quote(struct kg_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	char esc[7];

	kg_buf_append(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			kg_buf_append(b, esc, 2);
		} else if (*p < 0x20) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			kg_buf_append(b, esc, 6);
		} else
			kg_buf_append(b, p, 1);
	}
	kg_buf_append(b, "\"", 1);
}

static void
json_member(struct kg_buf *b, const char *key, const char *value)
{
	if (value == NULL)
		return;
	kg_buf_puts(b, ",");
	json_quote(b, key);
	kg_buf_puts(b, ":");
	json_quote(b, value);
}

char *
kg_oidc_format_stored(const struct kg_oidc_stored *st)
{
	struct kg_buf b;
	char *s;

	size_t cap = 512;

	/* Built by hand so no copy is left in a library's buffer. */
	cap += 6 * (strlen(st->issuer != NULL ? st->issuer : "") +
	            strlen(st->client_id != NULL ? st->client_id : "") +
	            strlen(st->access_token != NULL ? st->access_token : "") +
	            strlen(st->refresh_token != NULL ? st->refresh_token : "") +
	            strlen(st->name != NULL ? st->name : "") +
	            strlen(st->email != NULL ? st->email : "") +
	            strlen(st->sub != NULL ? st->sub : ""));
	kg_oidc_secret_buf(&b, cap);
	kg_buf_puts(&b, "{\"version\":1");
	json_member(&b, "issuer", st->issuer != NULL ? st->issuer : "");
	json_member(&b, "client_id", st->client_id != NULL ? st->client_id : "");
	json_member(&b, "access_token", st->access_token);
	json_member(&b, "refresh_token", st->refresh_token);
	kg_buf_printf(&b, ",\"expires_at\":%lld", (long long)st->expires_at);
	json_member(&b, "name", st->name);
	json_member(&b, "email", st->email);
	json_member(&b, "sub", st->sub);
	kg_buf_puts(&b, "}\n");
	s = kg_buf_steal(&b);
	return s;
}

void
kg_oidc_stored_clear(struct kg_oidc_stored *st)
{
	kg_free(&st->issuer);
	kg_free(&st->client_id);
	forget_free(&st->access_token);
	forget_free(&st->refresh_token);
	kg_free(&st->name);
	kg_free(&st->email);
	kg_free(&st->sub);
	st->expires_at = 0;
}

/* ---- buffers and form bodies ---- */

void
kg_oidc_secret_buf(struct kg_buf *b, size_t cap)
{
	if (cap < 2)
		cap = 2;
	b->data = kg_xcalloc(1, cap);
	b->cap = cap;
	b->len = 0;
	b->max = cap - 1;
}

static enum kg_err
form_escape(struct kg_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char pct[3];
	enum kg_err err = KG_ERR_OK;

	for (p = (const unsigned char *)s; *p != '\0' && err == KG_ERR_OK; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			err = kg_buf_append(b, p, 1);
		else if (*p == ' ')
			err = kg_buf_append(b, "+", 1);
		else {
			pct[0] = '%';
			pct[1] = hex[*p >> 4];
			pct[2] = hex[*p & 15];
			err = kg_buf_append(b, pct, 3);
		}
	}
	return err;
}

enum kg_err
kg_oidc_form_add(struct kg_buf *b, const char *name, const char *value)
{
	enum kg_err err = KG_ERR_OK;

	if (b->len > 0)
		err = kg_buf_append(b, "&", 1);
	if (err == KG_ERR_OK)
		err = form_escape(b, name);
	if (err == KG_ERR_OK)
		err = kg_buf_append(b, "=", 1);
	if (err == KG_ERR_OK)
		err = form_escape(b, value != NULL ? value : "");
	return err;
}
