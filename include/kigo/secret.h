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
 */
#ifndef KIGO_SECRET_H
#define KIGO_SECRET_H

#include "kigo/common.h"
#include "kigo/config.h"

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

#endif
