/*
 * worker.h - one background thread for calls that may block (the keyring),
 * with completions delivered on the loop.
 *
 * Jobs run one at a time, in the order they were queued, on the worker's
 * thread; each finished job is handed back to the loop's thread through a
 * pipe the loop watches, and its done function runs there (from
 * kg_loop_once, never from inside kg_worker_queue).  The loop stays the one
 * place where program state changes: run functions touch only their job.
 *
 * Stopping waits a bounded time: a job stuck in a call that never returns
 * (a keyring that never answers) is abandoned with its thread, which frees
 * itself and the job (drop) whenever the call returns, or never if the
 * process exits first.
 */
#ifndef KIGO_WORKER_H
#define KIGO_WORKER_H

#include "kigo/common.h"

struct kg_loop;
struct kg_worker;
struct kg_worker_job;

/* Runs on the worker thread; touches the job only. */
typedef void (*kg_worker_run_fn)(struct kg_worker_job *job);
/* Runs on the loop; owns the job from then on (frees it). */
typedef void (*kg_worker_done_fn)(struct kg_worker_job *job);
/* Frees a job whose done will never run (any thread; must not touch the loop). */
typedef void (*kg_worker_drop_fn)(struct kg_worker_job *job);

/* Embed as the first member of a job of one's own. */
struct kg_worker_job {
	kg_worker_run_fn run;
	kg_worker_done_fn done;
	kg_worker_drop_fn drop;
	struct kg_worker_job *next; /* private */
};

/*
 * Start the thread and watch its completion pipe on loop (borrowed; it must
 * outlive the worker).  NULL with *cause when the thread or the pipe cannot
 * be created.
 */
struct kg_worker *kg_worker_new(struct kg_loop *loop, char **cause);

/* Queue a job (run, done and drop set); it runs after the ones queued before. */
void kg_worker_queue(struct kg_worker *w, struct kg_worker_job *job);

/* Jobs queued or running whose done has not run yet. */
size_t kg_worker_pending(const struct kg_worker *w);

/*
 * Wait at most wait_ms for the queued and running jobs to finish on the
 * thread (their done functions do not run).  True when the worker is idle.
 */
bool kg_worker_wait_idle(struct kg_worker *w, int64_t wait_ms);

/*
 * Stop: jobs still queued run first when the thread finishes them within
 * wait_ms; then the thread is joined.  Otherwise the remaining queued jobs
 * are dropped and the thread is abandoned (it frees itself and the running
 * job when that job returns).  Finished jobs whose done has not run are
 * dropped.  Returns true when the thread was joined.  Harmless on NULL.
 */
bool kg_worker_free(struct kg_worker **w, int64_t wait_ms);

#endif
