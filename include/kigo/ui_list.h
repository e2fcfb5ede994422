/*
 * ui_list.h - the one list widget every pane is built on: a selection, a
 * scroll offset and per-row damage.
 *
 * Pure bookkeeping (no curses): the pane asks which visible rows are dirty
 * and repaints only those, so moving the selection one row repaints two
 * rows, not the pane.  Scrolling keeps the selection inside the window.
 */
#ifndef KIGO_UI_LIST_H
#define KIGO_UI_LIST_H

#include <stdbool.h>
#include <stddef.h>

enum kg_list_move {
	KG_LIST_UP,
	KG_LIST_DOWN,
	KG_LIST_PGUP,
	KG_LIST_PGDN,
	KG_LIST_TOP,
	KG_LIST_BOTTOM,
};

struct kg_list {
	size_t count;          /* rows in the model */
	size_t sel;            /* selected row (0 when count is 0) */
	size_t top;            /* first model row shown */
	int height;            /* rows visible */
	bool all_dirty;        /* repaint every visible row */
	unsigned char *dirty;  /* per visible row, height entries */
	int dirty_cap;
};

void kg_list_init(struct kg_list *l);
void kg_list_clear(struct kg_list *l);
/* New geometry; clamps and marks everything dirty. */
void kg_list_set_height(struct kg_list *l, int height);
/* New model size; keeps the selection where possible; all dirty. */
void kg_list_set_count(struct kg_list *l, size_t count);
/* Select row i (clamped), scrolling as needed.  Returns true when it moved. */
bool kg_list_select(struct kg_list *l, size_t i);
/* Returns true when the selection or the scroll offset changed. */
bool kg_list_move(struct kg_list *l, enum kg_list_move m);
/* Mark one model row dirty (ignored when not visible). */
void kg_list_touch(struct kg_list *l, size_t row);
void kg_list_touch_all(struct kg_list *l);
/* Is the visible row vrow (0-based in the window) due for a repaint? */
bool kg_list_row_dirty(const struct kg_list *l, int vrow);
bool kg_list_any_dirty(const struct kg_list *l);
/* After a repaint: nothing dirty. */
void kg_list_clean(struct kg_list *l);
/* Model row shown at visible row vrow, or (size_t)-1 past the end. */
size_t kg_list_row_at(const struct kg_list *l, int vrow);

#endif
