/*
 * secret.c - the token store: Secret Service keyring, a 0600 file, or
 * memory.
 *
 * The keyring is reached through libsecret's synchronous calls, so this
 * module is only ever called at start-up and on explicit actions (login,
 * refresh, logout), never from the redraw path.  Every way the keyring can
 * fail is turned into one plain sentence; a lookup that finds nothing is
 * double-checked against a locked collection, because libsecret then
 * returns NULL without an error.  The file is written to a temporary name,
 * fsynced and renamed, and refused when others could read it.  Must never
 * log or print the value it stores.
 */
#include "kigo/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <libsecret/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/buf.h"
#include "kigo/oidc_json.h"

#define SECRET_MAX_FILE (64 * 1024)

struct kg_secret {
	enum kg_secret_kind kind;
	char *issuer;       /* keyring attributes */
	char *client_id;
	char *dir;          /* file: state_dir */
	char *path;         /* file: state_dir/tokens.json */
	char *mem;          /* memory: the value (wiped on change) */
	bool keyring_used;  /* libsecret was touched: disconnect on close */
	bool locked_out;    /* auto: a keyring answered but was locked */
};

static const SecretSchema *
kg_schema(void)
{
	static const SecretSchema schema = {
		"org.kigo.KigoTui.Token",
		SECRET_SCHEMA_NONE,
		{
			{ "issuer", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ "client_id", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
			{ NULL, 0 },
		},
		0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	};
	return &schema;
}

const char *
kg_secret_kind_str(enum kg_secret_kind kind)
{
	switch (kind) {
	case KG_SECRET_KEYRING:
		return "keyring";
	case KG_SECRET_FILE:
		return "file";
	case KG_SECRET_MEMORY:
		break;
	}
	return "memory";
}

enum kg_secret_kind
kg_secret_kind(const struct kg_secret *s)
{
	return s->kind;
}

bool
kg_secret_keyring_locked(const struct kg_secret *s)
{
	return s->locked_out;
}

/* ---- keyring ---- */

/* One plain sentence for a libsecret failure (RECIPES.md lists them). */
static void
keyring_cause(const GError *gerr, char **cause)
{
	if (gerr == NULL)
		kg_set_cause(cause, "the keyring is locked (it returned nothing and no error), so it "
		                    "cannot be read without a password prompt");
	else if (gerr->domain == G_IO_ERROR && gerr->code == G_IO_ERROR_FAILED &&
	         strstr(gerr->message, "autolaunch") != NULL)
		kg_set_cause(cause, "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not "
		                    "set, as over plain SSH), so no keyring can be reached");
	else if (gerr->domain == G_IO_ERROR)
		kg_set_cause(cause, "the D-Bus session bus named in DBUS_SESSION_BUS_ADDRESS does "
		                    "not answer (a stale address from an earlier login?)");
	else if (gerr->domain == G_DBUS_ERROR && gerr->code == G_DBUS_ERROR_SERVICE_UNKNOWN)
		kg_set_cause(cause, "the session bus has no Secret Service (no keyring daemon such "
		                    "as gnome-keyring is running)");
	else if (gerr->domain == SECRET_ERROR && gerr->code == SECRET_ERROR_IS_LOCKED)
		kg_set_cause(cause, "the keyring is locked; unlock it (or log in to the desktop) "
		                    "and try again");
	else if (gerr->domain == G_DBUS_ERROR && (gerr->code == G_DBUS_ERROR_NO_REPLY ||
	                                          gerr->code == G_DBUS_ERROR_TIMEOUT ||
	                                          gerr->code == G_DBUS_ERROR_TIMED_OUT))
		kg_set_cause(cause, "the keyring did not answer in time");
	else {
		char *msg = kg_xstrdup(gerr->message);
		char *p;

		/* Local text, but keep it to one printable line all the same. */
		for (p = msg; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		kg_set_cause(cause, "the keyring failed (%s)", msg);
		free(msg);
	}
}

/*
 * Does a usable keyring answer?  The default collection must exist and be
 * unlocked: storing into a locked one needs a prompt we cannot show.
 */
static enum kg_err
keyring_probe(char **cause, bool *locked)
{
	GError *gerr = NULL;
	SecretService *svc;
	SecretCollection *col;
	enum kg_err err = KG_ERR_KEYRING;

	svc = secret_service_get_sync(SECRET_SERVICE_NONE, NULL, &gerr);
	if (svc == NULL) {
		keyring_cause(gerr, cause);
		goto out;
	}
	col = secret_collection_for_alias_sync(svc, SECRET_COLLECTION_DEFAULT,
	                                       SECRET_COLLECTION_NONE, NULL, &gerr);
	if (col == NULL) {
		if (gerr != NULL && locked != NULL)
			*locked = gerr->domain == SECRET_ERROR && gerr->code == SECRET_ERROR_IS_LOCKED;
		if (gerr != NULL)
			keyring_cause(gerr, cause);
		else
			kg_set_cause(cause, "the keyring has no default collection to keep the "
			                    "tokens in");
	} else if (secret_collection_get_locked(col)) {
		if (locked != NULL)
			*locked = true;
		kg_set_cause(cause, "the keyring is locked; unlock it (or log in to the desktop) "
		                    "and try again");
	} else
		err = KG_ERR_OK;
	if (col != NULL)
		g_object_unref(col);
	g_object_unref(svc);
out:
	if (gerr != NULL)
		g_error_free(gerr);
	return err;
}

static enum kg_err
keyring_load(struct kg_secret *s, char **value, char **cause)
{
	GError *gerr = NULL;
	gchar *pw;
	enum kg_err err;

	pw = secret_password_lookup_sync(kg_schema(), NULL, &gerr, "issuer", s->issuer,
	                                 "client_id", s->client_id, NULL);
	if (pw != NULL) {
		*value = kg_xstrdup(pw);
		secret_password_free(pw);
		return KG_ERR_OK;
	}
	if (gerr != NULL) {
		keyring_cause(gerr, cause);
		g_error_free(gerr);
		return KG_ERR_KEYRING;
	}
	/* NULL without an error is "not found" or "locked": tell them apart. */
	err = keyring_probe(cause, NULL);
	return err == KG_ERR_OK ? KG_ERR_NOT_FOUND : err;
}

static enum kg_err
keyring_clear(struct kg_secret *s, char **cause)
{
	GError *gerr = NULL;

	secret_password_clear_sync(kg_schema(), NULL, &gerr, "issuer", s->issuer, "client_id",
	                           s->client_id, NULL);
	if (gerr != NULL) {
		keyring_cause(gerr, cause);
		g_error_free(gerr);
		return KG_ERR_KEYRING;
	}
	return KG_ERR_OK;
}

static enum kg_err
keyring_save(struct kg_secret *s, const char *account, const char *value, char **cause)
{
	GError *gerr = NULL;
	char *label;
	enum kg_err err;

	/* One item per issuer and client: drop items of an earlier account. */
	if ((err = keyring_clear(s, cause)) != KG_ERR_OK)
		return err;
	label = kg_xasprintf("kigo-tui login (%s)", s->issuer);
	secret_password_store_sync(kg_schema(), SECRET_COLLECTION_DEFAULT, label, value, NULL,
	                           &gerr, "issuer", s->issuer, "client_id", s->client_id,
	                           "account", account != NULL ? account : "", NULL);
	free(label);
	if (gerr != NULL) {
		keyring_cause(gerr, cause);
		g_error_free(gerr);
		return KG_ERR_KEYRING;
	}
	return KG_ERR_OK;
}

/* ---- file ---- */

/* Create missing folders of path, each 0700. */
static enum kg_err
mkdirs(const char *path, char **cause)
{
	char *p = kg_xstrdup(path);
	char *q;
	enum kg_err err = KG_ERR_OK;

	for (q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;

		*q = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			kg_set_cause(cause, "cannot create the folder %s: %s", p, strerror(errno));
			err = KG_ERR_IO;
			break;
		}
		*q = c;
		if (c == '\0')
			break;
	}
	free(p);
	return err;
}

static enum kg_err
check_dir(const char *dir, char **cause)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno != ENOENT) {
			kg_set_cause(cause, "cannot use the folder %s: %s", dir, strerror(errno));
			return KG_ERR_IO;
		}
		return mkdirs(dir, cause);
	}
	if (!S_ISDIR(st.st_mode)) {
		kg_set_cause(cause, "state_dir %s is not a folder", dir);
		return KG_ERR_IO;
	}
	if (st.st_uid != geteuid()) {
		kg_set_cause(cause, "the folder %s belongs to another user; tokens are not kept "
		                    "there (choose another state_dir)", dir);
		return KG_ERR_PERMS;
	}
	if ((st.st_mode & 0066) != 0) {
		kg_set_cause(cause, "the folder %s can be read or written by other users (mode "
		                    "%04o); run 'chmod 700 %s' so the tokens file can be kept there",
		             dir, (unsigned)(st.st_mode & 07777), dir);
		return KG_ERR_PERMS;
	}
	return KG_ERR_OK;
}

