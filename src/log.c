/*
 * log.c - the diagnostic log: one line per event,
 * "2026-11-25T08:30:00Z LEVEL message", to stderr or a 0600 file.
 *
 * It must never write a secret.  Callers keep secrets out by construction
 * (no header values, no bodies); on top of that every secret the program
 * holds is registered here and each line is redacted before it is written,
 * and anything after "Bearer " or "Basic " is masked as well.  Control
 * characters are replaced so remote text cannot forge lines or drive the
 * terminal.
 *
 * The logger is file-scope state on purpose (STYLE.md allows state only in
 * the loop and main.c): every module logs, and threading a logger handle
 * through each call would buy nothing in a single-threaded program.
 * Copies of registered secrets are wiped when forgotten and at close.
 */
#include "kigo/log.h"

#include "kigo/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REDACTED "[REDACTED]"
#define MIN_SECRET 4

struct log_secret {
	char *s;       /* own copy, wiped on forget */
	size_t len;
	int refs;      /* registered this many times */
};

static struct {
	int fd;                    /* -1: stderr */
	int verbosity;
	bool quiet_stderr;
	struct log_secret *secrets;
	size_t nsecrets;
} lg = { .fd = -1 };

enum kg_err
kg_log_open(const char *path, int verbosity, char **cause)
{
	int fd;
	struct stat st;

	if (lg.fd >= 0) {
		close(lg.fd);
		lg.fd = -1;
	}
	lg.verbosity = verbosity;
	if (path == NULL)
		return KG_ERR_OK;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		kg_set_cause(cause, "cannot open log file %s: %s; check that its directory exists "
		             "and is writable, and that it is not a symbolic link", path, strerror(errno));
		return KG_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		kg_set_cause(cause, "log file %s is not a regular file; remove it or choose "
		             "another path", path);
		close(fd);
		return KG_ERR_IO;
	}
	/* An older file made with a looser umask is tightened, not trusted. */
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) < 0) {
		kg_set_cause(cause, "log file %s is readable by others and cannot be made private: "
		             "%s; fix it with chmod 600", path, strerror(errno));
		close(fd);
		return KG_ERR_PERMS;
	}
	lg.fd = fd;
	return KG_ERR_OK;
}

void
kg_log_quiet_stderr(bool quiet)
{
	lg.quiet_stderr = quiet;
}

void
kg_log_close(void)
{
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	for (size_t i = 0; i < lg.nsecrets; i++)
		kg_secret_free(&lg.secrets[i].s);
	free(lg.secrets);
	lg.secrets = NULL;
	lg.nsecrets = 0;
}

void
kg_log_secret(const char *secret)
{
	size_t len = secret ? strlen(secret) : 0;
	size_t at;

	if (len < MIN_SECRET)
		return;
	for (size_t i = 0; i < lg.nsecrets; i++) {
		if (lg.secrets[i].len == len && memcmp(lg.secrets[i].s, secret, len) == 0) {
			lg.secrets[i].refs++;
			return;
		}
	}
	/* Longest first, so a secret that contains another is masked whole. */
	for (at = 0; at < lg.nsecrets && lg.secrets[at].len >= len; at++)
		;
	lg.secrets = kg_xrealloc(lg.secrets, (lg.nsecrets + 1) * sizeof(*lg.secrets));
	memmove(&lg.secrets[at + 1], &lg.secrets[at], (lg.nsecrets - at) * sizeof(*lg.secrets));
	lg.secrets[at] = (struct log_secret){ kg_xstrdup(secret), len, 1 };
	lg.nsecrets++;
}

void
kg_log_forget_secret(const char *secret)
{
	size_t len = secret ? strlen(secret) : 0;

	if (secret == NULL)
		return;
	for (size_t i = 0; i < lg.nsecrets; i++) {
		if (lg.secrets[i].len != len || memcmp(lg.secrets[i].s, secret, len) != 0)
			continue;
		if (--lg.secrets[i].refs > 0)
			return;
		kg_secret_free(&lg.secrets[i].s);
		memmove(&lg.secrets[i], &lg.secrets[i + 1],
		        (lg.nsecrets - i - 1) * sizeof(*lg.secrets));
		lg.nsecrets--;
		return;
	}
}

static bool
starts_nocase(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *prefix)
			return false;
	}
	return true;
}

static bool
is_token_char(char c)
{
	return c != '\0' && c != ' ' && c != '\t' && c != '"' && c != '\'' && c != ',' &&
	       c != ';' && c != '\n' && c != '\r';
}

char *
kg_log_redact(const char *s)
{
	struct kg_buf b;
	const char *p = s ? s : "";

	kg_buf_init(&b, 0);
	while (*p) {
		bool hit = false;

		for (size_t i = 0; i < lg.nsecrets; i++) {
			if (strncmp(p, lg.secrets[i].s, lg.secrets[i].len) == 0) {
				kg_buf_puts(&b, REDACTED);
				p += lg.secrets[i].len;
				hit = true;
				break;
			}
		}
		if (hit)
			continue;
		/* Credentials the program never registered still do not get out. */
		if (starts_nocase(p, "bearer ") || starts_nocase(p, "basic ")) {
			size_t kw = p[1] == 'e' || p[1] == 'E' ? 7 : 6;

			kg_buf_append(&b, p, kw);
			p += kw;
			if (is_token_char(*p)) {
				kg_buf_puts(&b, REDACTED);
				while (is_token_char(*p))
					p++;
			}
			continue;
		}
		kg_buf_append(&b, p, 1);
		p++;
	}
	return kg_buf_steal(&b);
}

static const char *
level_name(enum kg_log_level level)
{
	switch (level) {
	case KG_LOG_ERROR: return "ERROR";
	case KG_LOG_WARN: return "WARN";
	case KG_LOG_INFO: return "INFO";
	case KG_LOG_DEBUG: return "DEBUG";
	}
	return "?";
}

void
kg_log(enum kg_log_level level, const char *fmt, ...)
{
	va_list ap;
	char *msg, *clean;
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	struct kg_buf line;
	int fd = lg.fd >= 0 ? lg.fd : STDERR_FILENO;

	if (!kg_log_enabled(level))
		return;
	va_start(ap, fmt);
	msg = kg_xvasprintf(fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	}
	clean = kg_log_redact(msg);
	kg_secret_free(&msg);

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	kg_buf_init(&line, 0);
	kg_buf_printf(&line, "%s %s %s\n", stamp, level_name(level), clean);
	kg_secret_free(&clean);
	/* One write(2) per line: O_APPEND keeps lines of two processes whole. */
	for (size_t off = 0; off < line.len;) {
		ssize_t n = write(fd, line.data + off, line.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	kg_buf_wipe(&line);
}

bool
kg_log_enabled(enum kg_log_level level)
{
	if ((int)level > lg.verbosity + 1)
		return false;
	return lg.fd >= 0 || !lg.quiet_stderr;
}
