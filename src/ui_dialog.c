/*
 * ui_dialog.c - the dialogs every action goes through, and their editor.
 *
 * Keys come in one at a time from the loop; drawing happens in the redraw
 * pass.  A dialog keeps what was typed to itself until it returns
 * KG_DLG_OK, so Esc leaves the model untouched.  Never calls the session,
 * never blocks, never draws a control character (text is sanitized again
 * before it reaches curses).
 */
#include "kigo/ui_dialog.h"

#include "kigo/sanitize.h"
#include "kigo/text.h"
#include "kigo/ui_keys.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- input */

void
kg_input_init(struct kg_input *in, const char *text, size_t max)
{
	memset(in, 0, sizeof(*in));
	in->max = max ? max : 1024;
	kg_input_set(in, text);
}

void
kg_input_free(struct kg_input *in)
{
	free(in->buf);
	memset(in, 0, sizeof(*in));
}

static void
reserve(struct kg_input *in, size_t need)
{
	if (in->buf != NULL && need + 1 <= in->cap)
		return;
	in->cap = (need + 1) * 2;
	in->buf = kg_xrealloc(in->buf, in->cap);
}

void
kg_input_set(struct kg_input *in, const char *text)
{
	/* pre-filled text may come from a server: keep only what typing could give */
	char *clean = kg_sanitize_str(text);
	size_t n = strlen(clean);

	if (n > in->max) {
		n = in->max;
		while (n > 0 && ((unsigned char)clean[n] & 0xc0) == 0x80)
			n--;
	}
	reserve(in, n);
	memcpy(in->buf, clean, n);
	in->buf[n] = '\0';
	in->len = n;
	in->cur = n;
	free(clean);
}

const char *
kg_input_text(const struct kg_input *in)
{
	return in->buf != NULL ? in->buf : "";
}

static void
delete_range(struct kg_input *in, size_t from, size_t to)
{
	memmove(in->buf + from, in->buf + to, in->len - to + 1);
	in->len -= to - from;
	in->cur = from;
}

static bool
insert_cp(struct kg_input *in, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (in->len + n > in->max)
		return false;
	reserve(in, in->len + n);
	memmove(in->buf + in->cur + n, in->buf + in->cur, in->len - in->cur + 1);
	memcpy(in->buf + in->cur, u, n);
	in->len += n;
	in->cur += n;
	return true;
}

bool
kg_input_key(struct kg_input *in, int key)
{
	size_t p;

	if (in->buf == NULL)
		kg_input_set(in, "");
	if (KG_KEY_IS_FN(key)) {
		switch (KG_KEY_CODE(key)) {
		case KEY_LEFT:
			in->cur = kg_text_prev(in->buf, in->cur);
			return true;
		case KEY_RIGHT:
			in->cur = kg_text_next(in->buf, in->cur);
			return true;
		case KEY_HOME:
			in->cur = 0;
			return true;
		case KEY_END:
			in->cur = in->len;
			return true;
		case KEY_BACKSPACE:
			goto backspace;
		case KEY_DC:
			if (in->cur < in->len)
				delete_range(in, in->cur, kg_text_next(in->buf, in->cur));
			return true;
		default:
			return false;
		}
	}
	switch (key) {
	case 0x7f:
	case KG_KEY_CTRL('h'):
backspace:
		if (in->cur > 0)
			delete_range(in, kg_text_prev(in->buf, in->cur), in->cur);
		return true;
	case KG_KEY_CTRL('a'):
		in->cur = 0;
		return true;
	case KG_KEY_CTRL('e'):
		in->cur = in->len;
		return true;
	case KG_KEY_CTRL('u'):
		delete_range(in, 0, in->cur);
		return true;
	case KG_KEY_CTRL('w'):
		p = in->cur;
		while (p > 0 && in->buf[p - 1] == ' ')
			p--;
		while (p > 0 && in->buf[p - 1] != ' ')
			p--;
		delete_range(in, p, in->cur);
		return true;
	default:
		break;
	}
	/* printable only: no C0, DEL, C1, surrogates or beyond Unicode */
	if (key < 0x20 || key == 0x7f || (key >= 0x80 && key < 0xa0) ||
	    (key >= 0xd800 && key <= 0xdfff) || key > 0x10ffff)
		return false;
	insert_cp(in, (uint32_t)key);
	return true;
}

