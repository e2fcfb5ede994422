/*
 * bench_search - the customer search behind every keystroke, measured on a
 * state database filled by gen_customers (benchmark figure 4's floor).
 *
 *   bench_search STATE_DIR [KEYSTROKES (10000)] [SEED (4)] [--emit FILE] [--sql]
 *                [--cache-kib N] [--limit N] [--candidates N]
 *
 * Builds a seeded stream of realistic typing: an agent picks a customer and
 * types part of a name ("harriet oka"), an email ("jane.doe4"), the digits
 * of a phone number or a loyalty id, one character at a time; every
 * keystroke runs the query typed so far.  Each query goes through
 * kg_store_search_customers() with the limit the client uses (200), the
 * result array built and freed, exactly as the session does on a key.
 * With --sql each query instead runs the store's own SQL statement (the
 * same text, from src/store_int.h) on a bare sqlite3 handle and only
 * steps the rows: the SQLite floor under the store.
 *
 * --cache-kib N sets SQLite's page cache after the store opened (the
 * client's own setting otherwise), to show what it costs in memory and time.
 *
 * --limit N asks for N rows instead of the client's limit; --candidates N
 * bounds the trigram candidates of the --sql statement (the store's bound
 * otherwise): what-ifs for docs/benchmarks.md.
 *
 * --emit FILE writes the typed strings, one per line, so the pty driver
 * (bench/ui_bench.py) can type the same queries into the real binary.
 *
 * Prints one JSON object: {"what", "keystrokes", "p50_ms", "p95_ms",
 * "p99_ms", "max_ms", "mean_ms", "short_p95_ms" (1-2 characters),
 * "long_p95_ms" (3+), "cpu_p50_ms", "cpu_p95_ms" (this thread's CPU time
 * per query: the work without waiting for a core), "rows_mean",
 * "vmhwm_kib" (this process's peak RSS)}.  Bench code only.
 */
#include "kigo/store.h"

/* the store's statements, so the floor runs the very same SQL */
#include "../src/store_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIENT_LIMIT 200          /* SEARCH_LOCAL_LIMIT in src/session.c */
#define FTS_CANDIDATES 1000       /* KG_SEARCH_CANDIDATES in src/store_cache.c */
#define MAX_LIMIT 1000

static long long limit_rows = CLIENT_LIMIT;
static long long candidates = FTS_CANDIDATES;
#define SHORT_SCAN 10000          /* KG_SEARCH_SHORT_SCAN */

#define SQL_OF(name, sql) [KG_STMT_##name] = sql,
static const char *const store_sql[] = { KG_STORE_STMTS(SQL_OF) };
#undef SQL_OF

struct sample {
	double ms;
	double cpu_ms;            /* this thread's CPU time: the work without the waits */
	size_t chars;
	size_t rows;
};

