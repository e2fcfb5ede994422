/*
 * test_log.c - log line format, levels, file safety and redaction.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/log.h"
#include "support/fakesrv.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kg-log-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kigo.log", dir);
}

static void
teardown(void)
{
	kg_log_close();
	unlink(path);
	char lnk[160];
	snprintf(lnk, sizeof(lnk), "%s/link.log", dir);
	unlink(lnk);
	rmdir(dir);
}

TestSuite(log, .init = setup, .fini = teardown);

Test(log, line_format_and_levels)
{
	char *cause = NULL;

	cr_assert_eq(kg_log_open(path, 1, &cause), KG_ERR_OK);
	kg_log_error("boom %d", 1);
	kg_log_warn("careful");
	kg_log_info("GET /x 200");
	kg_log_debug("not shown at -v");
	kg_log_close();
	char *s = kg_fake_slurp(path);
	cr_assert_not_null(s);
	cr_assert_null(strstr(s, "not shown"));
	cr_assert_not_null(strstr(s, " ERROR boom 1\n"));
	cr_assert_not_null(strstr(s, " WARN careful\n"));
	cr_assert_not_null(strstr(s, " INFO GET /x 200\n"));
	/* 2026-11-25T08:30:00Z */
	cr_assert_eq(strlen(s) > 21, true);
	cr_assert_eq(s[4], '-');
	cr_assert_eq(s[10], 'T');
	cr_assert_eq(s[19], 'Z');
	cr_assert_eq(s[20], ' ');
	free(s);
}

Test(log, quiet_verbosity_drops_info)
{
	cr_assert_eq(kg_log_open(path, 0, NULL), KG_ERR_OK);
	kg_log_info("info line");
	kg_log_warn("warn line");
	kg_log_close();
	char *s = kg_fake_slurp(path);
	cr_assert_null(strstr(s, "info line"));
	cr_assert_not_null(strstr(s, "warn line"));
	free(s);
}

Test(log, file_is_private_and_not_followed)
{
	struct stat st;
	char lnk[160];

	umask(022);
	cr_assert_eq(kg_log_open(path, 0, NULL), KG_ERR_OK);
	kg_log_close();
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);

	/* an old world-readable log is tightened */
	chmod(path, 0644);
	cr_assert_eq(kg_log_open(path, 0, NULL), KG_ERR_OK);
	kg_log_close();
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);

	/* a symbolic link is refused with a sentence that names the file */
	snprintf(lnk, sizeof(lnk), "%s/link.log", dir);
	cr_assert_eq(symlink(path, lnk), 0);
	char *cause = NULL;
	cr_assert_eq(kg_log_open(lnk, 0, &cause), KG_ERR_IO);
	cr_assert_not_null(cause);
	cr_assert_not_null(strstr(cause, "link.log"));
	cr_assert_not_null(strstr(cause, "symbolic link"));
	free(cause);
}

Test(log, missing_directory_is_an_io_error)
{
	char *cause = NULL;

	cr_assert_eq(kg_log_open("/nonexistent-kg/dir/kigo.log", 0, &cause), KG_ERR_IO);
	cr_assert_not_null(strstr(cause, "/nonexistent-kg/dir/kigo.log"));
	free(cause);
}

Test(log, registered_secret_never_written)
{
	const char *tok = "s3cr3t-T0ken-value";

	cr_assert_eq(kg_log_open(path, 2, NULL), KG_ERR_OK);
	kg_log_secret(tok);
	kg_log_secret("abc"); /* too short to register: would mask half the log */
	kg_log_error("refresh failed for %s (again %s)", tok, tok);
	kg_log_debug("prefix%ssuffix", tok);
	kg_log_close();
	char *s = kg_fake_slurp(path);
	cr_assert_null(strstr(s, tok));
	cr_assert_null(strstr(s, "s3cr3t"));
	cr_assert_not_null(strstr(s, "refresh failed for [REDACTED] (again [REDACTED])"));
	cr_assert_not_null(strstr(s, "prefix[REDACTED]suffix"));
	free(s);
}

Test(log, redact_longest_secret_first_and_refcount)
{
	kg_log_secret("abcd");
	kg_log_secret("abcdefgh");
	char *r = kg_log_redact("x abcdefgh y abcd z");
	cr_assert_str_eq(r, "x [REDACTED] y [REDACTED] z");
	free(r);

	kg_log_secret("abcd");           /* second holder */
	kg_log_forget_secret("abcd");    /* first holder lets go */
	r = kg_log_redact("abcd");
	cr_assert_str_eq(r, "[REDACTED]");
	free(r);
	kg_log_forget_secret("abcd");
	kg_log_forget_secret("abcdefgh");
	kg_log_forget_secret("never-registered");
	kg_log_forget_secret(NULL);
	r = kg_log_redact("abcd abcdefgh");
	cr_assert_str_eq(r, "abcd abcdefgh");
	free(r);
	r = kg_log_redact(NULL);
	cr_assert_str_eq(r, "");
	free(r);
}

Test(log, unregistered_bearer_and_basic_are_masked)
{
	char *r = kg_log_redact("Authorization: Bearer eyJhbGciOi.x.y, next");
	cr_assert_str_eq(r, "Authorization: Bearer [REDACTED], next");
	free(r);
	r = kg_log_redact("authorization: basic dXNlcjpwYXNz");
	cr_assert_str_eq(r, "authorization: basic [REDACTED]");
	free(r);
	r = kg_log_redact("Bearer ");
	cr_assert_str_eq(r, "Bearer ");
	free(r);
}

Test(log, control_characters_cannot_forge_lines)
{
	cr_assert_eq(kg_log_open(path, 0, NULL), KG_ERR_OK);
	kg_log_error("remote said: x\n2026-01-01T00:00:00Z ERROR forged\x1b[2J");
	kg_log_close();
	char *s = kg_fake_slurp(path);
	int lines = 0;
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	cr_assert_eq(lines, 1);
	cr_assert_null(strchr(s, 0x1b));
	free(s);
}

Test(log, stderr_quiet)
{
	/* path NULL: stderr; quiet: nothing written and nothing crashes */
	cr_assert_eq(kg_log_open(NULL, 2, NULL), KG_ERR_OK);
	kg_log_quiet_stderr(true);
	kg_log_error("silenced");
	kg_log_quiet_stderr(false);
}
