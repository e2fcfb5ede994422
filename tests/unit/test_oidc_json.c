/*
 * test_oidc_json.c - the OpenID response parsers and the stored record:
 * degenerate input first, then wrong types, missing members, caps, unknown
 * members, base64url id_tokens and the form encoder.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "kigo/buf.h"
#include "kigo/oidc_json.h"

#define LEN(s) strlen(s)

/* ---- degenerate bodies, for every parser ---- */

Test(oidc_json, empty_and_not_json)
{
	struct kg_oidc_discovery d;
	struct kg_oidc_device dev;
	struct kg_oidc_token t;
	struct kg_oidc_error e;
	char *cause = NULL;
	const char *bad[] = { "", "null", "[]", "\"x\"", "{", "{\"a\":", "42", "{} {}",
		              "{\"issuer\":\"x\"} trailing", "\x01\x02" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(kg_oidc_parse_discovery(bad[i], LEN(bad[i]), &d, &cause),
		             KG_ERR_PROTOCOL, "discovery %zu", i);
		cr_assert_not_null(cause);
		kg_free(&cause);
		cr_assert_eq(kg_oidc_parse_device(bad[i], LEN(bad[i]), &dev, &cause),
		             KG_ERR_PROTOCOL);
		kg_free(&cause);
		cr_assert_eq(kg_oidc_parse_token(bad[i], LEN(bad[i]), &t, &cause), KG_ERR_PROTOCOL);
		kg_free(&cause);
		cr_assert_eq(kg_oidc_parse_error(bad[i], LEN(bad[i]), &e, &cause), KG_ERR_PROTOCOL);
		kg_free(&cause);
	}
	cr_assert_eq(kg_oidc_parse_token(NULL, 0, &t, &cause), KG_ERR_PROTOCOL);
	cr_assert_str_eq(cause, "the token response is empty");
	kg_free(&cause);
}

Test(oidc_json, oversized_body_refused)
{
	struct kg_buf b;
	struct kg_oidc_token t;
	char *cause = NULL;

	kg_buf_init(&b, 0);
	kg_buf_puts(&b, "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"pad\":\"");
	while (b.len < KG_OIDC_MAX_BODY)
		kg_buf_puts(&b, "xxxxxxxxxxxxxxxx");
	kg_buf_puts(&b, "\"}");
	cr_assert_eq(kg_oidc_parse_token(b.data, b.len, &t, &cause), KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "too large"), "%s", cause);
	kg_free(&cause);
	kg_buf_free(&b);
}

