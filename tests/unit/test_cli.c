/*
 * test_cli.c - the command line parser: every command and option, options
 * before and after the command, and every usage error (one line, safe).
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kigo/cli.h"

static struct kg_cli cli;
static char *cause;

static void
fini(void)
{
	free(cause);
	cause = NULL;
}

TestSuite(cli, .fini = fini);

/* Parse a NULL-terminated list of arguments (argv[0] is added). */
static enum kg_err
run(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	free(cause);
	cause = NULL;
	argv[argc++] = (char *)"kigo-tui";
	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return kg_cli_parse(argc, argv, &cli, &cause);
}

#define OK(...) cr_assert_eq(run(__VA_ARGS__, NULL), KG_ERR_OK, "%s", cause ? cause : "")

/* A usage error whose one-line message holds `what`. */
#define USAGE(what, ...)                                                                  \
	do {                                                                              \
		cr_assert_eq(run(__VA_ARGS__, NULL), KG_ERR_USAGE);                       \
		cr_assert_not_null(cause);                                                \
		cr_assert_not_null(strstr(cause, what), "cause \"%s\" lacks \"%s\"", cause, \
		                   what);                                                 \
		for (const char *p_ = cause; *p_; p_++)                                   \
			cr_assert((unsigned char)*p_ >= 0x20 && (unsigned char)*p_ < 0x7f, \
			          "raw byte in %s", cause);                               \
	} while (0)

Test(cli, ticket_form)
{
	OK("INC0012345");
	cr_assert_eq(cli.cmd, KG_CLI_TUI);
	cr_assert_str_eq(cli.ticket, "INC0012345");
	cr_assert_null(cli.config_path);
	cr_assert_not(cli.offline);
	cr_assert_eq(cli.verbose, 0);
	OK("-c", "/x.conf", "--offline", "-v", "INC0012345");
	cr_assert_str_eq(cli.config_path, "/x.conf");
	cr_assert(cli.offline);
	cr_assert_eq(cli.verbose, 1);
	/* the TICKET is not validated here */
	OK("not^a^ticket");
	cr_assert_str_eq(cli.ticket, "not^a^ticket");
}

Test(cli, options_after_the_ticket)
{
	OK("INC0012345", "--offline", "-vv", "--config=/y.conf");
	cr_assert(cli.offline);
	cr_assert_eq(cli.verbose, 2);
	cr_assert_str_eq(cli.config_path, "/y.conf");
	OK("INC0012345", "-c/z.conf", "--verbose", "-v");
	cr_assert_str_eq(cli.config_path, "/z.conf");
	cr_assert_eq(cli.verbose, 2);
	OK("-vc", "/w.conf", "sync");
	cr_assert_eq(cli.verbose, 1);
	cr_assert_str_eq(cli.config_path, "/w.conf");
}

Test(cli, subcommands)
{
	OK("login");
	cr_assert_eq(cli.cmd, KG_CLI_LOGIN);
	cr_assert_not(cli.no_qr);
	OK("login", "--no-qr");
	cr_assert(cli.no_qr);
	OK("--no-qr", "login");
	cr_assert(cli.no_qr);
	OK("logout");
	cr_assert_eq(cli.cmd, KG_CLI_LOGOUT);
	OK("status");
	cr_assert_eq(cli.cmd, KG_CLI_STATUS);
	cr_assert_not(cli.json);
	OK("-c", "/a.conf", "status", "--json", "-v");
	cr_assert(cli.json);
	cr_assert_eq(cli.verbose, 1);
	OK("sync");
	cr_assert_eq(cli.cmd, KG_CLI_SYNC);
	OK("doctor");
	cr_assert_eq(cli.cmd, KG_CLI_DOCTOR);
	OK("stats");
	cr_assert_eq(cli.cmd, KG_CLI_STATS);
	cr_assert_null(cli.since);
	OK("stats", "--since", "2024-02-29", "--json");
	cr_assert_str_eq(cli.since, "2024-02-29");
	cr_assert(cli.json);
	OK("--since=2024-01-01", "stats");
	cr_assert_str_eq(cli.since, "2024-01-01");
	cr_assert_null(cli.ticket);
}

Test(cli, help_and_version)
{
	OK("--help");
	cr_assert_eq(cli.cmd, KG_CLI_HELP);
	OK("-h");
	cr_assert_eq(cli.cmd, KG_CLI_HELP);
	OK("status", "--help");
	cr_assert_eq(cli.cmd, KG_CLI_HELP);
	/* help wins over a missing or extra argument */
	OK("INC1", "INC2", "--help");
	cr_assert_eq(cli.cmd, KG_CLI_HELP);
	OK("--version");
	cr_assert_eq(cli.cmd, KG_CLI_VERSION);
	OK("--help", "--version");
	cr_assert_eq(cli.cmd, KG_CLI_HELP);
}

