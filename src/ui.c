/*
 * ui.c - the full-screen client's screen: curses setup and teardown,
 * colours, the panes' windows, the pass (changes, input, redraw), resize
 * and "terminal too small".
 *
 * One pass does: SIGWINCH -> resizeterm and reflow; session change bits ->
 * panes marked for recalc; keys drained with wget_wch in nodelay mode until
 * ERR; dirty panes repainted (only their dirty rows); one doupdate().  Key
 * handlers only say what must happen next.  Must never block, never print
 * outside curses while the screen is up, and never draw a control byte.
 */
#include "kigo/ui.h"

#include "kigo/buf.h"
#include "kigo/loop.h"
#include "kigo/sanitize.h"
#include "kigo/text.h"
#include "kigo/ui_pane.h"

#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SPIN_MS 120

static const char *const spin_utf8[] = { "\xe2\xa0\x8b", "\xe2\xa0\x99", "\xe2\xa0\xb9",
                                         "\xe2\xa0\xb8", "\xe2\xa0\xbc", "\xe2\xa0\xb4",
                                         "\xe2\xa0\xa6", "\xe2\xa0\xa7", "\xe2\xa0\x87",
                                         "\xe2\xa0\x8f" };
static const char *const spin_ascii[] = { "|", "/", "-", "\\" };

/* Whether curses is up, for the fatal hook (which gets no argument). */
static bool screen_up;

void
kg_ui_emergency_end(void)
{
	if (screen_up) {
		endwin();
		screen_up = false;
	}
}

/* ---------------------------------------------------------------- helpers */

void
kg_ui_put(struct kg_ui *ui, WINDOW *w, int y, int x, const char *s, int cols, int flags,
          enum kg_role role)
{
	char *clean, *fit;

	if (cols <= 0)
		return;
	/* the session sanitizes already; this is defence in depth */
	clean = kg_sanitize(s, s ? strlen(s) : 0, ui->utf8 ? 0 : KG_SAN_ASCII);
	fit = kg_text_fit(clean, cols, flags | (ui->utf8 ? 0 : KG_TEXT_ASCII));
	wattrset(w, ui->attr[role]);
	mvwaddstr(w, y, x, fit);
	free(fit);
	free(clean);
}

void
kg_ui_hline(struct kg_ui *ui, WINDOW *w, int y, int x, int cols, enum kg_role role)
{
	int i;

	wattrset(w, ui->attr[role]);
	wmove(w, y, x);
	for (i = 0; i < cols; i++)
		waddstr(w, ui->utf8 ? "\xe2\x94\x80" : "-");
}

const char *
kg_ui_spinner(const struct kg_ui *ui, unsigned busy)
{
	if (busy == 0 || (kg_session_busy(ui->s) & busy) == 0)
		return "";
	if (ui->utf8)
		return spin_utf8[ui->spin % (int)KG_ARRAY_LEN(spin_utf8)];
	return spin_ascii[ui->spin % (int)KG_ARRAY_LEN(spin_ascii)];
}