void
kg_input_view(const struct kg_input *in, int cols, size_t *start, int *cursor_col)
{
	const char *s = kg_input_text(in);
	size_t st = 0;
	int w;

	if (cols < 2)
		cols = 2;
	/* scroll so the cursor (and one cell for it) stays visible */
	w = kg_text_nwidth(s, in->cur);
	while (w > cols - 1) {
		size_t nx = kg_text_next(s, st);

		w -= kg_text_nwidth(s + st, nx - st);
		st = nx;
	}
	*start = st;
	*cursor_col = w;
}

/* ---------------------------------------------------------------- dates */

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

bool
kg_date_parse(const char *s, int *yp, int *mp, int *dp)
{
	int i, y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays(y, m))
		return false;
	if (yp != NULL)
		*yp = y;
	if (mp != NULL)
		*mp = m;
	if (dp != NULL)
		*dp = d;
	return true;
}

bool
kg_date_check(const char *s, const char *today, char **cause)
{
	if (!kg_date_parse(s, NULL, NULL, NULL)) {
		kg_set_cause(cause, "Type the date as YYYY-MM-DD, a real day (for example 2030-01-31).");
		return false;
	}
	/* YYYY-MM-DD compares as text */
	if (today != NULL && strcmp(s, today) <= 0) {
		kg_set_cause(cause, "The date must be after today (%s).", today);
		return false;
	}
	return true;
}

/* Days since 1970-01-01 for a civil date, and back (Howard Hinnant's). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, char out[11])
{
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

void
kg_date_from_time(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL) {
		civil_from_days(t / 86400, out);
		return;
	}
	civil_from_days(days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday), out);
}

bool
kg_date_add_days(const char *ymd, int days, char out[11])
{
	int y, m, d;

	if (!kg_date_parse(ymd, &y, &m, &d))
		return false;
	civil_from_days(days_from_civil(y, m, d) + days, out);
	return true;
}

/* ---------------------------------------------------------------- dialog */

struct kg_dialog *
kg_dialog_new(enum kg_dlg_kind kind, int tag, const char *title)
{
	struct kg_dialog *d = kg_xcalloc(1, sizeof(*d));

	d->kind = kind;
	d->tag = tag;
	d->title = kg_sanitize_str(title);
	kg_list_init(&d->list);
	if (kind == KG_DLG_PICKER)
		kg_dialog_add_field(d, "Filter", "", 0);
	return d;
}

static void
free_items(struct kg_dialog *d)
{
	size_t i;

	for (i = 0; i < d->nitems; i++) {
		free(d->items[i]);
		free(d->ids[i]);
	}
	kg_free(&d->items);
	kg_free(&d->ids);
	d->nitems = 0;
}

void
kg_dialog_free(struct kg_dialog **dp)
{
	struct kg_dialog *d = *dp;
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nfields; i++) {
		free(d->field[i].label);
		/* what was typed (a reason, a note) does not linger in freed memory */
		if (d->field[i].in.buf != NULL)
			kg_memzero(d->field[i].in.buf, d->field[i].in.cap);
		kg_input_free(&d->field[i].in);
	}
	free_items(d);
	kg_list_clear(&d->list);
	if (d->win != NULL)
		delwin(d->win);
	free(d->title);
	free(d->text);
	free(d->error);
	free(d->today);
	free(d->hint);
	kg_free(dp);
}

void
kg_dialog_set_text(struct kg_dialog *d, const char *text)
{
	free(d->text);
	d->text = kg_sanitize(text, text ? strlen(text) : 0, KG_SAN_KEEP_NEWLINES);
	kg_list_set_count(&d->list, 0);
}

void
kg_dialog_set_hint(struct kg_dialog *d, const char *hint)
{
	free(d->hint);
	d->hint = kg_xstrdup(hint);
}

void
kg_dialog_set_today(struct kg_dialog *d, const char *today)
{
	free(d->today);
	d->today = kg_xstrdup(today);
}

void
kg_dialog_set_error(struct kg_dialog *d, const char *error)
{
	free(d->error);
	d->error = error ? kg_sanitize_str(error) : NULL;
}

