/*
 * test_worker.c - the background thread: jobs run off the loop's thread,
 * one at a time and in order; done functions run on the loop's thread, only
 * from kg_loop_once; freeing joins an idle worker, drops what never got its
 * done, and abandons a stuck job within the bound (the job is dropped on
 * the worker's thread once it returns).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kigo/loop.h"
#include "kigo/worker.h"

/* valgrind (KG_VALGRIND=1) runs threads much slower */
static int64_t
slow(int64_t ms)
{
	const char *v = getenv("KG_VALGRIND");

	return v != NULL && strcmp(v, "1") == 0 ? ms * 10 : ms;
}

static atomic_int ran, dropped, done_n;
static int done_order[16];
static pthread_t main_thread;

struct tjob {
	struct kg_worker_job base;
	int seq;
	int block_fd;           /* >= 0: run waits for a byte on it */
	pthread_t ran_on;
	int ran_rank;           /* how many jobs had run before this one */
	bool ran_alone;
};

static atomic_int running_now;

static void
tjob_run(struct kg_worker_job *job)
{
	struct tjob *j = (struct tjob *)job;
	char c;

	j->ran_alone = atomic_fetch_add(&running_now, 1) == 0;
	j->ran_on = pthread_self();
	if (j->block_fd >= 0)
		while (read(j->block_fd, &c, 1) < 0)
			;
	j->ran_rank = atomic_fetch_add(&ran, 1);
	atomic_fetch_sub(&running_now, 1);
}

static void
tjob_done(struct kg_worker_job *job)
{
	struct tjob *j = (struct tjob *)job;
	int n = atomic_fetch_add(&done_n, 1);

	cr_expect(pthread_equal(pthread_self(), main_thread), "done runs on the loop's thread");
	cr_expect(!pthread_equal(j->ran_on, main_thread), "run ran on the loop's thread");
	cr_expect(j->ran_alone, "two jobs ran at once");
	cr_expect_eq(j->ran_rank, j->seq, "job %d ran as number %d", j->seq, j->ran_rank);
	if (n < 16)
		done_order[n] = j->seq;
	free(j);
}

static void
tjob_drop(struct kg_worker_job *job)
{
	atomic_fetch_add(&dropped, 1);
	free(job);
}

static struct tjob *
tjob_new(int seq, int block_fd)
{
	struct tjob *j = calloc(1, sizeof(*j));

	cr_assert_not_null(j);
	j->base.run = tjob_run;
	j->base.done = tjob_done;
	j->base.drop = tjob_drop;
	j->seq = seq;
	j->block_fd = block_fd;
	return j;
}

static void
reset(void)
{
	atomic_store(&ran, 0);
	atomic_store(&dropped, 0);
	atomic_store(&done_n, 0);
	atomic_store(&running_now, 0);
	memset(done_order, -1, sizeof(done_order));
	main_thread = pthread_self();
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(worker, jobs_run_in_order_off_the_loop_and_complete_on_it)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_worker *w;
	char *cause = NULL;
	int64_t deadline;

	reset();
	w = kg_worker_new(loop, &cause);
	cr_assert_not_null(w, "%s", cause);
	for (int i = 0; i < 6; i++)
		kg_worker_queue(w, &tjob_new(i, -1)->base);
	cr_assert_eq(kg_worker_pending(w), 6);
	/* nothing completes from inside the queue call or without the loop */
	cr_assert(kg_worker_wait_idle(w, slow(5000)), "the jobs did not run");
	cr_assert_eq(atomic_load(&ran), 6);
	cr_assert_eq(atomic_load(&done_n), 0, "done ran without the loop");
	cr_assert_eq(kg_worker_pending(w), 6);
	deadline = now_ms() + slow(5000);
	while (atomic_load(&done_n) < 6 && now_ms() < deadline)
		kg_loop_once(loop, 200);
	cr_assert_eq(atomic_load(&done_n), 6);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(done_order[i], i, "done %d was job %d", i, done_order[i]);
	cr_assert_eq(kg_worker_pending(w), 0);
	cr_assert(kg_worker_free(&w, slow(2000)), "an idle worker was not joined");
	cr_assert_null(w);
	cr_assert_eq(atomic_load(&dropped), 0);
	kg_loop_free(&loop);
}

/* done may queue the next job: the worker keeps going */
static struct kg_worker *chain_w;

