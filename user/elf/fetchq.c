// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See fetchq.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elf/fetchq.h"
#include "util/vec.h"

void fetchq__init(struct fetchq *q, double budget, size_t max_queued, size_t max_all)
{
	*q = (struct fetchq){
		.ids = HASHMAP_INIT(struct fetch *),
		.max_queued = max_queued,
		.max_all = max_all,
		.budget = budget,
		.cap_at = INFINITY,
	};
}

void fetchq__free(struct fetchq *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->all[i]->what);
		free(q->all[i]->path);
		free(q->all[i]);
	}
	free(q->all);
	hashmap__free(&q->ids);
	memset(q, 0, sizeof(*q));
}

static bool id_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return !strcmp((*(struct fetch *const *)ent)->build_id, key);
}

struct fetch *fetchq__find(const struct fetchq *q, const char *build_id)
{
	struct fetch **e = hashmap__find(&q->ids, hash__str(build_id), build_id, id_eq, NULL);

	return e ? *e : NULL;
}

struct fetch *fetchq__ask(struct fetchq *q, const char *build_id, const char *what,
			  double now)
{
	struct fetch *f = fetchq__find(q, build_id), **e;
	bool added;

	if (f)
		return f;
	if (strlen(build_id) >= sizeof(f->build_id) || q->queued >= q->max_queued ||
	    q->n >= q->max_all) {
		errno = ENOSPC;
		return NULL;
	}
	if (VEC_GROW(q->all, q->cap, q->n + 1) || !(f = calloc(1, sizeof(*f))) ||
	    !(f->what = strdup(what ? what : "?")))
		goto nomem;
	strcpy(f->build_id, build_id);
	f->t_asked = now;
	e = hashmap__insert(&q->ids, hash__str(build_id), build_id, id_eq, NULL, &added);
	if (!e)
		goto nomem;
	*e = f;
	q->all[q->n++] = f;
	q->queued++;
	return f;
nomem:
	if (f)
		free(f->what);
	free(f);
	errno = ENOMEM;
	return NULL;
}

double fetchq__deadline(const struct fetchq *q, const struct fetch *f)
{
	return fmin(f->t_asked + q->budget, q->cap_at);
}

void fetchq__cap(struct fetchq *q, double at)
{
	q->cap_at = fmin(q->cap_at, at);
}

void fetchq__uncap(struct fetchq *q)
{
	q->cap_at = INFINITY;
}

struct fetch *fetchq__next(struct fetchq *q, double now)
{
	struct fetch *f;

	while (q->next < q->n && q->all[q->next]->state != FETCH_QUEUED)
		q->next++;
	if (q->next >= q->n)
		return NULL;
	f = q->all[q->next++];
	q->queued--;
	if (fetchq__deadline(q, f) <= now) {
		f->state = FETCH_TIMED_OUT;
		f->t_ended = now;
		q->timed_out++;
		return f;
	}
	f->state = FETCH_RUNNING;
	f->begun = true;
	f->t_begun = now;
	return f;
}

void fetchq__done(struct fetchq *q, struct fetch *f, int err, bool timed_out, char *path,
		  double now)
{
	f->t_ended = now;
	if (!err && path) {
		f->state = FETCH_FOUND;
		f->path = path;
		return;
	}
	free(path);
	if (timed_out) {
		f->state = FETCH_TIMED_OUT;
		q->timed_out++;
		return;
	}
	f->state = FETCH_MISSING;
	f->err = err ? err : -ENOENT;
}
