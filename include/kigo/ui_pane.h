/*
 * ui_pane.h - what the UI's own files share: the pane ops table (tmux's
 * struct window_mode, filled by designated initializers), the drawing
 * helpers and the screen state.  Not for use outside src/ui*.c.
 *
 * Drawing happens in three steps (neomutt): reflow (geometry changed:
 * windows are re-made), recalc (the model changed: rows are counted again)
 * and repaint (curses calls, only for what is dirty).
 */
#ifndef KIGO_UI_PANE_H
#define KIGO_UI_PANE_H

#include <curses.h>

#include "kigo/session.h"
#include "kigo/ui.h"
#include "kigo/ui_dialog.h"
#include "kigo/ui_keys.h"
#include "kigo/ui_list.h"

enum kg_pane_id {
	KG_PANE_BANNER,
	KG_PANE_CUSTOMERS,
	KG_PANE_TOKENS,
	KG_PANE_ACTIVITY,
	KG_PANE_STATUS,
	KG_PANE__COUNT
};

/* Pane damage flags. */
enum {
	KG_PF_REFLOW = 1 << 0,  /* geometry: re-make the window */
	KG_PF_RECALC = 1 << 1,  /* model: count rows again */
	KG_PF_REPAINT = 1 << 2, /* everything in the pane */
	KG_PF_FRAME = 1 << 3,   /* title, header and footer rows only (spinner, focus) */
};

/* Colour roles; without colour each maps to a monochrome attribute. */
enum kg_role {
	KG_ROLE_NORMAL,
	KG_ROLE_BANNER,
	KG_ROLE_BANNER_KEY,
	KG_ROLE_TITLE,
	KG_ROLE_TITLE_FOCUS,
	KG_ROLE_HEADER,
	KG_ROLE_SELECTED,
	KG_ROLE_SELECTED_DIM,  /* selection in a pane without focus */
	KG_ROLE_GOOD,          /* active, sent, online */
	KG_ROLE_WARN,          /* expired, pending */
	KG_ROLE_BAD,           /* disputed, failed, offline, errors */
	KG_ROLE_DIM,           /* redeemed, removed, hints */
	KG_ROLE_STATUS,
	KG_ROLE_KEY,           /* key names in the hint bar */
	KG_ROLE_DIALOG,
	KG_ROLE_FIELD,
	KG_ROLE_QR,            /* white on black where colours exist */
	KG_ROLE__COUNT
};

struct kg_pane;

struct kg_pane_ops {
	const char *name;
	enum kg_pane_id id;
	bool focusable;
	unsigned changes;      /* KG_CHG_* bits that make it recalc */
	unsigned busy;         /* enum kg_busy bits its spinner shows */
	int header_rows;       /* rows above the list (title, column header) */
	int footer_rows;       /* rows below the list */
	void (*recalc)(struct kg_pane *p);
	/* title, header and footer rows; the list rows are drawn by draw_row */
	void (*draw_frame)(struct kg_pane *p);
	/* one list row at window row y: model row `row`, or blank when (size_t)-1 */
	void (*draw_row)(struct kg_pane *p, int y, size_t row, bool selected);
	/* pane-specific keys (Enter on a customer); NULL when none */
	enum kg_ui_next (*action)(struct kg_pane *p, enum kg_ui_action a);
};

struct kg_pane {
	const struct kg_pane_ops *ops;
	struct kg_ui *ui;
	WINDOW *win;
	struct kg_rect r;
	struct kg_list list;
	unsigned flags;
	bool focused;
};

extern const struct kg_pane_ops kg_pane_banner;
extern const struct kg_pane_ops kg_pane_customers;
extern const struct kg_pane_ops kg_pane_tokens;
extern const struct kg_pane_ops kg_pane_activity;
extern const struct kg_pane_ops kg_pane_status;

