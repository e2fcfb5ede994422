/*
 * main.c - entry point: command line, TICKET, configuration, dispatch.
 *
 * The order is part of the contract: a usage error (64) is reported before
 * anything is read, a bad TICKET (65) before the configuration, and a bad
 * configuration (78) before any network work.  Each command lives in its
 * own src/cmd_NAME.c and returns the exit status.
 */
#include <curl/curl.h>
#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kigo/cli.h"
#include "kigo/cmd.h"
#include "kigo/common.h"
#include "kigo/config.h"
#include "kigo/log.h"
#include "kigo/ticket.h"

static int
dispatch(const struct kg_cli *cli, const struct kg_config *cfg, const struct kg_ticket_ref *t)
{
	switch (cli->cmd) {
	case KG_CLI_TUI:
		return kg_cmd_tui(cli, cfg, t);
	case KG_CLI_LOGIN:
		return kg_cmd_login(cli, cfg);
	case KG_CLI_LOGOUT:
		return kg_cmd_logout(cli, cfg);
	case KG_CLI_STATUS:
		return kg_cmd_status(cli, cfg);
	case KG_CLI_SYNC:
		return kg_cmd_sync(cli, cfg);
	case KG_CLI_DOCTOR:
		return kg_cmd_doctor(cli, cfg);
	case KG_CLI_STATS:
		return kg_cmd_stats(cli, cfg);
	case KG_CLI_HELP:
	case KG_CLI_VERSION:
		break;
	}
	return KG_EXIT_SOFTWARE;
}

/* stderr for the line commands, a private file in state_dir for the screen. */
static enum kg_err
open_log(const struct kg_cli *cli, const struct kg_config *cfg, char **cause)
{
	char *path;
	enum kg_err err;

	if (cli->cmd != KG_CLI_TUI)
		return kg_log_open(NULL, cli->verbose, cause);
	/* the store checks the folder's modes when it opens; create it the same way */
	if (g_mkdir_with_parents(cfg->state_dir, 0700) != 0) {
		kg_set_cause(cause, "cannot create the state folder %s: %s; create it with "
		             "mkdir -m 700 or set [storage] state_dir", cfg->state_dir,
		             strerror(errno));
		return KG_ERR_IO;
	}
	path = kg_xasprintf("%s/kigo-tui.log", cfg->state_dir);
	err = kg_log_open(path, cli->verbose, cause);
	free(path);
	return err;
}

int
main(int argc, char **argv)
{
	struct kg_cli cli;
	struct kg_ticket_ref ticket = { 0 };
	struct kg_config cfg = { 0 };
	char *cause = NULL;
	enum kg_err err;
	int rc;

	setlocale(LC_CTYPE, "");
	/* libcurl runs with NOSIGNAL: a peer closing mid-write must be an error, not a death */
	signal(SIGPIPE, SIG_IGN);
	err = kg_cli_parse(argc, argv, &cli, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: %s\n%s\n", cause, KG_CLI_TRY);
		rc = kg_err_exit(err);
		goto out;
	}
	if (cli.cmd == KG_CLI_HELP || cli.cmd == KG_CLI_VERSION) {
		if (cli.cmd == KG_CLI_HELP)
			kg_cli_help(stdout);
		else
			kg_cli_version(stdout);
		rc = fflush(stdout) == 0 ? KG_EXIT_OK : KG_EXIT_IOERR;
		goto out;
	}
	if (cli.cmd == KG_CLI_TUI) {
		err = kg_ticket_parse(cli.ticket, &ticket, &cause);
		if (err != KG_ERR_OK) {
			fprintf(stderr, "kigo-tui: %s\n", cause);
			rc = kg_err_exit(err);
			goto out;
		}
	}
	err = kg_config_load(&cfg, cli.config_path, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: %s\nSee kigo-tui.conf(5) for the options and their "
		        "values.\n", cause);
		rc = kg_err_exit(err);
		goto out;
	}
	/*
	 * The log goes to stderr for the line commands; the full-screen client
	 * owns the terminal, so it logs to state_dir/kigo-tui.log instead.
	 */
	err = open_log(&cli, &cfg, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: %s\n", cause);
		rc = kg_err_exit(err);
		goto out;
	}
	kg_log_info("configuration: %s", cfg.path != NULL ? cfg.path : "none found, defaults");
	kg_log_debug("state_dir: %s", cfg.state_dir);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("kigo-tui: libcurl could not be initialised\n", stderr);
		rc = KG_EXIT_SOFTWARE;
		goto out;
	}
	rc = dispatch(&cli, &cfg, &ticket);
	curl_global_cleanup();
out:
	kg_log_close();
	kg_config_clear(&cfg);
	kg_ticket_ref_clear(&ticket);
	free(cause);
	return rc;
}