Test(cli, double_dash)
{
	OK("--", "-INC0012345");
	cr_assert_eq(cli.cmd, KG_CLI_TUI);
	cr_assert_str_eq(cli.ticket, "-INC0012345");
	OK("-v", "--", "status");
	cr_assert_eq(cli.cmd, KG_CLI_STATUS);
}

Test(cli, missing_argument)
{
	char *argv[] = { (char *)"kigo-tui", NULL };

	cr_assert_eq(kg_cli_parse(1, argv, &cli, &cause), KG_ERR_USAGE);
	cr_assert_not_null(strstr(cause, "missing TICKET"));
	USAGE("missing TICKET", "-v");
	USAGE("missing TICKET", "--offline", "-c", "/x.conf");
}

Test(cli, extra_argument)
{
	USAGE("unexpected argument \"INC2\" after TICKET", "INC1", "INC2");
	USAGE("unexpected argument \"now\" after 'sync'", "sync", "now");
	USAGE("unexpected argument \"INC1\" after 'status'", "status", "INC1");
	USAGE("unexpected argument \"login\" after 'logout'", "logout", "login");
	USAGE("unexpected argument", "INC1", "--", "x");
}

Test(cli, unknown_options)
{
	USAGE("unknown option '--bogus'", "--bogus", "INC1");
	USAGE("unknown option '-x'", "-x", "INC1");
	USAGE("unknown option '-q'", "-vq", "status");
	USAGE("unknown option '--json-x'", "status", "--json-x");
	USAGE("unknown option '--ver'", "--ver");
	USAGE("unknown option '---'", "---");
	USAGE("\\x1B", "--\x1b[2J");
	USAGE("\\xC3", "-\xc3\xa9");
}

Test(cli, option_values)
{
	USAGE("option '-c' needs a value", "INC1", "-c");
	USAGE("option '--config' needs a value", "status", "--config");
	USAGE("option '--config' needs a non-empty value", "--config=", "status");
	USAGE("option '-c' needs a non-empty value", "-c", "", "status");
	USAGE("option '--since' needs a value", "stats", "--since");
	USAGE("takes no value", "--json=yes", "status");
	USAGE("takes no value", "--offline=1", "INC1");
	USAGE("takes no value", "--help=me");
}

Test(cli, since_dates)
{
	USAGE("YYYY-MM-DD", "stats", "--since", "yesterday");
	USAGE("YYYY-MM-DD", "stats", "--since", "2023-02-29");
	USAGE("YYYY-MM-DD", "stats", "--since", "2024-13-01");
	USAGE("YYYY-MM-DD", "stats", "--since", "2024-04-31");
	USAGE("YYYY-MM-DD", "stats", "--since", "2024-4-1");
	USAGE("YYYY-MM-DD", "stats", "--since", "2024-04-01T00");
	USAGE("YYYY-MM-DD", "stats", "--since", "1969-12-31");
	OK("stats", "--since", "2000-02-29");
}

Test(cli, options_bound_to_commands)
{
	USAGE("'--offline' does not apply to 'login'", "login", "--offline");
	USAGE("'--no-qr' does not apply to 'status'", "status", "--no-qr");
	USAGE("'--json' does not apply to 'sync'", "--json", "sync");
	USAGE("'--since' does not apply to 'status'", "status", "--since", "2024-01-01");
	USAGE("'--json' needs a command", "INC1", "--json");
	USAGE("'--no-qr' needs a command", "--no-qr", "INC1");
}

Test(cli, quote)
{
	char *q = kg_cli_quote("a\x1b[2J\\b\xff", 100);

	cr_assert_str_eq(q, "a\\x1B[2J\\\\b\\xFF");
	free(q);
	q = kg_cli_quote("abcdef", 3);
	cr_assert_str_eq(q, "abc...");
	free(q);
	q = kg_cli_quote(NULL, 3);
	cr_assert_str_eq(q, "");
	free(q);
}

Test(cli, names_and_texts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_str_eq(kg_cli_cmd_name(KG_CLI_LOGIN), "login");
	cr_assert_str_eq(kg_cli_cmd_name(KG_CLI_STATS), "stats");
	kg_cli_help(fp);
	kg_cli_version(fp);
	fclose(fp);
	/* the help names every command and option */
	const char *words[] = { "login", "--no-qr", "logout", "status", "--json", "sync",
		                "doctor", "stats", "--since", "-c, --config", "--offline",
		                "-v, --verbose", "--help", "--version", "TICKET", "kigo-tui " };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		cr_assert_not_null(strstr(buf, words[i]), "help lacks %s", words[i]);
	free(buf);
}
