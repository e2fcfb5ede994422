/*
 * worker.c - one background thread for calls that may block, completions
 * handed back to the loop through a pipe.
 *
 * The loop's thread queues jobs under a mutex; the worker runs them one at
 * a time and appends each finished job to a done list, writing one byte to
 * a pipe the loop watches; the loop's callback takes the whole list and runs
 * the done functions.  So program state is only ever changed on the loop's
 * thread, and the worker touches nothing but the job it runs.
 *
 * It must never make the loop wait without a bound: kg_worker_free waits at
 * most its argument for a stuck job, then abandons the thread (detached; it
 * frees itself when the call returns).  The worker blocks every signal, so
 * handlers run on the loop's thread as before; and it writes to the pipe
 * only under the mutex and only while not abandoned, so it never writes to
 * a pipe whose read end is closed.
 */
#include "kigo/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kigo/loop.h"

struct kg_worker {
	struct kg_loop *loop;           /* borrowed */
	pthread_t thread;
	pthread_mutex_t mu;             /* guards everything below but pending */
	pthread_cond_t work;            /* a job was queued, or stop */
	pthread_cond_t idle;            /* a job finished, or the thread exited */
	struct kg_worker_job *queue, *queue_tail;  /* to run, in order */
	struct kg_worker_job *done, *done_tail;    /* finished, done not run yet */
	struct kg_worker_job *running;
	int pipe[2];                    /* worker writes [1], the loop reads [0] */
	bool stopping;
	bool exited;
	bool abandoned;                 /* the thread owns the struct from then on */
	size_t pending;                 /* loop thread only: queued, done not run */
};

static void
append(struct kg_worker_job **head, struct kg_worker_job **tail, struct kg_worker_job *job)
{
	job->next = NULL;
	if (*tail != NULL)
		(*tail)->next = job;
	else
		*head = job;
	*tail = job;
}

static void
drop_list(struct kg_worker_job *job)
{
	struct kg_worker_job *next;

	for (; job != NULL; job = next) {
		next = job->next;
		job->drop(job);
	}
}

static void
destroy(struct kg_worker *w)
{
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	if (w->pipe[0] >= 0)
		close(w->pipe[0]);
	if (w->pipe[1] >= 0)
		close(w->pipe[1]);
	free(w);
}

static void *
worker_main(void *arg)
{
	struct kg_worker *w = arg;
	struct kg_worker_job *job;
	unsigned char b = 1;
	bool self_free;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->queue == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->queue == NULL)
			break;
		job = w->queue;
		w->queue = job->next;
		if (w->queue == NULL)
			w->queue_tail = NULL;
		w->running = job;
		pthread_mutex_unlock(&w->mu);
		job->run(job);
		pthread_mutex_lock(&w->mu);
		w->running = NULL;
		if (w->abandoned) {
			job->drop(job);
		} else {
			append(&w->done, &w->done_tail, job);
			/* a full pipe already means a wake-up is on its way */
			if (write(w->pipe[1], &b, 1) < 0) {
				/* nothing to do */
			}
		}
		pthread_cond_broadcast(&w->idle);
	}
	w->exited = true;
	pthread_cond_broadcast(&w->idle);
	self_free = w->abandoned;
	pthread_mutex_unlock(&w->mu);
	if (self_free) {
		w->pipe[0] = -1; /* the loop closed it */
		destroy(w);
	}
	return NULL;
}

/* The loop's side: take every finished job and run its done function. */
static void
on_pipe(struct kg_loop *loop, int fd, short revents, void *ud)
{
	struct kg_worker *w = ud;
	struct kg_worker_job *list, *next;
	unsigned char buf[64];

	(void)loop, (void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = w->done_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	/* done functions must not free the worker (they may queue more jobs) */
	for (; list != NULL; list = next) {
		next = list->next;
		list->next = NULL;
		w->pending--;
		list->done(list);
	}
}

static int
pipe_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct kg_worker *
kg_worker_new(struct kg_loop *loop, char **cause)
{
	struct kg_worker *w = kg_xcalloc(1, sizeof(*w));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	w->loop = loop;
	w->pipe[0] = w->pipe[1] = -1;
	if (pipe(w->pipe) != 0 || pipe_flags(w->pipe[0]) != 0 || pipe_flags(w->pipe[1]) != 0) {
		kg_set_cause(cause, "cannot create a pipe for the background thread: %s",
		             strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_cond_init(&w->idle, &ca);
	pthread_condattr_destroy(&ca);
	/* the thread inherits a mask with every signal blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		kg_set_cause(cause, "cannot start a background thread: %s", strerror(rc));
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->idle);
		goto fail;
	}
	kg_loop_watch(loop, w->pipe[0], POLLIN, on_pipe, w);
	return w;
fail:
	if (w->pipe[0] >= 0)
		close(w->pipe[0]);
	if (w->pipe[1] >= 0)
		close(w->pipe[1]);
	free(w);
	return NULL;
}

void
kg_worker_queue(struct kg_worker *w, struct kg_worker_job *job)
{
	pthread_mutex_lock(&w->mu);
	append(&w->queue, &w->queue_tail, job);
	w->pending++;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

size_t
kg_worker_pending(const struct kg_worker *w)
{
	return w->pending;
}

static void
deadline_after(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (ms < 0)
		ms = 0;
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool
kg_worker_wait_idle(struct kg_worker *w, int64_t wait_ms)
{
	struct timespec until;
	bool idle;

	deadline_after(&until, wait_ms);
	pthread_mutex_lock(&w->mu);
	while ((w->queue != NULL || w->running != NULL) &&
	       pthread_cond_timedwait(&w->idle, &w->mu, &until) != ETIMEDOUT)
		;
	idle = w->queue == NULL && w->running == NULL;
	pthread_mutex_unlock(&w->mu);
	return idle;
}

bool
kg_worker_free(struct kg_worker **wp, int64_t wait_ms)
{
	struct kg_worker *w = wp != NULL ? *wp : NULL;
	struct kg_worker_job *queued, *finished;
	struct timespec until;
	int rfd;

	if (w == NULL)
		return true;
	*wp = NULL;
	kg_loop_unwatch(w->loop, w->pipe[0]);
	deadline_after(&until, wait_ms);
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->work);
	while (!w->exited && pthread_cond_timedwait(&w->idle, &w->mu, &until) != ETIMEDOUT)
		;
	if (w->exited) {
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		drop_list(w->done);
		destroy(w);
		return true;
	}
	/* stuck: hand the struct to the thread and never touch it again */
	w->abandoned = true;
	queued = w->queue;
	finished = w->done;
	w->queue = w->queue_tail = w->done = w->done_tail = NULL;
	rfd = w->pipe[0];
	pthread_detach(w->thread);
	pthread_mutex_unlock(&w->mu);
	close(rfd);
	drop_list(queued);
	drop_list(finished);
	return false;
}