/* An action flow: the dialogs of one key (a, x, e, d, o, n, R, q). */
struct kg_flow {
	enum kg_ui_action kind;   /* KG_UA_NONE when no flow is open */
	int step;
	struct kg_token *token;   /* the token as the agent saw it at the start */
	char *customer_id;
	char *sku, *sku_name;
	int validity_days;
	char *expires;
	char *reason;
	enum kg_other_type other;
	bool waiting;             /* sent; the dialog shows progress until the result */
	struct kg_token *sent;    /* the token of the last action sent, for a 412 view */
};

enum { KG_UI_REFLOW = 1 << 0, KG_UI_REDRAW = 1 << 1, KG_UI_EXPOSE = 1 << 2 };

struct kg_ui {
	struct kg_loop *loop;
	struct kg_session *s;
	SCREEN *scr;
	WINDOW *input;             /* a 1x1 pad keys are read from */
	bool utf8;                 /* the locale's charset is UTF-8 */
	bool color;
	attr_t attr[KG_ROLE__COUNT];
	struct kg_ui_layout L;
	struct kg_pane pane[KG_PANE__COUNT];
	WINDOW *divider;
	enum kg_pane_id focus;
	unsigned flags;            /* KG_UI_REFLOW, KG_UI_REDRAW */
	bool login;                /* the login screen is showing */
	bool login_dirty;
	struct kg_dialog *dlg;     /* the open dialog, NULL when none */
	bool dlg_dirty;
	bool exposed;              /* a dialog closed: panes re-copied, update due */
	struct kg_dialog *help;    /* the `?` overlay */
	struct kg_flow flow;
	bool searching;            /* typing into the customer search */
	struct kg_input search;
	char *search_before;       /* restored by Esc */
	char *message;             /* the UI's own one-line notice */
	int spin;                  /* spinner frame */
	uint64_t spin_timer;
	uint64_t tick_timer;       /* 1 s while a countdown shows, 60 s for ages */
	enum kg_ui_exit state;
	struct kg_ui_stats stats;
};

/* ---- helpers for the pane files (ui.c) ---- */
/* Draw s fitted to cols cells (KG_TEXT_* flags), sanitized again on the way. */
void kg_ui_put(struct kg_ui *ui, WINDOW *w, int y, int x, const char *s, int cols, int flags,
               enum kg_role role);
/* Fill cols cells with a horizontal line (UTF-8 or ASCII). */
void kg_ui_hline(struct kg_ui *ui, WINDOW *w, int y, int x, int cols, enum kg_role role);
/* The spinner glyph when any of busy is in flight, else "". */
const char *kg_ui_spinner(const struct kg_ui *ui, unsigned busy);
/* "5m ago", "2h ago", "3d ago", "just now"; into out. */
void kg_ui_age(int64_t seconds, char *out, size_t n);
/* A pane title row: name, extra, spinner; reversed when focused. */
void kg_ui_title(struct kg_pane *p, const char *title, const char *extra);
/* Set the UI's notice (shown in the status bar) or clear it with NULL. */
void kg_ui_notice(struct kg_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kg_ui_dirty(struct kg_ui *ui, enum kg_pane_id id, unsigned flags);
/* Pane-local key for the token pane's role by status. */
enum kg_role kg_ui_token_role(enum kg_token_status st);

/* ---- the action flows (ui_flow.c) ---- */
enum kg_ui_next kg_flow_start(struct kg_ui *ui, enum kg_ui_action a);
enum kg_ui_next kg_flow_key(struct kg_ui *ui, int key);
/* Session raised KG_CHG_RESULT / KG_CHG_CATALOG. */
void kg_flow_result(struct kg_ui *ui);
void kg_flow_catalog(struct kg_ui *ui);
void kg_flow_clear(struct kg_ui *ui);
/* The dialog style for the current colour mode. */
void kg_ui_dlg_style(const struct kg_ui *ui, struct kg_dlg_style *st);

/* ---- the login screen (ui_login.c) ---- */
void kg_login_draw(struct kg_ui *ui);
enum kg_ui_next kg_login_key(struct kg_ui *ui, int key);

#endif
