/*
 * ui_keys.h - the one key table (tig's REQ_INFO): key, action and help text.
 *
 * Dispatch looks keys up here and the `?` overlay is generated from the
 * same rows, so the two can never disagree.  Help texts use the words of
 * the interface contract ("Return to ServiceNow").  Handlers in the UI
 * return an enum kg_ui_next saying what must happen next; they never draw.
 */
#ifndef KIGO_UI_KEYS_H
#define KIGO_UI_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/* A key: a Unicode code point, or a curses KEY_* code marked with KG_KEY_FN. */
#define KG_KEY_FN(k) ((int)(k) | 0x1000000)
#define KG_KEY_IS_FN(k) (((k) & 0x1000000) != 0)
#define KG_KEY_CODE(k) ((k) & 0xffffff)
#define KG_KEY_CTRL(c) ((c) & 0x1f)
#define KG_KEY_ESC 0x1b

enum kg_ui_action {
	KG_UA_NONE,
	KG_UA_SEARCH,
	KG_UA_NEXT_PANE,
	KG_UA_PREV_PANE,
	KG_UA_UP,
	KG_UA_DOWN,
	KG_UA_PGUP,
	KG_UA_PGDN,
	KG_UA_TOP,
	KG_UA_BOTTOM,
	KG_UA_SELECT,
	KG_UA_ADD,
	KG_UA_REMOVE,
	KG_UA_REISSUE,
	KG_UA_DISPUTE,
	KG_UA_OTHER,
	KG_UA_NEW_CUSTOMER,
	KG_UA_RETURN,
	KG_UA_REFRESH,
	KG_UA_HELP,
	KG_UA_QUIT,
	KG_UA_REDRAW,
	KG_UA__COUNT
};

/* What a handler wants to happen next (bits). */
enum kg_ui_next {
	KG_NEXT_NONE = 0,
	KG_NEXT_REPAINT = 1 << 0, /* the panes marked dirty by the handler */
	KG_NEXT_REDRAW = 1 << 1,  /* everything, from scratch (Ctrl-L) */
	KG_NEXT_REFLOW = 1 << 2,  /* geometry changed */
	KG_NEXT_QUIT = 1 << 3,    /* leave the client */
	KG_NEXT_BELL = 1 << 4,    /* key not possible here */
};

struct kg_key_binding {
	int key;                  /* code point or KG_KEY_FN(KEY_*) */
	const char *name;         /* as shown in help: "Tab", "PgDn", "R" */
	enum kg_ui_action action;
	const char *help;         /* the contract's words */
	const char *hint;         /* one word for the status bar's hints, or NULL */
};

/* The table and its length. */
const struct kg_key_binding *kg_keys_table(size_t *n);
/* Action bound to key, KG_UA_NONE when unbound. */
enum kg_ui_action kg_keys_lookup(int key);
/* Help text for an action (first row that has it), NULL when none. */
const char *kg_keys_help_for(enum kg_ui_action a);

/* One line of the `?` overlay: rows sharing a help text merge ("r, F5"). */
struct kg_help_line {
	char *keys;        /* key names joined by ", " (owned) */
	const char *help;  /* points into the table */
};
/* The overlay's lines in table order; caller frees with kg_keys_help_free. */
size_t kg_keys_help_lines(struct kg_help_line **out);
void kg_keys_help_free(struct kg_help_line **v, size_t n);

#endif