void
kg_ui_age(int64_t s, char *out, size_t n)
{
	if (s < 60)
		snprintf(out, n, "just now");
	else if (s < 3600)
		snprintf(out, n, "%lldm ago", (long long)(s / 60));
	else if (s < 86400)
		snprintf(out, n, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(out, n, "%lldd ago", (long long)(s / 86400));
}

void
kg_ui_title(struct kg_pane *p, const char *title, const char *extra)
{
	struct kg_ui *ui = p->ui;
	const char *spin = kg_ui_spinner(ui, p->ops->busy);
	char *t = kg_xasprintf(" %s%s%s %s%s", title, extra && *extra ? " " : "", extra ? extra : "",
	                       spin, *spin ? " " : "");
	enum kg_role role = p->focused ? KG_ROLE_TITLE_FOCUS : KG_ROLE_TITLE;

	kg_ui_put(ui, p->win, 0, 0, t, p->r.w, KG_TEXT_PAD, role);
	free(t);
}

void
kg_ui_notice(struct kg_ui *ui, const char *fmt, ...)
{
	va_list ap;

	kg_free(&ui->message);
	if (fmt != NULL) {
		va_start(ap, fmt);
		ui->message = kg_xvasprintf(fmt, ap);
		va_end(ap);
	}
	kg_ui_dirty(ui, KG_PANE_STATUS, KG_PF_FRAME);
}

void
kg_ui_dirty(struct kg_ui *ui, enum kg_pane_id id, unsigned flags)
{
	ui->pane[id].flags |= flags;
}

enum kg_role
kg_ui_token_role(enum kg_token_status st)
{
	switch (st) {
	case KG_TOKEN_ACTIVE: return KG_ROLE_GOOD;
	case KG_TOKEN_EXPIRED: return KG_ROLE_WARN;
	case KG_TOKEN_DISPUTED: return KG_ROLE_BAD;
	default: return KG_ROLE_DIM;
	}
}

void
kg_ui_dlg_style(const struct kg_ui *ui, struct kg_dlg_style *st)
{
	st->normal = ui->attr[KG_ROLE_DIALOG];
	st->title = ui->attr[KG_ROLE_TITLE_FOCUS];
	st->field = ui->attr[KG_ROLE_FIELD];
	st->error = ui->attr[KG_ROLE_BAD];
	st->selected = ui->attr[KG_ROLE_SELECTED];
	st->hint = ui->attr[KG_ROLE_DIM];
	st->ascii = !ui->utf8;
}

/* ---------------------------------------------------------------- colours */

static void
setup_colors(struct kg_ui *ui, enum kg_ui_color_mode mode)
{
	const char *nc = getenv("NO_COLOR");
	attr_t *a = ui->attr;
	int bg = -1;

	ui->color = mode != KG_UI_COLOR_NEVER && (nc == NULL || nc[0] == '\0') && has_colors();
	/* monochrome first: every role must read without colour */
	a[KG_ROLE_NORMAL] = A_NORMAL;
	a[KG_ROLE_BANNER] = A_REVERSE;
	a[KG_ROLE_BANNER_KEY] = A_REVERSE | A_BOLD;
	a[KG_ROLE_TITLE] = A_BOLD;
	a[KG_ROLE_TITLE_FOCUS] = A_REVERSE | A_BOLD;
	a[KG_ROLE_HEADER] = A_UNDERLINE;
	a[KG_ROLE_SELECTED] = A_REVERSE;
	a[KG_ROLE_SELECTED_DIM] = A_UNDERLINE;
	a[KG_ROLE_GOOD] = A_NORMAL;
	a[KG_ROLE_WARN] = A_BOLD;
	a[KG_ROLE_BAD] = A_BOLD;
	a[KG_ROLE_DIM] = A_DIM;
	a[KG_ROLE_STATUS] = A_REVERSE;
	a[KG_ROLE_KEY] = A_BOLD;
	a[KG_ROLE_DIALOG] = A_NORMAL;
	a[KG_ROLE_FIELD] = A_UNDERLINE;
	a[KG_ROLE_QR] = A_NORMAL;
	if (!ui->color)
		return;
	start_color();
	if (use_default_colors() != OK)
		bg = COLOR_BLACK;
	init_pair(1, COLOR_WHITE, COLOR_BLUE);
	init_pair(2, COLOR_YELLOW, COLOR_BLUE);
	init_pair(3, COLOR_BLACK, COLOR_CYAN);
	init_pair(4, COLOR_GREEN, (short)bg);
	init_pair(5, COLOR_YELLOW, (short)bg);
	init_pair(6, COLOR_RED, (short)bg);
	init_pair(7, COLOR_CYAN, (short)bg);
	init_pair(8, COLOR_BLACK, COLOR_WHITE);
	init_pair(9, COLOR_WHITE, COLOR_BLACK);
	a[KG_ROLE_BANNER] = COLOR_PAIR(1) | A_BOLD;
	a[KG_ROLE_BANNER_KEY] = COLOR_PAIR(2) | A_BOLD;
	a[KG_ROLE_TITLE_FOCUS] = COLOR_PAIR(3) | A_BOLD;
	a[KG_ROLE_HEADER] = COLOR_PAIR(7) | A_UNDERLINE;
	a[KG_ROLE_GOOD] = COLOR_PAIR(4);
	a[KG_ROLE_WARN] = COLOR_PAIR(5) | A_BOLD;
	a[KG_ROLE_BAD] = COLOR_PAIR(6) | A_BOLD;
	a[KG_ROLE_STATUS] = COLOR_PAIR(8);
	a[KG_ROLE_KEY] = COLOR_PAIR(7) | A_BOLD;
	a[KG_ROLE_QR] = COLOR_PAIR(9);
}

/* ---------------------------------------------------------------- layout */

static const struct kg_pane_ops *const pane_ops[KG_PANE__COUNT] = {
	[KG_PANE_BANNER] = &kg_pane_banner,
	[KG_PANE_CUSTOMERS] = &kg_pane_customers,
	[KG_PANE_TOKENS] = &kg_pane_tokens,
	[KG_PANE_ACTIVITY] = &kg_pane_activity,
	[KG_PANE_STATUS] = &kg_pane_status,
};

static void
free_windows(struct kg_ui *ui)
{
	int i;

	for (i = 0; i < KG_PANE__COUNT; i++)
		if (ui->pane[i].win != NULL) {
			delwin(ui->pane[i].win);
			ui->pane[i].win = NULL;
		}
	if (ui->divider != NULL) {
		delwin(ui->divider);
		ui->divider = NULL;
	}
}

static void
reflow(struct kg_ui *ui)
{
	const struct kg_rect *rects[KG_PANE__COUNT];
	int rows, cols, i, h;

	getmaxyx(stdscr, rows, cols);
	kg_ui_layout_compute(cols, rows, &ui->L);
	free_windows(ui);
	/* whatever was on the old geometry is gone */
	werase(stdscr);
	wnoutrefresh(stdscr);
	ui->dlg_dirty = true;
	ui->login_dirty = true;
	if (ui->L.too_small)
		return;
	rects[KG_PANE_BANNER] = &ui->L.banner;
	rects[KG_PANE_CUSTOMERS] = &ui->L.customers;
	rects[KG_PANE_TOKENS] = &ui->L.tokens;
	rects[KG_PANE_ACTIVITY] = &ui->L.activity;
	rects[KG_PANE_STATUS] = &ui->L.status;
	for (i = 0; i < KG_PANE__COUNT; i++) {
		struct kg_pane *p = &ui->pane[i];

		p->r = *rects[i];
		p->win = newwin(p->r.h, p->r.w, p->r.y, p->r.x);
		if (p->win == NULL)
			kg_fatal("cannot create a %dx%d window", p->r.w, p->r.h);
		/* the cursor is hidden: no bytes spent moving it after a repaint */
		leaveok(p->win, TRUE);
		h = p->r.h - p->ops->header_rows - p->ops->footer_rows;
		kg_list_set_height(&p->list, p->ops->draw_row != NULL && h > 0 ? h : 0);
		p->flags |= KG_PF_RECALC | KG_PF_REPAINT;
	}
	ui->divider = newwin(ui->L.divider.h, 1, ui->L.divider.y, ui->L.divider.x);
	leaveok(ui->divider, TRUE);
}

static void
draw_divider(struct kg_ui *ui)
{
	int y;

	if (ui->divider == NULL)
		return;
	wattrset(ui->divider, ui->attr[KG_ROLE_DIM]);
	for (y = 0; y < ui->L.divider.h; y++)
		mvwaddstr(ui->divider, y, 0, ui->utf8 ? "\xe2\x94\x82" : "|");
	wnoutrefresh(ui->divider);
}

static void
draw_too_small(struct kg_ui *ui)
{
	char *msg = kg_ui_too_small_text(ui->L.cols, ui->L.rows);
	char **lines = NULL;
	size_t n, i;
	int y0;

	werase(stdscr);
	n = kg_text_wrap(msg, ui->L.cols > 0 ? ui->L.cols : 1, &lines);
	y0 = ui->L.rows / 2 - (int)n / 2;
	for (i = 0; i < n; i++) {
		int w = kg_text_width(lines[i]);
		int x = (ui->L.cols - w) / 2;

		kg_ui_put(ui, stdscr, y0 + (int)i < 0 ? 0 : y0 + (int)i, x < 0 ? 0 : x, lines[i],
		          ui->L.cols, 0, KG_ROLE_BAD);
	}
	kg_text_lines_free(&lines, n);
	free(msg);
	wnoutrefresh(stdscr);
}

/* Repaint what is dirty in one pane; true when something was drawn. */
static bool
draw_pane(struct kg_ui *ui, struct kg_pane *p)
{
	bool drew = false;
	int vr;

	if (p->win == NULL)
		return false;
	if (p->flags & KG_PF_RECALC) {
		if (p->ops->recalc != NULL)
			p->ops->recalc(p);
		p->flags |= KG_PF_FRAME;
	}
	if (p->flags & KG_PF_REPAINT) {
		werase(p->win);
		kg_list_touch_all(&p->list);
	}
	if (p->flags & (KG_PF_REPAINT | KG_PF_FRAME)) {
		p->ops->draw_frame(p);
		drew = true;
	}
	if (p->ops->draw_row != NULL) {
		for (vr = 0; vr < p->list.height; vr++) {
			size_t row;

			if (!kg_list_row_dirty(&p->list, vr))
				continue;
			row = kg_list_row_at(&p->list, vr);
			p->ops->draw_row(p, p->ops->header_rows + vr, row,
			                 row != (size_t)-1 && row == p->list.sel);
			ui->stats.rows_drawn++;
			drew = true;
		}
	}
	kg_list_clean(&p->list);
	p->flags = 0;
	if (drew)
		wnoutrefresh(p->win);
	return drew;
}

static void expose(struct kg_ui *ui);

static void
redraw(struct kg_ui *ui)
{
	bool any = false, full;
	int i;

	if (ui->flags & KG_UI_REFLOW)
		reflow(ui);
	full = (ui->flags & (KG_UI_REFLOW | KG_UI_REDRAW)) != 0;
	if (ui->flags & KG_UI_REDRAW) {
		clearok(curscr, TRUE);
		for (i = 0; i < KG_PANE__COUNT; i++)
			ui->pane[i].flags |= KG_PF_REPAINT;
		ui->dlg_dirty = ui->login_dirty = true;
	}
	if ((ui->flags & KG_UI_EXPOSE) && !ui->L.too_small && !ui->login)
		expose(ui);
	ui->flags = 0;
	if (ui->L.too_small) {
		if (full) {
			draw_too_small(ui);
			doupdate();
			ui->stats.updates++;
		}
		return;
	}
	if (ui->login) {
		if (ui->login_dirty) {
			kg_login_draw(ui);
			ui->login_dirty = false;
			doupdate();
			ui->stats.updates++;
		}
		return;
	}
	if (full)
		draw_divider(ui);
	for (i = 0; i < KG_PANE__COUNT; i++)
		any |= draw_pane(ui, &ui->pane[i]);
	/* a pane repainted under a dialog: lay the dialog over it again */
	if (any || full)
		ui->dlg_dirty = true;
	if (ui->dlg_dirty) {
		struct kg_dlg_style st;

		kg_ui_dlg_style(ui, &st);
		if (ui->dlg != NULL && kg_dialog_draw(ui->dlg, ui->L.cols, ui->L.rows, &st)) {
			/* it moved: the panes show again where its old frame was */
			expose(ui);
			kg_dialog_draw(ui->dlg, ui->L.cols, ui->L.rows, &st);
		}
		if (ui->help != NULL && kg_dialog_draw(ui->help, ui->L.cols, ui->L.rows, &st)) {
			expose(ui);
			kg_dialog_draw(ui->help, ui->L.cols, ui->L.rows, &st);
		}
		if (ui->dlg == NULL && ui->help == NULL)
			ui->dlg_dirty = false;
	}
	if (any || full || ui->dlg_dirty || ui->exposed) {
		doupdate();
		ui->stats.updates++;
		/* the dashboard is on screen: the first time is a metric (issue 10) */
		if (full)
			kg_session_painted(ui->s);
	}
	ui->dlg_dirty = false;
	ui->exposed = false;
}

/* A dialog closed: what it covered shows again without recomputing. */
static void
expose(struct kg_ui *ui)
{
	int i;

	for (i = 0; i < KG_PANE__COUNT; i++)
		if (ui->pane[i].win != NULL) {
			touchwin(ui->pane[i].win);
			wnoutrefresh(ui->pane[i].win);
		}
	if (ui->divider != NULL) {
		touchwin(ui->divider);
		wnoutrefresh(ui->divider);
	}
	ui->dlg_dirty = true;
	ui->exposed = true;
}

/* ---------------------------------------------------------------- timers */

static void
spin_tick(struct kg_loop *loop, void *ud)
{
	struct kg_ui *ui = ud;
	unsigned busy = kg_session_busy(ui->s);
	int i;

	ui->spin_timer = 0;
	ui->spin++;
	for (i = 0; i < KG_PANE__COUNT; i++)
		if (ui->pane[i].ops->busy & busy)
			ui->pane[i].flags |= KG_PF_FRAME;
	if (ui->dlg != NULL && ui->flow.waiting)
		ui->dlg_dirty = true;
	if (ui->login)
		ui->login_dirty = true;
	/* the timer exists only while something is in flight */
	if (busy != 0)
		ui->spin_timer = kg_timer_add(loop, SPIN_MS, spin_tick, ui);
}

static void
age_tick(struct kg_loop *loop, void *ud)
{
	struct kg_ui *ui = ud;

	(void)loop;
	ui->tick_timer = 0;
	kg_ui_dirty(ui, KG_PANE_BANNER, KG_PF_FRAME);
	kg_ui_dirty(ui, KG_PANE_TOKENS, KG_PF_FRAME);
	ui->login_dirty = true;
}

static void
update_timers(struct kg_ui *ui)
{
	unsigned busy = kg_session_busy(ui->s);

	if (busy != 0 && ui->spin_timer == 0)
		ui->spin_timer = kg_timer_add(ui->loop, SPIN_MS, spin_tick, ui);
	if (ui->tick_timer == 0) {
		/* a countdown ticks every second; cached ages once a minute */
		if (ui->login)
			ui->tick_timer = kg_timer_add(ui->loop, 1000, age_tick, ui);
		else if (kg_session_ticket(ui->s) != NULL && kg_session_ticket_age(ui->s) > 0)
			ui->tick_timer = kg_timer_add(ui->loop, 60000, age_tick, ui);
	}
}

/* ---------------------------------------------------------------- keys */

static struct kg_pane *
focused(struct kg_ui *ui)
{
	return &ui->pane[ui->focus];
}

static void
set_focus(struct kg_ui *ui, enum kg_pane_id id)
{
	struct kg_pane *old = focused(ui), *p = &ui->pane[id];

	if (old == p)
		return;
	old->focused = false;
	p->focused = true;
	ui->focus = id;
	/* the title and the selected row change look; nothing else */
	old->flags |= KG_PF_FRAME;
	p->flags |= KG_PF_FRAME;
	kg_list_touch(&old->list, old->list.sel);
	kg_list_touch(&p->list, p->list.sel);
}

static void
cycle_focus(struct kg_ui *ui, int dir)
{
	int id = ui->focus;

	do {
		id = (id + dir + KG_PANE__COUNT) % KG_PANE__COUNT;
	} while (!ui->pane[id].ops->focusable);
	set_focus(ui, (enum kg_pane_id)id);
}

static void
open_help(struct kg_ui *ui)
{
	struct kg_help_line *v;
	struct kg_buf b;
	size_t n, i, j, nl;
	int kw = 0, width, hw;
	char **lines;

	n = kg_keys_help_lines(&v);
	for (i = 0; i < n; i++)
		if (kg_text_width(v[i].keys) > kw)
			kw = kg_text_width(v[i].keys);
	if (kw > 16)
		kw = 16;
	/* the dialog's inner width (ui_dialog.c): wrap with a hanging indent */
	width = ui->L.cols - 8 < 72 ? ui->L.cols - 8 : 72;
	hw = width - 4 - kw - 2;
	if (hw < 20)
		hw = 20;
	kg_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		char *k = kg_text_fit(v[i].keys, kw, KG_TEXT_PAD | (ui->utf8 ? 0 : KG_TEXT_ASCII));

		nl = kg_text_wrap(v[i].help, hw, &lines);
		for (j = 0; j < nl; j++)
			(void)kg_buf_printf(&b, "%s  %s\n", j == 0 ? k : "", lines[j]);
		/* continuation lines: pad the key column */
		kg_text_lines_free(&lines, nl);
		free(k);
	}
	kg_keys_help_free(&v, n);
	ui->help = kg_dialog_new(KG_DLG_TEXT, 0, "Keys (Esc closes)");
	{
		/* rebuild with the key column padded on continuation lines */
		char *raw = kg_buf_steal(&b), *p = raw, *nlp;
		struct kg_buf o;
		char *pad = kg_text_fit("", kw, KG_TEXT_PAD);
		const char *err = kg_session_last_error(ui->s);

		kg_buf_init(&o, 0);
		/* the status bar may have elided the last error: here it is whole */
		if (err != NULL) {
			nl = kg_text_wrap(err, width - 4, &lines);
			(void)kg_buf_puts(&o, "Last error:\n");
			for (j = 0; j < nl; j++)
				(void)kg_buf_printf(&o, "%s\n", lines[j]);
			(void)kg_buf_puts(&o, "\n");
			kg_text_lines_free(&lines, nl);
		}
		while ((nlp = strchr(p, '\n')) != NULL) {
			if (strncmp(p, "  ", 2) == 0)
				(void)kg_buf_puts(&o, pad);
			/* no newline after the last line: no empty row at the end */
			(void)kg_buf_append(&o, p, (size_t)(nlp - p) + (nlp[1] != '\0'));
			p = nlp + 1;
		}
		kg_dialog_set_text(ui->help, kg_buf_str(&o));
		kg_dialog_set_hint(ui->help, "Up/Down PgUp PgDn scroll   Esc or ? closes");
		kg_buf_free(&o);
		free(pad);
		free(raw);
	}
	ui->dlg_dirty = true;
}