Test(oidc_json, deep_nesting_refused)
{
	struct kg_oidc_error e;
	char deep[200];
	char *cause = NULL;
	size_t i;

	deep[0] = '{';
	memcpy(deep + 1, "\"x\":", 4);
	for (i = 5; i < 100; i++)
		deep[i] = '[';
	deep[i] = '\0';
	cr_assert_eq(kg_oidc_parse_error(deep, strlen(deep), &e, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
}

/* ---- discovery ---- */

Test(oidc_json, discovery_ok_ignores_unknown)
{
	const char *body = "{\"issuer\":\"https://idp.test/oauth2/default\","
	                   "\"token_endpoint\":\"https://idp.test/token\","
	                   "\"device_authorization_endpoint\":\"https://idp.test/device\","
	                   "\"revocation_endpoint\":\"https://idp.test/revoke\","
	                   "\"scopes_supported\":[\"openid\"],\"x\":{\"y\":1}}";
	struct kg_oidc_discovery d;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_discovery(body, LEN(body), &d, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(d.issuer, "https://idp.test/oauth2/default");
	cr_assert_str_eq(d.token_endpoint, "https://idp.test/token");
	cr_assert_str_eq(d.device_authorization_endpoint, "https://idp.test/device");
	cr_assert_str_eq(d.revocation_endpoint, "https://idp.test/revoke");
	cr_assert_null(d.userinfo_endpoint);
	kg_oidc_discovery_clear(&d);
	cr_assert_null(d.issuer);
}

Test(oidc_json, discovery_missing_wrong_type_http)
{
	struct kg_oidc_discovery d;
	char *cause = NULL;
	const char *no_token = "{\"issuer\":\"https://i\"}";
	const char *wrong = "{\"issuer\":\"https://i\",\"token_endpoint\":42}";
	const char *plain = "{\"issuer\":\"https://i\",\"token_endpoint\":\"http://i/token\"}";

	cr_assert_eq(kg_oidc_parse_discovery(no_token, LEN(no_token), &d, &cause), KG_ERR_PROTOCOL);
	cr_assert_str_eq(cause, "the OpenID discovery document has no \"token_endpoint\"");
	kg_free(&cause);
	cr_assert_eq(kg_oidc_parse_discovery(wrong, LEN(wrong), &d, &cause), KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "\"token_endpoint\" of the wrong type"), "%s", cause);
	kg_free(&cause);
	cr_assert_eq(kg_oidc_parse_discovery(plain, LEN(plain), &d, &cause), KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "not an https URL"), "%s", cause);
	kg_free(&cause);
	cr_assert_null(d.issuer);
}

/* ---- device ---- */

Test(oidc_json, device_ok_no_interval)
{
	const char *body = "{\"device_code\":\"DEVCODE-secret-1234\",\"user_code\":\"ABCD-EFGH\","
	                   "\"verification_uri\":\"https://idp.test/device\","
	                   "\"verification_uri_complete\":\"https://idp.test/device?user_code=ABCD-EFGH\","
	                   "\"expires_in\":600}";
	struct kg_oidc_device d;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_device(body, LEN(body), &d, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(d.device_code, "DEVCODE-secret-1234");
	cr_assert_str_eq(d.user_code, "ABCD-EFGH");
	cr_assert_str_eq(d.verification_uri, "https://idp.test/device");
	cr_assert_eq(d.expires_in, 600);
	cr_assert_eq(d.interval, 0);
	kg_oidc_device_clear(&d);
}

Test(oidc_json, device_verification_url_alias_and_interval)
{
	const char *body = "{\"device_code\":\"d1234\",\"user_code\":\"U\","
	                   "\"verification_url\":\"https://g.test/device\",\"expires_in\":60,"
	                   "\"interval\":7}";
	struct kg_oidc_device d;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_device(body, LEN(body), &d, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(d.verification_uri, "https://g.test/device");
	cr_assert_null(d.verification_uri_complete);
	cr_assert_eq(d.interval, 7);
	kg_oidc_device_clear(&d);
}

Test(oidc_json, device_errors)
{
	struct kg_oidc_device d;
	char *cause = NULL;
	struct {
		const char *body, *want;
	} cases[] = {
		{ "{\"user_code\":\"U\",\"verification_uri\":\"https://x\",\"expires_in\":5}",
		  "no \"device_code\"" },
		{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"expires_in\":5}",
		  "no \"verification_uri\"" },
		{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x\"}",
		  "no \"expires_in\"" },
		{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x\","
		  "\"expires_in\":\"600\"}",
		  "\"expires_in\" of the wrong type" },
		{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x\","
		  "\"expires_in\":0}",
		  "\"expires_in\" out of range" },
		{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x\","
		  "\"expires_in\":60,\"interval\":-1}",
		  "\"interval\" out of range" },
		{ "{\"device_code\":\"d\",\"user_code\":7,\"verification_uri\":\"https://x\","
		  "\"expires_in\":60}",
		  "\"user_code\" of the wrong type" },
		{ "{\"device_code\":\"d\",\"user_code\":\"\",\"verification_uri\":\"https://x\","
		  "\"expires_in\":60}",
		  "empty \"user_code\"" },
		{ "{\"device_code\":\"d\\u0000x\",\"user_code\":\"U\",\"verification_uri\":\"https://x\","
		  "\"expires_in\":60}",
		  "NUL character" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(kg_oidc_parse_device(cases[i].body, LEN(cases[i].body), &d, &cause),
		             KG_ERR_PROTOCOL, "case %zu", i);
		cr_assert_not_null(strstr(cause, cases[i].want), "case %zu: %s", i, cause);
		kg_free(&cause);
		cr_assert_null(d.device_code);
	}
}

/* ---- token ---- */

Test(oidc_json, token_ok)
{
	const char *body = "{\"access_token\":\"AT-abcdef\",\"token_type\":\"bearer\","
	                   "\"expires_in\":3600,\"refresh_token\":\"RT-123456\","
	                   "\"id_token\":\"a.b.c\",\"scope\":\"openid offline_access\",\"z\":null}";
	struct kg_oidc_token t;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_token(body, LEN(body), &t, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(t.access_token, "AT-abcdef");
	cr_assert_str_eq(t.refresh_token, "RT-123456");
	cr_assert_str_eq(t.id_token, "a.b.c");
	cr_assert_eq(t.expires_in, 3600);
	kg_oidc_token_clear(&t);
	cr_assert_null(t.access_token);
}

Test(oidc_json, token_minimal_and_errors)
{
	const char *min = "{\"access_token\":\"AT-abcdef\",\"token_type\":\"Bearer\"}";
	const char *notbearer = "{\"access_token\":\"AT\",\"token_type\":\"mac\"}";
	const char *noat = "{\"token_type\":\"Bearer\",\"expires_in\":5}";
	const char *badexp = "{\"access_token\":\"A\",\"token_type\":\"Bearer\",\"expires_in\":1.5}";
	struct kg_oidc_token t;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_token(min, LEN(min), &t, &cause), KG_ERR_OK);
	cr_assert_null(t.refresh_token);
	cr_assert_eq(t.expires_in, -1);
	kg_oidc_token_clear(&t);
	cr_assert_eq(kg_oidc_parse_token(notbearer, LEN(notbearer), &t, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
	cr_assert_eq(kg_oidc_parse_token(noat, LEN(noat), &t, &cause), KG_ERR_PROTOCOL);
	cr_assert_str_eq(cause, "the token response has no \"access_token\"");
	kg_free(&cause);
	cr_assert_eq(kg_oidc_parse_token(badexp, LEN(badexp), &t, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
}

Test(oidc_json, oversized_string_member)
{
	struct kg_buf b;
	struct kg_oidc_token t;
	char *cause = NULL;

	kg_buf_init(&b, 0);
	kg_buf_puts(&b, "{\"token_type\":\"Bearer\",\"access_token\":\"");
	for (int i = 0; i < KG_OIDC_MAX_STRING / 8 + 1; i++)
		kg_buf_puts(&b, "abcdefgh");
	kg_buf_puts(&b, "\"}");
	cr_assert_eq(kg_oidc_parse_token(b.data, b.len, &t, &cause), KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "longer than"), "%s", cause);
	kg_free(&cause);
	kg_buf_free(&b);
}

/* ---- error ---- */

Test(oidc_json, error_response)
{
	const char *body = "{\"error\":\"slow_down\",\"error_description\":\"easy\"}";
	const char *noerr = "{\"error_description\":\"x\"}";
	struct kg_oidc_error e;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_error(body, LEN(body), &e, &cause), KG_ERR_OK);
	cr_assert_str_eq(e.error, "slow_down");
	cr_assert_str_eq(e.error_description, "easy");
	cr_assert_null(e.error_uri);
	kg_oidc_error_clear(&e);
	cr_assert_eq(kg_oidc_parse_error(noerr, LEN(noerr), &e, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
}

/* ---- id_token ---- */

static char *
b64url(const char *s)
{
	gchar *b = g_base64_encode((const guchar *)s, strlen(s));
	char *out = kg_xstrdup(b);
	char *p;

	g_free(b);
	for (p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return out;
}

static char *
jwt(const char *payload)
{
	char *p = b64url(payload);
	char *j = kg_xasprintf("eyJhbGciOiJSUzI1NiJ9.%s.c2ln", p);

	free(p);
	return j;
}

Test(oidc_json, id_token_claims)
{
	/* "é" and "?>" make the encoding use - and _ */
	char *j = jwt("{\"sub\":\"u1\",\"name\":\"Ana Bélanger?\?>~~~\",\"email\":\"ana@x.test\","
	              "\"exp\":1700000000,\"aud\":[\"a\",\"b\"]}");
	struct kg_oidc_claims c;
	char *cause = NULL;

	cr_assert(strpbrk(j, "-_") != NULL, "the payload should use the url alphabet: %s", j);
	cr_assert_eq(kg_oidc_parse_id_token(j, &c, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(c.sub, "u1");
	cr_assert_str_eq(c.name, "Ana Bélanger?\?>~~~");
	cr_assert_str_eq(c.email, "ana@x.test");
	cr_assert_eq(c.exp, 1700000000);
	kg_oidc_claims_clear(&c);
	free(j);
}

Test(oidc_json, id_token_malformed)
{
	struct kg_oidc_claims c;
	char *cause = NULL;
	char *notobj = jwt("[1]");
	char *badname = jwt("{\"name\":5}");
	const char *bad[] = { "", "abc", "a.b", "a..c", "a.b.c.d", "a.b$d.c", "a.b.c" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(kg_oidc_parse_id_token(bad[i], &c, &cause), KG_ERR_PROTOCOL, "%s", bad[i]);
		kg_free(&cause);
	}
	cr_assert_eq(kg_oidc_parse_id_token(NULL, &c, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
	cr_assert_eq(kg_oidc_parse_id_token(notobj, &c, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
	cr_assert_eq(kg_oidc_parse_id_token(badname, &c, &cause), KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "\"name\""));
	kg_free(&cause);
	free(notobj);
	free(badname);
}

/* ---- stored record ---- */

Test(oidc_json, stored_round_trip_with_escapes)
{
	char at[] = "AT\"\\\n-x", rt[] = "RT-1", iss[] = "https://idp.test", cid[] = "cli";
	char name[] = "Zoë \"Z\"", sub[] = "s";
	struct kg_oidc_stored in = {
		.issuer = iss,
		.client_id = cid,
		.access_token = at,
		.refresh_token = rt,
		.expires_at = 1900000000,
		.name = name,
		.email = NULL,
		.sub = sub,
	};
	struct kg_oidc_stored out;
	char *text = kg_oidc_format_stored(&in);
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_stored(text, strlen(text), &out, &cause), KG_ERR_OK, "%s: %s",
	             cause, text);
	cr_assert_str_eq(out.access_token, in.access_token);
	cr_assert_str_eq(out.refresh_token, "RT-1");
	cr_assert_str_eq(out.name, in.name);
	cr_assert_null(out.email);
	cr_assert_eq(out.expires_at, 1900000000);
	kg_oidc_stored_clear(&out);
	kg_secret_free(&text);
}

Test(oidc_json, stored_version_checked)
{
	const char *v2 = "{\"version\":2,\"issuer\":\"i\",\"client_id\":\"c\"}";
	struct kg_oidc_stored out;
	char *cause = NULL;

	cr_assert_eq(kg_oidc_parse_stored(v2, LEN(v2), &out, &cause), KG_ERR_PROTOCOL);
	kg_free(&cause);
}

/* ---- form ---- */

Test(oidc_json, form_encoding)
{
	struct kg_buf b;

	kg_oidc_secret_buf(&b, 256);
	cr_assert_eq(kg_oidc_form_add(&b, "grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
	             KG_ERR_OK);
	kg_oidc_form_add(&b, "scope", "openid profile a&b=c+d/é~");
	cr_assert_str_eq(b.data, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
	                         "&scope=openid+profile+a%26b%3Dc%2Bd%2F%C3%A9~");
	kg_buf_wipe(&b);
	kg_oidc_secret_buf(&b, 8);
	cr_assert_eq(kg_oidc_form_add(&b, "abcdef", "ghijkl"), KG_ERR_TOOBIG);
	kg_buf_wipe(&b);
}
