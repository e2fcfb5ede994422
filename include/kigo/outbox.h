/*
 * outbox.h - the summary that goes back to ServiceNow, exactly once.
 *
 * The summary lists what the agent did on the ticket (per action: token id
 * and name, action, status and expiry before -> after, reason, Kigo activity
 * id) in plain aligned text for people, ending with "kigo-sync-id: <uuid>".
 *
 * Exactly once: kg_outbox_queue stores text and sync id in the store before
 * anything is sent.  kg_outbox_flush PATCHes the journal field; after an
 * ambiguous failure (timeout, reset, 5xx once the body went out) or for an
 * item an earlier run may have sent, it first looks for the sync id in
 * sys_journal_field and sends only when it is not there.  A crash leaves the
 * row; the next flush finishes it.
 */
#ifndef KIGO_OUTBOX_H
#define KIGO_OUTBOX_H

#include "kigo/common.h"
#include "kigo/model.h"
#include "kigo/store.h"

struct kg_sn;
struct kg_config;
struct kg_loop;
struct kg_outbox_flush;

/* The line that closes every summary; a retried send is found by it. */
#define KG_OUTBOX_SYNC_PREFIX "kigo-sync-id: "
/* What the preview shows instead of the uuid. */
#define KG_OUTBOX_SYNC_PLACEHOLDER "(assigned when sent)"

/*
 * The summary text (pure).  rows in any order (they are listed oldest
 * first); sync_id NULL puts KG_OUTBOX_SYNC_PLACEHOLDER in the last line.
 * Caller frees.
 */
char *kg_outbox_text(const struct kg_ticket *ticket, const struct kg_activity_row *rows, size_t n,
                     const char *sync_id);
/* The text `R` shows before sending; NULL when n == 0.  Caller frees. */
char *kg_outbox_preview(const struct kg_ticket *ticket, const struct kg_activity_row *rows,
                        size_t n);
/* A new random uuid (GLib), lower-case.  Caller frees. */
char *kg_outbox_new_sync_id(void);

/*
 * Build the summary of rows with a fresh sync id and store it, attaching the
 * rows, in one transaction.  Nothing is sent.  *out (may be NULL) receives
 * the stored item; caller frees with kg_outbox_items_free(out, 1).  n == 0,
 * or a ticket without a valid sys_id, is KG_ERR_BAD_INPUT.
 */
enum kg_err kg_outbox_queue(struct kg_store *st, const struct kg_config *cfg,
                            const struct kg_ticket *ticket, const struct kg_activity_row *rows,
                            size_t n, struct kg_outbox_item **out, char **cause);

/*
 * Per item: err KG_ERR_OK when it is confirmed in ServiceNow (sent now, or
 * found there), else the reason it stays pending (a sentence in message).
 */
typedef void (*kg_outbox_item_fn)(const struct kg_outbox_item *item, enum kg_err err,
                                  const char *message, void *ud);
/* Once, after the last item: how many were confirmed and how many remain. */
typedef void (*kg_outbox_done_fn)(size_t sent, size_t pending, void *ud);

/*
 * Send every pending item (of ticket_ref, or all when NULL), one at a time,
 * oldest first.  Callbacks run from the loop, never from inside this call;
 * done runs even when nothing is pending (0, 0).  sn and st must outlive the
 * flush.  One flush runs at a time per database across processes: while
 * another holds it, every item is reported pending (KG_ERR_PENDING) and
 * nothing is sent.
 * Returns NULL and sets *cause when the pending list cannot be read.  The
 * handle lives until done runs (then it is freed) or kg_outbox_flush_cancel.
 */
struct kg_outbox_flush *kg_outbox_flush(struct kg_loop *loop, struct kg_sn *sn,
                                        struct kg_store *st, const char *ticket_ref,
                                        kg_outbox_item_fn item_cb, kg_outbox_done_fn done_cb,
                                        void *ud, char **cause);
/* Stop: no callback runs; what is in flight stays pending (safe). */
void kg_outbox_flush_cancel(struct kg_outbox_flush **f);

#endif