static uint64_t
rnd_next(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* This process's peak resident set (VmHWM), KiB; -1 when unknown. */
static long
vmhwm_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			v = strtol(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(const double *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

/* UTF-8 code points of s[0..len) */
static size_t
chars_of(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Lower-case ASCII copy: agents type names in lower case. */
static char *
lowered(const char *s)
{
	char *out = kg_xstrdup(s);

	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* Cut s to at most `want` bytes, never inside a UTF-8 sequence. */
static void
cut_at(char *s, size_t want)
{
	if (want >= strlen(s))
		return;
	while (want > 0 && ((unsigned char)s[want] & 0xc0) == 0x80)
		want--;
	s[want] = '\0';
}

/*
 * What an agent types for this customer: the whole first name and a part
 * of the last (50 %), an email's local part (25 %), the last digits of the
 * phone (15 %) or a loyalty id (10 %).  Caller frees; NULL when that
 * field is empty.
 */
static char *
typed_for(uint64_t *rng, const char *name, const char *email, const char *phone,
          const char *loyalty)
{
	unsigned r = (unsigned)(rnd_next(rng) % 100);
	size_t want;
	const char *sp, *at;
	char *t;

	if (r < 50 && name != NULL && (sp = strchr(name, ' ')) != NULL) {
		t = lowered(name);
		want = (size_t)(sp - name) + 2 + (size_t)(rnd_next(rng) % 5);
		cut_at(t, want);
		return t;
	}
	if (r < 75 && email != NULL && (at = strchr(email, '@')) != NULL) {
		t = kg_xstrdup(email);
		want = 5 + (size_t)(rnd_next(rng) % 8);
		if (want > (size_t)(at - email))
			want = (size_t)(at - email);
		cut_at(t, want);
		return t;
	}
	if (r < 90 && phone != NULL && strlen(phone) > 7)
		return kg_xstrdup(phone + strlen(phone) - 7);   /* "5550123": the local number */
	if (loyalty != NULL)
		return kg_xstrdup(loyalty);
	return name != NULL ? lowered(name) : NULL;
}

/* The store's SQL for q, run on a bare handle: rows stepped, nothing copied. */
static size_t
run_sql(sqlite3_stmt *fts, sqlite3_stmt *shrt, sqlite3_stmt *byrid, const char *q, size_t len)
{
	char buf[512], *p = buf;
	size_t rows = 0, nrid = 0, chars = chars_of(q, len);
	sqlite3_int64 rids[MAX_LIMIT];
	sqlite3_stmt *s;

	if (chars >= 3) {
		*p++ = '"';
		for (size_t i = 0; i < len && p < buf + sizeof(buf) - 4; i++) {
			if (q[i] == '"')
				*p++ = '"';
			*p++ = q[i];
		}
		*p++ = '"';
		*p = '\0';
		s = fts;
		sqlite3_bind_text(s, 1, buf, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, candidates);
		sqlite3_bind_int64(s, 3, limit_rows);
		while (sqlite3_step(s) == SQLITE_ROW) {
			(void)sqlite3_column_text(s, 1);
			rows++;
		}
	} else {
		*p++ = '%';
		for (size_t i = 0; i < len && p < buf + sizeof(buf) - 4; i++) {
			if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
				*p++ = '\\';
			*p++ = q[i];
		}
		*p++ = '%';
		*p = '\0';
		s = shrt;
		sqlite3_bind_text(s, 1, buf, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, SHORT_SCAN);
		/* as the store does: hits from the covering index, then each row by rid */
		while (nrid < (size_t)limit_rows && sqlite3_step(s) == SQLITE_ROW)
			if (sqlite3_column_int(s, 1) != 0)
				rids[nrid++] = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		for (size_t i = 0; i < nrid; i++) {
			sqlite3_bind_int64(byrid, 1, rids[i]);
			if (sqlite3_step(byrid) == SQLITE_ROW) {
				(void)sqlite3_column_text(byrid, 1);
				rows++;
			}
			sqlite3_reset(byrid);
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rows;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL, *emit = NULL;
	size_t keystrokes = 10000, ns = 0, npos = 0;
	uint64_t seed = 4, rng;
	bool sql = false;
	long long cache_kib = 0;
	struct kg_store *st = NULL;
	struct sample *v = NULL;
	double *all = NULL, *shortv = NULL, *longv = NULL, *cpu = NULL, rows_sum = 0, sum = 0;
	size_t nshort = 0, nlong = 0;
	sqlite3_stmt *pick = NULL, *fts = NULL, *shrt = NULL, *byrid = NULL;
	sqlite3 *db;
	int64_t count = 0, tokens = 0;
	char *cause = NULL;
	FILE *ef = NULL;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--emit") == 0 && i + 1 < argc)
			emit = argv[++i];
		else if (strcmp(argv[i], "--sql") == 0)
			sql = true;
		else if (strcmp(argv[i], "--cache-kib") == 0 && i + 1 < argc)
			cache_kib = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
			limit_rows = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--candidates") == 0 && i + 1 < argc)
			candidates = strtoll(argv[++i], NULL, 10);
		else if (dir == NULL)
			dir = argv[i];
		else if (npos++ == 0)
			keystrokes = strtoull(argv[i], NULL, 10);
		else
			seed = strtoull(argv[i], NULL, 10);
	}
	if (limit_rows < 1 || limit_rows > MAX_LIMIT)
		limit_rows = CLIENT_LIMIT;
	if (candidates < 1)
		candidates = FTS_CANDIDATES;
	if (dir == NULL || keystrokes == 0) {
		fprintf(stderr, "usage: bench_search STATE_DIR [KEYSTROKES] [SEED] [--emit FILE] [--sql]\n");
		return 64;
	}
	if (kg_store_open(dir, &st, &cause) != KG_ERR_OK) {
		fprintf(stderr, "bench_search: %s: %s\n", dir, cause ? cause : "cannot open");
		goto out;
	}
	db = kg_store_db(st);
	if (cache_kib > 0) {
		char *pragma = kg_xasprintf("PRAGMA cache_size = -%lld", cache_kib);

		sqlite3_exec(db, pragma, NULL, NULL, NULL);
		free(pragma);
	}
	if (kg_store_counts(st, &count, &tokens) != KG_ERR_OK || count == 0) {
		fprintf(stderr, "bench_search: no customers in %s (run gen_customers)\n", dir);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT name, email, phone, loyalty_id FROM customers "
	                           "WHERE rid >= ?1 ORDER BY rid LIMIT 1", -1, &pick, NULL) ||
	    sqlite3_prepare_v2(db, store_sql[KG_STMT_CUSTOMER_FTS], -1, &fts, NULL) ||
	    sqlite3_prepare_v2(db, store_sql[KG_STMT_CUSTOMER_SHORT], -1, &shrt, NULL) ||
	    sqlite3_prepare_v2(db, store_sql[KG_STMT_CUSTOMER_BY_RID], -1, &byrid, NULL)) {
		fprintf(stderr, "bench_search: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	if (emit != NULL && (ef = fopen(emit, "w")) == NULL) {
		perror(emit);
		goto out;
	}
	v = kg_xcalloc(keystrokes, sizeof(*v));
	rng = seed;
	while (ns < keystrokes) {
		char *typed = NULL;

		sqlite3_bind_int64(pick, 1, (sqlite3_int64)(rnd_next(&rng) % (uint64_t)count) + 1);
		if (sqlite3_step(pick) == SQLITE_ROW)
			typed = typed_for(&rng, (const char *)sqlite3_column_text(pick, 0),
			                  (const char *)sqlite3_column_text(pick, 1),
			                  (const char *)sqlite3_column_text(pick, 2),
			                  (const char *)sqlite3_column_text(pick, 3));
		sqlite3_reset(pick);
		if (typed == NULL)
			continue;
		if (ef != NULL)
			fprintf(ef, "%s\n", typed);
		/* one query per typed character (UTF-8 sequences whole) */
		for (size_t len = 1; typed[len - 1] != '\0' && ns < keystrokes; len++) {
			struct kg_customer *res = NULL;
			size_t n = 0;
			char *q;
			double t0, c0;

			if (((unsigned char)typed[len] & 0xc0) == 0x80)
				continue;
			q = kg_xstrndup(typed, len);
			c0 = cpu_ms();
			t0 = now_ms();
			if (sql) {
				n = run_sql(fts, shrt, byrid, q, len);
			} else if (kg_store_search_customers(st, q, (size_t)limit_rows, &res, &n) !=
			           KG_ERR_OK) {
				fprintf(stderr, "bench_search: %s\n", kg_store_error(st));
				free(q);
				free(typed);
				goto out;
			}
			kg_customers_free(&res, n);
			v[ns].ms = now_ms() - t0;
			v[ns].cpu_ms = cpu_ms() - c0;
			v[ns].chars = chars_of(q, len);
			v[ns].rows = n;
			ns++;
			free(q);
		}
		free(typed);
	}
	all = kg_xcalloc(ns, sizeof(double));
	shortv = kg_xcalloc(ns, sizeof(double));
	longv = kg_xcalloc(ns, sizeof(double));
	cpu = kg_xcalloc(ns, sizeof(double));
	for (size_t i = 0; i < ns; i++) {
		all[i] = v[i].ms;
		cpu[i] = v[i].cpu_ms;
		sum += v[i].ms;
		rows_sum += (double)v[i].rows;
		if (v[i].chars < 3)
			shortv[nshort++] = v[i].ms;
		else
			longv[nlong++] = v[i].ms;
	}
	qsort(all, ns, sizeof(double), cmp_double);
	qsort(shortv, nshort, sizeof(double), cmp_double);
	qsort(longv, nlong, sizeof(double), cmp_double);
	qsort(cpu, ns, sizeof(double), cmp_double);
	printf("{\"what\": \"%s\", \"customers\": %lld, \"keystrokes\": %zu, \"p50_ms\": %.3f, "
	       "\"p95_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"mean_ms\": %.3f, "
	       "\"short_p95_ms\": %.3f, \"long_p95_ms\": %.3f, \"cpu_p50_ms\": %.3f, "
	       "\"cpu_p95_ms\": %.3f, \"rows_mean\": %.1f, \"vmhwm_kib\": %ld}\n",
	       sql ? "sqlite" : "store", (long long)count, ns, pct(all, ns, 0.5),
	       pct(all, ns, 0.95), pct(all, ns, 0.99), all[ns - 1], sum / (double)ns,
	       pct(shortv, nshort, 0.95), pct(longv, nlong, 0.95), pct(cpu, ns, 0.5),
	       pct(cpu, ns, 0.95), rows_sum / (double)ns, vmhwm_kib());
	rc = 0;
out:
	if (ef != NULL)
		fclose(ef);
	sqlite3_finalize(pick);
	sqlite3_finalize(fts);
	sqlite3_finalize(shrt);
	sqlite3_finalize(byrid);
	free(v);
	free(all);
	free(shortv);
	free(longv);
	free(cpu);
	free(cause);
	kg_store_free(&st);
	return rc;
}
