/*
 * ui.h - the full-screen client's screen: setup and teardown, colours,
 * layout, the redraw pass, resize and "terminal too small".
 *
 * The UI draws the session (session.h) and calls its operations; it never
 * talks to the network or the database.  One pass of the loop is:
 * kg_loop_once() -> kg_ui_pass(): session changes, input drained with
 * wgetch in nodelay mode until ERR, dirty panes repainted, one doupdate().
 */
#ifndef KIGO_UI_H
#define KIGO_UI_H

#include "kigo/common.h"

struct kg_ui;
struct kg_loop;
struct kg_session;

/* A rectangle of cells. */
struct kg_rect {
	int x, y, w, h;
};

#define KG_UI_MIN_COLS 80
#define KG_UI_MIN_ROWS 24

/* Where everything goes for a terminal of cols x rows. */
struct kg_ui_layout {
	int cols, rows;
	bool too_small;            /* below 80x24: only the message is drawn */
	struct kg_rect banner;     /* top rows, full width */
	struct kg_rect customers;  /* left column */
	struct kg_rect divider;    /* one column between customers and tokens */
	struct kg_rect tokens;     /* right column */
	struct kg_rect activity;   /* full width under both */
	struct kg_rect status;     /* bottom rows, full width */
};

/* Pure: compute the layout (unit-tested at 80x24, 132x43, too small). */
void kg_ui_layout_compute(int cols, int rows, struct kg_ui_layout *out);
/* The "terminal too small (need 80x24, have WxH)" text; caller frees. */
char *kg_ui_too_small_text(int cols, int rows);

enum kg_ui_color_mode { KG_UI_COLOR_AUTO, KG_UI_COLOR_ALWAYS, KG_UI_COLOR_NEVER };

struct kg_ui_opts {
	enum kg_ui_color_mode color;  /* from ui.color; NO_COLOR is checked here too */
};

/* How the client ended. */
enum kg_ui_exit { KG_UI_RUNNING, KG_UI_QUIT, KG_UI_RETURNED };

/*
 * Start curses on the terminal, hook SIGWINCH through the loop and install
 * the fatal hook (endwin).  Paints at once from what the session has.
 */
enum kg_err kg_ui_new(struct kg_loop *loop, struct kg_session *s, const struct kg_ui_opts *opts,
                      struct kg_ui **out, char **cause);
/* Closes the screen (endwin) before anything else is printed. */
void kg_ui_free(struct kg_ui **ui);
/* One pass after kg_loop_once(): changes, input, redraw. */
void kg_ui_pass(struct kg_ui *ui);
enum kg_ui_exit kg_ui_state(const struct kg_ui *ui);
/* Counters for tests and benchmarks. */
struct kg_ui_stats {
	uint64_t passes;      /* kg_ui_pass calls */
	uint64_t updates;     /* doupdate() calls */
	uint64_t rows_drawn;  /* list rows repainted */
};
void kg_ui_get_stats(const struct kg_ui *ui, struct kg_ui_stats *st);

/* Curses-free wrapper so the fatal hook can restore the terminal. */
void kg_ui_emergency_end(void);

#endif
