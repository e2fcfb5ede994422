/*
 * test_doctor.c - the pure checks of `kigo-tui doctor`: state folder and
 * file modes, terminal facts, clock skew, line text and the exit status.
 * The network probes are covered by tests/integration/test_doctor.py
 * against the HTTPS fakes.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kigo/doctor.h"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/kg-doctor-XXXXXX";
	char *d = mkdtemp(tmpl);

	cr_assert_not_null(d);
	return strdup(d);
}

static void
touch(const char *dir, const char *name, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	close(fd);
	cr_assert_eq(chmod(path, mode), 0);
}

static void
rmtree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(doctor, state_missing_folder_passes)
{
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_state("/nonexistent/kigo-doctor-test", &text), KG_DOCTOR_OK);
	cr_assert(strstr(text, "does not exist yet") != NULL, "%s", text);
	free(text);
}

Test(doctor, state_empty_setting_fails)
{
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_state(NULL, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "state_dir") != NULL);
	free(text);
}

Test(doctor, state_good_modes)
{
	char *d = tmpdir(), *text = NULL;

	cr_assert_eq(chmod(d, 0700), 0);
	cr_assert_eq(kg_doctor_check_state(d, &text), KG_DOCTOR_OK);
	cr_assert(strstr(text, "no database yet") != NULL, "%s", text);
	kg_free(&text);
	touch(d, "kigo-tui.db", 0600);
	cr_assert_eq(kg_doctor_check_state(d, &text), KG_DOCTOR_OK);
	cr_assert(strstr(text, "kigo-tui.db 0600") != NULL, "%s", text);
	free(text);
	rmtree(d);
	free(d);
}

Test(doctor, state_open_folder_says_chmod_700)
{
	char *d = tmpdir(), *text = NULL;

	cr_assert_eq(chmod(d, 0755), 0);
	cr_assert_eq(kg_doctor_check_state(d, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "0755") != NULL && strstr(text, "chmod 700") != NULL, "%s", text);
	free(text);
	rmtree(d);
	free(d);
}

Test(doctor, state_readable_db_says_chmod_600)
{
	char *d = tmpdir(), *text = NULL;

	cr_assert_eq(chmod(d, 0700), 0);
	touch(d, "kigo-tui.db", 0644);
	cr_assert_eq(kg_doctor_check_state(d, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "kigo-tui.db is mode 0644") != NULL, "%s", text);
	cr_assert(strstr(text, "chmod 600") != NULL, "%s", text);
	kg_free(&text);
	cr_assert_eq(chmod(d, 0700), 0);
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/kigo-tui.db", d);
		cr_assert_eq(chmod(p, 0600), 0);
	}
	touch(d, "tokens.json", 0640);
	cr_assert_eq(kg_doctor_check_state(d, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "tokens.json") != NULL, "%s", text);
	free(text);
	rmtree(d);
	free(d);
}

Test(doctor, state_symlinks_refused)
{
	char *d = tmpdir(), *text = NULL;
	char link[512], target[512];

	cr_assert_eq(chmod(d, 0700), 0);
	snprintf(link, sizeof(link), "%s/link", d);
	cr_assert_eq(symlink(d, link), 0);
	cr_assert_eq(kg_doctor_check_state(link, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "symbolic link") != NULL, "%s", text);
	kg_free(&text);
	touch(d, "real.db", 0600);
	snprintf(target, sizeof(target), "%s/real.db", d);
	snprintf(link, sizeof(link), "%s/kigo-tui.db", d);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(kg_doctor_check_state(d, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "symbolic link") != NULL, "%s", text);
	free(text);
	rmtree(d);
	free(d);
}

Test(doctor, state_file_instead_of_folder)
{
	char *d = tmpdir(), *text = NULL;
	char f[512];

	touch(d, "plain", 0600);
	snprintf(f, sizeof(f), "%s/plain", d);
	cr_assert_eq(kg_doctor_check_state(f, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "not a folder") != NULL, "%s", text);
	free(text);
	rmtree(d);
	free(d);
}

Test(doctor, term_good)
{
	struct kg_doctor_term t = { .cols = 100, .rows = 30, .colors = 256,
		                    .term = "xterm-256color", .codeset = "UTF-8" };
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_OK);
	cr_assert_str_eq(text, "100x30, 256 colours, UTF-8 (TERM=xterm-256color)");
	free(text);
}

Test(doctor, term_too_small)
{
	struct kg_doctor_term t = { .cols = 79, .rows = 30, .colors = 8, .term = "xterm",
		                    .codeset = "UTF-8" };
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "79x30") && strstr(text, "80x24"), "%s", text);
	kg_free(&text);
	t.cols = 80;
	t.rows = 23;
	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_FAIL);
	kg_free(&text);
	t.rows = 24;
	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_OK);
	free(text);
}

Test(doctor, term_not_utf8_warns)
{
	struct kg_doctor_term t = { .cols = 80, .rows = 24, .colors = 8, .term = "xterm",
		                    .codeset = "ANSI_X3.4-1968" };
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_WARN);
	cr_assert(strstr(text, "ANSI_X3.4-1968") && strstr(text, "UTF-8"), "%s", text);
	free(text);
}

Test(doctor, term_unknown_type_and_colours)
{
	struct kg_doctor_term t = { .cols = 80, .rows = 24, .colors = -2, .term = "nosuchterm",
		                    .codeset = "UTF-8" };
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_FAIL);
	cr_assert(strstr(text, "TERM=nosuchterm") != NULL, "%s", text);
	kg_free(&text);
	t.term = NULL;
	t.colors = -1;
	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_FAIL);
	kg_free(&text);
	t.term = "vt100";
	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_OK);
	cr_assert(strstr(text, "no colours") != NULL, "%s", text);
	kg_free(&text);
	t.color_off = true;
	t.colors = 256;
	cr_assert_eq(kg_doctor_check_term(&t, &text), KG_DOCTOR_OK);
	cr_assert(strstr(text, "colours off") != NULL, "%s", text);
	free(text);
}

Test(doctor, clock)
{
	int64_t skews[] = { 2, -75, 10 };
	const char *names[] = { "servicenow", "kigo", "idp" };
	char *text = NULL;

	cr_assert_eq(kg_doctor_check_clock(skews, names, 0, &text), KG_DOCTOR_SKIP);
	kg_free(&text);
	cr_assert_eq(kg_doctor_check_clock(skews, names, 1, &text), KG_DOCTOR_OK);
	cr_assert(strstr(text, "within 2 s") != NULL, "%s", text);
	kg_free(&text);
	cr_assert_eq(kg_doctor_check_clock(skews, names, 3, &text), KG_DOCTOR_WARN);
	cr_assert(strstr(text, "75 s ahead of kigo") != NULL, "%s", text);
	kg_free(&text);
	skews[1] = 60;
	cr_assert_eq(kg_doctor_check_clock(skews, names, 3, &text), KG_DOCTOR_OK);
	kg_free(&text);
	skews[1] = 61;
	cr_assert_eq(kg_doctor_check_clock(skews, names, 3, &text), KG_DOCTOR_WARN);
	cr_assert(strstr(text, "61 s behind kigo") != NULL, "%s", text);
	free(text);
}

Test(doctor, lines_are_sanitized_and_exit_codes_ranked)
{
	struct kg_doctor_report r = { .n = 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	kg_doctor_add(&r, "config", KG_DOCTOR_OK, 78, "read %s", "/x.conf");
	cr_assert_eq(kg_doctor_exit_code(&r), 0, "an ok line passes whatever code it names");
	kg_doctor_add(&r, "terminal", KG_DOCTOR_SKIP, 75, "no terminal");
	cr_assert_eq(kg_doctor_exit_code(&r), 0);
	kg_doctor_add(&r, "clock", KG_DOCTOR_WARN, 75, "off");
	cr_assert_eq(kg_doctor_exit_code(&r), 75);
	kg_doctor_add(&r, "kigo", KG_DOCTOR_FAIL, 69, "evil \x1b]0;title\x07 server");
	cr_assert_eq(kg_doctor_exit_code(&r), 69);
	cr_assert_null(strchr(r.lines[3].text, '\x1b'));
	kg_doctor_add(&r, "state", KG_DOCTOR_FAIL, 78, "chmod 700");
	cr_assert_eq(kg_doctor_exit_code(&r), 78);

	fp = open_memstream(&buf, &len);
	kg_doctor_print(&r, fp);
	fclose(fp);
	cr_assert(strstr(buf, "config     ok    read /x.conf\n") != NULL, "%s", buf);
	cr_assert(strstr(buf, "kigo       FAIL  evil") != NULL, "%s", buf);
	cr_assert(strstr(buf, "3 checks need attention") != NULL, "%s", buf);
	free(buf);
	kg_doctor_report_clear(&r);
	cr_assert_eq(r.n, 0);
}

Test(doctor, report_is_capped)
{
	struct kg_doctor_report r = { .n = 0 };
	int i;

	for (i = 0; i < KG_DOCTOR_MAX_LINES + 5; i++)
		kg_doctor_add(&r, "x", KG_DOCTOR_OK, 0, "%d", i);
	cr_assert_eq(r.n, KG_DOCTOR_MAX_LINES);
	kg_doctor_report_clear(&r);
}