/* The file must be ours, regular, and private. */
static enum kg_err
check_file_stat(const char *path, const struct stat *st, char **cause)
{
	if (!S_ISREG(st->st_mode)) {
		kg_set_cause(cause, "%s is not a regular file; remove it", path);
		return KG_ERR_PERMS;
	}
	if (st->st_uid != geteuid()) {
		kg_set_cause(cause, "%s belongs to another user; remove it", path);
		return KG_ERR_PERMS;
	}
	if ((st->st_mode & 0077) != 0) {
		kg_set_cause(cause, "%s can be read by other users (mode %04o), so the tokens in it "
		                    "may be known to others; run 'kigo-tui logout', remove the file "
		                    "and log in again",
		             path, (unsigned)(st->st_mode & 07777));
		return KG_ERR_PERMS;
	}
	return KG_ERR_OK;
}

static enum kg_err
file_check(struct kg_secret *s, char **cause)
{
	struct stat st;
	enum kg_err err;

	if ((err = check_dir(s->dir, cause)) != KG_ERR_OK)
		return err;
	if (lstat(s->path, &st) != 0) {
		if (errno == ENOENT)
			return KG_ERR_OK;
		kg_set_cause(cause, "cannot use %s: %s", s->path, strerror(errno));
		return KG_ERR_IO;
	}
	return check_file_stat(s->path, &st, cause);
}

