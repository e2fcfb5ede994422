/*
 * test_ticket.c - the TICKET gate: every accepted shape, and every injection
 * or malformed input the contract names is refused with a safe message.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "kigo/ticket.h"

static struct kg_ticket_ref ref;
static char *cause;

static void
reset(void)
{
	kg_ticket_ref_clear(&ref);
	free(cause);
	cause = NULL;
}

static void
fini(void)
{
	reset();
}

TestSuite(ticket, .fini = fini);

/* The message is one line, printable ASCII only. */
static void
assert_safe_cause(void)
{
	cr_assert_not_null(cause);
	for (const char *p = cause; *p != '\0'; p++)
		cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
		          "raw byte 0x%02x in cause: %s", (unsigned char)*p, cause);
	cr_assert(strncmp(cause, "invalid TICKET", 14) == 0, "cause: %s", cause);
}

static void
refused(const char *arg, const char *why)
{
	reset();
	cr_assert_eq(kg_ticket_parse(arg, &ref, &cause), KG_ERR_BAD_INPUT, "accepted: %s", arg);
	assert_safe_cause();
	cr_assert_null(ref.number);
	cr_assert_null(ref.sys_id);
	cr_assert_null(ref.email);
	if (why != NULL)
		cr_assert_not_null(strstr(cause, why), "cause \"%s\" lacks \"%s\"", cause, why);
}

static void
accepted(const char *arg)
{
	reset();
	cr_assert_eq(kg_ticket_parse(arg, &ref, &cause), KG_ERR_OK, "refused %s: %s", arg,
	             cause ? cause : "");
	cr_assert_null(cause);
}

Test(ticket, numbers_normalized)
{
	accepted("INC0012345");
	cr_assert_str_eq(ref.number, "INC0012345");
	cr_assert_null(ref.sys_id);
	cr_assert_null(ref.host);
	accepted("ritm0001234");
	cr_assert_str_eq(ref.number, "RITM0001234");
	accepted("Ab1234");
	cr_assert_str_eq(ref.number, "AB1234");
	accepted("ABCDEFGH123456789012");
	cr_assert_str_eq(ref.number, "ABCDEFGH123456789012");
}

Test(ticket, number_bounds)
{
	refused("I0012345", "2 to 8 letters");
	refused("ABCDEFGHI0012345", "2 to 8 letters");
	refused("INC123", "4 to 12 digits");
	refused("INC1234567890123", "4 to 12 digits");
	refused("0012345", NULL);
	refused("INC", NULL);
	refused("INC0012345X", "only letters followed by digits");
}

Test(ticket, sys_id_normalized)
{
	accepted("0123456789ABCDEF0123456789abcdef");
	cr_assert_str_eq(ref.sys_id, "0123456789abcdef0123456789abcdef");
	cr_assert_null(ref.number);
	refused("0123456789abcdef0123456789abcde", NULL);   /* 31 */
	refused("0123456789abcdef0123456789abcdef0", NULL); /* 33 */
	refused("0123456789abcdef0123456789abcdeg", NULL);
}

Test(ticket, empty_and_null)
{
	refused("", "empty");
	refused(NULL, "empty");
}

Test(ticket, encoded_query_injection)
{
	refused("INC1^ORactive=true", "'^'");
	refused("INC0012345^NQ", "'^'");
	refused("INC0012345^ORDERBYnumber", "'^'");
	refused("INC0012345^ORnumberISNOTEMPTY", "'^'");
	refused("INC0012345=INC0012345", NULL);
	refused("INC0012345,INC0012346", NULL);
	refused("INC0012345%5E", NULL);
}

Test(ticket, quotes_and_spaces)
{
	refused("INC0012345'", "quotes");
	refused("INC0012345\"", "quotes");
	refused("'INC0012345'", NULL);
	refused("INC0012345`id`", "quotes");
	refused("INC0012345 OR 1=1", "space");
	refused(" INC0012345", NULL);
	refused("INC0012345 ", "space");
}

Test(ticket, control_characters_never_echoed)
{
	refused("INC00\x1b[2J12345", "\\x1B");
	refused("INC0012345\n", "\\x0A");
	refused("INC0012345\r", "\\x0D");
	refused("\x1b]52;c;SGVsbG8=\x07", "\\x1B");
	refused("INC\x7f" "0012345", "\\x7F");
	refused("INC0012345\xc2\x9b" "2J", "non-ASCII");
	refused("INC\t0012345", "\\x09");
}

Test(ticket, long_input)
{
	char big[KG_TICKET_ARG_MAX + 2];

	memset(big, 'A', 300);
	big[300] = '\0';
	refused(big, NULL);
	cr_assert_lt(strlen(cause), 250, "the message quotes a bounded prefix");
	memcpy(big, "INC", 3);
	memset(big + 3, '1', 297);
	refused(big, "4 to 12 digits");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(big, "too long");
}

Test(ticket, launch_url_full)
{
	accepted("https://sn.example.com/launch?ticket=inc0012345&customer=cus_42aB"
	         "&email=jane.doe%2Btag%40shop.example&phone=%2B1%20(555)%20010-0000"
	         "&loyalty_id=LY123456");
	cr_assert_str_eq(ref.number, "INC0012345");
	cr_assert_str_eq(ref.host, "sn.example.com");
	cr_assert_str_eq(ref.customer, "cus_42aB");
	cr_assert_str_eq(ref.email, "jane.doe+tag@shop.example");
	cr_assert_str_eq(ref.phone, "+1 (555) 010-0000");
	cr_assert_str_eq(ref.loyalty_id, "LY123456");
}

