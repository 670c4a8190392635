/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * demo [SECS]: the program `make demo` profiles, a small "service" whose CPU profile looks
 * fine while its time goes elsewhere — the story the pprof literature tells. DEMO_WORKERS
 * threads (the main thread is one of them) serve requests for SECS seconds (default 7).
 * Each request, in handle_request:
 *
 *   parse_request       1.0 ms of CPU in three functions, the whole CPU profile:
 *   compute_etag          parse_request 50%, compute_etag 30%, render_response 20%;
 *   render_response       parse_request also mallocs and frees a 64 KiB scratch buffer
 *   fetch_from_backend  4 ms asleep, "waiting for a backend" (I/O-ish)
 *   with_config_lock    takes config_lock and calls reload_config, which sleeps 3 ms while
 *                       holding it (I/O under a lock: the bug of the story)
 *   cache_insert_leaky  keeps a 48 KiB copy of the response in a cache that never evicts
 *
 * One lock held 3 ms per request serves at most 333 requests a second; the workers want
 * more, so they queue on config_lock most of the time. What each profile says:
 *   cpu    the three CPU functions in their 50/30/20 split, and only a few percent of the
 *          threads' time
 *   block  the waiters: most of the delay in pthread_mutex_lock under with_config_lock, then
 *          fetch_from_backend's and reload_config's sleeps
 *   mutex  the holder: the delay charged where config_lock is released, in with_config_lock
 *   heap   inuse_space: cache_insert_leaky holds what leaked; alloc_space: parse_request churns
 *
 * Ground truth goes to stderr at exit, one line the e2e test reads (times in nanoseconds):
 *   demo: truth requests N lock_wait_ns N lock_held_ns N backend_ns N leaked_bytes N
 *         cpu_units parse_request 5 compute_etag 3 render_response 2
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "workload.h"

#define DEMO_WORKERS 12
#define PARSE_SCRATCH (64 * 1024)
#define CACHE_ENTRY (48 * 1024)
#define BACKEND_US 4000
#define RELOAD_US 3000

struct cache_entry {
	struct cache_entry *next;
	long key;
	char body[CACHE_ENTRY - sizeof(void *) - sizeof(long)];
};

/* The response cache: pushed onto, never evicted (lock-free, so it adds no contention of
 * its own to the mutex profile's story). */
static _Atomic(struct cache_entry *) cache_head;

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static double end_time;
static atomic_ullong lock_wait_ns, lock_held_ns, backend_ns, leaked_bytes, requests;

static void *volatile scratch_sink;

static unsigned long long ns_since(double t0)
{
	return (unsigned long long)((workload_now() - t0) * 1e9);
}

static void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void parse_request(long id)
{
	char *scratch = malloc(PARSE_SCRATCH);

	if (scratch) {
		scratch[0] = (char)id;
		scratch_sink = scratch;
	}
	BURN(5 * WORK_UNIT);
	free(scratch);
}

__attribute__((noinline)) void compute_etag(void)
{
	BURN(3 * WORK_UNIT);
}

__attribute__((noinline)) void render_response(void)
{
	BURN(2 * WORK_UNIT);
}

__attribute__((noinline)) void fetch_from_backend(void)
{
	double t0 = workload_now();

	sleep_us(BACKEND_US);
	atomic_fetch_add(&backend_ns, ns_since(t0));
}

/* Re-reads the configuration: slow, and done with config_lock held. */
__attribute__((noinline)) void reload_config(void)
{
	sleep_us(RELOAD_US);
}

/* Runs fn with config_lock held; the time spent waiting for it and holding it is counted. */
__attribute__((noinline)) void with_config_lock(void (*fn)(void))
{
	double t0 = workload_now(), t1;

	pthread_mutex_lock(&config_lock);
	t1 = workload_now();
	fn();
	atomic_fetch_add(&lock_held_ns, ns_since(t1));
	pthread_mutex_unlock(&config_lock);
	atomic_fetch_add(&lock_wait_ns, (unsigned long long)((t1 - t0) * 1e9));
}

__attribute__((noinline)) void cache_insert_leaky(long key)
{
	struct cache_entry *e = malloc(sizeof(*e));

	if (!e)
		return;
	e->key = key;
	memset(e->body, (int)key, sizeof(e->body));
	e->next = atomic_load(&cache_head);
	while (!atomic_compare_exchange_weak(&cache_head, &e->next, e))
		;
	atomic_fetch_add(&leaked_bytes, sizeof(*e));
}

__attribute__((noinline)) void handle_request(long id)
{
	parse_request(id);
	compute_etag();
	fetch_from_backend();
	with_config_lock(reload_config);
	render_response();
	cache_insert_leaky(id);
	atomic_fetch_add(&requests, 1);
}

static void *worker_main(void *arg)
{
	long id = (long)arg * 1000000;

	while (workload_now() < end_time)
		handle_request(id++);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t workers[DEMO_WORKERS];
	double secs = workload_arg(argc, argv, 1, 7), t0 = workload_now();
	char name[16];
	int err, n;

	end_time = t0 + secs;
	for (n = 1; n < DEMO_WORKERS; n++) {
		err = pthread_create(&workers[n], NULL, worker_main, (void *)(long)n);
		if (err) {
			fprintf(stderr, "demo: cannot start threads: %s\n", strerror(err));
			return 1;
		}
		snprintf(name, sizeof(name), "worker-%d", n);
		pthread_setname_np(workers[n], name);
	}
	worker_main(0);
	for (n = 1; n < DEMO_WORKERS; n++)
		pthread_join(workers[n], NULL);
	printf("demo: served %llu requests in %.1f s with %d workers; the cache kept %.1f MiB\n",
	       (unsigned long long)requests, workload_now() - t0, DEMO_WORKERS,
	       (double)leaked_bytes / (1 << 20));
	fprintf(stderr, "demo: truth requests %llu lock_wait_ns %llu lock_held_ns %llu "
		"backend_ns %llu leaked_bytes %llu cpu_units parse_request 5 compute_etag 3 "
		"render_response 2\n", (unsigned long long)requests,
		(unsigned long long)lock_wait_ns, (unsigned long long)lock_held_ns,
		(unsigned long long)backend_ns, (unsigned long long)leaked_bytes);
	return 0;
}
