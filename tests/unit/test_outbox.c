/*
 * test_outbox.c - the summary text people read in ServiceNow: golden text
 * for every action kind, order, alignment, hostile text, the sync line.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "kigo/outbox.h"

static struct kg_token *
tok(const char *id, const char *name, enum kg_token_status st, const char *exp)
{
	struct kg_token *t = calloc(1, sizeof(*t));

	t->id = strdup(id);
	t->customer_id = strdup("cus_8XK2");
	t->sku = strdup("XB-5OFF");
	t->name = strdup(name);
	t->status = st;
	t->expires_at = exp != NULL ? strdup(exp) : NULL;
	return t;
}

static void
row(struct kg_activity_row *r, int64_t rowid, const char *id, enum kg_action a,
    const char *token_id, const char *reason, struct kg_token *before, struct kg_token *after)
{
	memset(r, 0, sizeof(*r));
	r->rowid = rowid;
	r->act.id = strdup(id);
	r->act.at = strdup("2026-11-23T19:50:00Z");
	r->act.actor = strdup("agent@cvs.example");
	r->act.action = a;
	r->act.token_id = token_id != NULL ? strdup(token_id) : NULL;
	r->act.customer_id = strdup("cus_8XK2");
	r->act.ticket_ref = strdup("INC0012345");
	r->act.reason = reason != NULL ? strdup(reason) : NULL;
	r->act.before = before;
	r->act.after = after;
}

static void
rows_clear(struct kg_activity_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kg_activity_clear(&v[i].act);
}

static struct kg_ticket ticket = {
	.sys_id = (char *)"9d385017c611228701d22104cc95c371",
	.number = (char *)"INC0012345",
	.table = (char *)"incident",
};

Test(outbox, every_action_kind_golden)
{
	struct kg_activity_row r[8];
	char *text;
	const char *golden =
	    "Kigo loyalty token actions for INC0012345 (8):\n"
	    "\n"
	    "1. Created a customer\n"
	    "   Customer: cus_8XK2\n"
	    "   Activity: act_1  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "2. Added a token\n"
	    "   Token:    tok_A  $5 ExtraBucks\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   (new) -> active\n"
	    "   Expires:  (new) -> 2026-12-31\n"
	    "   Reason:   goodwill\n"
	    "   Activity: act_2  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "3. Removed a token\n"
	    "   Token:    tok_B  $10 Off\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   active -> removed\n"
	    "   Expires:  2026-12-01 (unchanged)\n"
	    "   Reason:   duplicate\n"
	    "   Activity: act_3  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "4. Reissued a token\n"
	    "   Token:    tok_C  $5 ExtraBucks\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   expired -> active\n"
	    "   Expires:  2026-11-01 -> 2027-01-31\n"
	    "   Reason:   expired before use\n"
	    "   Activity: act_4  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "5. Disputed a token\n"
	    "   Token:    tok_D  $5 ExtraBucks\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   redeemed -> disputed\n"
	    "   Expires:  2026-12-01 (unchanged)\n"
	    "   Reason:   customer says never redeemed\n"
	    "   Activity: act_5  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "6. Noted on a token\n"
	    "   Token:    tok_D  $5 ExtraBucks\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   disputed (unchanged)\n"
	    "   Expires:  2026-12-01 (unchanged)\n"
	    "   Note:     called the store\n"
	    "   Activity: act_6  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "7. Resolved the dispute on a token\n"
	    "   Token:    tok_D  $5 ExtraBucks\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   disputed -> active\n"
	    "   Expires:  2026-12-01 (unchanged)\n"
	    "   Note:     store confirmed\n"
	    "   Activity: act_7  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "8. Extended a token\n"
	    "   Token:    tok_A  $5 ExtraBucks\n"
	    "   Customer: cus_8XK2\n"
	    "   Status:   active (unchanged)\n"
	    "   Expires:  2026-12-31 -> 2027-03-31\n"
	    "   Activity: act_8  2026-11-23T19:50:00Z  by agent@cvs.example\n"
	    "\n"
	    "kigo-sync-id: 0f6c1f7e-5a57-4d55-9d0e-2b1d1b0c9a11";

	/* given newest first, as the store lists them; the text is oldest first */
	row(&r[7], 1, "act_1", KG_ACTION_CREATE_CUSTOMER, NULL, NULL, NULL, NULL);
	row(&r[6], 2, "act_2", KG_ACTION_ADD, "tok_A", "goodwill", NULL,
	    tok("tok_A", "$5 ExtraBucks", KG_TOKEN_ACTIVE, "2026-12-31"));
	row(&r[5], 3, "act_3", KG_ACTION_REMOVE, "tok_B", "duplicate",
	    tok("tok_B", "$10 Off", KG_TOKEN_ACTIVE, "2026-12-01"),
	    tok("tok_B", "$10 Off", KG_TOKEN_REMOVED, "2026-12-01"));
	row(&r[4], 4, "act_4", KG_ACTION_REISSUE, "tok_C", "expired before use",
	    tok("tok_C", "$5 ExtraBucks", KG_TOKEN_EXPIRED, "2026-11-01"),
	    tok("tok_C", "$5 ExtraBucks", KG_TOKEN_ACTIVE, "2027-01-31"));
	row(&r[3], 5, "act_5", KG_ACTION_DISPUTE, "tok_D", "customer says never redeemed",
	    tok("tok_D", "$5 ExtraBucks", KG_TOKEN_REDEEMED, "2026-12-01"),
	    tok("tok_D", "$5 ExtraBucks", KG_TOKEN_DISPUTED, "2026-12-01"));
	row(&r[2], 6, "act_6", KG_ACTION_OTHER, "tok_D", "called the store",
	    tok("tok_D", "$5 ExtraBucks", KG_TOKEN_DISPUTED, "2026-12-01"),
	    tok("tok_D", "$5 ExtraBucks", KG_TOKEN_DISPUTED, "2026-12-01"));
	row(&r[1], 7, "act_7", KG_ACTION_OTHER, "tok_D", "store confirmed",
	    tok("tok_D", "$5 ExtraBucks", KG_TOKEN_DISPUTED, "2026-12-01"),
	    tok("tok_D", "$5 ExtraBucks", KG_TOKEN_ACTIVE, "2026-12-01"));
	row(&r[0], 8, "act_8", KG_ACTION_OTHER, "tok_A", NULL,
	    tok("tok_A", "$5 ExtraBucks", KG_TOKEN_ACTIVE, "2026-12-31"),
	    tok("tok_A", "$5 ExtraBucks", KG_TOKEN_ACTIVE, "2027-03-31"));

	text = kg_outbox_text(&ticket, r, 8, "0f6c1f7e-5a57-4d55-9d0e-2b1d1b0c9a11");
	cr_assert_str_eq(text, golden, "got:\n%s", text);
	cr_assert_null(strchr(text, '{'), "no JSON in the summary");
	free(text);
	rows_clear(r, 8);
}

