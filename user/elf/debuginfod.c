// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See debuginfod.h. The queue's logic is fetchq.c; this file adds the thread, the lock,
 * the waits and elfutils' client. Everything under d->lock but the client's call. */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/debuginfod.h"
#include "elf/fetchq.h"
#include "util/clock.h"
#include "util/log.h"

/* Objects waiting at once, and in a whole run: far above what a profile names. */
#define DEBUGINFOD_MAX_QUEUED 512
#define DEBUGINFOD_MAX_ALL 8192

/* elfutils' client library, opened at the first fetch: linked in, it would load libcurl and
 * its TLS stack (some thirty libraries, ~5 ms of CPU) at every start of cprof-bpf, fetches
 * or not. All NULL if it could not be opened. */
static struct {
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_end) *end;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
	__typeof__(debuginfod_get_user_data) *get_user_data;
	__typeof__(debuginfod_set_user_data) *set_user_data;
	__typeof__(debuginfod_set_progressfn) *set_progressfn;
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_open(void)
{
	void *h = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		log_warn("debuginfod: %s; nothing is fetched", dlerror());
		return;
	}
	lib.begin = dlsym(h, "debuginfod_begin");
	lib.end = dlsym(h, "debuginfod_end");
	lib.find_debuginfo = dlsym(h, "debuginfod_find_debuginfo");
	lib.get_user_data = dlsym(h, "debuginfod_get_user_data");
	lib.set_user_data = dlsym(h, "debuginfod_set_user_data");
	lib.set_progressfn = dlsym(h, "debuginfod_set_progressfn");
	if (lib.begin && lib.end && lib.find_debuginfo && lib.get_user_data &&
	    lib.set_user_data && lib.set_progressfn)
		return;
	log_warn("debuginfod: libdebuginfod.so.1 lacks the client's functions; nothing is "
		 "fetched");
	memset(&lib, 0, sizeof(lib));
	dlclose(h);
}

struct debuginfod {
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a fetch was asked for or ended, or stop */
	pthread_t thread;
	bool started;		/* the thread runs (until joined) */
	bool stop;		/* the thread is asked to end, cancelling */
	bool stopped;		/* joined, or it never could start: nothing more is fetched */
	debuginfod_client *client;	/* the thread's alone; NULL: no client, nothing fetched */
	struct fetchq q;
	struct fetch *cur;	/* the fetch the client is running */
	bool cancelled;		/* the progress callback cancelled cur */
	char *urls;
};

static double now(void)
{
	return clock__secs(CLOCK_MONOTONIC);
}

/* The client calls this about once a second while a fetch runs (more often while data
 * comes): non-zero cancels it. This is how a server that accepts and never answers is cut
 * off at the budget: the client's own DEBUGINFOD_TIMEOUT is 90 s by default. */
static int on_progress(debuginfod_client *c, long a, long b)
{
	struct debuginfod *d = lib.get_user_data(c);
	bool cancel;

	(void)a;
	(void)b;
	pthread_mutex_lock(&d->lock);
	cancel = d->stop || (d->cur && now() >= fetchq__deadline(&d->q, d->cur));
	if (cancel)
		d->cancelled = true;
	pthread_mutex_unlock(&d->lock);
	return cancel;
}

/* The client's cache directory, as debuginfod-client-config(7) gives it. */
static int cache_dir(char *buf, size_t len)
{
	const char *env = getenv("DEBUGINFOD_CACHE_PATH"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CACHE_HOME");
	struct stat st;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (home && *home &&
		 snprintf(buf, len, "%s/.debuginfod_client_cache", home) < (int)len &&
		 !stat(buf, &st) && S_ISDIR(st.st_mode))
		return 0;
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/debuginfod_client", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.cache/debuginfod_client", home);
	else
		return -ENOENT;
	return n < (int)len ? 0 : -ENAMETOOLONG;
}

/* libdebuginfod 0.188 (Debian 12) records a query cancelled by the progress callback as a
 * miss, an empty BUILDID/debuginfo in its cache, and answers "not found" from it for
 * cache_miss_s (10 min): one slow moment of a server would cost the next runs their
 * symbols. Later versions leave cancelled queries out. Removes such a file when it is
 * empty and was written since the fetch began (wall-clock seconds since). */
static void forget_cancelled_miss(const char *build_id, double since)
{
	char path[PATH_MAX];
	size_t n;
	struct stat st;

	if (cache_dir(path, sizeof(path)))
		return;
	n = strlen(path);
	if (snprintf(path + n, sizeof(path) - n, "/%s/debuginfo", build_id) >=
	    (int)(sizeof(path) - n))
		return;
	if (!lstat(path, &st) && S_ISREG(st.st_mode) && st.st_size == 0 &&
	    st.st_mtim.tv_sec + 1 >= (time_t)since)
		unlink(path);
}

/* Runs fetch f with the client, the lock released meanwhile. */
static void fetch_one(struct debuginfod *d, struct fetch *f)
{
	double wall = clock__secs(CLOCK_REALTIME);
	char id[sizeof(f->build_id)], *path = NULL;
	bool cancelled;
	int fd;

	memcpy(id, f->build_id, sizeof(id));
	d->cur = f;
	d->cancelled = false;
	pthread_mutex_unlock(&d->lock);
	fd = d->client ? lib.find_debuginfo(d->client, (const unsigned char *)id, 0, &path) :
			 -ENOSYS;
	if (fd >= 0)
		close(fd);	/* the path is opened and checked like any debug file */
	pthread_mutex_lock(&d->lock);
	cancelled = d->cancelled;
	d->cur = NULL;
	if (fd < 0 && cancelled)
		forget_cancelled_miss(id, wall);
	fetchq__done(&d->q, f, fd < 0 ? fd : 0, fd < 0 && cancelled, path, now());
}

