/*
 * test_secret.c - the token store without a desktop: memory, the 0600 file
 * (atomic write, refused when others can read it, symlinks refused) and the
 * keyring's failures (no bus, a stale bus) turned into plain sentences.
 * The real keyring is exercised by tests/integration/test_login_keyring.sh.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/secret.h"

static char tmpdir[64];

static void
mk_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s", "/tmp/kg-secret-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
rm_tmp(void)
{
	char *cmd = kg_xasprintf("rm -rf '%s'", tmpdir);

	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static struct kg_secret_opts
opts(enum kg_secrets mode, const char *dir)
{
	struct kg_secret_opts o = {
		.mode = mode,
		.state_dir = dir,
		.issuer = "https://idp.test",
		.client_id = "kigo-test",
	};
	return o;
}

Test(secret, memory_round_trip)
{
	struct kg_secret_opts o = opts(KG_SECRETS_MEMORY, NULL);
	struct kg_secret *s = NULL;
	char *v = NULL, *cause = NULL, *notice = NULL;

	cr_assert_eq(kg_secret_open(&o, &s, &notice, &cause), KG_ERR_OK);
	cr_assert_null(notice);
	cr_assert_str_eq(kg_secret_kind_str(kg_secret_kind(s)), "memory");
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_NOT_FOUND);
	cr_assert_eq(kg_secret_save(s, "a", "one", &cause), KG_ERR_OK);
	cr_assert_eq(kg_secret_save(s, "a", "two", &cause), KG_ERR_OK);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_OK);
	cr_assert_str_eq(v, "two");
	kg_secret_free(&v);
	cr_assert_eq(kg_secret_clear(s, &cause), KG_ERR_OK);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_NOT_FOUND);
	kg_secret_close(&s);
	cr_assert_null(s);
}

Test(secret, file_created_private_and_atomic, .init = mk_tmp, .fini = rm_tmp)
{
	char *dir = kg_xasprintf("%s/state/sub", tmpdir);
	char *path = kg_xasprintf("%s/tokens.json", dir);
	struct kg_secret_opts o = opts(KG_SECRETS_FILE, dir);
	struct kg_secret *s = NULL;
	struct stat st;
	char *v = NULL, *cause = NULL;

	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(kg_secret_kind_str(kg_secret_kind(s)), "file");
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_NOT_FOUND);
	cr_assert_eq(kg_secret_save(s, NULL, "{\"v\":1}", &cause), KG_ERR_OK, "%s", cause);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(kg_secret_save(s, NULL, "{\"v\":2}", &cause), KG_ERR_OK);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_OK);
	cr_assert_str_eq(v, "{\"v\":2}");
	kg_secret_free(&v);
	kg_secret_close(&s);

	/* No temporary file is left behind, and a new handle reads it back. */
	char *cmd = kg_xasprintf("test $(ls -A '%s' | wc -l) = 1", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_OK);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_OK);
	cr_assert_str_eq(v, "{\"v\":2}");
	kg_secret_free(&v);
	cr_assert_eq(kg_secret_clear(s, &cause), KG_ERR_OK);
	cr_assert_neq(stat(path, &st), 0);
	cr_assert_eq(kg_secret_clear(s, &cause), KG_ERR_OK, "clearing twice is fine");
	kg_secret_close(&s);
	free(dir);
	free(path);
}

Test(secret, file_readable_by_others_refused, .init = mk_tmp, .fini = rm_tmp)
{
	char *path = kg_xasprintf("%s/tokens.json", tmpdir);
	struct kg_secret_opts o = opts(KG_SECRETS_FILE, tmpdir);
	struct kg_secret *s = NULL;
	char *cause = NULL, *v = NULL;
	int fd;

	chmod(tmpdir, 0700);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{}", 2), 2);
	close(fd);
	chmod(path, 0644);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_PERMS);
	cr_assert_null(s);
	cr_assert_not_null(strstr(cause, "can be read by other users (mode 0644)"), "%s", cause);
	kg_free(&cause);

	/* Open while private, then someone loosens it: the load refuses too. */
	chmod(path, 0600);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_OK);
	chmod(path, 0640);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_PERMS);
	cr_assert_null(v);
	kg_free(&cause);
	kg_secret_close(&s);
	free(path);
}

