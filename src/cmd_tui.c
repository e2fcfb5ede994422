/*
 * cmd_tui.c - `kigo-tui TICKET`: the full-screen client.
 *
 * Creates the loop, the session and the screen, runs passes until the
 * agent quits or returns to ServiceNow, closes the screen, and only then
 * prints: the ticket's link (plain, and as an OSC 8 hyperlink where the
 * terminal is known to take it, never under tmux or screen), or a warning
 * that actions are still queued.  Everything printed is sanitized.
 */
#include "kigo/cmd.h"

#include "kigo/loop.h"
#include "kigo/sanitize.h"
#include "kigo/session.h"
#include "kigo/ui.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
on_tty(struct kg_loop *loop, int fd, short revents, void *ud)
{
	/* the pass reads the keys; this only wakes the loop */
	(void)loop, (void)fd, (void)revents, (void)ud;
}

/* OSC 8 only where it is known to be understood and not mangled. */
static bool
osc8_ok(const char *url)
{
	const char *term = getenv("TERM");
	const unsigned char *p;

	if (!isatty(STDOUT_FILENO) || getenv("TMUX") != NULL || getenv("STY") != NULL ||
	    term == NULL)
		return false;
	if (strncmp(term, "screen", 6) == 0 || strncmp(term, "tmux", 4) == 0 ||
	    strncmp(term, "vt", 2) == 0 || strcmp(term, "linux") == 0 || strcmp(term, "dumb") == 0)
		return false;
	for (p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static void
print_link(const char *number, const char *raw)
{
	char *url = kg_sanitize_str(raw);
	char *num = kg_sanitize_str(number);

	if (osc8_ok(url))
		printf("%s%s\033]8;;%s\033\\%s\033]8;;\033\\\n", num, *num ? ": " : "", url, url);
	else
		printf("%s%s%s\n", num, *num ? ": " : "", url);
	fflush(stdout);
	free(url);
	free(num);
}

static enum kg_ui_color_mode
color_mode(const struct kg_config *cfg)
{
	switch (cfg->color) {
	case KG_COLOR_ALWAYS: return KG_UI_COLOR_ALWAYS;
	case KG_COLOR_NEVER: return KG_UI_COLOR_NEVER;
	default: return KG_UI_COLOR_AUTO;
	}
}

int
kg_cmd_tui(const struct kg_cli *cli, const struct kg_config *cfg, const struct kg_ticket_ref *t)
{
	static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
	struct kg_session_launch launch = {
		.number = t->number,
		.sys_id = t->sys_id,
		.customer = t->customer,
		.email = t->email,
		.phone = t->phone,
		.loyalty_id = t->loyalty_id,
		.offline = cli->offline,
	};
	struct kg_ui_opts opts = { .color = color_mode(cfg) };
	struct kg_loop *loop = kg_loop_new();
	struct kg_session *s = NULL;
	struct kg_ui *ui = NULL;
	enum kg_ui_exit how = KG_UI_QUIT;
	char *cause = NULL, *url;
	enum kg_err err;
	size_t i, unsynced;
	bool stopped = false;
	int rc = KG_EXIT_OK;

	err = kg_session_new(loop, cfg, &launch, &s, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: %s\n", cause ? cause : kg_err_str(err));
		rc = kg_err_exit(err);
		goto out;
	}
	for (i = 0; i < KG_ARRAY_LEN(stop_signals); i++)
		kg_loop_catch(loop, stop_signals[i]);
	err = kg_ui_new(loop, s, &opts, &ui, &cause);
	if (err != KG_ERR_OK) {
		fprintf(stderr, "kigo-tui: %s\n", cause ? cause : kg_err_str(err));
		rc = kg_err_exit(err);
		goto out;
	}
	kg_loop_watch(loop, STDIN_FILENO, POLLIN, on_tty, NULL);
	while (kg_ui_state(ui) == KG_UI_RUNNING && !kg_loop_quitting(loop)) {
		kg_loop_once(loop, -1);
		for (i = 0; i < KG_ARRAY_LEN(stop_signals); i++)
			if (kg_sig_take(loop, stop_signals[i]))
				stopped = true;
		if (stopped)
			break;
		kg_ui_pass(ui);
	}
	how = kg_ui_state(ui);
	kg_loop_unwatch(loop, STDIN_FILENO);
	/* the screen goes first: nothing may be printed over it */
	kg_ui_free(&ui);

	unsynced = kg_session_unsynced(s);
	if (how == KG_UI_RETURNED) {
		const struct kg_ticket *tk = kg_session_ticket(s);

		url = kg_session_ticket_url(s);
		if (url != NULL)
			print_link(tk && tk->number ? tk->number : "", url);
		free(url);
	}
	if (unsynced > 0) {
		const struct kg_ticket *tk = kg_session_ticket(s);
		char *num = kg_sanitize_str(tk && tk->number ? tk->number : t->number);

		fprintf(stderr,
		        "kigo-tui: %zu action%s from this session %s not in ServiceNow yet; %s queued.\n"
		        "kigo-tui: to send %s, open %s again and press R, or run `kigo-tui sync`.\n",
		        unsynced, unsynced == 1 ? "" : "s", unsynced == 1 ? "is" : "are",
		        unsynced == 1 ? "it stays" : "they stay", unsynced == 1 ? "it" : "them",
		        *num ? num : "the ticket");
		if (kg_session_unknown_actions(s) > 0)
			fprintf(stderr, "kigo-tui: %zu of them had no readable answer from Kigo: opening "
			                "%s again asks Kigo once more (the same idempotency key, so it "
			                "is never applied twice).\n",
			        kg_session_unknown_actions(s), *num ? num : "the ticket");
		free(num);
	}
	/* kg_session_free gives a save to a slow keyring a moment: say why */
	if (kg_session_keyring_pending(s) > 0)
		fprintf(stderr, "kigo-tui: saving the renewed login to the keyring...\n");
	if (stopped)
		rc = KG_EXIT_TEMPFAIL;
out:
	kg_ui_free(&ui);
	kg_session_free(&s);
	kg_loop_free(&loop);
	free(cause);
	return rc;
}
