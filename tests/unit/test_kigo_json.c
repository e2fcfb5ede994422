/*
 * test_kigo_json.c - the Kigo API v1 parsers and encoders: every resource,
 * every page and result shape, the error envelope, wrong types, missing
 * required members (named in the message), unknown members ignored.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "kigo/kigo_json.h"

#define CUS "{\"id\":\"cus_8XK2\",\"name\":\"Jane Doe\",\"email\":\"jane@example.com\"," \
            "\"phone\":\"+14015550100\",\"loyalty_id\":\"EC4012345678\","              \
            "\"created_at\":\"2025-02-01T10:00:00Z\",\"updated_at\":\"2026-11-20T08:13:02Z\"}"
#define TOK "{\"id\":\"tok_3Q9P\",\"customer_id\":\"cus_8XK2\",\"sku\":\"XB-5OFF\","   \
            "\"name\":\"$5 ExtraBucks\",\"status\":\"active\","                         \
            "\"issued_at\":\"2026-11-01T12:00:00Z\",\"expires_at\":\"2026-12-01\","     \
            "\"disputed_reason\":null,\"version\":4}"
#define TOK2 "{\"id\":\"tok_2\",\"customer_id\":\"cus_8XK2\",\"sku\":\"XB-5OFF\","     \
             "\"name\":\"$5 ExtraBucks\",\"status\":\"disputed\","                      \
             "\"issued_at\":\"2026-11-01T12:00:00Z\",\"expires_at\":\"2026-12-01\","    \
             "\"disputed_reason\":\"not honoured\",\"version\":5}"
#define CAT "{\"sku\":\"XB-5OFF\",\"name\":\"$5 ExtraBucks\",\"description\":\"five\"," \
            "\"value_cents\":500,\"default_validity_days\":30,\"active\":true}"
#define ACT "{\"id\":\"act_77\",\"at\":\"2026-11-23T19:50:00Z\","                      \
            "\"actor\":\"agent@cvs.example\",\"action\":\"reissue\","                   \
            "\"token_id\":\"tok_3Q9P\",\"customer_id\":\"cus_8XK2\","                   \
            "\"ticket_ref\":\"INC0012345\",\"reason\":\"expired before use\","          \
            "\"before\":" TOK ",\"after\":" TOK2 "}"

/* causep, not cause: the argument must be read after the call ran. */
static void
expect_fail(enum kg_err err, char **causep, const char *needle)
{
	char *cause = *causep;

	cr_assert_eq(err, KG_ERR_PROTOCOL, "expected a parse failure");
	cr_assert_not_null(cause);
	cr_assert(strstr(cause, needle) != NULL, "cause \"%s\" should mention \"%s\"", cause,
	          needle);
	free(cause);
	*causep = NULL;
}

/* ---- degenerate input first ---- */

Test(kigo_json, empty_and_garbage)
{
	struct kg_customer c;
	char *cause = NULL;

	expect_fail(kg_kigo_json_customer(NULL, 0, &c, &cause), &cause, "empty");
	expect_fail(kg_kigo_json_customer("", 0, &c, &cause), &cause, "JSON");
	expect_fail(kg_kigo_json_customer("{\"id\":", 0, &c, &cause), &cause, "ends early");
	expect_fail(kg_kigo_json_customer("nope", 0, &c, &cause), &cause, "not valid JSON");
	expect_fail(kg_kigo_json_customer("[1,2]", 0, &c, &cause), &cause, "object");
	expect_fail(kg_kigo_json_customer(CUS " x", 0, &c, &cause), &cause, "after the JSON");
	cr_assert_null(c.id);
}

Test(kigo_json, length_is_honoured)
{
	struct kg_customer c;
	char *cause = NULL;
	const char *two = CUS "garbage";

	cr_assert_eq(kg_kigo_json_customer(two, strlen(CUS), &c, &cause), KG_ERR_OK);
	cr_assert_str_eq(c.id, "cus_8XK2");
	kg_customer_clear(&c);
}

/* ---- customers ---- */