Test(secret, folder_readable_by_others_refused, .init = mk_tmp, .fini = rm_tmp)
{
	struct kg_secret_opts o = opts(KG_SECRETS_FILE, tmpdir);
	struct kg_secret *s = NULL;
	char *cause = NULL;

	chmod(tmpdir, 0755);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_PERMS);
	cr_assert_not_null(strstr(cause, "chmod 700"), "%s", cause);
	kg_free(&cause);
	chmod(tmpdir, 0700);
}

Test(secret, symlink_refused, .init = mk_tmp, .fini = rm_tmp)
{
	char *path = kg_xasprintf("%s/tokens.json", tmpdir);
	char *target = kg_xasprintf("%s/elsewhere", tmpdir);
	struct kg_secret_opts o = opts(KG_SECRETS_FILE, tmpdir);
	struct kg_secret *s = NULL;
	char *cause = NULL;

	chmod(tmpdir, 0700);
	cr_assert_eq(symlink(target, path), 0);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_PERMS);
	cr_assert_not_null(strstr(cause, "not a regular file"), "%s", cause);
	kg_free(&cause);
	free(path);
	free(target);
}

Test(secret, file_too_large, .init = mk_tmp, .fini = rm_tmp)
{
	char *cmd = kg_xasprintf("head -c 70000 /dev/zero | tr '\\0' x > '%s/tokens.json' && "
	                         "chmod 600 '%s/tokens.json'", tmpdir, tmpdir);
	struct kg_secret_opts o = opts(KG_SECRETS_FILE, tmpdir);
	struct kg_secret *s = NULL;
	char *cause = NULL, *v = NULL;

	chmod(tmpdir, 0700);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_OK);
	cr_assert_eq(kg_secret_load(s, &v, &cause), KG_ERR_IO);
	cr_assert_not_null(strstr(cause, "larger than"));
	kg_free(&cause);
	kg_secret_close(&s);
	free(cmd);
}

/* No session bus at all (plain SSH): auto falls back with one notice. */
Test(secret, auto_without_bus_is_memory_with_notice)
{
	struct kg_secret_opts o = opts(KG_SECRETS_AUTO, NULL);
	struct kg_secret *s = NULL;
	char *cause = NULL, *notice = NULL;

	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	unsetenv("DISPLAY");
	setenv("XDG_RUNTIME_DIR", "/nonexistent-kg-test", 1);
	cr_assert_eq(kg_secret_open(&o, &s, &notice, &cause), KG_ERR_OK, "%s", cause);
	cr_assert_str_eq(kg_secret_kind_str(kg_secret_kind(s)), "memory");
	cr_assert_not_null(notice);
	cr_assert_not_null(strstr(notice, "in memory for this run only"), "%s", notice);
	cr_assert_not_null(strstr(notice, "no D-Bus session bus"), "%s", notice);
	cr_assert_not_null(strstr(notice, "secrets = file"), "%s", notice);
	free(notice);
	kg_secret_close(&s);
}

Test(secret, keyring_without_bus_is_an_error)
{
	struct kg_secret_opts o = opts(KG_SECRETS_KEYRING, NULL);
	struct kg_secret *s = NULL;
	char *cause = NULL;

	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	unsetenv("DISPLAY");
	setenv("XDG_RUNTIME_DIR", "/nonexistent-kg-test", 1);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_KEYRING);
	cr_assert_null(s);
	cr_assert_not_null(strstr(cause, "The keyring cannot be used: there is no D-Bus session bus"),
	                   "%s", cause);
	free(cause);
}

Test(secret, stale_bus_address)
{
	struct kg_secret_opts o = opts(KG_SECRETS_KEYRING, NULL);
	struct kg_secret *s = NULL;
	char *cause = NULL;

	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent-kg-test/bus", 1);
	cr_assert_eq(kg_secret_open(&o, &s, NULL, &cause), KG_ERR_KEYRING);
	cr_assert_not_null(strstr(cause, "does not answer"), "%s", cause);
	free(cause);
}
