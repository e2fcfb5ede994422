/*
 * ui_status.c - the status bar: online/offline, pending sync count, the
 * last error with its request id (or a notice), and key hints generated
 * from the key table.
 */
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Fit an error into cols cells keeping its "(request id X)" tail: the
 * request id is what support needs, so the sentence gives way first.
 */
static char *
fit_error(const char *e, int cols, bool ascii)
{
	const char *rid = strstr(e, "(request id ");
	int rw;
	char *head, *fit, *out;

	if (kg_text_width(e) <= cols || rid == NULL)
		return kg_text_fit(e, cols, ascii ? KG_TEXT_ASCII : 0);
	rw = kg_text_width(rid);
	if (rw + 4 > cols)
		return kg_text_fit(rid, cols, ascii ? KG_TEXT_ASCII : 0);
	head = kg_xstrndup(e, (size_t)(rid - e));
	fit = kg_text_fit(head, cols - rw - 1, ascii ? KG_TEXT_ASCII : 0);
	out = kg_xasprintf("%s %s", fit, rid);
	free(head);
	free(fit);
	return out;
}

static void
status_frame(struct kg_pane *p)
{
	struct kg_ui *ui = p->ui;
	bool online = kg_session_online(ui->s);
	int64_t pend = kg_session_pending_sync(ui->s);
	const char *err = kg_session_last_error(ui->s);
	const char *note = kg_session_notice(ui->s);
	const char *spin = kg_ui_spinner(ui, KG_BUSY_ACTION | KG_BUSY_SYNC);
	const struct kg_key_binding *t;
	char *left, *msg;
	size_t n, i;
	int lw, x;

	left = kg_xasprintf(" %s %s | %lld pending sync%s%s | ", online ? "+" : "!",
	                    online ? "online" : "OFFLINE", (long long)pend, *spin ? " " : "", spin);
	lw = kg_text_width(left);
	kg_ui_put(ui, p->win, 0, 0, left, lw, 0, KG_ROLE_STATUS);
	/* the UI's own notice is newer than the session's last error */
	if (ui->message != NULL) {
		msg = kg_text_fit(ui->message, p->r.w - lw, !ui->utf8 ? KG_TEXT_ASCII : 0);
		kg_ui_put(ui, p->win, 0, lw, msg, p->r.w - lw, KG_TEXT_PAD, KG_ROLE_STATUS);
	} else if (err != NULL) {
		char *e = kg_xasprintf("error: %s", err);

		msg = fit_error(e, p->r.w - lw, !ui->utf8);
		kg_ui_put(ui, p->win, 0, lw, msg, p->r.w - lw, KG_TEXT_PAD, KG_ROLE_BAD);
		free(e);
	} else {
		msg = kg_xstrdup(note ? note : ui->searching ? "type to search, Enter opens, Esc cancels"
		                                             : "");
		kg_ui_put(ui, p->win, 0, lw, msg, p->r.w - lw, KG_TEXT_PAD, KG_ROLE_STATUS);
	}
	free(msg);
	free(left);
	/* hints straight from the key table */
	wmove(p->win, 1, 0);
	wattrset(p->win, ui->attr[KG_ROLE_NORMAL]);
	wclrtoeol(p->win);
	t = kg_keys_table(&n);
	for (i = 0, x = 1; i < n; i++) {
		int need;

		if (t[i].hint == NULL)
			continue;
		need = kg_text_width(t[i].name) + 1 + kg_text_width(t[i].hint) + 1;
		if (x + need > p->r.w)
			break;
		kg_ui_put(ui, p->win, 1, x, t[i].name, need, 0, KG_ROLE_KEY);
		x += kg_text_width(t[i].name);
		kg_ui_put(ui, p->win, 1, x, ":", 1, 0, KG_ROLE_DIM);
		kg_ui_put(ui, p->win, 1, x + 1, t[i].hint, need, 0, KG_ROLE_NORMAL);
		x += 1 + kg_text_width(t[i].hint) + 1;
	}
}

const struct kg_pane_ops kg_pane_status = {
	.name = "status",
	.id = KG_PANE_STATUS,
	.focusable = false,
	.changes = KG_CHG_STATUS | KG_CHG_ACTIVITY,
	.busy = KG_BUSY_ACTION | KG_BUSY_SYNC,
	.header_rows = 2,
	.draw_frame = status_frame,
};
