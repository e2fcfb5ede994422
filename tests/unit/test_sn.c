/*
 * test_sn.c - the pure parts of the ServiceNow client: what counts as a
 * ticket number, sys_id or name (the gate before any encoded query), the
 * record link, and the OSC 8 hyperlink.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kigo/config.h"
#include "kigo/sn.h"

#define SYS1 "9d385017c611228701d22104cc95c371"

Test(sn, number_valid)
{
	const char *good[] = {"INC0012345", "ritm0001234", "CHG0000", "ABCDEFGH123456789012",
	                      "Inc0010001"};
	const char *bad[] = {NULL, "", "I0012345", "INC001", "INC0012345^NQactive=true",
	                     "INC0012345 ", " INC0012345", "INC-0012345", "ABCDEFGHI1234",
	                     "INC1234567890123", "0012345", "INC", "INC0012345\n", "INC00123a5",
	                     "INC\xc3\xa9" "0012345", "INC%5E0012345"};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert(kg_sn_number_valid(good[i]), "%s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(kg_sn_number_valid(bad[i]), "%s", bad[i] ? bad[i] : "(null)");
}

Test(sn, sys_id_and_name_valid)
{
	cr_assert(kg_sn_sys_id_valid(SYS1));
	cr_assert(kg_sn_sys_id_valid("9D385017C611228701D22104CC95C371"));
	cr_assert_not(kg_sn_sys_id_valid(NULL));
	cr_assert_not(kg_sn_sys_id_valid(SYS1 "0"));
	cr_assert_not(kg_sn_sys_id_valid("9d385017c611228701d22104cc95c37"));
	cr_assert_not(kg_sn_sys_id_valid("9d385017c611228701d22104cc95c37g"));
	cr_assert(kg_sn_name_valid("incident"));
	cr_assert(kg_sn_name_valid("u_loyalty_case2"));
	cr_assert(kg_sn_name_valid("work_notes"));
	cr_assert_not(kg_sn_name_valid("Incident"));
	cr_assert_not(kg_sn_name_valid("_x"));
	cr_assert_not(kg_sn_name_valid("inc/../x"));
	cr_assert_not(kg_sn_name_valid("a^b"));
	cr_assert_not(kg_sn_name_valid(""));
}

Test(sn, record_and_ticket_url)
{
	struct kg_config cfg = {0};
	struct kg_ticket t = {0};
	char *u;

	u = kg_sn_record_url("https://acme.service-now.com/", "incident", SYS1);
	cr_assert_str_eq(u, "https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id=" SYS1);
	free(u);
	cr_assert_null(kg_sn_record_url("https://x", "incident", "nope"));
	cr_assert_null(kg_sn_record_url("https://x", "inc?x=1", SYS1));
	cr_assert_null(kg_sn_record_url(NULL, "incident", SYS1));

	cfg.sn_instance_url = (char *)"https://acme.service-now.com";
	cfg.sn_table = (char *)"incident";
	t.sys_id = (char *)SYS1;
	u = kg_sn_ticket_url(&cfg, &t);
	cr_assert_str_eq(u, "https://acme.service-now.com/nav_to.do?uri=incident.do?sys_id=" SYS1);
	free(u);
	t.table = (char *)"sc_req_item";
	u = kg_sn_ticket_url(&cfg, &t);
	cr_assert_str_eq(u, "https://acme.service-now.com/nav_to.do?uri=sc_req_item.do?sys_id=" SYS1);
	free(u);
	t.sys_id = NULL;
	cr_assert_null(kg_sn_ticket_url(&cfg, &t));
}

Test(sn, hyperlink)
{
	char *s = kg_sn_hyperlink("https://x/nav_to.do?uri=incident.do?sys_id=1", "INC0012345");

	cr_assert_str_eq(s, "\033]8;;https://x/nav_to.do?uri=incident.do?sys_id=1\033\\INC0012345"
	                    "\033]8;;\033\\");
	free(s);
	s = kg_sn_hyperlink("https://x", NULL);
	cr_assert_str_eq(s, "\033]8;;https://x\033\\https://x\033]8;;\033\\");
	free(s);
}

Test(sn, hyperlink_ok_needs_tty_and_no_tmux)
{
	int master, slave;

	unsetenv("TMUX");
	setenv("TERM", "xterm-256color", 1);
	cr_assert_not(kg_sn_hyperlink_ok(-1));
	master = posix_openpt(O_RDWR | O_NOCTTY);
	cr_assert_geq(master, 0);
	cr_assert_eq(grantpt(master), 0);
	cr_assert_eq(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	cr_assert_geq(slave, 0);
	cr_assert(kg_sn_hyperlink_ok(slave));
	/* tmux 3.3 drops OSC 8: plain URL only */
	setenv("TMUX", "/tmp/tmux-1000/default,1,0", 1);
	cr_assert_not(kg_sn_hyperlink_ok(slave));
	unsetenv("TMUX");
	setenv("TERM", "dumb", 1);
	cr_assert_not(kg_sn_hyperlink_ok(slave));
	close(slave);
	close(master);
}