static enum kg_ui_next
start_search(struct kg_ui *ui)
{
	const char *q = kg_session_query(ui->s);

	set_focus(ui, KG_PANE_CUSTOMERS);
	ui->searching = true;
	kg_input_set(&ui->search, q ? q : "");
	kg_free(&ui->search_before);
	ui->search_before = kg_xstrdup(q ? q : "");
	kg_ui_dirty(ui, KG_PANE_CUSTOMERS, KG_PF_FRAME);
	kg_ui_dirty(ui, KG_PANE_STATUS, KG_PF_FRAME);
	return KG_NEXT_REPAINT;
}

static void
end_search(struct kg_ui *ui)
{
	ui->searching = false;
	kg_free(&ui->search_before);
	kg_ui_dirty(ui, KG_PANE_CUSTOMERS, KG_PF_FRAME);
	kg_ui_dirty(ui, KG_PANE_STATUS, KG_PF_FRAME);
}

static enum kg_list_move
to_move(enum kg_ui_action a)
{
	switch (a) {
	case KG_UA_UP: return KG_LIST_UP;
	case KG_UA_DOWN: return KG_LIST_DOWN;
	case KG_UA_PGUP: return KG_LIST_PGUP;
	case KG_UA_PGDN: return KG_LIST_PGDN;
	case KG_UA_TOP: return KG_LIST_TOP;
	default: return KG_LIST_BOTTOM;
	}
}

