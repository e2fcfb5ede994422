#include <criterion/criterion.h>
#include <curses.h>
#include <string.h>

#include "kigo/ui_keys.h"

static const char *
icontains(const char *h, const char *n)
{
	size_t hl = strlen(h), nl = strlen(n), i, j;

	for (i = 0; i + nl <= hl; i++) {
		for (j = 0; j < nl; j++)
			if ((h[i + j] | 0x20) != (n[j] | 0x20))
				break;
		if (j == nl)
			return h + i;
	}
	return NULL;
}

/* Every key of the interface contract, and the words its help must use. */
static const struct {
	int key;
	enum kg_ui_action action;
	const char *words;
} contract[] = {
	{ '/', KG_UA_SEARCH, "search customers" },
	{ '\t', KG_UA_NEXT_PANE, "next" },
	{ KG_KEY_FN(KEY_BTAB), KG_UA_PREV_PANE, "previous" },
	{ KG_KEY_FN(KEY_UP), KG_UA_UP, "move" },
	{ KG_KEY_FN(KEY_DOWN), KG_UA_DOWN, "move" },
	{ 'j', KG_UA_DOWN, "move" },
	{ 'k', KG_UA_UP, "move" },
	{ KG_KEY_FN(KEY_PPAGE), KG_UA_PGUP, "move" },
	{ KG_KEY_FN(KEY_NPAGE), KG_UA_PGDN, "move" },
	{ 'g', KG_UA_TOP, "move" },
	{ 'G', KG_UA_BOTTOM, "move" },
	{ 'a', KG_UA_ADD, "add a token" },
	{ 'x', KG_UA_REMOVE, "remove the selected token" },
	{ 'e', KG_UA_REISSUE, "reissue the selected token" },
	{ 'd', KG_UA_DISPUTE, "dispute the selected token" },
	{ 'o', KG_UA_OTHER, "other action" },
	{ 'n', KG_UA_NEW_CUSTOMER, "new customer" },
	{ 'R', KG_UA_RETURN, "Return to ServiceNow" },
	{ 'r', KG_UA_REFRESH, "refresh from the services" },
	{ KG_KEY_FN(KEY_F(5)), KG_UA_REFRESH, "refresh from the services" },
	{ '?', KG_UA_HELP, "help" },
	{ 'q', KG_UA_QUIT, "quit" },
	{ KG_KEY_CTRL('l'), KG_UA_REDRAW, "redraw" },
};

Test(keys, every_contract_key_bound_with_contract_words)
{
	size_t i;

	for (i = 0; i < sizeof(contract) / sizeof(contract[0]); i++) {
		const char *h;

		cr_assert_eq(kg_keys_lookup(contract[i].key), contract[i].action,
		             "key %#x bound to the wrong action", contract[i].key);
		h = kg_keys_help_for(contract[i].action);
		cr_assert_not_null(h);
		cr_assert_not_null(icontains(h, contract[i].words), "help \"%s\" lacks \"%s\"", h,
		                   contract[i].words);
	}
	cr_assert_not_null(strstr(kg_keys_help_for(KG_UA_RETURN), "Return to ServiceNow"));
}

Test(keys, unbound_and_unique)
{
	const struct kg_key_binding *t;
	size_t n, i, j;

	cr_assert_eq(kg_keys_lookup('Z'), KG_UA_NONE);
	cr_assert_eq(kg_keys_lookup(0), KG_UA_NONE);
	t = kg_keys_table(&n);
	for (i = 0; i < n; i++) {
		cr_assert_neq(t[i].action, KG_UA_NONE);
		cr_assert_not_null(t[i].help);
		for (j = i + 1; j < n; j++)
			cr_assert_neq(t[i].key, t[j].key, "key %#x bound twice", t[i].key);
	}
}

Test(keys, help_lines_merge_shared_help)
{
	struct kg_help_line *v;
	size_t n, i;
	bool refresh = false, quit = false, ret = false;

	n = kg_keys_help_lines(&v);
	cr_assert(n > 10);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].keys, "r, F5") == 0)
			refresh = true;
		if (strcmp(v[i].keys, "q") == 0)
			quit = strstr(v[i].help, "not yet synced") != NULL;
		if (strcmp(v[i].keys, "R") == 0)
			ret = true;
		cr_assert_null(strstr(v[i].keys, "(null)"));
	}
	cr_assert(refresh && quit && ret);
	kg_keys_help_free(&v, n);
	cr_assert_null(v);
}
