/*
 * doctor.h - the checks behind `kigo-tui doctor`: configuration, CA bundle,
 * the three services (probed at once on the loop), the IdP's discovery
 * document, the keyring, the clock, the terminal and the state folder.
 *
 * Each check gives one line: a name, a status and one sentence (what is
 * fine, or what is wrong and what to do).  Text that came from a server is
 * sanitized before it is put in a line.  The pure checks are exposed for
 * unit tests; kg_doctor_run does the I/O.
 */
#ifndef KIGO_DOCTOR_H
#define KIGO_DOCTOR_H

#include <stdio.h>

#include "kigo/common.h"

struct kg_config;

enum kg_doctor_status {
	KG_DOCTOR_OK,    /* passes */
	KG_DOCTOR_SKIP,  /* could not be checked here (passes): e.g. no terminal */
	KG_DOCTOR_WARN,  /* works, but something is off (does not pass) */
	KG_DOCTOR_FAIL,  /* must be fixed */
};

struct kg_doctor_line {
	const char *name;             /* "config", "tls", "servicenow", ... (static) */
	enum kg_doctor_status status;
	char *text;                   /* one sentence, no control characters */
	int exit_code;                /* sysexits status this line asks for (0 when it passes) */
};

#define KG_DOCTOR_MAX_LINES 12

struct kg_doctor_report {
	struct kg_doctor_line lines[KG_DOCTOR_MAX_LINES];
	size_t n;
};

struct kg_doctor_opts {
	int tty_fd;            /* terminal to check; -1 = stdout, stdin or /dev/tty */
	long timeout_ms;       /* per service probe; 0 = 10000 */
	const char *system_path; /* replaces /etc/kigo-tui.conf in messages (tests); NULL = real */
};

/* Run every check; out is overwritten.  Free with kg_doctor_report_clear. */
void kg_doctor_run(const struct kg_config *cfg, const struct kg_doctor_opts *opts,
                   struct kg_doctor_report *out);
void kg_doctor_report_clear(struct kg_doctor_report *r);
/* One line per check, then a closing sentence. */
void kg_doctor_print(const struct kg_doctor_report *r, FILE *fp);
/*
 * 0 when every line passes; otherwise the most pressing status asked for:
 * 78 (configuration, file modes) before 69 (a service or the keyring
 * unreachable) before 75 (clock, terminal).
 */
int kg_doctor_exit_code(const struct kg_doctor_report *r);
/* "ok", "skip", "WARN", "FAIL". */
const char *kg_doctor_status_str(enum kg_doctor_status st);

/* ---- pure checks (tests) ---- */

/* Append a line (text copied and sanitized).  Extra lines past the cap are dropped. */
void kg_doctor_add(struct kg_doctor_report *r, const char *name, enum kg_doctor_status st,
                   int exit_code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The state folder and the files kigo-tui keeps in it: folder 0700 owned by
 * us and not a symlink, kigo-tui.db and tokens.json (when present) 0600
 * regular files.  A missing folder passes (it is created 0700 at first use).
 * *text (caller frees) is the sentence.
 */
enum kg_doctor_status kg_doctor_check_state(const char *state_dir, char **text);

/* Terminal facts as measured; cols/rows 0 = unknown, colors -1 = unknown. */
struct kg_doctor_term {
	int cols, rows;
	int colors;            /* terminfo "colors" */
	const char *term;      /* $TERM, may be NULL */
	const char *codeset;   /* nl_langinfo(CODESET) after setlocale */
	bool color_off;        /* NO_COLOR or [ui] color = never */
};
enum kg_doctor_status kg_doctor_check_term(const struct kg_doctor_term *t, char **text);

/*
 * Clock skew: skews[i] = server Date - local clock, seconds, one per server
 * that sent a Date header (names[i] says which).  Over 60 s either way is a
 * warning.
 */
#define KG_DOCTOR_MAX_SKEW_S 60

/* terminfo's "colors" for $TERM on fd: -1 when none, -2 when TERM is unknown. */
int kg_doctor_term_colors(int fd);
enum kg_doctor_status kg_doctor_check_clock(const int64_t *skews, const char *const *names,
                                            size_t n, char **text);

#endif