static enum kg_ui_next
search_key(struct kg_ui *ui, int key)
{
	enum kg_ui_action a = kg_keys_lookup(key);
	struct kg_pane *p = &ui->pane[KG_PANE_CUSTOMERS];

	if (key == KG_KEY_ESC) {
		/* cancelled: the search goes back to what it was */
		if (!kg_streq(ui->search_before, kg_input_text(&ui->search)))
			kg_session_search(ui->s, ui->search_before);
		end_search(ui);
		return KG_NEXT_REPAINT;
	}
	if (a == KG_UA_SELECT) {
		end_search(ui);
		return p->ops->action(p, KG_UA_SELECT);
	}
	if (KG_KEY_IS_FN(key) && (a == KG_UA_UP || a == KG_UA_DOWN || a == KG_UA_PGUP ||
	                          a == KG_UA_PGDN)) {
		kg_list_move(&p->list, to_move(a));
		return KG_NEXT_REPAINT;
	}
	if (key == '\t') {
		end_search(ui);
		cycle_focus(ui, 1);
		return KG_NEXT_REPAINT;
	}
	if (kg_input_key(&ui->search, key)) {
		/* filter as you type: the session answers from the cache at once */
		kg_session_search(ui->s, kg_input_text(&ui->search));
		kg_ui_dirty(ui, KG_PANE_CUSTOMERS, KG_PF_FRAME);
		return KG_NEXT_REPAINT;
	}
	return KG_NEXT_BELL;
}