Test(kigo_json, customer_full)
{
	struct kg_customer c;
	char *cause = NULL;

	cr_assert_eq(kg_kigo_json_customer(CUS, 0, &c, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(c.id, "cus_8XK2");
	cr_assert_str_eq(c.name, "Jane Doe");
	cr_assert_str_eq(c.email, "jane@example.com");
	cr_assert_str_eq(c.phone, "+14015550100");
	cr_assert_str_eq(c.loyalty_id, "EC4012345678");
	cr_assert_str_eq(c.created_at, "2025-02-01T10:00:00Z");
	cr_assert_str_eq(c.updated_at, "2026-11-20T08:13:02Z");
	kg_customer_clear(&c);
}

Test(kigo_json, customer_nulls_and_unknown_members)
{
	struct kg_customer c;
	char *cause = NULL;
	const char *j = "{\"id\":\"cus_1\",\"name\":\"A\",\"email\":null,\"phone\":null,"
	                "\"loyalty_id\":null,\"created_at\":\"x\",\"updated_at\":\"y\","
	                "\"tier\":{\"gold\":[1,2,3]},\"score\":1.5}";

	cr_assert_eq(kg_kigo_json_customer(j, 0, &c, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_null(c.email);
	cr_assert_null(c.phone);
	cr_assert_null(c.loyalty_id);
	kg_customer_clear(&c);
}

Test(kigo_json, customer_missing_and_wrong_types)
{
	struct kg_customer c;
	char *cause = NULL;

	expect_fail(kg_kigo_json_customer("{\"name\":\"A\",\"created_at\":\"x\","
	                                  "\"updated_at\":\"y\"}", 0, &c, &cause),
	            &cause, "id: required member is missing");
	expect_fail(kg_kigo_json_customer("{\"id\":7,\"name\":\"A\"}", 0, &c, &cause), &cause,
	            "id: expected a string");
	expect_fail(kg_kigo_json_customer("{\"id\":\"c\",\"name\":null}", 0, &c, &cause), &cause,
	            "name: must not be null");
	expect_fail(kg_kigo_json_customer("{\"id\":\"c\",\"name\":\"n\",\"email\":3,"
	                                  "\"created_at\":\"x\",\"updated_at\":\"y\"}",
	                                  0, &c, &cause),
	            &cause, "email: expected a string");
	expect_fail(kg_kigo_json_customer("{\"id\":\"c\",\"name\":\"n\",\"created_at\":\"x\"}",
	                                  0, &c, &cause),
	            &cause, "updated_at");
	cr_assert_null(c.id);
}

Test(kigo_json, embedded_nul_refused)
{
	struct kg_customer c;
	char *cause = NULL;

	expect_fail(kg_kigo_json_customer("{\"id\":\"c\\u0000d\",\"name\":\"n\","
	                                  "\"created_at\":\"x\",\"updated_at\":\"y\"}",
	                                  0, &c, &cause),
	            &cause, "NUL");
}

Test(kigo_json, customers_page)
{
	struct kg_customer *v = NULL;
	size_t n = 0;
	char *next = NULL, *cause = NULL;
	const char *j = "{\"items\":[" CUS "," CUS "],\"next_cursor\":\"c2\",\"total\":99}";

	cr_assert_eq(kg_kigo_json_customers_page(j, 0, &v, &n, &next, &cause), KG_ERR_OK, "%s",
	             cause);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[1].name, "Jane Doe");
	cr_assert_str_eq(next, "c2");
	kg_customers_free(&v, n);
	free(next);

	cr_assert_eq(kg_kigo_json_customers_page("{\"items\":[],\"next_cursor\":null}", 0, &v, &n,
	                                         &next, &cause),
	             KG_ERR_OK);
	cr_assert_eq(n, 0);
	cr_assert_null(next);
	kg_customers_free(&v, n);
	/* next_cursor may be absent: the last page */
	cr_assert_eq(kg_kigo_json_customers_page("{\"items\":[]}", 0, &v, &n, &next, &cause),
	             KG_ERR_OK);
	cr_assert_null(next);
	kg_customers_free(&v, n);
}

Test(kigo_json, page_errors_name_the_item)
{
	struct kg_customer *v = NULL;
	size_t n = 7;
	char *next = NULL, *cause = NULL;

	expect_fail(kg_kigo_json_customers_page("{\"next_cursor\":null}", 0, &v, &n, &next,
	                                        &cause),
	            &cause, "items: required member is missing");
	expect_fail(kg_kigo_json_customers_page("{\"items\":{}}", 0, &v, &n, &next, &cause),
	            &cause, "items: expected an array");
	expect_fail(kg_kigo_json_customers_page("{\"items\":[" CUS ",{\"id\":\"x\"}]}", 0, &v,
	                                        &n, &next, &cause),
	            &cause, "items[1].name");
	expect_fail(kg_kigo_json_customers_page("{\"items\":[" CUS ",5]}", 0, &v, &n, &next,
	                                        &cause),
	            &cause, "items[1]: expected a JSON object");
	expect_fail(kg_kigo_json_customers_page("{\"items\":[],\"next_cursor\":4}", 0, &v, &n,
	                                        &next, &cause),
	            &cause, "next_cursor: expected a string");
	cr_assert_null(v);
	cr_assert_eq(n, 0);
	cr_assert_null(next);
}

/* ---- catalog ---- */

Test(kigo_json, catalog_item_and_page)
{
	struct kg_catalog_item c, *v = NULL;
	size_t n = 0;
	char *next = NULL, *cause = NULL;

	cr_assert_eq(kg_kigo_json_catalog_item(CAT, 0, &c, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(c.sku, "XB-5OFF");
	cr_assert_eq(c.value_cents, 500);
	cr_assert_eq(c.default_validity_days, 30);
	cr_assert(c.active);
	cr_assert_str_eq(c.description, "five");
	kg_catalog_item_clear(&c);

	cr_assert_eq(kg_kigo_json_catalog_page("{\"items\":[" CAT "],\"next_cursor\":\"50\"}", 0,
	                                       &v, &n, &next, &cause),
	             KG_ERR_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(next, "50");
	kg_catalog_free(&v, n);
	free(next);
}

Test(kigo_json, catalog_wrong_types)
{
	struct kg_catalog_item c;
	char *cause = NULL;

	expect_fail(kg_kigo_json_catalog_item("{\"sku\":\"a\",\"name\":\"b\",\"value_cents\":"
	                                      "\"500\",\"default_validity_days\":30,"
	                                      "\"active\":true}", 0, &c, &cause),
	            &cause, "value_cents: expected an integer");
	expect_fail(kg_kigo_json_catalog_item("{\"sku\":\"a\",\"name\":\"b\",\"value_cents\":5.5,"
	                                      "\"default_validity_days\":30,\"active\":true}",
	                                      0, &c, &cause),
	            &cause, "value_cents: expected an integer");
	expect_fail(kg_kigo_json_catalog_item("{\"sku\":\"a\",\"name\":\"b\",\"value_cents\":5,"
	                                      "\"default_validity_days\":30,\"active\":1}",
	                                      0, &c, &cause),
	            &cause, "active: expected true or false");
	expect_fail(kg_kigo_json_catalog_item("{\"sku\":\"a\",\"name\":\"b\",\"value_cents\":5,"
	                                      "\"default_validity_days\":-1,\"active\":true}",
	                                      0, &c, &cause),
	            &cause, "default_validity_days: integer out of range");
}

/* ---- tokens ---- */

Test(kigo_json, token_and_page)
{
	struct kg_token t, *v = NULL;
	size_t n = 0;
	char *next = NULL, *cause = NULL;

	cr_assert_eq(kg_kigo_json_token(TOK, 0, &t, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(t.id, "tok_3Q9P");
	cr_assert_eq(t.status, KG_TOKEN_ACTIVE);
	cr_assert_eq(t.version, 4);
	cr_assert_str_eq(t.expires_at, "2026-12-01");
	cr_assert_null(t.disputed_reason);
	kg_token_clear(&t);

	cr_assert_eq(kg_kigo_json_tokens_page("{\"items\":[" TOK "," TOK2 "],\"next_cursor\":"
	                                      "null}", 0, &v, &n, &next, &cause),
	             KG_ERR_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(v[1].status, KG_TOKEN_DISPUTED);
	cr_assert_str_eq(v[1].disputed_reason, "not honoured");
	cr_assert_null(next);
	kg_tokens_free(&v, n);
}

Test(kigo_json, token_every_status_and_unknown)
{
	static const char *const st[] = { "active", "redeemed", "expired", "disputed", "removed",
	                                  "frozen" };
	static const enum kg_token_status want[] = { KG_TOKEN_ACTIVE, KG_TOKEN_REDEEMED,
		                                     KG_TOKEN_EXPIRED, KG_TOKEN_DISPUTED,
		                                     KG_TOKEN_REMOVED, KG_TOKEN__UNKNOWN };

	for (size_t i = 0; i < 6; i++) {
		struct kg_token t;
		char *cause = NULL;
		char *j = kg_xasprintf("{\"id\":\"t\",\"customer_id\":\"c\",\"sku\":\"s\","
		                       "\"name\":\"n\",\"status\":\"%s\",\"issued_at\":\"i\","
		                       "\"expires_at\":\"e\",\"version\":1}", st[i]);
		cr_assert_eq(kg_kigo_json_token(j, 0, &t, &cause), KG_ERR_OK, "%s", cause);
		cr_assert_eq(t.status, want[i], "%s", st[i]);
		kg_token_clear(&t);
		free(j);
	}
}

Test(kigo_json, token_wrong_types)
{
	struct kg_token t;
	char *cause = NULL;

	expect_fail(kg_kigo_json_token("{\"id\":\"t\",\"customer_id\":\"c\",\"sku\":\"s\","
	                               "\"name\":\"n\",\"status\":\"active\",\"issued_at\":\"i\","
	                               "\"expires_at\":\"e\",\"version\":\"4\"}", 0, &t, &cause),
	            &cause, "version: expected an integer");
	expect_fail(kg_kigo_json_token("{\"id\":\"t\",\"customer_id\":\"c\",\"sku\":\"s\","
	                               "\"name\":\"n\",\"status\":true,\"issued_at\":\"i\","
	                               "\"expires_at\":\"e\",\"version\":4}", 0, &t, &cause),
	            &cause, "status: expected a string");
	expect_fail(kg_kigo_json_token("{\"id\":\"t\",\"customer_id\":\"c\",\"sku\":\"s\","
	                               "\"name\":\"n\",\"status\":\"active\",\"issued_at\":\"i\","
	                               "\"version\":4}", 0, &t, &cause),
	            &cause, "expires_at: required member is missing");
	expect_fail(kg_kigo_json_token("{\"id\":\"t\",\"customer_id\":\"c\",\"sku\":\"s\","
	                               "\"name\":\"n\",\"status\":\"active\",\"issued_at\":\"i\","
	                               "\"expires_at\":\"e\",\"version\":-1}", 0, &t, &cause),
	            &cause, "version: integer out of range");
	cr_assert_null(t.id);
}

/* ---- activity ---- */

Test(kigo_json, activity_with_before_after)
{
	struct kg_activity a;
	char *cause = NULL;

	cr_assert_eq(kg_kigo_json_activity(ACT, 0, &a, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(a.id, "act_77");
	cr_assert_eq(a.action, KG_ACTION_REISSUE);
	cr_assert_str_eq(a.ticket_ref, "INC0012345");
	cr_assert_not_null(a.before);
	cr_assert_not_null(a.after);
	cr_assert_eq(a.before->version, 4);
	cr_assert_eq(a.after->status, KG_TOKEN_DISPUTED);
	kg_activity_clear(&a);
}

Test(kigo_json, activity_null_before_and_create_customer)
{
	struct kg_activity a;
	char *cause = NULL;
	const char *j = "{\"id\":\"act_1\",\"at\":\"t\",\"actor\":\"a\",\"action\":"
	                "\"create_customer\",\"token_id\":null,\"customer_id\":\"cus_1\","
	                "\"ticket_ref\":\"INC1\",\"reason\":null,\"before\":null,\"after\":null}";

	cr_assert_eq(kg_kigo_json_activity(j, 0, &a, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_eq(a.action, KG_ACTION_CREATE_CUSTOMER);
	cr_assert_null(a.token_id);
	cr_assert_null(a.before);
	cr_assert_null(a.after);
	kg_activity_clear(&a);
}

Test(kigo_json, activity_bad_embedded_token_is_named)
{
	struct kg_activity a;
	char *cause = NULL;
	const char *j = "{\"id\":\"act_1\",\"at\":\"t\",\"actor\":\"a\",\"action\":\"add\","
	                "\"customer_id\":\"cus_1\",\"before\":null,\"after\":{\"id\":\"t\"}}";

	expect_fail(kg_kigo_json_activity(j, 0, &a, &cause), &cause, "after.customer_id");
	expect_fail(kg_kigo_json_activity("{\"id\":\"act_1\",\"at\":\"t\",\"actor\":\"a\","
	                                  "\"action\":\"add\",\"customer_id\":\"c\","
	                                  "\"after\":[]}", 0, &a, &cause),
	            &cause, "after: expected a JSON object");
	expect_fail(kg_kigo_json_activity("{\"id\":\"act_1\",\"at\":\"t\",\"action\":\"add\","
	                                  "\"customer_id\":\"c\"}", 0, &a, &cause),
	            &cause, "actor");
	cr_assert_null(a.id);
}

Test(kigo_json, activity_page)
{
	struct kg_activity *v = NULL;
	size_t n = 0;
	char *next = NULL, *cause = NULL;
	const char *j = "{\"items\":[" ACT "],\"next_cursor\":\"a2\"}";

	cr_assert_eq(kg_kigo_json_activity_page(j, 0, &v, &n, &next, &cause), KG_ERR_OK, "%s",
	             cause);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(next, "a2");
	kg_activities_free(&v, n);
	free(next);
	expect_fail(kg_kigo_json_activity_page("{\"items\":[{\"id\":\"x\",\"at\":\"t\","
	                                       "\"actor\":\"a\",\"action\":\"add\","
	                                       "\"customer_id\":\"c\",\"before\":{}}]}",
	                                       0, &v, &n, &next, &cause),
	            &cause, "items[0].before.id");
}

/* ---- mutation results ---- */

Test(kigo_json, token_result)
{
	struct kg_token t;
	struct kg_activity a;
	char *cause = NULL;

	cr_assert_eq(kg_kigo_json_token_result("{\"token\":" TOK2 ",\"activity\":" ACT "}", 0, &t,
	                                       &a, &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(t.id, "tok_2");
	cr_assert_str_eq(a.id, "act_77");
	kg_token_clear(&t);
	kg_activity_clear(&a);

	expect_fail(kg_kigo_json_token_result("{\"token\":" TOK "}", 0, &t, &a, &cause), &cause,
	            "activity: required member is missing");
	expect_fail(kg_kigo_json_token_result("{\"token\":{\"id\":1},\"activity\":" ACT "}", 0,
	                                      &t, &a, &cause),
	            &cause, "token.id: expected a string");
	expect_fail(kg_kigo_json_token_result("{\"token\":" TOK ",\"activity\":{\"id\":\"a\"}}", 0,
	                                      &t, &a, &cause),
	            &cause, "activity.at");
	cr_assert_null(t.id);
	cr_assert_null(a.id);
}

Test(kigo_json, customer_result)
{
	struct kg_customer c;
	struct kg_activity a;
	char *cause = NULL;
	const char *act = "{\"id\":\"act_1\",\"at\":\"t\",\"actor\":\"a\",\"action\":"
	                  "\"create_customer\",\"customer_id\":\"cus_8XK2\",\"before\":null,"
	                  "\"after\":null}";
	char *j = kg_xasprintf("{\"customer\":" CUS ",\"activity\":%s,\"extra\":1}", act);

	cr_assert_eq(kg_kigo_json_customer_result(j, 0, &c, &a, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(c.id, "cus_8XK2");
	cr_assert_eq(a.action, KG_ACTION_CREATE_CUSTOMER);
	kg_customer_clear(&c);
	kg_activity_clear(&a);
	free(j);
	expect_fail(kg_kigo_json_customer_result("{\"activity\":{}}", 0, &c, &a, &cause), &cause,
	            "customer: required member is missing");
}

/* ---- error envelope ---- */

Test(kigo_json, error_plain)
{
	struct kg_kigo_json_error e;
	char *cause = NULL;

	cr_assert_eq(kg_kigo_json_error("{\"error\":{\"code\":\"not_found\",\"message\":"
	                                "\"customer cus_9 does not exist\",\"request_id\":"
	                                "\"req_01H\",\"details\":{}}}", 0, &e, &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(e.code, "not_found");
	cr_assert_str_eq(e.message, "customer cus_9 does not exist");
	cr_assert_str_eq(e.request_id, "req_01H");
	cr_assert_null(e.current);
	cr_assert_null(e.existing_id);
	kg_kigo_json_error_clear(&e);
}

Test(kigo_json, error_412_current)
{
	struct kg_kigo_json_error e;
	char *cause = NULL;

	cr_assert_eq(kg_kigo_json_error("{\"error\":{\"code\":\"precondition_failed\",\"message\":"
	                                "\"m\",\"request_id\":\"r\",\"details\":{\"current\":"
	                                TOK2 "}}}", 0, &e, &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_not_null(e.current);
	cr_assert_eq(e.current->version, 5);
	cr_assert_eq(e.current->status, KG_TOKEN_DISPUTED);
	kg_kigo_json_error_clear(&e);
}

Test(kigo_json, error_409_existing)
{
	struct kg_kigo_json_error e;
	char *cause = NULL;

	cr_assert_eq(kg_kigo_json_error("{\"error\":{\"code\":\"conflict\",\"message\":\"dup\","
	                                "\"details\":{\"existing_id\":\"cus_1\"}}}", 0, &e,
	                                &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(e.existing_id, "cus_1");
	cr_assert_null(e.request_id);
	kg_kigo_json_error_clear(&e);
}

Test(kigo_json, error_bad_shapes)
{
	struct kg_kigo_json_error e;
	char *cause = NULL;

	expect_fail(kg_kigo_json_error("{\"message\":\"x\"}", 0, &e, &cause), &cause,
	            "error: required member is missing");
	expect_fail(kg_kigo_json_error("{\"error\":\"boom\"}", 0, &e, &cause), &cause,
	            "error: expected a JSON object");
	expect_fail(kg_kigo_json_error("{\"error\":{\"message\":\"x\"}}", 0, &e, &cause), &cause,
	            "error.code");
	expect_fail(kg_kigo_json_error("{\"error\":{\"code\":\"c\",\"message\":\"x\","
	                               "\"details\":{\"current\":{\"id\":\"t\"}}}}", 0, &e, &cause),
	            &cause, "error.details.current.customer_id");
	expect_fail(kg_kigo_json_error("{\"error\":{\"code\":\"c\",\"message\":\"x\","
	                               "\"details\":[]}}", 0, &e, &cause),
	            &cause, "error.details: expected a JSON object");
	cr_assert_null(e.code);
}

/* ---- encoders ---- */

static json_object *
reparse(char *s)
{
	json_object *o = json_tokener_parse(s);

	cr_assert_not_null(o, "encoder output must be JSON: %s", s);
	free(s);
	return o;
}

static const char *
str_of(json_object *o, const char *m)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, m, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

Test(kigo_json, encode_customer)
{
	char *s = kg_kigo_json_encode_customer("Jane \"Q\" Doe", "j@x.test", NULL, "",
	                                       "INC0012345");
	cr_assert_str_eq(s, "{\"name\":\"Jane \\\"Q\\\" Doe\",\"email\":\"j@x.test\","
	                    "\"phone\":null,\"loyalty_id\":null,\"ticket_ref\":\"INC0012345\"}");
	json_object_put(reparse(s));
}

Test(kigo_json, encode_add_and_reason)
{
	json_object *o = reparse(kg_kigo_json_encode_add("XB-5OFF", NULL, "goodwill", "INC1"));

	cr_assert_str_eq(str_of(o, "sku"), "XB-5OFF");
	cr_assert_null(str_of(o, "expires_at"));
	cr_assert(!json_object_object_get_ex(o, "expires_at", NULL));
	cr_assert_str_eq(str_of(o, "reason"), "goodwill");
	json_object_put(o);

	char *s = kg_kigo_json_encode_reason("caf\xc3\xa9 / \\ \n", "INC1");
	cr_assert_str_eq(s, "{\"reason\":\"caf\xc3\xa9 / \\\\ \\n\",\"ticket_ref\":\"INC1\"}");
	free(s);
}

Test(kigo_json, encode_reissue_and_actions)
{
	json_object *o = reparse(kg_kigo_json_encode_reissue("2030-01-02", "r", "INC1"));

	cr_assert_str_eq(str_of(o, "expires_at"), "2030-01-02");
	json_object_put(o);
	o = reparse(kg_kigo_json_encode_action("extend", NULL, "2030-01-02", "INC1"));
	cr_assert_str_eq(str_of(o, "type"), "extend");
	cr_assert_str_eq(str_of(o, "expires_at"), "2030-01-02");
	cr_assert(!json_object_object_get_ex(o, "note", NULL));
	json_object_put(o);
	o = reparse(kg_kigo_json_encode_action("note", "called back", NULL, "INC1"));
	cr_assert_str_eq(str_of(o, "note"), "called back");
	cr_assert(!json_object_object_get_ex(o, "expires_at", NULL));
	json_object_put(o);
}

Test(kigo_json, encode_is_deterministic)
{
	/* The stored body must be byte-identical on every encode: a resend
	 * with another body would be a 422 idempotency_mismatch. */
	char *a = kg_kigo_json_encode_reissue("2030-01-02", "r", "INC1");
	char *b = kg_kigo_json_encode_reissue("2030-01-02", "r", "INC1");

	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}
