/*
 * test_sn_json.c - ServiceNow Table API parsers: degenerate bodies first,
 * then the three display_value shapes, wrong types, the error envelope.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "kigo/sn_json.h"

#define SYS1 "9d385017c611228701d22104cc95c371"
#define CALLER "5137153cc611227c000bbd1bd8cd2005"

static enum kg_err
tickets(const char *body, struct kg_ticket **v, size_t *n, char **cause)
{
	return kg_sn_json_tickets(body, strlen(body), "incident", v, n, cause);
}

Test(sn_json, degenerate_bodies)
{
	const char *bad[] = {"", "   ", "{", "[]", "null", "{\"result\": {}}", "{\"result\": 3}",
	                     "{\"x\": []}", "{\"result\": []} trailing", "{\"result\": [1]}"};
	struct kg_ticket *v = NULL;
	size_t n = 7, i;
	char *cause = NULL;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(tickets(bad[i], &v, &n, &cause), KG_ERR_PROTOCOL, "body %s", bad[i]);
		cr_assert_null(v);
		cr_assert_eq(n, 0);
		cr_assert_not_null(cause, "no cause for %s", bad[i]);
		free(cause);
		cause = NULL;
	}
	cr_assert_eq(kg_sn_json_tickets(NULL, 0, "incident", &v, &n, &cause), KG_ERR_PROTOCOL);
	free(cause);
}

Test(sn_json, empty_list_is_ok)
{
	struct kg_ticket *v = NULL;
	size_t n = 3;
	char *cause = NULL;

	cr_assert_eq(tickets("{\"result\": []}\n", &v, &n, &cause), KG_ERR_OK);
	cr_assert_eq(n, 0);
	cr_assert_null(v);
	cr_assert_null(cause);
}

Test(sn_json, display_value_all)
{
	const char *body =
	    "{\"result\":[{"
	    "\"number\":{\"display_value\":\"INC0010001\",\"value\":\"INC0010001\"},"
	    "\"short_description\":{\"display_value\":\"ExtraBucks not applied\","
	    "\"value\":\"ExtraBucks not applied\"},"
	    "\"state\":{\"display_value\":\"In Progress\",\"value\":\"2\"},"
	    "\"priority\":{\"display_value\":\"2 - High\",\"value\":\"2\"},"
	    "\"caller_id\":{\"display_value\":\"Jane Doe\",\"value\":\"" CALLER "\","
	    "\"link\":\"https://x.service-now.com/api/now/table/sys_user/" CALLER "\"},"
	    "\"assigned_to\":{\"display_value\":\"\",\"value\":\"\"},"
	    "\"sys_updated_on\":{\"display_value\":\"11/23/2026 11:50:00 AM\","
	    "\"value\":\"2026-11-23 19:50:00\"},"
	    "\"sys_id\":{\"display_value\":\"" SYS1 "\",\"value\":\"" SYS1 "\"},"
	    "\"u_unknown\":{\"whatever\":[1,2,3]}}]}";
	struct kg_ticket *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	cr_assert_eq(tickets(body, &v, &n, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].number, "INC0010001");
	cr_assert_str_eq(v[0].sys_id, SYS1);
	cr_assert_str_eq(v[0].table, "incident");
	cr_assert_str_eq(v[0].short_description, "ExtraBucks not applied");
	cr_assert_str_eq(v[0].state, "2");
	cr_assert_str_eq(v[0].state_label, "In Progress");
	cr_assert_str_eq(v[0].priority, "2");
	cr_assert_str_eq(v[0].priority_label, "2 - High");
	cr_assert_str_eq(v[0].caller_id, CALLER);
	cr_assert_str_eq(v[0].caller_name, "Jane Doe");
	cr_assert_null(v[0].assigned_to);
	cr_assert_null(v[0].assigned_to_name);
	cr_assert_str_eq(v[0].updated_on, "2026-11-23 19:50:00");
	kg_sn_tickets_free(&v, n);
	cr_assert_null(v);
}

Test(sn_json, display_value_false_and_true_shapes)
{
	/* false: plain strings, references {link, value}; true: {display_value, link} */
	const char *body_false =
	    "{\"result\":{\"number\":\"INC0010002\",\"sys_id\":\"" SYS1 "\",\"state\":\"1\","
	    "\"caller_id\":{\"link\":\"https://x/api/now/table/sys_user/" CALLER "\","
	    "\"value\":\"" CALLER "\"}}}";
	const char *body_true =
	    "{\"result\":{\"number\":\"INC0010002\",\"sys_id\":\"" SYS1 "\",\"state\":\"New\","
	    "\"caller_id\":{\"display_value\":\"Jane Doe\","
	    "\"link\":\"https://x/api/now/table/sys_user/" CALLER "\"}}}";
	struct kg_ticket t;
	char *cause = NULL;

	cr_assert_eq(kg_sn_json_ticket(body_false, strlen(body_false), "incident", &t, &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(t.state, "1");
	cr_assert_str_eq(t.caller_id, CALLER);
	cr_assert_str_eq(t.caller_name, CALLER);
	kg_ticket_clear(&t);

	cr_assert_eq(kg_sn_json_ticket(body_true, strlen(body_true), "incident", &t, &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(t.caller_id, CALLER, "the sys_id comes from the link");
	cr_assert_str_eq(t.caller_name, "Jane Doe");
	kg_ticket_clear(&t);
}

Test(sn_json, wrong_types_rejected)
{
	const char *bodies[] = {
	    "{\"result\":[{\"number\":\"INC0010001\",\"sys_id\":\"" SYS1 "\",\"priority\":2}]}",
	    "{\"result\":[{\"number\":\"INC0010001\",\"sys_id\":\"" SYS1 "\",\"state\":null}]}",
	    "{\"result\":[{\"number\":\"INC0010001\",\"sys_id\":\"" SYS1 "\","
	    "\"state\":{\"value\":2}}]}",
	    "{\"result\":[{\"number\":\"INC0010001\",\"sys_id\":\"" SYS1 "\","
	    "\"caller_id\":{\"link\":true}}]}",
	    "{\"result\":[{\"number\":[\"INC0010001\"],\"sys_id\":\"" SYS1 "\"}]}",
	};
	struct kg_ticket *v = NULL;
	size_t n = 0, i;
	char *cause = NULL;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		cr_assert_eq(tickets(bodies[i], &v, &n, &cause), KG_ERR_PROTOCOL, "%s", bodies[i]);
		cr_assert_not_null(strstr(cause, "string"), "cause: %s", cause);
		free(cause);
		cause = NULL;
	}
}

Test(sn_json, required_members)
{
	struct kg_ticket *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	cr_assert_eq(tickets("{\"result\":[{\"number\":\"INC0010001\"}]}", &v, &n, &cause),
	             KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "sys_id"));
	free(cause);
	cause = NULL;
	cr_assert_eq(tickets("{\"result\":[{\"sys_id\":\"" SYS1 "\",\"number\":\"\"}]}", &v, &n,
	                     &cause),
	             KG_ERR_PROTOCOL);
	cr_assert_not_null(strstr(cause, "number"));
	free(cause);
	cause = NULL;
	cr_assert_eq(tickets("{\"result\":[{\"sys_id\":\"xyz\",\"number\":\"INC1\"}]}", &v, &n,
	                     &cause),
	             KG_ERR_PROTOCOL);
	free(cause);
}

Test(sn_json, two_records)
{
	const char *body = "{\"result\":[{\"number\":\"INC0010001\",\"sys_id\":\"" SYS1 "\"},"
	                   "{\"number\":\"INC0010002\",\"sys_id\":\"" CALLER "\"}]}";
	struct kg_ticket *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	cr_assert_eq(tickets(body, &v, &n, &cause), KG_ERR_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[1].number, "INC0010002");
	kg_sn_tickets_free(&v, n);
}

/* ---- the caller dot-walked into the ticket (caller_id.email, ...) ---- */

#define TICKET_HEAD "{\"number\":\"INC0010001\",\"sys_id\":\"" SYS1 "\","
#define CALLER_ALL                                                                       \
	"\"caller_id\":{\"display_value\":\"Jane Doe\",\"value\":\"" CALLER "\"}"

static enum kg_err
with_callers(const char *body, struct kg_ticket **v, struct kg_user **u, size_t *n,
             char **cause)
{
	return kg_sn_json_tickets_callers(body, strlen(body), "incident", v, u, n, cause);
}

Test(sn_json, caller_dot_walked_display_value_all)
{
	/* sysparm_display_value=all, sysparm_exclude_reference_link=true */
	const char *body =
	    "{\"result\":[" TICKET_HEAD CALLER_ALL ","
	    "\"caller_id.email\":{\"display_value\":\"jane@example.com\","
	    "\"value\":\"jane@example.com\"},"
	    "\"caller_id.phone\":{\"display_value\":\"(401) 555-0100\",\"value\":\"+14015550100\"},"
	    "\"caller_id.mobile_phone\":{\"display_value\":\"\",\"value\":\"\"}}]}";
	struct kg_ticket *v = NULL;
	struct kg_user *u = NULL;
	size_t n = 0;
	char *cause = NULL;

	cr_assert_eq(with_callers(body, &v, &u, &n, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].caller_id, CALLER);
	cr_assert_str_eq(u[0].sys_id, CALLER);
	cr_assert_str_eq(u[0].name, "Jane Doe");
	cr_assert_str_eq(u[0].email, "jane@example.com");
	cr_assert_str_eq(u[0].phone, "+14015550100", "the raw value, not the display value");
	kg_sn_tickets_free(&v, n);
	kg_sn_users_free(&u, n);
	cr_assert_null(u);
}

Test(sn_json, caller_dot_walked_plain_strings_and_mobile)
{
	const char *body =
	    "{\"result\":" TICKET_HEAD CALLER_ALL ",\"caller_id.email\":\"\","
	    "\"caller_id.phone\":\"\",\"caller_id.mobile_phone\":\"+14015550111\"}}";
	struct kg_ticket t;
	struct kg_user u;
	char *cause = NULL;

	cr_assert_eq(kg_sn_json_ticket_caller(body, strlen(body), "incident", &t, &u, &cause),
	             KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(u.sys_id, CALLER);
	cr_assert_null(u.email);
	cr_assert_str_eq(u.phone, "+14015550111", "mobile_phone when phone is empty");
	kg_ticket_clear(&t);
	kg_user_clear(&u);
}

Test(sn_json, caller_absent_or_none)
{
	/* none of the dot-walked members: the caller must be read from sys_user */
	const char *absent = "{\"result\":[" TICKET_HEAD CALLER_ALL "}]}";
	/* present but empty: the caller has neither; that is an answer */
	const char *empty = "{\"result\":[" TICKET_HEAD CALLER_ALL ",\"caller_id.email\":\"\"}]}";
	/* no caller at all: the dot-walked members are empty too */
	const char *nobody = "{\"result\":[" TICKET_HEAD "\"caller_id\":\"\","
	                     "\"caller_id.email\":\"\",\"caller_id.phone\":\"\"}]}";
	struct kg_ticket *v = NULL;
	struct kg_user *u = NULL;
	size_t n = 0;
	char *cause = NULL;

	cr_assert_eq(with_callers(absent, &v, &u, &n, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(v[0].caller_id, CALLER);
	cr_assert_null(u[0].sys_id, "absent members are not a caller without e-mail");
	kg_sn_tickets_free(&v, n);
	kg_sn_users_free(&u, n);

	cr_assert_eq(with_callers(empty, &v, &u, &n, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(u[0].sys_id, CALLER);
	cr_assert_str_eq(u[0].name, "Jane Doe");
	cr_assert_null(u[0].email);
	cr_assert_null(u[0].phone);
	kg_sn_tickets_free(&v, n);
	kg_sn_users_free(&u, n);

	cr_assert_eq(with_callers(nobody, &v, &u, &n, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_null(v[0].caller_id);
	cr_assert_null(u[0].sys_id);
	kg_sn_tickets_free(&v, n);
	kg_sn_users_free(&u, n);

	/* the plain parser ignores them, and callers may be NULL */
	cr_assert_eq(with_callers(empty, &v, NULL, &n, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_eq(n, 1);
	kg_sn_tickets_free(&v, n);
	cr_assert_eq(with_callers("{\"result\":[]}", &v, &u, &n, &cause), KG_ERR_OK);
	cr_assert_null(v);
	cr_assert_null(u);
}

Test(sn_json, caller_dot_walked_wrong_type_rejected)
{
	const char *bodies[] = {
	    "{\"result\":[" TICKET_HEAD CALLER_ALL ",\"caller_id.email\":5}]}",
	    "{\"result\":[" TICKET_HEAD CALLER_ALL ",\"caller_id.phone\":{\"value\":null}}]}",
	    "{\"result\":[" TICKET_HEAD CALLER_ALL ",\"caller_id.mobile_phone\":[\"x\"]}]}",
	};
	struct kg_ticket *v = NULL;
	struct kg_user *u = NULL;
	size_t n = 0, i;
	char *cause = NULL;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		cr_assert_eq(with_callers(bodies[i], &v, &u, &n, &cause), KG_ERR_PROTOCOL, "%s",
		             bodies[i]);
		cr_assert_null(v);
		cr_assert_null(u);
		cr_assert_not_null(strstr(cause, "caller_id."), "cause: %s", cause);
		cr_assert_not_null(strstr(cause, "string"), "cause: %s", cause);
		free(cause);
		cause = NULL;
	}
}

Test(sn_json, user)
{
	const char *body = "{\"result\":{\"sys_id\":\"" CALLER "\",\"name\":\"Jane Doe\","
	                   "\"email\":\"jane@example.com\",\"phone\":\"\","
	                   "\"mobile_phone\":\"+14015550100\",\"extra\":\"x\"}}";
	struct kg_user u;
	char *cause = NULL;

	cr_assert_eq(kg_sn_json_user(body, strlen(body), &u, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(u.sys_id, CALLER);
	cr_assert_str_eq(u.name, "Jane Doe");
	cr_assert_str_eq(u.email, "jane@example.com");
	cr_assert_str_eq(u.phone, "+14015550100");
	kg_user_clear(&u);

	body = "{\"result\":{\"sys_id\":\"" CALLER "\",\"name\":5}}";
	cr_assert_eq(kg_sn_json_user(body, strlen(body), &u, &cause),
	             KG_ERR_PROTOCOL);
	cr_assert_null(u.sys_id);
	free(cause);
	cause = NULL;
	cr_assert_eq(kg_sn_json_user("{\"result\":[]}", 13, &u, &cause), KG_ERR_PROTOCOL);
	free(cause);
}

Test(sn_json, journal)
{
	const char *body = "{\"result\":[{\"sys_id\":\"" CALLER "\",\"element_id\":\"" SYS1 "\","
	                   "\"element\":\"work_notes\",\"value\":\"line1\\nkigo-sync-id: abc\","
	                   "\"sys_created_on\":\"2026-11-23 19:50:00\"}]}";
	struct kg_sn_journal_entry *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	cr_assert_eq(kg_sn_json_journal(body, strlen(body), &v, &n, &cause), KG_ERR_OK, "%s",
	             cause);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].element_id, SYS1);
	cr_assert_str_eq(v[0].element, "work_notes");
	cr_assert_str_eq(v[0].value, "line1\nkigo-sync-id: abc");
	cr_assert_str_eq(v[0].created_on, "2026-11-23 19:50:00");
	kg_sn_journal_free(&v, n);

	cr_assert_eq(kg_sn_json_journal("{\"result\":[{\"value\":1}]}", 24, &v, &n, &cause),
	             KG_ERR_PROTOCOL);
	cr_assert_null(v);
	free(cause);
}

Test(sn_json, error_envelope)
{
	const char *body = "{\"error\":{\"message\":\"No Record found\",\"detail\":\"Record "
	                   "doesn't exist or ACL restricts the record retrieval\"},"
	                   "\"status\":\"failure\"}";
	char *m, *d;

	cr_assert(kg_sn_json_error(body, strlen(body), &m, &d));
	cr_assert_str_eq(m, "No Record found");
	cr_assert_str_eq(d, "Record doesn't exist or ACL restricts the record retrieval");
	free(m);
	free(d);
	body = "{\"error\":{\"message\":\"x\",\"detail\":null}}";
	cr_assert(kg_sn_json_error(body, strlen(body), &m, &d));
	cr_assert_str_eq(m, "x");
	cr_assert_null(d);
	free(m);
	cr_assert_not(kg_sn_json_error("<html>oops</html>", 17, &m, &d));
	cr_assert_null(m);
	cr_assert_not(kg_sn_json_error("{\"result\":[]}", 13, &m, &d));
	cr_assert_not(kg_sn_json_error(NULL, 0, &m, &d));
}

Test(sn_json, journal_body_is_json)
{
	char *s = kg_sn_json_journal_body("work_notes", "a \"quoted\"\nline/2\x01");

	cr_assert_str_eq(s, "{\"work_notes\":\"a \\\"quoted\\\"\\nline/2\\u0001\"}");
	free(s);
}

Test(sn_json, field_display_value)
{
	const char *body = "{\"result\":{\"work_notes\":\"2026-11-25 08:42:08 - Agent (Work notes)\\n"
	                   "text\\nkigo-sync-id: abc\\n\\n\"}}";
	const char *all = "{\"result\":{\"work_notes\":{\"display_value\":\"x\",\"value\":\"\"}}}";
	char *v = NULL, *cause = NULL;

	cr_assert_eq(kg_sn_json_field(body, strlen(body), "work_notes", &v, &cause), KG_ERR_OK);
	cr_assert_not_null(strstr(v, "kigo-sync-id: abc"));
	free(v);
	cr_assert_eq(kg_sn_json_field(all, strlen(all), "work_notes", &v, &cause), KG_ERR_OK);
	cr_assert_str_eq(v, "x");
	free(v);
	/* absent is not "empty": the role may not read it */
	cr_assert_eq(kg_sn_json_field(body, strlen(body), "comments", &v, &cause), KG_ERR_PROTOCOL);
	cr_assert_null(v);
	cr_assert_not_null(strstr(cause, "comments"));
	free(cause);
	cause = NULL;
	cr_assert_eq(kg_sn_json_field("{\"result\":{\"comments\":1}}", 24, "comments", &v, &cause),
	             KG_ERR_PROTOCOL);
	free(cause);
}
