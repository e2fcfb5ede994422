/*
 * secret.h - where the login tokens live: the Secret Service keyring
 * (libsecret), one 0600 file in state_dir, or this process's memory.
 *
 * The value stored is one opaque string (auth.c keeps a small JSON record
 * in it).  Keyring items use a schema of our own ("org.kigo.KigoTui.Token")
 * with the attributes issuer, client_id and account.  Every way the keyring
 * can be unavailable (no bus, stale bus, no Secret Service, locked, a lookup
 * that returns nothing because the collection is locked) becomes
 * KG_ERR_KEYRING with one plain sentence.  The keyring is reached only
 * when these functions are called: at start-up and on explicit actions.
 *
 * The synchronous calls block as long as the keyring does (D-Bus waits 25 s
 * for a daemon that never answers): fine for one-shot commands.  The
 * full-screen client uses the _async calls instead: libsecret then runs on
 * one worker thread and results come back on the loop.
 */
#ifndef KIGO_SECRET_H
#define KIGO_SECRET_H

#include "kigo/common.h"
#include "kigo/config.h"

struct kg_loop;
struct kg_secret;

enum kg_secret_kind { KG_SECRET_KEYRING, KG_SECRET_FILE, KG_SECRET_MEMORY };

struct kg_secret_opts {
	enum kg_secrets mode;     /* auto | keyring | file | memory (config.h) */
	const char *state_dir;    /* folder of the file (file mode) */
	const char *issuer;       /* keyring attributes */
	const char *client_id;
	const char *file_name;    /* NULL = "tokens.json" */
};

/*
 * Open the store.  auto: the keyring when one answers, else memory with
 * *notice (caller frees) saying why and how to keep tokens (secrets = file).
 * keyring: KG_ERR_KEYRING when unavailable.  file: KG_ERR_PERMS when the
 * file or its folder is readable or writable by others (the folder is
 * created 0700 when missing).  *cause says what to do; caller frees.
 * notice may be NULL.
 */
enum kg_err kg_secret_open(const struct kg_secret_opts *opts, struct kg_secret **out,
                           char **notice, char **cause);
/* Wipes the memory copy. */
void kg_secret_close(struct kg_secret **s);

enum kg_secret_kind kg_secret_kind(const struct kg_secret *s);
/*
 * secrets = auto fell back to memory because the keyring answered but was
 * locked: tokens an earlier run kept there can be neither read nor removed.
 */
bool kg_secret_keyring_locked(const struct kg_secret *s);
/* "keyring", "file" or "memory". */
const char *kg_secret_kind_str(enum kg_secret_kind kind);

/*
 * The stored value: KG_ERR_OK with *value (caller frees with
 * kg_secret_free), KG_ERR_NOT_FOUND when nothing is stored, or an error.
 */
enum kg_err kg_secret_load(struct kg_secret *s, char **value, char **cause);
/* Replace the stored value; account is a keyring attribute (may be NULL). */
enum kg_err kg_secret_save(struct kg_secret *s, const char *account, const char *value,
                           char **cause);
/* Forget the value (every item of this issuer and client id in the keyring). */
enum kg_err kg_secret_clear(struct kg_secret *s, char **cause);

/* ---- asynchronous use (the full-screen client) ---- */

/*
 * Like kg_secret_open, but for secrets = keyring and auto nothing is asked
 * of the keyring yet: a worker thread is started, and the probe happens in
 * the first kg_secret_load_async.  file and memory open as with
 * kg_secret_open (no thread; the _async calls must not be used then: see
 * kg_secret_async).  loop is borrowed and must outlive the handle.
 * kg_secret_close then waits at most about 2 s for queued work (a save),
 * cancels what still runs and leaves a hung thread behind.
 */
enum kg_err kg_secret_open_async(const struct kg_secret_opts *opts, struct kg_loop *loop,
                                 struct kg_secret **out, char **cause);
/* True while the store must be reached through the _async calls. */
bool kg_secret_async(const struct kg_secret *s);
/* Jobs queued or running on the worker whose callback has not run. */
size_t kg_secret_pending(const struct kg_secret *s);

/* What an asynchronous call came to, valid during the callback only. */
struct kg_secret_result {
	enum kg_err err;       /* OK, NOT_FOUND (load), KEYRING ... */
	char *value;           /* load: the value; take it (set NULL, free with
	                          kg_secret_free) or it is wiped after the call */
	const char *cause;     /* err != OK: one sentence, why and what to do */
	const char *notice;    /* auto fell back to memory (why, how to keep tokens) */
};
/* Called from the loop (never from inside the _async call). */
typedef void (*kg_secret_done_fn)(struct kg_secret_result *r, void *ud);

/*
 * Load: probe the keyring (keyring: KG_ERR_KEYRING with the sentence of
 * kg_secret_open when unusable; auto: fall back to memory with the notice,
 * err NOT_FOUND), then look the value up.
 */
void kg_secret_load_async(struct kg_secret *s, kg_secret_done_fn done, void *ud);
/* Save a copy of value (wiped once stored); done may be NULL. */
void kg_secret_save_async(struct kg_secret *s, const char *account, const char *value,
                          kg_secret_done_fn done, void *ud);
/* Clear; done may be NULL. */
void kg_secret_clear_async(struct kg_secret *s, kg_secret_done_fn done, void *ud);

#endif