static enum kg_ui_next
do_action(struct kg_ui *ui, enum kg_ui_action a)
{
	struct kg_pane *p = focused(ui);

	switch (a) {
	case KG_UA_NONE:
		return KG_NEXT_BELL;
	case KG_UA_SEARCH:
		return start_search(ui);
	case KG_UA_NEXT_PANE:
		cycle_focus(ui, 1);
		return KG_NEXT_REPAINT;
	case KG_UA_PREV_PANE:
		cycle_focus(ui, -1);
		return KG_NEXT_REPAINT;
	case KG_UA_UP:
	case KG_UA_DOWN:
	case KG_UA_PGUP:
	case KG_UA_PGDN:
	case KG_UA_TOP:
	case KG_UA_BOTTOM:
		kg_list_move(&p->list, to_move(a));
		return KG_NEXT_REPAINT;
	case KG_UA_SELECT:
		return p->ops->action != NULL ? p->ops->action(p, a) : KG_NEXT_NONE;
	case KG_UA_REFRESH:
		kg_session_refresh(ui->s);
		kg_ui_notice(ui, "Refreshing from the services...");
		return KG_NEXT_REPAINT;
	case KG_UA_HELP:
		open_help(ui);
		return KG_NEXT_REPAINT;
	case KG_UA_REDRAW:
		return KG_NEXT_REDRAW;
	case KG_UA_QUIT:
		if (kg_session_unsynced(ui->s) == 0)
			return KG_NEXT_QUIT;
		return kg_flow_start(ui, a);
	case KG_UA_ADD:
	case KG_UA_REMOVE:
	case KG_UA_REISSUE:
	case KG_UA_DISPUTE:
	case KG_UA_OTHER:
	case KG_UA_NEW_CUSTOMER:
	case KG_UA_RETURN:
		return kg_flow_start(ui, a);
	case KG_UA__COUNT:
		break;
	}
	return KG_NEXT_NONE;
}

