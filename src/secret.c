/*
 * secret.c - the token store: Secret Service keyring, a 0600 file, or
 * memory.
 *
 * The keyring is reached through libsecret's synchronous calls.  The
 * one-shot commands (login, logout, status, sync) call them directly; the
 * full-screen client opens the store with kg_secret_open_async, and then
 * every libsecret call runs on one worker thread (worker.h), one at a
 * time, with the result handed back on the loop, so a keyring that never
 * answers (D-Bus waits 25 s) cannot freeze the screen.  Worker jobs carry
 * copies of everything they use and never touch the handle; values copied
 * for them are wiped when the job is freed.  Every way the keyring can fail
 * is turned into one plain sentence; a lookup that finds nothing is
 * double-checked against a locked collection, because libsecret then
 * returns NULL without an error.  The file is written to a temporary name,
 * fsynced and renamed, and refused when others could read it.  Must never
 * log or print the value it stores, and never call libsecret from the
 * loop's thread once a worker exists.
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
#include "kigo/loop.h"
#include "kigo/oidc_json.h"
#include "kigo/worker.h"

#define SECRET_MAX_FILE (64 * 1024)
#define CLOSE_DRAIN_MS 1500  /* on close: time for queued saves to finish */
#define CLOSE_CANCEL_MS 500  /* then cancelled calls get this long to return */
#define KEYRING_TIMEOUT_MS 10000 /* async: a call with no answer for this long is cancelled */

