/*
 * cmd_logout.c - `kigo-tui logout`: revoke the tokens at the IdP when it
 * offers revocation, then forget them here (keyring, file and memory).
 *
 * The local copy is forgotten whatever the IdP says; a revocation that
 * failed is reported (exit 69) so a script notices tokens that may still
 * be valid.  Never prints a token.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "kigo/auth.h"
#include "kigo/cmd.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"

struct logout_cmd {
	bool done;
	enum kg_err err;
	char *msg;
};

static void
on_done(enum kg_err err, const char *msg, void *ud)
{
	struct logout_cmd *lc = ud;

	lc->done = true;
	lc->err = err;
	lc->msg = kg_xstrdup(msg);
}

static bool
is_done(void *ud)
{
	return ((struct logout_cmd *)ud)->done;
}

int
kg_cmd_logout(const struct kg_cli *cli, const struct kg_config *cfg)
{
	struct logout_cmd lc = { 0 };
	struct kg_http_opts ho = { 0 };
	struct kg_loop *loop = kg_loop_new();
	struct kg_http *http = NULL;
	struct kg_auth *auth = NULL;
	char *cause = NULL, *notice;
	bool was_in;
	enum kg_err err;
	int rc;

	if (kg_log_open(NULL, cli->verbose, &cause) != KG_ERR_OK)
		kg_free(&cause);
	ho.ca_bundle = cfg->tls_ca_bundle;
	ho.timeout_ms = 15000;
	http = kg_http_new(loop, &ho, &cause);
	if (http == NULL) {
		fprintf(stderr, "kigo-tui: logout: %s\n", cause);
		rc = KG_EXIT_SOFTWARE;
		goto out;
	}
	err = kg_auth_new(loop, http, cfg, &auth, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: logout: %s\n", cause);
		rc = kg_err_exit(err);
		goto out;
	}
	if ((notice = kg_auth_take_notice(auth)) != NULL) {
		fprintf(stderr, "kigo-tui: %s\n", notice);
		free(notice);
	}
	was_in = kg_auth_logged_in(auth);
	kg_auth_logout(auth, on_done, &lc);
	kg_loop_run(loop, is_done, &lc);
	if (lc.err == KG_ERR_OK) {
		puts(was_in ? "Logged out." : "Not logged in; nothing to forget.");
		rc = KG_EXIT_OK;
	} else {
		fprintf(stderr, "kigo-tui: logout: %s\n", lc.msg);
		rc = KG_EXIT_UNAVAILABLE;
	}
out:
	if (fflush(stdout) != 0 && rc == KG_EXIT_OK)
		rc = KG_EXIT_IOERR;
	kg_auth_free(&auth);
	kg_http_free(&http);
	kg_loop_free(&loop);
	free(lc.msg);
	free(cause);
	kg_log_close();
	return rc;
}
