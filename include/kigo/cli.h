/*
 * cli.h - the command line of the interface contract, parsed purely.
 *
 *   kigo-tui [-c FILE] [--offline] [-v] TICKET
 *   kigo-tui [-c FILE] login [--no-qr] | logout | status [--json] | sync |
 *            doctor | stats [--since DATE] [--json]
 *   kigo-tui --help | --version
 *
 * Options may come before or after the subcommand (as gh allows).  Parsing
 * reads nothing but argv: usage errors are found before any configuration.
 */
#ifndef KIGO_CLI_H
#define KIGO_CLI_H

#include <stdio.h>

#include "kigo/common.h"

enum kg_cli_cmd {
	KG_CLI_TUI,      /* kigo-tui TICKET: the full-screen client */
	KG_CLI_LOGIN,
	KG_CLI_LOGOUT,
	KG_CLI_STATUS,
	KG_CLI_SYNC,
	KG_CLI_DOCTOR,
	KG_CLI_STATS,
	KG_CLI_HELP,     /* --help (wins over everything but an unknown option) */
	KG_CLI_VERSION,  /* --version */
};

/* Every string points into argv: nothing to free. */
struct kg_cli {
	enum kg_cli_cmd cmd;
	const char *config_path; /* -c FILE / --config FILE, NULL when not given */
	bool offline;            /* --offline (TUI only) */
	int verbose;             /* number of -v */
	const char *ticket;      /* TUI: the TICKET argument, not yet validated */
	bool no_qr;              /* login --no-qr */
	bool json;               /* status --json, stats --json */
	const char *since;       /* stats --since DATE, checked to be YYYY-MM-DD */
};

/*
 * Parse argv.  On a usage error returns KG_ERR_USAGE with a one-line *cause
 * (caller frees) that never holds a raw control character; print it as
 * "kigo-tui: CAUSE" followed by KG_CLI_TRY.
 */
enum kg_err kg_cli_parse(int argc, char **argv, struct kg_cli *out, char **cause);

#define KG_CLI_TRY "Try 'kigo-tui --help' for more information."

/* Subcommand name ("login"...), "tui", "help" or "version". */
const char *kg_cli_cmd_name(enum kg_cli_cmd cmd);
/* The --help text. */
void kg_cli_help(FILE *fp);
/* The --version text (program and library versions). */
void kg_cli_version(FILE *fp);

/*
 * Quote untrusted text for a one-line message: printable ASCII is kept,
 * every other byte becomes \xNN and a backslash becomes \\; longer than max
 * bytes of input is cut and "..." appended.  Caller frees.
 */
char *kg_cli_quote(const char *s, size_t max);

#endif
