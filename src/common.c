/*
 * common.c - error messages, allocation that cannot half-fail, clocks.
 *
 * Must never return NULL from an allocation: on failure it restores the
 * terminal through the fatal hook and aborts.
 */
#include "kigo/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define KG_ERR_MSG(name, code, msg) msg,
static const char *const err_msgs[] = { KG_ERR_LIST(KG_ERR_MSG) };
#undef KG_ERR_MSG
#define KG_ERR_CODE(name, code, msg) code,
static const int err_codes[] = { KG_ERR_LIST(KG_ERR_CODE) };
#undef KG_ERR_CODE

static void (*fatal_hook)(void);

const char *
kg_err_str(enum kg_err err)
{
	if ((unsigned)err >= KG_ERR__COUNT)
		return "unknown error";
	return err_msgs[err];
}

int
kg_err_exit(enum kg_err err)
{
	if ((unsigned)err >= KG_ERR__COUNT)
		return KG_EXIT_SOFTWARE;
	return err_codes[err];
}

void
kg_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

void
kg_fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook != NULL)
		fatal_hook();
	fputs("kigo-tui: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *
kg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		kg_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
kg_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		kg_fatal("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
kg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		kg_fatal("out of memory (%zu bytes)", n);
	return q;
}

char *
kg_xstrdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return kg_xstrndup(s, strlen(s));
}

char *
kg_xstrndup(const char *s, size_t n)
{
	size_t len;
	char *p;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	p = kg_xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
kg_xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		kg_fatal("bad format string");
	p = kg_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
kg_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = kg_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void
kg_free_ptr(void *pp)
{
	void **p = pp;

	if (p != NULL) {
		free(*p);
		*p = NULL;
	}
}

void
kg_memzero(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

void
kg_secret_free(char **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	kg_memzero(*sp, strlen(*sp));
	free(*sp);
	*sp = NULL;
}

void
kg_set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	free(*cause);
	va_start(ap, fmt);
	*cause = kg_xvasprintf(fmt, ap);
	va_end(ap);
}

int64_t
kg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
kg_wall_now(void)
{
	return (int64_t)time(NULL);
}

bool
kg_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
kg_str_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

bool
kg_strcaseeq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}
