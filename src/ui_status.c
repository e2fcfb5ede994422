/*
 * ui_status.c - the status bar: online/offline, pending sync count, the
 * last error with its request id (or a notice), and key hints generated
 * from the key table.  An error too long for its row takes the hints row
 * too; the help overlay (?) shows it whole.
 */
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The last "(request id X)" in e, or NULL. */
static const char *
rid_of(const char *e)
{
	const char *r = NULL;

	for (const char *p = e; (p = strstr(p, "(request id ")) != NULL; p++)
		r = p;
	return r;
}

/*
 * Fit an error into cols cells keeping its "(request id X)" tail: the
 * request id is what support needs, so the sentence gives way first (its
 * start stays, an ellipsis marks the cut).
 */
static char *
fit_error(const char *e, int cols, bool ascii)
{
	const char *rid = rid_of(e);
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

/* Bytes of s that fill one row of cols cells, cut after a word when one
 * ends in the second half of the row. */
static size_t
row_cut(const char *s, int cols)
{
	int w = 0;
	size_t n = kg_text_prefix(s, cols, &w);

	if (s[n] == '\0')
		return n;
	for (size_t i = n; i > n / 2; i--)
		if (s[i] == ' ')
			return i;
	return n;
}

/* The key hints, straight from the key table, on row y. */
static void
draw_hints(struct kg_pane *p, int y)
{
	struct kg_ui *ui = p->ui;
	const struct kg_key_binding *t;
	size_t n, i;
	int x;

	t = kg_keys_table(&n);
	for (i = 0, x = 1; i < n; i++) {
		int need;

		if (t[i].hint == NULL)
			continue;
		need = kg_text_width(t[i].name) + 1 + kg_text_width(t[i].hint) + 1;
		if (x + need > p->r.w)
			break;
		kg_ui_put(ui, p->win, y, x, t[i].name, need, 0, KG_ROLE_KEY);
		x += kg_text_width(t[i].name);
		kg_ui_put(ui, p->win, y, x + 0, ":", 1, 0, KG_ROLE_DIM);
		kg_ui_put(ui, p->win, y, x + 1, t[i].hint, need, 0, KG_ROLE_NORMAL);
		x += 1 + kg_text_width(t[i].hint) + 1;
	}
}

#define MORE_KEY "?"
#define MORE_TEXT " shows all"

/*
 * A message too long for the first row goes on over the hints row (? lists
 * the keys anyway): its start on row 0, the rest on row 1, and when even
 * that is too long the rest's middle is elided, the request id kept, and
 * "? shows all" says where the whole text is (the help overlay).
 * False when the error fits the first row alone.
 */
static bool
draw_long_error(struct kg_pane *p, const char *e, int lw, enum kg_role role)
{
	struct kg_ui *ui = p->ui;
	int w0 = p->r.w - lw, w1 = p->r.w - 2, mw;
	bool ascii = !ui->utf8;
	size_t cut;
	const char *rest;
	char *first, *second;

	if (kg_text_width(e) <= w0 || w0 < 10 || w1 < 40)
		return false;
	cut = row_cut(e, w0);
	first = kg_xstrndup(e, cut);
	for (rest = e + cut; *rest == ' '; rest++)
		;
	kg_ui_put(ui, p->win, 0, lw, first, w0, KG_TEXT_PAD, role);
	if (kg_text_width(rest) <= w1) {
		second = kg_xstrdup(rest);
		mw = 0;
	} else {
		mw = kg_text_width(MORE_KEY MORE_TEXT) + 2;
		second = fit_error(rest, w1 - mw, ascii);
	}
	kg_ui_put(ui, p->win, 1, 1, second, w1, KG_TEXT_PAD, role);
	if (mw > 0) {
		int x = 1 + w1 - mw + 2;

		kg_ui_put(ui, p->win, 1, x, MORE_KEY, 1, 0, KG_ROLE_KEY);
		kg_ui_put(ui, p->win, 1, x + 1, MORE_TEXT, mw - 3, 0, KG_ROLE_NORMAL);
	}
	free(first);
	free(second);
	return true;
}

static void
status_frame(struct kg_pane *p)
{
	struct kg_ui *ui = p->ui;
	bool online = kg_session_online(ui->s);
	int64_t pend = kg_session_pending_sync(ui->s);
	const char *err = kg_session_last_error(ui->s);
	const char *note = kg_session_notice(ui->s);
	const char *spin = kg_ui_spinner(ui, KG_BUSY_ACTION | KG_BUSY_SYNC | KG_BUSY_KEYRING);
	char *left, *msg = NULL;
	bool hints = true;
	int lw;

	left = kg_xasprintf(" %s %s | %lld pending sync%s%s | ", online ? "+" : "!",
	                    online ? "online" : "OFFLINE", (long long)pend, *spin ? " " : "", spin);
	lw = kg_text_width(left);
	kg_ui_put(ui, p->win, 0, 0, left, lw, 0, KG_ROLE_STATUS);
	wmove(p->win, 1, 0);
	wattrset(p->win, ui->attr[KG_ROLE_NORMAL]);
	wclrtoeol(p->win);
	/* the UI's own notice is newer than the session's last error */
	if (ui->message != NULL) {
		if (draw_long_error(p, ui->message, lw, KG_ROLE_STATUS)) {
			hints = false;
		} else {
			msg = kg_text_fit(ui->message, p->r.w - lw, !ui->utf8 ? KG_TEXT_ASCII : 0);
			kg_ui_put(ui, p->win, 0, lw, msg, p->r.w - lw, KG_TEXT_PAD, KG_ROLE_STATUS);
		}
	} else if (err != NULL) {
		char *e = kg_xasprintf("error: %s", err);

		if (draw_long_error(p, e, lw, KG_ROLE_BAD)) {
			hints = false;
		} else {
			msg = fit_error(e, p->r.w - lw, !ui->utf8);
			kg_ui_put(ui, p->win, 0, lw, msg, p->r.w - lw, KG_TEXT_PAD, KG_ROLE_BAD);
		}
		free(e);
	} else {
		msg = kg_xstrdup(note ? note : ui->searching ? "type to search, Enter opens, Esc cancels"
		                                             : "");
		kg_ui_put(ui, p->win, 0, lw, msg, p->r.w - lw, KG_TEXT_PAD, KG_ROLE_STATUS);
	}
	free(msg);
	free(left);
	if (hints)
		draw_hints(p, 1);
}

const struct kg_pane_ops kg_pane_status = {
	.name = "status",
	.id = KG_PANE_STATUS,
	.focusable = false,
	.changes = KG_CHG_STATUS | KG_CHG_ACTIVITY,
	.busy = KG_BUSY_ACTION | KG_BUSY_SYNC | KG_BUSY_KEYRING,
	.header_rows = 2,
	.draw_frame = status_frame,
};