static enum kg_err
file_load(struct kg_secret *s, char **value, char **cause)
{
	struct kg_buf b;
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd;
	enum kg_err err;

	if ((err = check_dir(s->dir, cause)) != KG_ERR_OK)
		return err;
	fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return KG_ERR_NOT_FOUND;
		kg_set_cause(cause, "cannot open %s: %s", s->path, strerror(errno));
		return errno == ELOOP ? KG_ERR_PERMS : KG_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		kg_set_cause(cause, "cannot use %s: %s", s->path, strerror(errno));
		close(fd);
		return KG_ERR_IO;
	}
	if ((err = check_file_stat(s->path, &st, cause)) != KG_ERR_OK) {
		close(fd);
		return err;
	}
	kg_oidc_secret_buf(&b, SECRET_MAX_FILE + 1);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (kg_buf_append(&b, chunk, (size_t)n) != KG_ERR_OK) {
			n = -2;
			break;
		}
	}
	kg_memzero(chunk, sizeof(chunk));
	if (n < 0) {
		if (n == -2)
			kg_set_cause(cause, "%s is larger than %d bytes; remove it and log in again",
			             s->path, SECRET_MAX_FILE);
		else
			kg_set_cause(cause, "cannot read %s: %s", s->path, strerror(errno));
		close(fd);
		kg_buf_wipe(&b);
		return KG_ERR_IO;
	}
	close(fd);
	if (b.len == 0) {
		kg_buf_wipe(&b);
		return KG_ERR_NOT_FOUND;
	}
	*value = kg_buf_steal(&b);
	return KG_ERR_OK;
}

static enum kg_err
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return KG_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return KG_ERR_OK;
}