static void
chain_done(struct kg_worker_job *job)
{
	struct tjob *j = (struct tjob *)job;
	int seq = j->seq;

	tjob_done(job);
	if (seq < 3) {
		struct tjob *n = tjob_new(seq + 1, -1);

		n->base.done = chain_done;
		kg_worker_queue(chain_w, &n->base);
	}
}

Test(worker, done_can_queue_more)
{
	struct kg_loop *loop = kg_loop_new();
	struct tjob *j;
	int64_t deadline;

	reset();
	chain_w = kg_worker_new(loop, NULL);
	cr_assert_not_null(chain_w);
	j = tjob_new(0, -1);
	j->base.done = chain_done;
	kg_worker_queue(chain_w, &j->base);
	deadline = now_ms() + slow(5000);
	while (atomic_load(&done_n) < 4 && now_ms() < deadline)
		kg_loop_once(loop, 200);
	cr_assert_eq(atomic_load(&done_n), 4);
	cr_assert(kg_worker_free(&chain_w, slow(2000)));
	kg_loop_free(&loop);
}

Test(worker, free_runs_what_is_queued_then_drops_it)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_worker *w = kg_worker_new(loop, NULL);

	reset();
	cr_assert_not_null(w);
	for (int i = 0; i < 4; i++)
		kg_worker_queue(w, &tjob_new(i, -1)->base);
	/* queued work (a save) gets its chance; no done runs after free */
	cr_assert(kg_worker_free(&w, slow(5000)), "not joined");
	cr_assert_eq(atomic_load(&ran), 4);
	cr_assert_eq(atomic_load(&done_n), 0);
	cr_assert_eq(atomic_load(&dropped), 4);
	kg_loop_free(&loop);
}

Test(worker, wait_idle_is_bounded)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_worker *w = kg_worker_new(loop, NULL);
	int p[2];
	int64_t t0;

	reset();
	cr_assert_not_null(w);
	cr_assert_eq(pipe(p), 0);
	kg_worker_queue(w, &tjob_new(0, p[0])->base);
	t0 = now_ms();
	cr_assert_not(kg_worker_wait_idle(w, 200), "a stuck job looked finished");
	cr_assert_lt(now_ms() - t0, slow(2000), "wait_idle took %lld ms",
	             (long long)(now_ms() - t0));
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert(kg_worker_wait_idle(w, slow(5000)));
	cr_assert(kg_worker_free(&w, slow(2000)));
	close(p[0]);
	close(p[1]);
	kg_loop_free(&loop);
}

Test(worker, a_stuck_job_is_abandoned_within_the_bound)
{
	struct kg_loop *loop = kg_loop_new();
	struct kg_worker *w = kg_worker_new(loop, NULL);
	int p[2];
	int64_t t0, took, deadline;

	reset();
	cr_assert_not_null(w);
	cr_assert_eq(pipe(p), 0);
	kg_worker_queue(w, &tjob_new(0, p[0])->base);   /* hangs like a keyring call */
	kg_worker_queue(w, &tjob_new(1, -1)->base);     /* queued behind it */
	kg_worker_queue(w, &tjob_new(2, -1)->base);
	t0 = now_ms();
	cr_assert_not(kg_worker_free(&w, 300), "a stuck worker was joined");
	took = now_ms() - t0;
	cr_assert_geq(took, 250, "free returned after %lld ms", (long long)took);
	cr_assert_lt(took, slow(2000), "free took %lld ms", (long long)took);
	/* the jobs behind the stuck one never run: dropped on the spot */
	cr_assert_eq(atomic_load(&dropped), 2);
	cr_assert_eq(atomic_load(&ran), 0);
	/* the loop no longer watches the worker: a pass has nothing to deliver */
	kg_loop_once(loop, 0);
	cr_assert_eq(atomic_load(&done_n), 0);
	/* the call returns at last: the thread drops the job and frees itself */
	cr_assert_eq(write(p[1], "x", 1), 1);
	deadline = now_ms() + slow(5000);
	while (atomic_load(&dropped) < 3 && now_ms() < deadline) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
	}
	cr_assert_eq(atomic_load(&dropped), 3, "the abandoned job was not dropped");
	cr_assert_eq(atomic_load(&done_n), 0);
	/* let the thread finish freeing before the process ends (leak checks) */
	{
		struct timespec ts = { 0, 200 * 1000000L };

		nanosleep(&ts, NULL);
	}
	close(p[0]);
	close(p[1]);
	kg_loop_free(&loop);
}
