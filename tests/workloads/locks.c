/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * locks MODE SECS: lock contention with known ground truth, for the mutex profile.
 *   contend   4 "worker" threads take hot_lock (hot_section), hold it ~200 µs and release it
 *             in hot_release; a "calm" thread takes calm_lock (calm_section), used by nobody
 *             else. Ground truth: the time the threads spend in pthread_mutex_lock, printed
 *             at exit as "locks: hot_wait_ns N calm_wait_ns N sections N".
 *   condvar   a "producer" queues an item every ms (unlocks, then signals) and a "consumer"
 *             waits for it in pthread_cond_wait: waits, but no lock contention.
 *   rwlock    a "writer" holds rw_lock for 2 ms (releases it in writer_release), 3 "reader"
 *             threads take it shared for ~10 µs: the readers wait for the writer.
 *   pi        as contend without the calm thread, on pi_lock, a priority-inheritance mutex
 *             (PTHREAD_PRIO_INHERIT: FUTEX_LOCK_PI / FUTEX_UNLOCK_PI), released in
 *             pi_release (pi_section). Ground truth as contend (hot_wait_ns).
 *   member    as pi, on g_cache.mu, a mutex inside a global struct, released in
 *             member_release (member_section).
 *   throughput  as contend without the calm thread; prints "locks: sections_per_s N".
 *   uncontended one thread locks and unlocks solo_lock SECS seconds; prints
 *             "locks: ns_per_pair N".
 * Prints "locks: pid N" first. With a third argument "progress", also prints
 * "locks: at EPOCH-SECONDS hot_wait_ns N" every 100 ms while the threads run: the ground
 * truth of any window of the run, not only of the whole of it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t calm_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t solo_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
pthread_rwlock_t rw_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t pi_lock;	/* PTHREAD_PRIO_INHERIT, set up in main */

struct stats_cache {
	long hits;
	char tag;
	pthread_mutex_t mu;
	long misses;
};

struct stats_cache g_cache = { .mu = PTHREAD_MUTEX_INITIALIZER };

static double g_end;
static atomic_ullong g_hot_wait_ns, g_calm_wait_ns, g_sections;
static int g_queue;

/* Spins (on-CPU) for us microseconds. */
__attribute__((noinline)) static void spin_us(double us)
{
	double end = workload_now() + us / 1e6;

	while (workload_now() < end)
		;
}

/* Locks m, adding the time pthread_mutex_lock took to *acc. */
static void timed_lock(pthread_mutex_t *m, atomic_ullong *acc)
{
	double t0 = workload_now();

	pthread_mutex_lock(m);
	atomic_fetch_add(acc, (unsigned long long)((workload_now() - t0) * 1e9));
}

__attribute__((noinline)) static void hot_release(void)
{
	pthread_mutex_unlock(&hot_lock);
}

__attribute__((noinline)) static void hot_section(void)
{
	timed_lock(&hot_lock, &g_hot_wait_ns);
	spin_us(200);
	hot_release();
	atomic_fetch_add(&g_sections, 1);
}

__attribute__((noinline)) static void pi_release(void)
{
	pthread_mutex_unlock(&pi_lock);
}

__attribute__((noinline)) static void pi_section(void)
{
	timed_lock(&pi_lock, &g_hot_wait_ns);
	spin_us(200);
	pi_release();
	atomic_fetch_add(&g_sections, 1);
}

__attribute__((noinline)) static void member_release(void)
{
	pthread_mutex_unlock(&g_cache.mu);
}

__attribute__((noinline)) static void member_section(void)
{
	timed_lock(&g_cache.mu, &g_hot_wait_ns);
	g_cache.hits++;
	spin_us(200);
	member_release();
	atomic_fetch_add(&g_sections, 1);
}

/* arg: the section to run (NULL: hot_section). */
static void *worker(void *arg)
{
	void (*section)(void) = arg ? (void (*)(void))arg : hot_section;

	pthread_setname_np(pthread_self(), "worker");
	while (workload_now() < g_end) {
		section();
		spin_us(20);	/* outside the lock */
	}
	return NULL;
}

__attribute__((noinline)) static void calm_section(void)
{
	timed_lock(&calm_lock, &g_calm_wait_ns);
	spin_us(50);
	pthread_mutex_unlock(&calm_lock);
}

static void *calm(void *arg)
{
	struct timespec ts = { .tv_nsec = 200 * 1000 };

	(void)arg;
	pthread_setname_np(pthread_self(), "calm");
	while (workload_now() < g_end) {
		calm_section();
		nanosleep(&ts, NULL);
	}
	return NULL;
}

__attribute__((noinline)) static void producer_put(void)
{
	pthread_mutex_lock(&queue_lock);
	g_queue++;
	pthread_mutex_unlock(&queue_lock);
	pthread_cond_signal(&queue_cond);
}