Test(ticket, launch_url_minimal_and_sys_id)
{
	accepted("https://sn.example.com/launch?ticket=INC0012345");
	cr_assert_str_eq(ref.number, "INC0012345");
	cr_assert_null(ref.customer);
	cr_assert_null(ref.email);
	accepted("HTTPS://sn.example.com:8443/launch?ticket=0123456789ABCDEF0123456789abcdef");
	cr_assert_str_eq(ref.sys_id, "0123456789abcdef0123456789abcdef");
	/* a blank pre-fill is "not given"; a trailing & is harmless */
	accepted("https://sn.example.com/launch?email=&ticket=INC0012345&");
	cr_assert_null(ref.email);
}

Test(ticket, launch_url_other_schemes)
{
	refused("javascript:alert(1)", "https");
	refused("http://sn.example.com/launch?ticket=INC0012345", "https");
	refused("ftp://sn.example.com/launch?ticket=INC0012345", "https");
	refused("file:///etc/passwd", "https");
	refused("data:text/html,<script>", "https");
	refused("//sn.example.com/launch?ticket=INC0012345", NULL);
}

Test(ticket, launch_url_shape)
{
	refused("https://sn.example.com/launch", "ticket=");
	refused("https://sn.example.com/launch?customer=cus_1", "ticket=");
	refused("https://sn.example.com/other?ticket=INC0012345", "/launch");
	refused("https://sn.example.com/launch/x?ticket=INC0012345", "/launch");
	refused("https://user:pw@sn.example.com/launch?ticket=INC0012345", "password");
	refused("https://sn.example.com/launch?ticket=INC0012345#frag", "fragment");
	refused("https://sn.example.com/launch?ticket=INC0012345&x=1", "unknown parameter");
	refused("https://sn.example.com/launch?ticket=INC0012345&Ticket=INC1", "unknown");
	refused("https://sn.example.com/launch?ticket", "no value");
	refused("https:///launch?ticket=INC0012345", NULL);
	refused("https://sn.example.com/launch?ticket=INC0012345 &email=a@b.example", "space");
}

Test(ticket, launch_url_duplicates)
{
	refused("https://sn.example.com/launch?ticket=INC0012345&ticket=INC0012346", "twice");
	refused("https://sn.example.com/launch?ticket=INC0012345&email=a@b.example&email=c@d.example",
	        "twice");
}

Test(ticket, launch_url_ticket_injection)
{
	refused("https://sn.example.com/launch?ticket=INC1%5EORactive%3Dtrue", "'^'");
	refused("https://sn.example.com/launch?ticket=INC0012345%5ENQ", "'^'");
	refused("https://sn.example.com/launch?ticket=INC0012345%27", "quotes");
	refused("https://sn.example.com/launch?ticket=INC0012345%20", "space");
	refused("https://sn.example.com/launch?ticket=INC0012345%1B%5B2J", "control");
	refused("https://sn.example.com/launch?ticket=INC0012345%00", "NUL");
	refused("https://sn.example.com/launch?ticket=INC0012345%C2%9B", "non-ASCII");
	refused("https://sn.example.com/launch?ticket=", "empty");
	refused("https://sn.example.com/launch?ticket=INC0012345%26email%3Dx", NULL);
}

Test(ticket, launch_url_prefill_values)
{
	const char *base = "https://sn.example.com/launch?ticket=INC0012345&";
	const char *bad[] = {
		"customer=42", "customer=cus_", "customer=cus_4-2", "customer=cus_42%27",
		"customer=cus_" "1234567890123456789012345678901234567890123456789012345678901",
		"email=plain", "email=a@b", "email=a@@b.example", "email=.a@b.example",
		"email=a..b@b.example", "email=a@-b.example", "email=a@b.example%0A",
		"email=a%22@b.example", "email=a@b.c", "email=a@b.exa1mple",
		"phone=12", "phone=555-0100%3Bx", "phone=5+55", "phone=%2B1%200000000000000000000000000000000",
		"loyalty_id=LY-1", "loyalty_id=LY%201", "loyalty_id=%E2%80%AE1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char url[512];

		char name[16];

		snprintf(url, sizeof(url), "%s%s", base, bad[i]);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(bad[i], "="), bad[i]);
		refused(url, NULL);
		/* the reason is given after the (possibly cut) quoted URL */
		cr_assert_not_null(strstr(strstr(cause, "\": ") + 3, name), "%s", cause);
	}
}

Test(ticket, long_email_capped)
{
	char url[600], local[70], dom[260];

	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(url, sizeof(url), "https://s.example/launch?ticket=INC0012345&email=%s@b.example",
	         local);
	refused(url, "email");
	memset(dom, 'b', 250);
	dom[250] = '\0';
	snprintf(url, sizeof(url), "https://s.example/launch?ticket=INC0012345&email=a@%s.example",
	         dom);
	refused(url, "email");
}

Test(ticket, single_checks)
{
	cr_assert(kg_ticket_is_number("CHG0000001"));
	cr_assert_not(kg_ticket_is_number(NULL));
	cr_assert(kg_ticket_is_sys_id("ffffffffffffffffffffffffffffffff"));
	cr_assert(kg_ticket_valid_email("x@mail.shop.example"));
	cr_assert(kg_ticket_valid_phone("(555) 010-0000"));
	cr_assert_not(kg_ticket_valid_phone(NULL));
	cr_assert(kg_ticket_valid_loyalty_id("0"));
	cr_assert(kg_ticket_valid_customer_id("cus_Z"));
}
