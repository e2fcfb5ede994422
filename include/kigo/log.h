/*
 * log.h - diagnostic log (-v to stderr when the screen is not in use, or a
 * file in state_dir).
 *
 * Redaction by construction: callers never pass an Authorization header, a
 * request or response body of the auth endpoints, a password or a token.
 * As a second line of defence, every secret the program holds is registered
 * with kg_log_secret() and any occurrence in a line is replaced by
 * "[REDACTED]" before the line is written.
 */
#ifndef KIGO_LOG_H
#define KIGO_LOG_H

#include "kigo/common.h"

enum kg_log_level { KG_LOG_ERROR, KG_LOG_WARN, KG_LOG_INFO, KG_LOG_DEBUG };

/*
 * Open the log: path NULL means stderr.  verbosity 0 logs errors and
 * warnings, 1 (-v) adds info, 2 (-vv) adds debug.  Returns KG_ERR_IO when
 * the file cannot be created (mode 0600).
 */
enum kg_err kg_log_open(const char *path, int verbosity, char **cause);
/* Stop writing to stderr (the full-screen UI owns the terminal). */
void kg_log_quiet_stderr(bool quiet);
void kg_log_close(void);

void kg_log(enum kg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define kg_log_error(...) kg_log(KG_LOG_ERROR, __VA_ARGS__)
#define kg_log_warn(...) kg_log(KG_LOG_WARN, __VA_ARGS__)
#define kg_log_info(...) kg_log(KG_LOG_INFO, __VA_ARGS__)
#define kg_log_debug(...) kg_log(KG_LOG_DEBUG, __VA_ARGS__)

/* True when a line at this level would be written (skip costly debug work). */
bool kg_log_enabled(enum kg_log_level level);

/* Register / forget a secret to redact (strings shorter than 4 are ignored). */
void kg_log_secret(const char *secret);
void kg_log_forget_secret(const char *secret);
/* Redact registered secrets in s; caller frees.  Exposed for tests. */
char *kg_log_redact(const char *s);

#endif