Test(outbox, preview_has_placeholder_and_empty_is_null)
{
	struct kg_activity_row r[1];
	char *text;

	cr_assert_null(kg_outbox_preview(&ticket, NULL, 0));
	row(&r[0], 1, "act_9", KG_ACTION_DISPUTE, "tok_D", "x",
	    tok("tok_D", "$5", KG_TOKEN_ACTIVE, "2026-12-01"), NULL);
	text = kg_outbox_preview(&ticket, r, 1);
	cr_assert_not_null(strstr(text, "\nkigo-sync-id: " KG_OUTBOX_SYNC_PLACEHOLDER));
	/* the backend gave no "after": said, not invented */
	cr_assert_not_null(strstr(text, "   Status:   active -> (not reported)\n"), "%s", text);
	free(text);
	rows_clear(r, 1);
}

Test(outbox, hostile_text_stays_on_its_line)
{
	struct kg_activity_row r[1];
	char *text;
	const char *last;

	row(&r[0], 1, "act_1", KG_ACTION_REMOVE, "tok_B",
	    "dup\nkigo-sync-id: forged\x1b[2J\r\tend",
	    tok("tok_B", "Bad\nName\x07", KG_TOKEN_ACTIVE, "2026-12-01"),
	    tok("tok_B", "Bad\nName\x07", KG_TOKEN_REMOVED, "2026-12-01"));
	text = kg_outbox_text(&ticket, r, 1, "11111111-2222-3333-4444-555555555555");
	cr_assert_null(strchr(text, 0x1b));
	cr_assert_null(strchr(text, '\r'));
	cr_assert_null(strchr(text, 0x07));
	cr_assert_not_null(strstr(text, "   Reason:   dup kigo-sync-id: forged[2J  end\n"), "%s",
	                   text);
	cr_assert_not_null(strstr(text, "   Token:    tok_B  Bad Name\n"), "%s", text);
	/* exactly one line starts with the sync prefix, and it is the last */
	last = strrchr(text, '\n') + 1;
	cr_assert_str_eq(last, "kigo-sync-id: 11111111-2222-3333-4444-555555555555");
	cr_assert_eq(strstr(text, "\nkigo-sync-id:"), last - 1);
	free(text);
	rows_clear(r, 1);
}

Test(outbox, sync_ids_are_uuids_and_differ)
{
	char *a = kg_outbox_new_sync_id(), *b = kg_outbox_new_sync_id();
	size_t i;

	cr_assert_eq(strlen(a), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			cr_assert_eq(a[i], '-');
		else
			cr_assert(strchr("0123456789abcdef", a[i]) != NULL, "%s", a);
	}
	cr_assert_str_neq(a, b);
	free(a);
	free(b);
}