static enum kg_err
file_save(struct kg_secret *s, const char *value, char **cause)
{
	char *tmp;
	int fd, dfd;
	enum kg_err err;

	if ((err = check_dir(s->dir, cause)) != KG_ERR_OK)
		return err;
	tmp = kg_xasprintf("%s/.tokens.XXXXXX", s->dir);
	fd = mkstemp(tmp); /* 0600 */
	if (fd < 0) {
		kg_set_cause(cause, "cannot create a file in %s: %s", s->dir, strerror(errno));
		free(tmp);
		return KG_ERR_IO;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, value, strlen(value)) != KG_ERR_OK ||
	    fsync(fd) != 0) {
		kg_set_cause(cause, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return KG_ERR_IO;
	}
	close(fd);
	if (rename(tmp, s->path) != 0) {
		kg_set_cause(cause, "cannot rename %s to %s: %s", tmp, s->path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return KG_ERR_IO;
	}
	free(tmp);
	/* Make the rename itself durable. */
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return KG_ERR_OK;
}

static enum kg_err
file_clear(struct kg_secret *s, char **cause)
{
	if (unlink(s->path) != 0 && errno != ENOENT) {
		kg_set_cause(cause, "cannot remove %s: %s", s->path, strerror(errno));
		return KG_ERR_IO;
	}
	return KG_ERR_OK;
}

/* ---- public ---- */

enum kg_err
kg_secret_open(const struct kg_secret_opts *opts, struct kg_secret **out, char **notice,
               char **cause)
{
	struct kg_secret *s = kg_xcalloc(1, sizeof(*s));
	char *why = NULL;
	enum kg_err err = KG_ERR_OK;

	*out = NULL;
	s->issuer = kg_xstrdup(opts->issuer != NULL ? opts->issuer : "");
	s->client_id = kg_xstrdup(opts->client_id != NULL ? opts->client_id : "");
	switch (opts->mode) {
	case KG_SECRETS_MEMORY:
		s->kind = KG_SECRET_MEMORY;
		break;
	case KG_SECRETS_FILE:
		s->kind = KG_SECRET_FILE;
		if (kg_str_empty(opts->state_dir)) {
			kg_set_cause(cause, "secrets = file needs a state_dir");
			err = KG_ERR_CONFIG;
			goto out;
		}
		s->dir = kg_xstrdup(opts->state_dir);
		s->path = kg_xasprintf("%s/%s", opts->state_dir,
		                       opts->file_name != NULL ? opts->file_name : "tokens.json");
		if ((err = file_check(s, cause)) != KG_ERR_OK)
			goto out;
		break;
	case KG_SECRETS_KEYRING:
		s->kind = KG_SECRET_KEYRING;
		s->keyring_used = true;
		if ((err = keyring_probe(&why, NULL)) != KG_ERR_OK) {
			kg_set_cause(cause, "The keyring cannot be used: %s. Start a keyring, or set "
			                    "secrets = file (or auto) in [storage].", why);
			goto out;
		}
		break;
	case KG_SECRETS_AUTO:
		s->kind = KG_SECRET_KEYRING;
		s->keyring_used = true;
		if (keyring_probe(&why, &s->locked_out) != KG_ERR_OK) {
			s->kind = KG_SECRET_MEMORY;
			if (notice != NULL)
				kg_set_cause(notice, "Tokens are kept in memory for this run only: %s. "
				                     "To keep them between runs, start a keyring or set "
				                     "secrets = file in [storage] of the configuration.",
				             why);
		}
		break;
	}
out:
	free(why);
	if (err != KG_ERR_OK) {
		kg_secret_close(&s);
		return err;
	}
	*out = s;
	return KG_ERR_OK;
}

void
kg_secret_close(struct kg_secret **sp)
{
	struct kg_secret *s = *sp;

	if (s == NULL)
		return;
	kg_secret_free(&s->mem);
	free(s->issuer);
	free(s->client_id);
	free(s->dir);
	free(s->path);
	/* Drop libsecret's shared connection so nothing outlives us. */
	if (s->keyring_used)
		secret_service_disconnect();
	free(s);
	*sp = NULL;
}

enum kg_err
kg_secret_load(struct kg_secret *s, char **value, char **cause)
{
	*value = NULL;
	switch (s->kind) {
	case KG_SECRET_KEYRING:
		return keyring_load(s, value, cause);
	case KG_SECRET_FILE:
		return file_load(s, value, cause);
	case KG_SECRET_MEMORY:
		break;
	}
	if (s->mem == NULL)
		return KG_ERR_NOT_FOUND;
	*value = kg_xstrdup(s->mem);
	return KG_ERR_OK;
}

enum kg_err
kg_secret_save(struct kg_secret *s, const char *account, const char *value, char **cause)
{
	switch (s->kind) {
	case KG_SECRET_KEYRING:
		return keyring_save(s, account, value, cause);
	case KG_SECRET_FILE:
		return file_save(s, value, cause);
	case KG_SECRET_MEMORY:
		break;
	}
	kg_secret_free(&s->mem);
	s->mem = kg_xstrdup(value);
	return KG_ERR_OK;
}

enum kg_err
kg_secret_clear(struct kg_secret *s, char **cause)
{
	switch (s->kind) {
	case KG_SECRET_KEYRING:
		return keyring_clear(s, cause);
	case KG_SECRET_FILE:
		return file_clear(s, cause);
	case KG_SECRET_MEMORY:
		break;
	}
	kg_secret_free(&s->mem);
	return KG_ERR_OK;
}