static void *producer(void *arg)
{
	struct timespec ts = { .tv_nsec = 1000 * 1000 };

	(void)arg;
	pthread_setname_np(pthread_self(), "producer");
	while (workload_now() < g_end) {
		producer_put();
		nanosleep(&ts, NULL);
	}
	producer_put();	/* a last item, so the consumer sees the end */
	return NULL;
}

__attribute__((noinline)) static void consumer_take(void)
{
	pthread_mutex_lock(&queue_lock);
	while (!g_queue)
		pthread_cond_wait(&queue_cond, &queue_lock);
	g_queue--;
	pthread_mutex_unlock(&queue_lock);
}

static void *consumer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "consumer");
	while (workload_now() < g_end)
		consumer_take();
	return NULL;
}

__attribute__((noinline)) static void writer_release(void)
{
	pthread_rwlock_unlock(&rw_lock);
}

static void *writer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "writer");
	while (workload_now() < g_end) {
		pthread_rwlock_wrlock(&rw_lock);
		spin_us(2000);
		writer_release();
		spin_us(1000);
	}
	return NULL;
}

__attribute__((noinline)) static void reader_release(void)
{
	pthread_rwlock_unlock(&rw_lock);
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	while (workload_now() < g_end) {
		pthread_rwlock_rdlock(&rw_lock);
		spin_us(10);
		reader_release();
		spin_us(300);
	}
	return NULL;
}

static void run_arg(void *(*fn)(void *), void *arg, int n, pthread_t *t, int *nt)
{
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[(*nt)++], NULL, fn, arg)) {
			perror("pthread_create");
			exit(1);
		}
}

static void run(void *(*fn)(void *), int n, pthread_t *t, int *nt)
{
	run_arg(fn, NULL, n, t, nt);
}

static void init_pi_lock(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	if (pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT) ||
	    pthread_mutex_init(&pi_lock, &a)) {
		fprintf(stderr, "locks: cannot make a priority-inheritance mutex\n");
		exit(1);
	}
	pthread_mutexattr_destroy(&a);
}

__attribute__((noinline)) static void uncontended(double secs)
{
	unsigned long long n = 0;
	double t0 = workload_now(), t;

	do {
		for (int i = 0; i < 100000; i++) {
			pthread_mutex_lock(&solo_lock);
			pthread_mutex_unlock(&solo_lock);
		}
		n += 100000;
		t = workload_now();
	} while (t - t0 < secs);
	printf("locks: ns_per_pair %.3f\n", (t - t0) * 1e9 / (double)n);
}

/* "progress": the hot locks' waiting so far, with the wall-clock time, every 100 ms. */
static void report_progress(void)
{
	struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 }, now;

	while (workload_now() < g_end) {
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_REALTIME, &now);
		printf("locks: at %lld.%09ld hot_wait_ns %llu\n", (long long)now.tv_sec,
		       now.tv_nsec, (unsigned long long)g_hot_wait_ns);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	pthread_t t[8];
	int nt = 0;
	double secs, t0;

	if ((argc != 3 && (argc != 4 || strcmp(argv[3], "progress"))) ||
	    (secs = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: locks contend|condvar|rwlock|pi|member|throughput|"
			"uncontended SECS [progress]\n");
		return 2;
	}
	printf("locks: pid %d\n", getpid());
	fflush(stdout);
	t0 = workload_now();
	g_end = t0 + secs;
	if (!strcmp(argv[1], "uncontended")) {
		uncontended(secs);
		return 0;
	}
	if (!strcmp(argv[1], "contend") || !strcmp(argv[1], "throughput")) {
		run(worker, 4, t, &nt);
		if (!strcmp(argv[1], "contend"))
			run(calm, 1, t, &nt);
	} else if (!strcmp(argv[1], "pi")) {
		init_pi_lock();
		run_arg(worker, (void *)pi_section, 4, t, &nt);
	} else if (!strcmp(argv[1], "member")) {
		run_arg(worker, (void *)member_section, 4, t, &nt);
	} else if (!strcmp(argv[1], "condvar")) {
		run(consumer, 1, t, &nt);
		run(producer, 1, t, &nt);
	} else if (!strcmp(argv[1], "rwlock")) {
		run(writer, 1, t, &nt);
		run(reader, 3, t, &nt);
	} else {
		fprintf(stderr, "locks: unknown mode %s\n", argv[1]);
		return 2;
	}
	if (argc == 4)
		report_progress();
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	if (!strcmp(argv[1], "throughput"))
		printf("locks: sections_per_s %.1f\n",
		       (double)g_sections / (workload_now() - t0));
	else
		printf("locks: hot_wait_ns %llu calm_wait_ns %llu sections %llu\n",
		       (unsigned long long)g_hot_wait_ns, (unsigned long long)g_calm_wait_ns,
		       (unsigned long long)g_sections);
	return 0;
}