static enum kg_ui_next
handle_key(struct kg_ui *ui, int key)
{
	if (key == KG_KEY_CTRL('l'))
		return KG_NEXT_REDRAW;
	if (ui->L.too_small) {
		/* only quitting makes sense on a screen too small to show anything */
		if (key == 'q' && ui->dlg == NULL)
			return do_action(ui, KG_UA_QUIT);
		return KG_NEXT_NONE;
	}
	if (ui->help != NULL) {
		if (kg_dialog_key(ui->help, key) != KG_DLG_CONTINUE || key == '?') {
			kg_dialog_free(&ui->help);
			expose(ui);
		}
		ui->dlg_dirty = true;
		return KG_NEXT_REPAINT;
	}
	if (ui->login)
		return kg_login_key(ui, key);
	if (ui->dlg != NULL) {
		bool had = ui->dlg != NULL;
		enum kg_ui_next n = kg_flow_key(ui, key);

		if (had && ui->dlg == NULL)
			expose(ui);
		ui->dlg_dirty = true;
		return n;
	}
	if (ui->searching)
		return search_key(ui, key);
	return do_action(ui, kg_keys_lookup(key));
}

static void
apply_next(struct kg_ui *ui, enum kg_ui_next n)
{
	if (n & KG_NEXT_QUIT)
		ui->state = KG_UI_QUIT;
	if (n & KG_NEXT_REDRAW)
		ui->flags |= KG_UI_REDRAW;
	if (n & KG_NEXT_REFLOW)
		ui->flags |= KG_UI_REFLOW;
	if (n & KG_NEXT_BELL)
		beep();
}

