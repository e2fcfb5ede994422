/*
 * ui_login.c - the Okta device login as a screen of its own inside the
 * client: where to go, the user code in large spaced letters, a countdown,
 * and a QR code of the complete verification URL when the terminal speaks
 * UTF-8 and there is room.
 *
 * The panes stay as they were underneath; when the login ends the whole
 * screen is repainted and the agent is back where they were.  Never shows
 * a token; the user code is meant to be read and typed.
 */
#include "kigo/buf.h"
#include "kigo/qr.h"
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "WDJB-MJHT" as "W D J B  -  M J H T". */
static char *
spaced(const char *code)
{
	struct kg_buf b;
	const char *p;

	kg_buf_init(&b, 0);
	for (p = code; p != NULL && *p; p++) {
		if (p != code)
			(void)kg_buf_puts(&b, *p == '-' || p[-1] == '-' ? "  " : " ");
		(void)kg_buf_append(&b, p, 1);
	}
	return b.data ? kg_buf_steal(&b) : kg_xstrdup("");
}

void
kg_login_draw(struct kg_ui *ui)
{
	struct kg_login_view lv;
	WINDOW *w = stdscr;
	int cols = ui->L.cols, rows = ui->L.rows, y = 3, tw, qx = -1;
	struct kg_qr qr = { 0 };
	const char *spin = kg_ui_spinner(ui, KG_BUSY_LOGIN);
	char *code, *line;
	size_t i;

	kg_session_login_view(ui->s, &lv);
	werase(w);
	kg_ui_put(ui, w, 0, 0, " Sign in with Okta to continue", cols, KG_TEXT_PAD, KG_ROLE_BANNER);
	/* the QR code goes on the right when it fits beside 44 columns of text */
	if (ui->utf8 && lv.phase == KG_LOGIN_WAITING && !kg_str_empty(lv.verification_uri_complete) &&
	    kg_qr_render(lv.verification_uri_complete, 2, 0, &qr, NULL) == KG_ERR_OK) {
		if (qr.width + 46 > cols || (int)qr.n + 3 > rows)
			kg_qr_clear(&qr);
		else
			qx = cols - qr.width - 1;
	}
	tw = qx > 0 ? qx - 3 : cols - 4;
	switch (lv.phase) {
	case KG_LOGIN_NONE:
	case KG_LOGIN_STARTING:
		line = kg_xasprintf("Contacting Okta %s", spin);
		kg_ui_put(ui, w, y, 2, line, tw, 0, KG_ROLE_NORMAL);
		free(line);
		break;
	case KG_LOGIN_WAITING: {
		int64_t left = (lv.expires_at_ms - kg_now_ms()) / 1000;
		char **lines = NULL;
		size_t n;

		kg_ui_put(ui, w, y++, 2, "1. On any device, open:", tw, 0, KG_ROLE_NORMAL);
		n = kg_text_wrap(lv.verification_uri ? lv.verification_uri : "", tw - 3, &lines);
		for (i = 0; i < n; i++)
			kg_ui_put(ui, w, y++, 5, lines[i], tw - 3, 0, KG_ROLE_KEY);
		kg_text_lines_free(&lines, n);
		y++;
		kg_ui_put(ui, w, y++, 2, "2. Enter this code:", tw, 0, KG_ROLE_NORMAL);
		y++;
		code = spaced(lv.user_code);
		line = kg_xasprintf("   %s   ", code);
		kg_ui_put(ui, w, y++, 5, line, tw - 3, 0, KG_ROLE_TITLE_FOCUS);
		free(line);
		free(code);
		y++;
		if (left < 0)
			left = 0;
		line = kg_xasprintf("The code expires in %lld:%02lld.", (long long)(left / 60),
		                    (long long)(left % 60));
		kg_ui_put(ui, w, y++, 2, line, tw, 0, left < 60 ? KG_ROLE_WARN : KG_ROLE_NORMAL);
		free(line);
		line = kg_xasprintf("Waiting for you to approve %s", spin);
		kg_ui_put(ui, w, y++, 2, line, tw, 0, KG_ROLE_DIM);
		free(line);
		if (qr.n > 0) {
			y++;
			kg_ui_put(ui, w, y++, 2, "Or scan the code on the right.", tw, 0, KG_ROLE_DIM);
		}
		break;
	}
	case KG_LOGIN_FAILED:
		kg_ui_put(ui, w, y++, 2, "The login did not complete.", tw, 0, KG_ROLE_BAD);
		break;
	}
	if (lv.message != NULL) {
		char **lines = NULL;
		size_t n = kg_text_wrap(lv.message, tw, &lines);

		y++;
		for (i = 0; i < n && y < rows - 2; i++)
			kg_ui_put(ui, w, y++, 2, lines[i], tw, 0,
			          lv.phase == KG_LOGIN_FAILED ? KG_ROLE_BAD : KG_ROLE_NORMAL);
		kg_text_lines_free(&lines, n);
	}
	kg_ui_put(ui, w, rows - 1, 0,
	          lv.phase == KG_LOGIN_FAILED ? " Enter: try again   Esc: cancel"
	                                      : " Esc: cancel the login",
	          cols, KG_TEXT_PAD, KG_ROLE_STATUS);
	if (qr.n > 0) {
		/* light modules are blocks: white on black (when there is colour)
		 * so it scans on light terminals too */
		for (i = 0; i < qr.n; i++)
			kg_ui_put(ui, w, 2 + (int)i, qx, qr.lines[i], qr.width, 0, KG_ROLE_QR);
		kg_qr_clear(&qr);
	}
	wnoutrefresh(w);
}

enum kg_ui_next
kg_login_key(struct kg_ui *ui, int key)
{
	struct kg_login_view lv;

	kg_session_login_view(ui->s, &lv);
	if (key == KG_KEY_ESC || key == 'q') {
		kg_session_login_cancel(ui->s);
		ui->login_dirty = true;
		return KG_NEXT_REPAINT;
	}
	if ((key == '\n' || key == '\r' || key == 'r') && lv.phase == KG_LOGIN_FAILED) {
		kg_session_login_start(ui->s);
		ui->login_dirty = true;
		return KG_NEXT_REPAINT;
	}
	return KG_NEXT_NONE;
}
