/*
 * ui_keys.c - the key table: what each key does and how `?` describes it.
 *
 * This is the only place a key is bound.  Rows that share a help text are
 * one line in the overlay, so "r" and "F5" read as "r, F5  Refresh from the
 * services".  Must never hold per-session state.
 */
#include "kigo/ui_keys.h"

#include "kigo/buf.h"
#include "kigo/common.h"

#include <curses.h>
#include <stdlib.h>

#define H_SEARCH "Search customers (typed text filters as you type, Enter picks)"
#define H_ADD "Add a token: catalog picker (filter as you type), expiry (default from catalog), reason"
#define H_REMOVE "Remove the selected token: reason, then confirm y"
#define H_REISSUE "Reissue the selected token: new expiry date, reason"
#define H_DISPUTE "Dispute the selected token: reason"
#define H_OTHER "Other action: note, resolve dispute, extend"
#define H_NEW "New customer: name, email, phone, loyalty id"
#define H_RETURN "Return to ServiceNow: preview the summary, y sends it, then exit printing the ticket's URL"
#define H_REFRESH "Refresh from the services"
#define H_QUIT "Quit; warns when actions are not yet synced (they stay queued)"

static const struct kg_key_binding keys[] = {
	{ .key = '/', .hint = "search", .name = "/", .action = KG_UA_SEARCH, .help = H_SEARCH },
	{ .key = '\t', .name = "Tab", .action = KG_UA_NEXT_PANE, .help = "Next pane" },
	{ .key = KG_KEY_FN(KEY_BTAB), .name = "Shift-Tab", .action = KG_UA_PREV_PANE,
	  .help = "Previous pane" },
	{ .key = KG_KEY_FN(KEY_UP), .name = "Up", .action = KG_UA_UP, .help = "Move up" },
	{ .key = 'k', .name = "k", .action = KG_UA_UP, .help = "Move up" },
	{ .key = KG_KEY_FN(KEY_DOWN), .name = "Down", .action = KG_UA_DOWN, .help = "Move down" },
	{ .key = 'j', .name = "j", .action = KG_UA_DOWN, .help = "Move down" },
	{ .key = KG_KEY_FN(KEY_PPAGE), .name = "PgUp", .action = KG_UA_PGUP,
	  .help = "Move up one page" },
	{ .key = KG_KEY_FN(KEY_NPAGE), .name = "PgDn", .action = KG_UA_PGDN,
	  .help = "Move down one page" },
	{ .key = 'g', .name = "g", .action = KG_UA_TOP, .help = "Move to the first row" },
	{ .key = KG_KEY_FN(KEY_HOME), .name = "Home", .action = KG_UA_TOP,
	  .help = "Move to the first row" },
	{ .key = 'G', .name = "G", .action = KG_UA_BOTTOM, .help = "Move to the last row" },
	{ .key = KG_KEY_FN(KEY_END), .name = "End", .action = KG_UA_BOTTOM,
	  .help = "Move to the last row" },
	{ .key = '\n', .name = "Enter", .action = KG_UA_SELECT,
	  .help = "Pick the highlighted customer" },
	{ .key = '\r', .name = NULL, .action = KG_UA_SELECT, .help = "Pick the highlighted customer" },
	{ .key = KG_KEY_FN(KEY_ENTER), .name = NULL, .action = KG_UA_SELECT,
	  .help = "Pick the highlighted customer" },
	{ .key = 'a', .hint = "add", .name = "a", .action = KG_UA_ADD, .help = H_ADD },
	{ .key = 'x', .hint = "remove", .name = "x", .action = KG_UA_REMOVE, .help = H_REMOVE },
	{ .key = 'e', .hint = "reissue", .name = "e", .action = KG_UA_REISSUE, .help = H_REISSUE },
	{ .key = 'd', .hint = "dispute", .name = "d", .action = KG_UA_DISPUTE, .help = H_DISPUTE },
	{ .key = 'o', .hint = "other", .name = "o", .action = KG_UA_OTHER, .help = H_OTHER },
	{ .key = 'n', .name = "n", .action = KG_UA_NEW_CUSTOMER, .help = H_NEW },
	{ .key = 'R', .hint = "return", .name = "R", .action = KG_UA_RETURN, .help = H_RETURN },
	{ .key = 'r', .name = "r", .action = KG_UA_REFRESH, .help = H_REFRESH },
	{ .key = KG_KEY_FN(KEY_F(5)), .name = "F5", .action = KG_UA_REFRESH, .help = H_REFRESH },
	{ .key = '?', .hint = "help", .name = "?", .action = KG_UA_HELP, .help = "Help (this list)" },
	{ .key = 'q', .hint = "quit", .name = "q", .action = KG_UA_QUIT, .help = H_QUIT },
	{ .key = KG_KEY_CTRL('l'), .name = "Ctrl-L", .action = KG_UA_REDRAW, .help = "Redraw" },
};

const struct kg_key_binding *
kg_keys_table(size_t *n)
{
	*n = KG_ARRAY_LEN(keys);
	return keys;
}

enum kg_ui_action
kg_keys_lookup(int key)
{
	size_t i;

	for (i = 0; i < KG_ARRAY_LEN(keys); i++)
		if (keys[i].key == key)
			return keys[i].action;
	return KG_UA_NONE;
}

const char *
kg_keys_help_for(enum kg_ui_action a)
{
	size_t i;

	for (i = 0; i < KG_ARRAY_LEN(keys); i++)
		if (keys[i].action == a)
			return keys[i].help;
	return NULL;
}

size_t
kg_keys_help_lines(struct kg_help_line **out)
{
	struct kg_help_line *v = kg_xcalloc(KG_ARRAY_LEN(keys), sizeof(*v));
	struct kg_buf b;
	size_t i, n = 0;

	for (i = 0; i < KG_ARRAY_LEN(keys); i++) {
		/* rows without a name are aliases (Enter's other codes) */
		if (keys[i].name == NULL)
			continue;
		if (n > 0 && kg_streq(v[n - 1].help, keys[i].help)) {
			kg_buf_init(&b, 0);
			(void)kg_buf_printf(&b, "%s, %s", v[n - 1].keys, keys[i].name);
			free(v[n - 1].keys);
			v[n - 1].keys = kg_buf_steal(&b);
			continue;
		}
		v[n].keys = kg_xstrdup(keys[i].name);
		v[n].help = keys[i].help;
		n++;
	}
	*out = v;
	return n;
}

void
kg_keys_help_free(struct kg_help_line **v, size_t n)
{
	size_t i;

	if (*v == NULL)
		return;
	for (i = 0; i < n; i++)
		free((*v)[i].keys);
	kg_free(v);
}