static void
resize(struct kg_ui *ui)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui->flags |= KG_UI_REFLOW;
}

static void
drain_input(struct kg_ui *ui)
{
	WINDOW *in = ui->input;
	wint_t wc;
	int r, key;

	while (ui->state == KG_UI_RUNNING) {
		r = wget_wch(in, &wc);
		if (r == ERR)
			break;
		if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
			/* resizeterm() queues this itself: the size is already known,
			 * resizing again here would queue another one, for ever */
			ui->flags |= KG_UI_REFLOW;
			continue;
		}
		key = r == KEY_CODE_YES ? KG_KEY_FN(wc) : (int)wc;
		apply_next(ui, handle_key(ui, key));
	}
}

/* ---------------------------------------------------------------- session */

static void
apply_changes(struct kg_ui *ui, unsigned chg)
{
	struct kg_login_view lv;
	int i;

	if (chg == 0)
		return;
	for (i = 0; i < KG_PANE__COUNT; i++)
		if (ui->pane[i].ops->changes & chg)
			ui->pane[i].flags |= KG_PF_RECALC;
	if (chg & KG_CHG_STATUS) {
		/* busy bits changed: spinners start or stop */
		for (i = 0; i < KG_PANE__COUNT; i++)
			ui->pane[i].flags |= KG_PF_FRAME;
	}
	if (chg & KG_CHG_AUTH) {
		kg_session_login_view(ui->s, &lv);
		if (lv.phase != KG_LOGIN_NONE) {
			ui->login = true;
			ui->login_dirty = true;
		} else if (ui->login) {
			/* back exactly where the agent was */
			ui->login = false;
			ui->flags |= KG_UI_REDRAW;
		}
	}
	if (chg & KG_CHG_CATALOG)
		kg_flow_catalog(ui);
	if (chg & KG_CHG_RESULT)
		kg_flow_result(ui);
}