int
kg_dialog_add_field(struct kg_dialog *d, const char *label, const char *initial, unsigned flags)
{
	struct kg_dlg_field *f;

	if (d->nfields >= KG_DLG_MAX_FIELDS)
		kg_fatal("dialog: more than %d fields", KG_DLG_MAX_FIELDS);
	f = &d->field[d->nfields];
	f->label = kg_xstrdup(label);
	f->flags = flags;
	kg_input_init(&f->in, initial, 1000);
	return d->nfields++;
}

const char *
kg_dialog_value(const struct kg_dialog *d, int i)
{
	if (i < 0 || i >= d->nfields)
		return "";
	return kg_input_text(&d->field[i].in);
}

void
kg_dialog_set_items(struct kg_dialog *d, const char *const *labels, const char *const *ids, size_t n)
{
	char *keep = kg_xstrdup(kg_dialog_picked(d));
	size_t i, sel = 0;

	free_items(d);
	d->items = kg_xcalloc(n ? n : 1, sizeof(char *));
	d->ids = kg_xcalloc(n ? n : 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		d->items[i] = kg_sanitize_str(labels[i]);
		d->ids[i] = kg_xstrdup(ids[i]);
		if (keep != NULL && kg_streq(ids[i], keep))
			sel = i;
	}
	d->nitems = n;
	kg_list_set_count(&d->list, n);
	kg_list_select(&d->list, sel);
	free(keep);
}

const char *
kg_dialog_picked(const struct kg_dialog *d)
{
	if (d->kind != KG_DLG_PICKER || d->nitems == 0 || d->list.sel >= d->nitems)
		return NULL;
	return d->ids[d->list.sel];
}

static bool
validate(struct kg_dialog *d)
{
	char *cause = NULL;
	int i;

	for (i = 0; i < d->nfields; i++) {
		const struct kg_dlg_field *f = &d->field[i];
		const char *v = kg_input_text(&f->in);
		bool blank = strspn(v, " ") == strlen(v);

		if ((f->flags & KG_FIELD_REQUIRED) && blank) {
			cause = kg_xasprintf("%s is required.", f->label);
		} else if ((f->flags & KG_FIELD_DATE) && !blank) {
			kg_date_check(v, d->today, &cause);
		}
		if (cause != NULL) {
			free(d->error);
			d->error = cause;
			d->focus = i;
			return false;
		}
	}
	if (d->kind == KG_DLG_PICKER && kg_dialog_picked(d) == NULL) {
		kg_dialog_set_error(d, "Nothing matches the filter: change it or press Esc.");
		return false;
	}
	kg_dialog_set_error(d, NULL);
	return true;
}

static enum kg_ui_action
nav(int key)
{
	enum kg_ui_action a = kg_keys_lookup(key);

	/* in a dialog only real navigation keys move; letters are text */
	if (!KG_KEY_IS_FN(key))
		return KG_UA_NONE;
	return a;
}

static enum kg_list_move
list_move(enum kg_ui_action a)
{
	switch (a) {
	case KG_UA_UP: return KG_LIST_UP;
	case KG_UA_PGUP: return KG_LIST_PGUP;
	case KG_UA_PGDN: return KG_LIST_PGDN;
	default: return KG_LIST_DOWN;
	}
}

enum kg_dlg_result
kg_dialog_key(struct kg_dialog *d, int key)
{
	enum kg_ui_action a;

	if (key == KG_KEY_ESC)
		return KG_DLG_CANCEL;
	if (key == '\n' || key == '\r' || key == KG_KEY_FN(KEY_ENTER))
		return validate(d) ? KG_DLG_OK : KG_DLG_CONTINUE;
	switch (d->kind) {
	case KG_DLG_CONFIRM:
	case KG_DLG_TEXT:
		if (key == 'y' || key == 'Y')
			return KG_DLG_OK;
		if (key == 'n' || key == 'N' || key == 'q')
			return KG_DLG_CANCEL;
		a = kg_keys_lookup(key);
		if (a == KG_UA_UP || a == KG_UA_DOWN || a == KG_UA_PGUP || a == KG_UA_PGDN) {
			/* scrolling is bounded by what the last draw laid out */
			kg_list_move(&d->list, list_move(a));
		} else if (a == KG_UA_TOP) {
			kg_list_move(&d->list, KG_LIST_TOP);
		} else if (a == KG_UA_BOTTOM) {
			kg_list_move(&d->list, KG_LIST_BOTTOM);
		}
		return KG_DLG_CONTINUE;
	case KG_DLG_PICKER:
		a = nav(key);
		if (a == KG_UA_UP || a == KG_UA_DOWN || a == KG_UA_PGUP || a == KG_UA_PGDN) {
			kg_list_move(&d->list, list_move(a));
			return KG_DLG_CONTINUE;
		}
		if (kg_input_key(&d->field[0].in, key)) {
			kg_dialog_set_error(d, NULL);
			return KG_DLG_FILTER;
		}
		return KG_DLG_CONTINUE;
	case KG_DLG_FORM:
		if (key == '\t' || key == KG_KEY_FN(KEY_DOWN)) {
			d->focus = (d->focus + 1) % (d->nfields ? d->nfields : 1);
			return KG_DLG_CONTINUE;
		}
		if (key == KG_KEY_FN(KEY_BTAB) || key == KG_KEY_FN(KEY_UP)) {
			d->focus = (d->focus + d->nfields - 1) % (d->nfields ? d->nfields : 1);
			return KG_DLG_CONTINUE;
		}
		if (d->nfields > 0 && kg_input_key(&d->field[d->focus].in, key))
			kg_dialog_set_error(d, NULL);
		return KG_DLG_CONTINUE;
	}
	return KG_DLG_CONTINUE;
}

