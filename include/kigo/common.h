/*
 * common.h - the few things every module needs: the error list, allocation
 * that cannot half-fail, and small helpers.
 *
 * The error enum and its messages come from one X-macro list so they cannot
 * drift (tig's STATUS_CODE_INFO).  Human detail travels separately, in a
 * "char **cause" out parameter (tmux's style), caller frees.
 */
#ifndef KIGO_COMMON_H
#define KIGO_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>

#define KG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* sysexits(3) values the interface contract promises. */
enum kg_exit {
	KG_EXIT_OK = 0,
	KG_EXIT_USAGE = 64,
	KG_EXIT_DATAERR = 65,
	KG_EXIT_UNAVAILABLE = 69,
	KG_EXIT_SOFTWARE = 70,
	KG_EXIT_IOERR = 74,
	KG_EXIT_TEMPFAIL = 75,
	KG_EXIT_NOPERM = 77,
	KG_EXIT_CONFIG = 78,
};

/* X(name, exit status, message) */
#define KG_ERR_LIST(X)                                                              \
	X(OK, KG_EXIT_OK, "success")                                                \
	X(USAGE, KG_EXIT_USAGE, "usage error")                                      \
	X(BAD_INPUT, KG_EXIT_DATAERR, "invalid input")                              \
	X(CONFIG, KG_EXIT_CONFIG, "configuration error")                            \
	X(NOMEM, KG_EXIT_SOFTWARE, "out of memory")                                 \
	X(IO, KG_EXIT_IOERR, "input/output error")                                  \
	X(STORE, KG_EXIT_IOERR, "local database error")                             \
	X(PERMS, KG_EXIT_CONFIG, "unsafe file permissions")                         \
	X(NETWORK, KG_EXIT_UNAVAILABLE, "network error")                            \
	X(DNS, KG_EXIT_UNAVAILABLE, "host name could not be resolved")              \
	X(CONNECT, KG_EXIT_UNAVAILABLE, "connection failed")                        \
	X(TLS, KG_EXIT_UNAVAILABLE, "TLS certificate verification failed")         \
	X(TIMEOUT, KG_EXIT_TEMPFAIL, "request timed out")                           \
	X(TOOBIG, KG_EXIT_UNAVAILABLE, "response body too large")                   \
	X(PROTOCOL, KG_EXIT_UNAVAILABLE, "unexpected response from server")         \
	X(HTTP, KG_EXIT_UNAVAILABLE, "server returned an error")                    \
	X(UNAUTHORIZED, KG_EXIT_NOPERM, "not logged in or session expired")         \
	X(FORBIDDEN, KG_EXIT_NOPERM, "permission denied")                           \
	X(NOT_FOUND, KG_EXIT_DATAERR, "not found")                                  \
	X(CONFLICT, KG_EXIT_DATAERR, "conflict")                                    \
	X(PRECONDITION, KG_EXIT_DATAERR, "changed by someone else")                 \
	X(INVALID_TRANSITION, KG_EXIT_DATAERR, "action not allowed in this state")  \
	X(RATE_LIMITED, KG_EXIT_TEMPFAIL, "rate limited")                           \
	X(UNAVAILABLE, KG_EXIT_UNAVAILABLE, "service unavailable")                  \
	X(DENIED, KG_EXIT_NOPERM, "login denied")                                   \
	X(EXPIRED, KG_EXIT_TEMPFAIL, "code expired")                                \
	X(KEYRING, KG_EXIT_UNAVAILABLE, "keyring unavailable")                      \
	X(OFFLINE, KG_EXIT_UNAVAILABLE, "offline")                                  \
	X(CANCELLED, KG_EXIT_TEMPFAIL, "cancelled")                                 \
	X(PENDING, KG_EXIT_TEMPFAIL, "still pending")

#define KG_ERR_ENUM(name, code, msg) KG_ERR_##name,
enum kg_err { KG_ERR_LIST(KG_ERR_ENUM) KG_ERR__COUNT };
#undef KG_ERR_ENUM

/* Static message for an error code; never NULL. */
const char *kg_err_str(enum kg_err err);
/* The sysexits(3) status a command ends with for this error. */
int kg_err_exit(enum kg_err err);

/*
 * Called before abort() on out-of-memory or a broken invariant so the
 * terminal is restored first (htop's fail()).  The UI installs endwin here.
 */
void kg_set_fatal_hook(void (*hook)(void));
_Noreturn void kg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that aborts (after the fatal hook) instead of returning NULL. */
void *kg_xmalloc(size_t n);
void *kg_xcalloc(size_t nmemb, size_t size);
void *kg_xrealloc(void *p, size_t n);
char *kg_xstrdup(const char *s);               /* NULL in, NULL out */
char *kg_xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *kg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *kg_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* free() and NULL the pointer: kg_free(&p). */
void kg_free_ptr(void *pp);
#define kg_free(pp) kg_free_ptr(pp)
/* Overwrite a secret string with zeros, free it and NULL the pointer. */
void kg_secret_free(char **sp);
/* Zero memory in a way the compiler may not remove. */
void kg_memzero(void *p, size_t n);

/* Replace *cause (freeing the old one) with a formatted message. */
void kg_set_cause(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Monotonic clock in milliseconds and wall clock in seconds. */
int64_t kg_now_ms(void);
int64_t kg_wall_now(void);

/* String helpers. */
bool kg_streq(const char *a, const char *b);   /* NULL-safe */
bool kg_str_empty(const char *s);              /* NULL or "" */
/* Case-insensitive ASCII compare, NULL-safe. */
bool kg_strcaseeq(const char *a, const char *b);

#endif