/* ---------------------------------------------------------------- public */

enum kg_err
kg_ui_new(struct kg_loop *loop, struct kg_session *s, const struct kg_ui_opts *opts,
          struct kg_ui **out, char **cause)
{
	struct kg_ui *ui;
	const char *cs;
	int i;

	*out = NULL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		kg_set_cause(cause, "the full-screen client needs a terminal: run it with standard "
		                    "input and output on a terminal, not a pipe or a file");
		return KG_ERR_USAGE;
	}
	ui = kg_xcalloc(1, sizeof(*ui));
	ui->loop = loop;
	ui->s = s;
	cs = nl_langinfo(CODESET);
	ui->utf8 = cs != NULL && (kg_strcaseeq(cs, "UTF-8") || kg_strcaseeq(cs, "utf8"));
	kg_input_init(&ui->search, "", 200);
	for (i = 0; i < KG_PANE__COUNT; i++) {
		ui->pane[i].ops = pane_ops[i];
		ui->pane[i].ui = ui;
		kg_list_init(&ui->pane[i].list);
	}
	ui->focus = KG_PANE_CUSTOMERS;
	ui->pane[KG_PANE_CUSTOMERS].focused = true;

	kg_set_fatal_hook(kg_ui_emergency_end);
	/* a short Esc: dialogs cancel at once, not after a second */
	set_escdelay(25);
	ui->scr = newterm(NULL, stdout, stdin);
	if (ui->scr == NULL) {
		kg_set_cause(cause, "cannot start the screen on this terminal (TERM=%s): check TERM",
		             getenv("TERM") ? getenv("TERM") : "unset");
		kg_ui_free(&ui);
		return KG_ERR_IO;
	}
	set_term(ui->scr);
	screen_up = true;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	curs_set(0);
	leaveok(stdscr, TRUE);
	setup_colors(ui, opts != NULL ? (enum kg_ui_color_mode)opts->color : KG_UI_COLOR_AUTO);
	/* keys are read from a pad: wget_wch never refreshes a pad, so reading
	 * draws nothing and the pass keeps its single doupdate() */
	ui->input = newpad(1, 1);
	keypad(ui->input, TRUE);
	nodelay(ui->input, TRUE);
	/* SIGWINCH becomes a flag on the loop's self-pipe, handled in the pass */
	kg_loop_catch(loop, SIGWINCH);
	ui->flags = KG_UI_REFLOW;
	apply_changes(ui, KG_CHG_ALL);
	/* paint at once: banner and cached data before any network answer */
	redraw(ui);
	update_timers(ui);
	*out = ui;
	return KG_ERR_OK;
}

void
kg_ui_free(struct kg_ui **uip)
{
	struct kg_ui *ui = *uip;
	int i;

	if (ui == NULL)
		return;
	if (ui->spin_timer != 0)
		kg_timer_cancel(ui->loop, ui->spin_timer);
	if (ui->tick_timer != 0)
		kg_timer_cancel(ui->loop, ui->tick_timer);
	kg_flow_clear(ui);
	kg_token_free(&ui->flow.sent);
	kg_dialog_free(&ui->help);
	free_windows(ui);
	for (i = 0; i < KG_PANE__COUNT; i++)
		kg_list_clear(&ui->pane[i].list);
	kg_input_free(&ui->search);
	free(ui->search_before);
	free(ui->message);
	if (ui->input != NULL)
		delwin(ui->input);
	if (ui->scr != NULL) {
		endwin();
		screen_up = false;
		/* ncurses keeps its SCREEN until delscreen */
		delscreen(ui->scr);
	}
	kg_set_fatal_hook(NULL);
	kg_free(uip);
}

void
kg_ui_pass(struct kg_ui *ui)
{
	ui->stats.passes++;
	if (kg_sig_take(ui->loop, SIGWINCH))
		resize(ui);
	apply_changes(ui, kg_session_take_changes(ui->s));
	drain_input(ui);
	if (ui->state != KG_UI_RUNNING)
		return;
	/* operations called by the keys may have changed the model already */
	apply_changes(ui, kg_session_take_changes(ui->s));
	redraw(ui);
	update_timers(ui);
}

enum kg_ui_exit
kg_ui_state(const struct kg_ui *ui)
{
	return ui->state;
}

void
kg_ui_get_stats(const struct kg_ui *ui, struct kg_ui_stats *st)
{
	*st = ui->stats;
}
