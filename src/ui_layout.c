/*
 * ui_layout.c - where the panes go for a terminal of a given size.
 *
 * Pure geometry, kept apart from the drawing so it can be tested for every
 * size without a terminal.  Below 80x24 nothing but the "terminal too
 * small" message is drawn: a squeezed layout would cut sentences and ids.
 */
#include "kigo/ui.h"

#include <string.h>

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
kg_ui_layout_compute(int cols, int rows, struct kg_ui_layout *out)
{
	int mid_h, act_h, cust_w;

	memset(out, 0, sizeof(*out));
	out->cols = cols;
	out->rows = rows;
	if (cols < KG_UI_MIN_COLS || rows < KG_UI_MIN_ROWS) {
		out->too_small = true;
		return;
	}
	/* banner: two rows (facts, then the short description) */
	out->banner = (struct kg_rect){ .x = 0, .y = 0, .w = cols, .h = 2 };
	/* status bar: state and last error, then key hints */
	out->status = (struct kg_rect){ .x = 0, .y = rows - 2, .w = cols, .h = 2 };
	mid_h = rows - 4;
	/* activity: title, rows, footer; about a third of what is left */
	act_h = clampi(mid_h * 3 / 10, 6, 14);
	mid_h -= act_h;
	cust_w = clampi(cols / 3, 24, 40);
	out->customers = (struct kg_rect){ .x = 0, .y = 2, .w = cust_w, .h = mid_h };
	out->divider = (struct kg_rect){ .x = cust_w, .y = 2, .w = 1, .h = mid_h };
	out->tokens = (struct kg_rect){ .x = cust_w + 1, .y = 2, .w = cols - cust_w - 1, .h = mid_h };
	out->activity = (struct kg_rect){ .x = 0, .y = 2 + mid_h, .w = cols, .h = act_h };
}

char *
kg_ui_too_small_text(int cols, int rows)
{
	return kg_xasprintf("terminal too small (need %dx%d, have %dx%d)", KG_UI_MIN_COLS,
	                    KG_UI_MIN_ROWS, cols < 0 ? 0 : cols, rows < 0 ? 0 : rows);
}
