/*
 * ui_dialog.h - modal dialogs: a UTF-8 line editor, date entry with
 * validation, a picker that filters as you type, y/n confirms, multi-field
 * forms and scrollable text (summary preview, "what changed").
 *
 * A dialog is a small state machine fed one key at a time by the loop, so
 * the screen keeps updating and resizing while it is open.  Enter confirms
 * (after validation), Esc cancels, and a cancelled dialog changes nothing:
 * the caller acts only on KG_DLG_OK.  Dialogs never call the session.
 */
#ifndef KIGO_UI_DIALOG_H
#define KIGO_UI_DIALOG_H

#include "kigo/common.h"
#include "kigo/ui_list.h"

/* ---- a line editor over UTF-8 text ---- */
struct kg_input {
	char *buf;      /* NUL-terminated, valid UTF-8 */
	size_t len;     /* bytes */
	size_t cap;
	size_t cur;     /* cursor, a byte offset on a character boundary */
	size_t max;     /* cap on len in bytes */
};

void kg_input_init(struct kg_input *in, const char *text, size_t max);
void kg_input_free(struct kg_input *in);
void kg_input_set(struct kg_input *in, const char *text);
const char *kg_input_text(const struct kg_input *in);
/*
 * Edit with one key (see ui_keys.h for the key encoding): printable
 * characters insert, Backspace/Delete, Left/Right, Home/End, Ctrl-A/E,
 * Ctrl-U (clear), Ctrl-W (word).  Returns true when the key was used.
 */
bool kg_input_key(struct kg_input *in, int key);
/* For drawing in cols cells: first byte shown and the cursor's column. */
void kg_input_view(const struct kg_input *in, int cols, size_t *start, int *cursor_col);

/* ---- dates, YYYY-MM-DD ---- */
/* Strict YYYY-MM-DD naming a real calendar day. */
bool kg_date_parse(const char *s, int *y, int *m, int *d);
/*
 * Valid date, and after `today` (YYYY-MM-DD, NULL = no such check);
 * otherwise false with *cause a sentence for the dialog (caller frees).
 */
bool kg_date_check(const char *s, const char *today, char **cause);
/* The local date of wall-clock time t. */
void kg_date_from_time(int64_t t, char out[11]);
/* ymd plus days (may be negative); false when ymd is not a date. */
bool kg_date_add_days(const char *ymd, int days, char out[11]);

/* ---- dialogs ---- */
enum kg_dlg_kind {
	KG_DLG_FORM,     /* one or more fields (a reason, a date, the new customer) */
	KG_DLG_PICKER,   /* a filter field over a list of items */
	KG_DLG_CONFIRM,  /* text, then y (or Enter) / n (or Esc) */
	KG_DLG_TEXT,     /* scrollable text, Enter or y confirms */
};

enum kg_dlg_result {
	KG_DLG_CONTINUE, /* still open */
	KG_DLG_OK,       /* confirmed and valid */
	KG_DLG_CANCEL,   /* Esc or n: nothing may change */
	KG_DLG_FILTER,   /* picker: the filter text changed, give it new items */
};

enum kg_field_flags {
	KG_FIELD_REQUIRED = 1 << 0,
	KG_FIELD_DATE = 1 << 1,       /* YYYY-MM-DD after today (empty allowed unless required) */
};

#define KG_DLG_MAX_FIELDS 5

struct kg_dlg_field {
	char *label;
	struct kg_input in;
	unsigned flags;
};

struct kg_dialog {
	enum kg_dlg_kind kind;
	int tag;                  /* the caller's step */
	char *title;
	char *text;               /* message above the fields / the scrolled text */
	char *error;              /* last validation error, shown in the dialog */
	char *today;              /* YYYY-MM-DD for date checks */
	char *hint;               /* TEXT: the key line, NULL for the default */
	struct kg_dlg_field field[KG_DLG_MAX_FIELDS];
	int nfields;
	int focus;                /* field with the cursor */
	char **items;             /* picker rows (sanitized labels) */
	char **ids;               /* picker row ids */
	size_t nitems;
	struct kg_list list;      /* picker selection / text scroll */
	int text_lines;           /* TEXT: wrapped lines at the last draw */
	void *win;                /* WINDOW *, owned */
};

struct kg_dialog *kg_dialog_new(enum kg_dlg_kind kind, int tag, const char *title);
void kg_dialog_free(struct kg_dialog **d);
void kg_dialog_set_text(struct kg_dialog *d, const char *text);
void kg_dialog_set_today(struct kg_dialog *d, const char *today);
void kg_dialog_set_hint(struct kg_dialog *d, const char *hint);
void kg_dialog_set_error(struct kg_dialog *d, const char *error);
/* Add a field; returns its index. */
int kg_dialog_add_field(struct kg_dialog *d, const char *label, const char *initial,
                        unsigned flags);
const char *kg_dialog_value(const struct kg_dialog *d, int field);
/* Picker rows (copied); the selection stays on the same id when it can. */
void kg_dialog_set_items(struct kg_dialog *d, const char *const *labels, const char *const *ids,
                         size_t n);
/* Picker: the id of the highlighted row, NULL when none. */
const char *kg_dialog_picked(const struct kg_dialog *d);
enum kg_dlg_result kg_dialog_key(struct kg_dialog *d, int key);

/* Drawing (ui_dialog.c, curses). */
struct kg_dlg_style {
	unsigned long normal, title, field, error, selected, hint;  /* attr_t */
	bool ascii;                                                  /* no UTF-8 */
};
/*
 * Draw centred on a cols x rows screen and wnoutrefresh; creates d->win.
 * True when the dialog changed size or place: the caller re-shows what the
 * old frame covered, then draws it again.
 */
bool kg_dialog_draw(struct kg_dialog *d, int cols, int rows, const struct kg_dlg_style *st);

#endif
