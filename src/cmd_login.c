/*
 * cmd_login.c - `kigo-tui login [--no-qr]`: the Okta device login on the
 * command line.
 *
 * Prints `URL: ...` and `Code: ...` on lines of their own (plus a QR code
 * of the complete URL and a countdown, on a terminal only), waits on the
 * loop while kg_auth polls, and ends with `Logged in as NAME` or a reason.
 * Exit 0 logged in, 77 denied, 75 code expired, 69 IdP unreachable (TLS
 * failures are said in words).  Never opens a browser, never prints a
 * token; everything from the IdP arrives here already sanitized.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kigo/auth.h"
#include "kigo/cmd.h"
#include "kigo/http.h"
#include "kigo/log.h"
#include "kigo/loop.h"
#include "kigo/qr.h"
#include "kigo/sanitize.h"

struct login_cmd {
	struct kg_loop *loop;
	struct kg_auth *auth;
	bool tty;              /* stdout is a terminal: countdown (and QR) */
	bool qr;               /* draw the QR code */
	bool done;
	bool countdown_shown;  /* a countdown line is on screen (to clear) */
	enum kg_err err;
	char *msg;
	int64_t deadline_ms;
	uint64_t tick;
};

static void countdown_tick(struct kg_loop *loop, void *ud);

static void
countdown_clear(struct login_cmd *lc)
{
	if (lc->countdown_shown) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
		lc->countdown_shown = false;
	}
}

static void
countdown_tick(struct kg_loop *loop, void *ud)
{
	struct login_cmd *lc = ud;
	int64_t left = (lc->deadline_ms - kg_now_ms() + 999) / 1000;

	lc->tick = 0;
	if (left < 0)
		left = 0;
	printf("\r\033[KWaiting for approval in the browser... %lld:%02lld left",
	       (long long)(left / 60), (long long)(left % 60));
	fflush(stdout);
	lc->countdown_shown = true;
	lc->tick = kg_timer_add(loop, 1000, countdown_tick, lc);
}

static void
print_qr(const char *text)
{
	struct kg_qr qr;
	char *cause = NULL;

	if (kg_qr_render(text, 2, 0, &qr, &cause) != KG_ERR_OK) {
		free(cause);
		return;
	}
	for (size_t i = 0; i < qr.n; i++)
		printf("  %s\n", qr.lines[i]);
	kg_qr_clear(&qr);
}

static void
on_code(const struct kg_device_info *info, void *ud)
{
	struct login_cmd *lc = ud;

	printf("Open this page in a browser on any device and enter the code:\n");
	printf("URL: %s\n", info->verification_uri);
	printf("Code: %s\n", info->user_code);
	if (lc->qr && info->verification_uri_complete != NULL) {
		printf("\nOr scan this QR code (it carries the code):\n");
		print_qr(info->verification_uri_complete);
	}
	fflush(stdout);
	lc->deadline_ms = info->expires_at_ms;
	if (lc->tty)
		countdown_tick(lc->loop, lc);
}

static void
on_done(enum kg_err err, const char *msg, void *ud)
{
	struct login_cmd *lc = ud;

	lc->done = true;
	lc->err = err;
	lc->msg = kg_xstrdup(msg);
	if (lc->tick != 0)
		kg_timer_cancel(lc->loop, lc->tick);
	lc->tick = 0;
	countdown_clear(lc);
}

static bool
is_done(void *ud)
{
	struct login_cmd *lc = ud;

	if (kg_sig_take(lc->loop, SIGINT) || kg_sig_take(lc->loop, SIGTERM)) {
		kg_auth_login_cancel(lc->auth);
		on_done(KG_ERR_CANCELLED, "The login was cancelled.", lc);
	}
	return lc->done;
}

/* The contract's exit statuses: an unreachable IdP is 69, a timeout too. */
static int
login_exit(enum kg_err err)
{
	switch (err) {
	case KG_ERR_OK:
		return KG_EXIT_OK;
	case KG_ERR_DENIED:
		return KG_EXIT_NOPERM;
	case KG_ERR_EXPIRED:
	case KG_ERR_CANCELLED:
		return KG_EXIT_TEMPFAIL;
	case KG_ERR_CONFIG:
	case KG_ERR_PERMS:
		return KG_EXIT_CONFIG;
	default:
		return KG_EXIT_UNAVAILABLE;
	}
}

int
kg_cmd_login(const struct kg_cli *cli, const struct kg_config *cfg)
{
	struct login_cmd lc = { 0 };
	struct kg_http_opts ho = { 0 };
	struct kg_http *http = NULL;
	char *cause = NULL, *notice;
	bool noticed = false;
	enum kg_err err;
	int rc;

	/* Without -v only errors become log lines on stderr: this command says
	 * the login's outcome (and every notice) in a line of its own, which a
	 * WARN log line would only repeat. */
	if (kg_log_open(NULL, cli->verbose > 0 ? cli->verbose : -1, &cause) != KG_ERR_OK)
		kg_free(&cause);
	lc.tty = isatty(STDOUT_FILENO) == 1;
	lc.qr = lc.tty && !cli->no_qr;
	lc.loop = kg_loop_new();
	kg_loop_catch(lc.loop, SIGINT);
	kg_loop_catch(lc.loop, SIGTERM);
	ho.ca_bundle = cfg->tls_ca_bundle;
	http = kg_http_new(lc.loop, &ho, &cause);
	if (http == NULL) {
		fprintf(stderr, "kigo-tui: login: %s\n", cause);
		rc = KG_EXIT_SOFTWARE;
		goto out;
	}
	err = kg_auth_new(lc.loop, http, cfg, &lc.auth, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: login: %s\n", cause);
		rc = login_exit(err);
		goto out;
	}
	if ((notice = kg_auth_take_notice(lc.auth)) != NULL) {
		fprintf(stderr, "kigo-tui: %s\n", notice);
		free(notice);
		noticed = true;
	}
	kg_auth_login_start(lc.auth, on_code, on_done, &lc);
	kg_loop_run(lc.loop, is_done, &lc);
	if (lc.err == KG_ERR_OK) {
		const char *email = kg_auth_user_email(lc.auth);
		const char *name = kg_auth_user_name(lc.auth);

		if (email != NULL && name != NULL && strcmp(email, name) != 0)
			printf("Logged in as %s <%s>\n", name, email);
		else
			printf("Logged in as %s\n", name != NULL ? name : "(unknown user)");
		/* A save that failed, or tokens kept in memory only, is said now. */
		if ((notice = kg_auth_take_notice(lc.auth)) != NULL) {
			fprintf(stderr, "kigo-tui: %s\n", notice);
			free(notice);
		} else if (!noticed && strcmp(kg_auth_secrets_kind(lc.auth), "memory") == 0)
			fprintf(stderr, "kigo-tui: the login is kept in memory only and ends with this "
			                "command; set secrets = file (or use a keyring) to keep it.\n");
	} else
		fprintf(stderr, "kigo-tui: login: %s\n", lc.msg);
	rc = login_exit(lc.err);
out:
	if (fflush(stdout) != 0 && rc == KG_EXIT_OK)
		rc = KG_EXIT_IOERR;
	kg_auth_free(&lc.auth);
	kg_http_free(&http);
	kg_loop_free(&lc.loop);
	free(lc.msg);
	free(cause);
	kg_log_close();
	return rc;
}