struct kg_secret {
	enum kg_secret_kind kind;
	char *issuer;       /* keyring attributes */
	char *client_id;
	char *dir;          /* file: state_dir */
	char *path;         /* file: state_dir/tokens.json */
	char *mem;          /* memory: the value (wiped on change) */
	bool keyring_used;  /* libsecret was touched: disconnect on close */
	bool locked_out;    /* auto: a keyring answered but was locked */
	enum kg_secrets mode;        /* as configured (async: keyring or auto) */
	struct kg_worker *worker;    /* async keyring: the thread for libsecret */
	GCancellable *cancel;        /* async: for new jobs (each holds a ref); cancelled
	                                on close or when the keyring stops answering */
	bool probed;                 /* async: a load or save answered the probe */
	struct kg_loop *loop;        /* async: borrowed, for the timer */
	uint64_t stall_timer;        /* async: no job finished for KEYRING_TIMEOUT_MS */
	unsigned writes;             /* async: saves and clears not finished */
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

/* The sentences for a keyring that cannot be used (%s: why). */
#define KEYRING_REFUSED                                                                 \
	"The keyring cannot be used: %s. Start a keyring, or set secrets = file (or auto) " \
	"in [storage]."
#define AUTO_NOTICE                                                              \
	"Tokens are kept in memory for this run only: %s. To keep them between runs, " \
	"start a keyring or set secrets = file in [storage] of the configuration."

/* One plain sentence for a libsecret failure (RECIPES.md lists them). */
static void
keyring_cause(const GError *gerr, char **cause)
{
	if (gerr == NULL)
		kg_set_cause(cause, "the keyring is locked (it returned nothing and no error), so it "
		                    "cannot be read without a password prompt");
	else if (gerr->domain == G_IO_ERROR && gerr->code == G_IO_ERROR_CANCELLED)
		kg_set_cause(cause, "the keyring did not answer within %d s (restart its daemon)",
		             KEYRING_TIMEOUT_MS / 1000);
	else if (gerr->domain == G_IO_ERROR && gerr->code == G_IO_ERROR_TIMED_OUT)
		kg_set_cause(cause, "the keyring did not answer in time (its daemon owns the bus "
		                    "name but does not reply: restart it, or log in to the desktop "
		                    "again)");
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
keyring_probe(GCancellable *cancel, char **cause, bool *locked)
{
	GError *gerr = NULL;
	SecretService *svc;
	SecretCollection *col;
	enum kg_err err = KG_ERR_KEYRING;

	svc = secret_service_get_sync(SECRET_SERVICE_NONE, cancel, &gerr);
	if (svc == NULL) {
		keyring_cause(gerr, cause);
		goto out;
	}
	col = secret_collection_for_alias_sync(svc, SECRET_COLLECTION_DEFAULT,
	                                       SECRET_COLLECTION_NONE, cancel, &gerr);
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
keyring_load(const char *issuer, const char *client_id, GCancellable *cancel, char **value,
             char **cause)
{
	GError *gerr = NULL;
	gchar *pw;
	enum kg_err err;

	pw = secret_password_lookup_sync(kg_schema(), cancel, &gerr, "issuer", issuer,
	                                 "client_id", client_id, NULL);
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
	err = keyring_probe(cancel, cause, NULL);
	return err == KG_ERR_OK ? KG_ERR_NOT_FOUND : err;
}

static enum kg_err
keyring_clear(const char *issuer, const char *client_id, GCancellable *cancel, char **cause)
{
	GError *gerr = NULL;

	secret_password_clear_sync(kg_schema(), cancel, &gerr, "issuer", issuer, "client_id",
	                           client_id, NULL);
	if (gerr != NULL) {
		keyring_cause(gerr, cause);
		g_error_free(gerr);
		return KG_ERR_KEYRING;
	}
	return KG_ERR_OK;
}

static enum kg_err
keyring_save(const char *issuer, const char *client_id, GCancellable *cancel,
             const char *account, const char *value, char **cause)
{
	GError *gerr = NULL;
	char *label;
	enum kg_err err;

	/* One item per issuer and client: drop items of an earlier account. */
	if ((err = keyring_clear(issuer, client_id, cancel, cause)) != KG_ERR_OK)
		return err;
	label = kg_xasprintf("kigo-tui login (%s)", issuer);
	secret_password_store_sync(kg_schema(), SECRET_COLLECTION_DEFAULT, label, value, cancel,
	                           &gerr, "issuer", issuer, "client_id", client_id,
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
		if ((err = keyring_probe(NULL, &why, NULL)) != KG_ERR_OK) {
			kg_set_cause(cause, KEYRING_REFUSED, why);
			goto out;
		}
		break;
	case KG_SECRETS_AUTO:
		s->kind = KG_SECRET_KEYRING;
		s->keyring_used = true;
		if (keyring_probe(NULL, &why, &s->locked_out) != KG_ERR_OK) {
			s->kind = KG_SECRET_MEMORY;
			if (notice != NULL)
				kg_set_cause(notice, AUTO_NOTICE, why);
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
	if (s->loop != NULL)
		kg_timer_cancel(s->loop, s->stall_timer);
	if (s->worker != NULL) {
		bool joined;

		/*
		 * Queued saves get a moment (a rotated refresh token is only good
		 * once stored); a read is not worth waiting for.  A call that still
		 * hangs is cancelled, then left behind.
		 */
		if (s->writes == 0 || !kg_worker_wait_idle(s->worker, CLOSE_DRAIN_MS))
			g_cancellable_cancel(s->cancel);
		joined = kg_worker_free(&s->worker, CLOSE_CANCEL_MS);
		/* libsecret's connection may only go once no thread uses it */
		if (!joined)
			s->keyring_used = false;
	}
	if (s->cancel != NULL)
		g_object_unref(s->cancel);
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
		return keyring_load(s->issuer, s->client_id, NULL, value, cause);
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
		return keyring_save(s->issuer, s->client_id, NULL, account, value, cause);
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
		return keyring_clear(s->issuer, s->client_id, NULL, cause);
	case KG_SECRET_FILE:
		return file_clear(s, cause);
	case KG_SECRET_MEMORY:
		break;
	}
	kg_secret_free(&s->mem);
	return KG_ERR_OK;
}

/* ---- asynchronous use: libsecret on the worker thread ---- */

enum sjob_op { SJOB_LOAD, SJOB_SAVE, SJOB_CLEAR };

/* One keyring call; run() reads only these fields, never the handle. */
struct sjob {
	struct kg_worker_job base;  /* first: the worker hands this back */
	enum sjob_op op;
	enum kg_secrets mode;       /* keyring or auto */
	bool probe;                 /* probe first (the store is not known to work yet) */
	char *issuer;
	char *client_id;
	char *account;
	char *value;                /* save: in; load: out (a secret either way) */
	GCancellable *cancel;       /* a reference of its own */
	struct kg_secret *s;        /* used by done only, on the loop */
	kg_secret_done_fn done;
	void *ud;
	/* results */
	enum kg_err err;
	char *cause;
	char *notice;
	bool fallback;              /* auto: no usable keyring, memory from now on */
	bool locked;                /* the keyring answered but was locked */
};

static void
sjob_free(struct kg_worker_job *job)
{
	struct sjob *j = (struct sjob *)job;

	free(j->issuer);
	free(j->client_id);
	free(j->account);
	kg_secret_free(&j->value);
	free(j->cause);
	free(j->notice);
	g_object_unref(j->cancel);
	free(j);
}

/* Worker thread: is the keyring usable?  false when the job is over. */
static bool
sjob_probe(struct sjob *j)
{
	char *why = NULL;

	if (keyring_probe(j->cancel, &why, &j->locked) == KG_ERR_OK) {
		free(why);
		return true;
	}
	if (j->mode == KG_SECRETS_AUTO) {
		j->fallback = true;
		kg_set_cause(&j->notice, AUTO_NOTICE, why);
		j->err = j->op == SJOB_LOAD ? KG_ERR_NOT_FOUND : KG_ERR_OK;
	} else if (g_cancellable_is_cancelled(j->cancel)) {
		/* short: the status bar shows it, and the advice must fit */
		kg_set_cause(&j->cause, "The keyring gave no answer in %d s; restart its daemon, or "
		                        "set secrets = file (or auto) in [storage].",
		             KEYRING_TIMEOUT_MS / 1000);
		j->err = KG_ERR_KEYRING;
	} else {
		kg_set_cause(&j->cause, KEYRING_REFUSED, why);
		j->err = KG_ERR_KEYRING;
	}
	free(why);
	return false;
}

static void
sjob_run(struct kg_worker_job *job)
{
	struct sjob *j = (struct sjob *)job;
	char *value = NULL;

	if (j->probe && !sjob_probe(j))
		return;
	switch (j->op) {
	case SJOB_LOAD:
		j->err = keyring_load(j->issuer, j->client_id, j->cancel, &value, &j->cause);
		j->value = value;
		break;
	case SJOB_SAVE:
		j->err = keyring_save(j->issuer, j->client_id, j->cancel, j->account, j->value,
		                      &j->cause);
		/* the value is not needed any more: wipe it now, on this thread */
		kg_secret_free(&j->value);
		break;
	case SJOB_CLEAR:
		j->err = keyring_clear(j->issuer, j->client_id, j->cancel, &j->cause);
		break;
	}
}

/*
 * Loop thread: the keyring has not finished a call for KEYRING_TIMEOUT_MS.
 * Cancel what runs and what is queued (they fail at once, "did not answer"),
 * and give later calls a fresh cancellable.
 */
static void
on_stall(struct kg_loop *loop, void *ud)
{
	struct kg_secret *s = ud;

	(void)loop;
	s->stall_timer = 0;
	g_cancellable_cancel(s->cancel);
	g_object_unref(s->cancel);
	s->cancel = g_cancellable_new();
}

static void
stall_arm(struct kg_secret *s)
{
	kg_timer_cancel(s->loop, s->stall_timer);
	s->stall_timer = 0;
	if (kg_worker_pending(s->worker) > 0)
		s->stall_timer = kg_timer_add(s->loop, KEYRING_TIMEOUT_MS, on_stall, s);
}

/* Loop thread: adopt what the job found out, then tell the caller. */
static void
sjob_done(struct kg_worker_job *job)
{
	struct sjob *j = (struct sjob *)job;
	struct kg_secret *s = j->s;
	struct kg_secret_result r = { .err = j->err, .cause = j->cause, .notice = j->notice };

	/* progress: the next job gets a full period of its own */
	stall_arm(s);
	if (j->op != SJOB_LOAD)
		s->writes--;

	if (j->fallback && s->kind == KG_SECRET_KEYRING) {
		s->kind = KG_SECRET_MEMORY;
		s->locked_out = j->locked;
	}
	if (!j->fallback && j->err != KG_ERR_KEYRING)
		s->probed = true;
	if (j->fallback) {
		/* the memory store takes over what was asked of the keyring */
		if (j->op == SJOB_SAVE) {
			kg_secret_free(&s->mem);
			s->mem = j->value;
			j->value = NULL;
		} else if (j->op == SJOB_CLEAR)
			kg_secret_free(&s->mem);
	}
	if (j->op == SJOB_LOAD) {
		r.value = j->value;
		j->value = NULL;
	}
	if (j->done != NULL)
		j->done(&r, j->ud);
	kg_secret_free(&r.value);
	sjob_free(job);
}

static void
sjob_queue(struct kg_secret *s, enum sjob_op op, const char *account, const char *value,
           kg_secret_done_fn done, void *ud)
{
	struct sjob *j = kg_xcalloc(1, sizeof(*j));

	j->base.run = sjob_run;
	j->base.done = sjob_done;
	j->base.drop = sjob_free;
	j->op = op;
	j->mode = s->mode;
	/* the load always probes; later calls only while nothing has answered yet */
	j->probe = op == SJOB_LOAD || !s->probed;
	j->issuer = kg_xstrdup(s->issuer);
	j->client_id = kg_xstrdup(s->client_id);
	j->account = kg_xstrdup(account != NULL ? account : "");
	j->value = value != NULL ? kg_xstrdup(value) : NULL;
	j->cancel = g_object_ref(s->cancel);
	j->s = s;
	j->done = done;
	j->ud = ud;
	kg_worker_queue(s->worker, &j->base);
	if (op != SJOB_LOAD)
		s->writes++;
	if (s->stall_timer == 0)
		stall_arm(s);
}

enum kg_err
kg_secret_open_async(const struct kg_secret_opts *opts, struct kg_loop *loop,
                     struct kg_secret **out, char **cause)
{
	struct kg_secret *s;

	if (opts->mode != KG_SECRETS_KEYRING && opts->mode != KG_SECRETS_AUTO)
		return kg_secret_open(opts, out, NULL, cause);
	*out = NULL;
	s = kg_xcalloc(1, sizeof(*s));
	s->kind = KG_SECRET_KEYRING;
	s->mode = opts->mode;
	s->issuer = kg_xstrdup(opts->issuer != NULL ? opts->issuer : "");
	s->client_id = kg_xstrdup(opts->client_id != NULL ? opts->client_id : "");
	s->worker = kg_worker_new(loop, cause);
	if (s->worker == NULL) {
		kg_secret_close(&s);
		return KG_ERR_IO;
	}
	s->cancel = g_cancellable_new();
	s->loop = loop;
	s->keyring_used = true;
	*out = s;
	return KG_ERR_OK;
}

bool
kg_secret_async(const struct kg_secret *s)
{
	return s->worker != NULL && s->kind == KG_SECRET_KEYRING;
}

size_t
kg_secret_pending(const struct kg_secret *s)
{
	return s->worker != NULL ? kg_worker_pending(s->worker) : 0;
}

void
kg_secret_load_async(struct kg_secret *s, kg_secret_done_fn done, void *ud)
{
	sjob_queue(s, SJOB_LOAD, NULL, NULL, done, ud);
}

void
kg_secret_save_async(struct kg_secret *s, const char *account, const char *value,
                     kg_secret_done_fn done, void *ud)
{
	sjob_queue(s, SJOB_SAVE, account, value, done, ud);
}

void
kg_secret_clear_async(struct kg_secret *s, kg_secret_done_fn done, void *ud)
{
	sjob_queue(s, SJOB_CLEAR, NULL, NULL, done, ud);
}
