// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See buildq.h. Everything under q->lock but the build itself. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/buildq.h"
#include "unwind/cfi.h"
#include "util/clock.h"
#include "util/thread.h"
#include "util/vec.h"

struct done {
	void *job;
	struct cfi_table *t;
	int err;
	double secs;
};

struct buildq {
	buildq_fn fn;
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a job was queued, or stop */
	pthread_cond_t idle;	/* the thread is done with a job */
	pthread_t thread;
	bool started, stop;
	void **jobs;		/* queued, first in first out */
	size_t n_jobs, cap_jobs, head;
	struct done *done;
	size_t n_done, cap_done, done_head;
	bool busy;		/* the thread is building one */
	void *current;		/* which, while busy */
};

struct buildq *buildq__new(buildq_fn fn, void *ctx)
{
	struct buildq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->fn = fn;
	q->ctx = ctx;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	pthread_cond_init(&q->idle, NULL);
	return q;
}

static void *run(void *arg)
{
	struct buildq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct done d = { 0 };
		double t0;

		while (!q->stop && q->head == q->n_jobs)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->stop)
			break;
		d.job = q->jobs[q->head++];
		q->busy = true;
		q->current = d.job;
		pthread_mutex_unlock(&q->lock);
		t0 = clock__secs(CLOCK_MONOTONIC);
		d.err = q->fn(q->ctx, d.job, &d.t);
		d.secs = clock__secs(CLOCK_MONOTONIC) - t0;
		pthread_mutex_lock(&q->lock);
		q->busy = false;
		/* Room was made when the job was queued. */
		q->done[q->n_done++] = d;
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static int start(struct buildq *q)
{
	int err = thread__start(&q->thread, run, q);

	q->started = !err;
	return err;
}

int buildq__push(struct buildq *q, void *job)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->stop)
		err = -ESHUTDOWN;
	/* Consumed jobs are dropped from the front when the queue is drained. */
	if (!err && q->head == q->n_jobs)
		q->head = q->n_jobs = 0;
	/* Room for every outcome to come, this one's too, so the thread never lacks it. */
	if (!err)
		err = VEC_GROW(q->done, q->cap_done, q->n_done + q->n_jobs - q->head + 2);
	if (!err && !q->started)
		err = start(q);
	if (!err)
		err = VEC_PUSH(q->jobs, q->n_jobs, q->cap_jobs, job);
	if (!err)
		pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return err;
}

bool buildq__pop(struct buildq *q, void **job, struct cfi_table **t, int *err, double *secs)
{
	bool got = false;

	pthread_mutex_lock(&q->lock);
	if (q->done_head < q->n_done) {
		struct done *d = &q->done[q->done_head++];

		*job = d->job;
		*t = d->t;
		*err = d->err;
		*secs = d->secs;
		got = true;
	}
	if (q->done_head == q->n_done)
		q->done_head = q->n_done = 0;
	pthread_mutex_unlock(&q->lock);
	return got;
}

bool buildq__take(struct buildq *q, void *job)
{
	bool taken = false;

	pthread_mutex_lock(&q->lock);
	for (size_t i = q->head; i < q->n_jobs && !taken; i++) {
		if (q->jobs[i] != job)
			continue;
		memmove(&q->jobs[i], &q->jobs[i + 1], (q->n_jobs - i - 1) * sizeof(*q->jobs));
		q->n_jobs--;
		taken = true;
	}
	while (!taken && q->busy && q->current == job)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return taken;
}

size_t buildq__count(struct buildq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n_jobs - q->head + (q->busy ? 1 : 0) + q->n_done - q->done_head;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void buildq__free(struct buildq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (q->started)
		pthread_join(q->thread, NULL);
	for (size_t i = q->done_head; i < q->n_done; i++)
		cfi_table__free(q->done[i].t);
	free(q->done);
	free(q->jobs);
	pthread_cond_destroy(&q->cond);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