/* ---------------------------------------------------------------- drawing */

/* Draw text fitted to cols cells at (y, x); never a control character. */
static void
put(WINDOW *w, int y, int x, const char *s, int cols, int flags, attr_t attr, bool ascii)
{
	char *clean = kg_sanitize(s, s ? strlen(s) : 0, ascii ? KG_SAN_ASCII : 0);
	char *fit = kg_text_fit(clean, cols, flags | (ascii ? KG_TEXT_ASCII : 0));

	wattrset(w, attr);
	mvwaddstr(w, y, x, fit);
	free(fit);
	free(clean);
}

/* A frame in UTF-8 line drawing, or ASCII when the locale has no UTF-8. */
static void
frame(WINDOW *w, int width, int height, const struct kg_dlg_style *st)
{
	const char *h = st->ascii ? "-" : "\xe2\x94\x80", *v = st->ascii ? "|" : "\xe2\x94\x82";
	int x, y;

	wattrset(w, st->normal);
	mvwaddstr(w, 0, 0, st->ascii ? "+" : "\xe2\x94\x8c");
	for (x = 1; x < width - 1; x++)
		waddstr(w, h);
	waddstr(w, st->ascii ? "+" : "\xe2\x94\x90");
	for (y = 1; y < height - 1; y++) {
		mvwaddstr(w, y, 0, v);
		mvwaddstr(w, y, width - 1, v);
	}
	mvwaddstr(w, height - 1, 0, st->ascii ? "+" : "\xe2\x94\x94");
	for (x = 1; x < width - 1; x++)
		waddstr(w, h);
	/* the bottom-right cell: curses may refuse to move past it, that is fine */
	waddstr(w, st->ascii ? "+" : "\xe2\x94\x98");
}