/* -v's line for f, which has just ended. */
static void say_outcome(const struct debuginfod *d, const struct fetch *f)
{
	double ms = (f->t_ended - f->t_begun) * 1e3;

	switch (f->state) {
	case FETCH_FOUND:
		log_debug("debuginfod: %s: fetched %s in %.0f ms", f->what, f->path, ms);
		break;
	case FETCH_MISSING:
		if (f->err == -ENOENT)
			log_debug("debuginfod: %s: not found (build id %s)", f->what, f->build_id);
		else
			log_debug("debuginfod: %s: not fetched: %s", f->what, strerror(-f->err));
		break;
	case FETCH_TIMED_OUT:
		if (f->begun)
			log_debug("debuginfod: %s: timed out after %.0f ms (budget %g s)", f->what,
				  ms, d->q.budget);
		else
			log_debug("debuginfod: %s: timed out before its fetch began (budget %g s)",
				  f->what, d->q.budget);
		break;
	default:
		break;
	}
}

/* The client, on the thread's start. */
static void client_begin(struct debuginfod *d)
{
	pthread_once(&lib_once, lib_open);
	if (!lib.begin)
		return;
	d->client = lib.begin();
	if (!d->client) {
		log_warn("debuginfod: cannot start its client: %s; nothing is fetched",
			 strerror(errno ? errno : ENOMEM));
		return;
	}
	lib.set_user_data(d->client, d);
	lib.set_progressfn(d->client, on_progress);
}

static void *worker(void *arg)
{
	struct debuginfod *d = arg;
	struct fetch *f;

	client_begin(d);
	pthread_mutex_lock(&d->lock);
	for (;;) {
		f = fetchq__next(&d->q, now());
		if (!f) {
			if (d->stop)
				break;
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		if (f->state == FETCH_RUNNING)
			fetch_one(d, f);
		say_outcome(d, f);
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* The thread, with every signal blocked: SIGINT and SIGTERM are the main thread's. */
static int start_thread(struct debuginfod *d)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&d->thread, NULL, worker, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		log_warn("debuginfod: cannot start its thread: %s; nothing is fetched",
			 strerror(-err));
		d->stopped = true;
		return err;
	}
	d->started = true;
	return 0;
}

int debuginfod__new(double budget, struct debuginfod **out)
{
	const char *urls = getenv(DEBUGINFOD_URLS_ENV_VAR);
	pthread_condattr_t ca;
	struct debuginfod *d;

	*out = NULL;
	if (budget <= 0 || !urls || !urls[strspn(urls, " \t")])
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->urls = strdup(urls))) {
		free(d);
		return -ENOMEM;
	}
	fetchq__init(&d->q, budget, DEBUGINFOD_MAX_QUEUED, DEBUGINFOD_MAX_ALL);
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = d;
	return 0;
}

/* f's outcome for a caller that waited (or not). */
static int outcome(const struct fetch *f, bool waited, char *path)
{
	switch (f->state) {
	case FETCH_FOUND:
		if (strlen(f->path) >= PATH_MAX)
			return -ENOENT;
		strcpy(path, f->path);
		return 0;
	case FETCH_MISSING:
		return -ENOENT;
	case FETCH_TIMED_OUT:
		return -ETIMEDOUT;
	default:
		return waited ? -ETIMEDOUT : -EINPROGRESS;
	}
}

static void wait_until(struct debuginfod *d, double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	pthread_cond_timedwait(&d->cond, &d->lock, &ts);
}

int debuginfod__get(struct debuginfod *d, const char *build_id, const char *what, bool wait,
		    char *path)
{
	struct fetch *f;
	int err = 0;

	pthread_mutex_lock(&d->lock);
	if (d->stopped) {
		f = fetchq__find(&d->q, build_id);
		err = f ? 0 : -ETIMEDOUT;
	} else {
		f = fetchq__ask(&d->q, build_id, what, now());
		err = f ? 0 : -errno;
		if (f && !d->started)
			err = start_thread(d);
		pthread_cond_broadcast(&d->cond);
	}
	while (!err && wait && !fetchq__final(f) && !d->stopped) {
		double deadline = fetchq__deadline(&d->q, f);

		if (now() >= deadline)
			break;
		wait_until(d, deadline);
	}
	if (!err)
		err = outcome(f, wait, path);
	pthread_mutex_unlock(&d->lock);
	return err;
}

void debuginfod__limit(struct debuginfod *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	fetchq__cap(&d->q, now() + d->q.budget);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

void debuginfod__unlimit(struct debuginfod *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	fetchq__uncap(&d->q);
	pthread_mutex_unlock(&d->lock);
}

void debuginfod__stop(struct debuginfod *d)
{
	bool join;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	join = d->started && !d->stopped;
	d->stop = true;
	fetchq__cap(&d->q, now());
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (join)
		pthread_join(d->thread, NULL);
	pthread_mutex_lock(&d->lock);
	d->stopped = true;
	pthread_mutex_unlock(&d->lock);
}

void debuginfod__stats(struct debuginfod *d, struct debuginfod_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	st->asked = d->q.n;
	for (size_t i = 0; i < d->q.n; i++) {
		st->found += d->q.all[i]->state == FETCH_FOUND;
		st->missing += d->q.all[i]->state == FETCH_MISSING;
	}
	st->timed_out = d->q.timed_out;
	st->budget = d->q.budget;
	st->urls = d->urls;
	pthread_mutex_unlock(&d->lock);
}

void debuginfod__free(struct debuginfod *d)
{
	if (!d)
		return;
	debuginfod__stop(d);
	if (d->client)
		lib.end(d->client);
	fetchq__free(&d->q);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d->urls);
	free(d);
}