bool
kg_dialog_draw(struct kg_dialog *d, int cols, int rows, const struct kg_dlg_style *st)
{
	bool moved = false;
	WINDOW *w;
	char **lines = NULL;
	size_t nl = 0, i;
	int width, height, inner, y, x0, y0, avail, body, f;

	width = cols - 8 < 72 ? cols - 8 : 72;
	if (width < 30)
		width = cols;
	inner = width - 4;
	if (d->text != NULL && d->text[0] != '\0')
		nl = kg_text_wrap(d->text, inner, &lines);
	/* rows: border, title gap, text, fields (2 rows each), list, error, hint, border */
	avail = rows - 4;
	height = 4 + (int)nl + d->nfields * 2 + (d->error ? 2 : 0) + 2;
	if (d->kind == KG_DLG_PICKER)
		height += 8;
	if (height > avail)
		height = avail;
	x0 = (cols - width) / 2;
	y0 = (rows - height) / 2;
	w = d->win;
	if (w == NULL || getmaxx(w) != width || getmaxy(w) != height || getbegx(w) != x0 ||
	    getbegy(w) != y0) {
		if (w != NULL) {
			delwin(w);
			moved = true;
		}
		w = newwin(height, width, y0, x0);
		d->win = w;
		if (w == NULL)
			goto out;
	}
	wbkgdset(w, ' ' | (chtype)st->normal);
	werase(w);
	frame(w, width, height, st);
	put(w, 0, 2, d->title, inner, 0, st->title, st->ascii);
	y = 2;
	/* room for the text once fields, error and hint are placed */
	body = height - 3 - d->nfields * 2 - (d->error ? 2 : 0) - 1;
	if (d->kind == KG_DLG_PICKER)
		body = (int)nl < body ? (int)nl : body;
	if (body < 0)
		body = 0;
	if (d->kind == KG_DLG_TEXT || d->kind == KG_DLG_CONFIRM) {
		/* the scroll position lives in d->list: one "row" per line */
		if (d->list.count != nl)
			kg_list_set_count(&d->list, nl);
		kg_list_set_height(&d->list, body);
		for (i = 0; (int)i < body; i++) {
			size_t r = kg_list_row_at(&d->list, (int)i);

			if (r == (size_t)-1 || r >= nl)
				break;
			put(w, y + (int)i, 2, lines[r], inner, 0, st->normal, st->ascii);
		}
		d->text_lines = (int)nl;
		y += body;
	} else {
		for (i = 0; i < nl && (int)i < body; i++)
			put(w, y + (int)i, 2, lines[i], inner, 0, st->normal, st->ascii);
		y += (int)(nl < (size_t)body ? nl : (size_t)body);
		if (nl > 0)
			y++;
	}
	for (f = 0; f < d->nfields && y < height - 2; f++) {
		const struct kg_dlg_field *fl = &d->field[f];
		int lw = kg_text_width(fl->label) + 2, fw;
		size_t start;
		int ccol;

		if (lw > inner / 2)
			lw = inner / 2;
		fw = inner - lw;
		put(w, y, 2, fl->label, lw - 2, KG_TEXT_PAD, st->normal, st->ascii);
		waddstr(w, ": ");
		kg_input_view(&fl->in, fw, &start, &ccol);
		put(w, y, 2 + lw, kg_input_text(&fl->in) + start, fw, KG_TEXT_PAD, st->field,
		    st->ascii);
		if (f == d->focus) {
			/* the cursor: a reversed cell, since curses' own is hidden */
			mvwchgat(w, y, 2 + lw + ccol, 1, (attr_t)(st->field | A_REVERSE), 0, NULL);
		}
		y += 2;
	}
	if (d->kind == KG_DLG_PICKER) {
		int lh = height - y - (d->error ? 2 : 0) - 2;

		kg_list_set_height(&d->list, lh > 0 ? lh : 0);
		for (i = 0; (int)i < d->list.height; i++) {
			size_t r = kg_list_row_at(&d->list, (int)i);

			if (r == (size_t)-1)
				break;
			put(w, y + (int)i, 2, d->items[r], inner, KG_TEXT_PAD,
			    r == d->list.sel ? st->selected : st->normal, st->ascii);
		}
		if (d->nitems == 0)
			put(w, y, 2, "(no match)", inner, 0, st->hint, st->ascii);
	}
	if (d->error != NULL)
		put(w, height - 3, 2, d->error, inner, 0, st->error, st->ascii);
	switch (d->kind) {
	case KG_DLG_CONFIRM:
		put(w, height - 2, 2, "y or Enter: yes   n or Esc: no", inner, 0, st->hint, st->ascii);
		break;
	case KG_DLG_TEXT:
		if (d->hint != NULL)
			put(w, height - 2, 2, d->hint, inner, 0, st->hint, st->ascii);
		else
			put(w, height - 2, 2,
			    (int)nl > d->list.height ? "Up/Down scroll   y or Enter: confirm   Esc: cancel"
			                             : "y or Enter: confirm   Esc: cancel",
			    inner, 0, st->hint, st->ascii);
		break;
	case KG_DLG_PICKER:
		put(w, height - 2, 2, "type to filter   Up/Down choose   Enter: pick   Esc: cancel",
		    inner, 0, st->hint, st->ascii);
		break;
	case KG_DLG_FORM:
		put(w, height - 2, 2,
		    d->nfields > 1 ? "Tab next field   Enter: confirm   Esc: cancel"
		                   : "Enter: confirm   Esc: cancel",
		    inner, 0, st->hint, st->ascii);
		break;
	}
	kg_list_clean(&d->list);
	touchwin(w);
	wnoutrefresh(w);
out:
	kg_text_lines_free(&lines, nl);
	return moved;
}
