// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// locks_cxx MODE SECS: C++ lock contention with known ground truth, for the mutex profile.
//   mutex   4 "worker" threads take g_table.mu, a std::mutex inside a global struct
//           (mutex_section), hold it ~200 µs and release it in mutex_release.
//           Prints "locks_cxx: wait_ns N sections N": the time spent in std::mutex::lock.
//   shared  a "writer" holds g_rw, a std::shared_mutex, for 2 ms at a time (releases it in
//           writer_release), 3 "reader" threads take it shared for ~10 µs (reader_release).
//           Prints "locks_cxx: reader_wait_ns N writer_wait_ns N": the time the readers
//           spent in lock_shared and the writer in lock.
// Prints "locks_cxx: pid N" first. Functions that must appear in stacks are extern "C" and
// not inlined, so their names read the same in every tool.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <shared_mutex>
#include <thread>
#include <unistd.h>
#include <vector>

#include "workload.h"

struct table {
	long hits;
	char tag;
	std::mutex mu;
	long misses;
};

table g_table;
std::shared_mutex g_rw;

static double g_end;
static std::atomic<unsigned long long> g_wait_ns, g_reader_wait_ns, g_writer_wait_ns,
	g_sections;

#define NOINLINE __attribute__((noinline))

extern "C" {

NOINLINE void spin_us(double us)
{
	double end = workload_now() + us / 1e6;

	while (workload_now() < end)
		;
}

NOINLINE void mutex_release(void)
{
	g_table.mu.unlock();
}

NOINLINE void mutex_section(void)
{
	double t0 = workload_now();

	g_table.mu.lock();
	g_wait_ns += (unsigned long long)((workload_now() - t0) * 1e9);
	g_table.hits++;
	spin_us(200);
	mutex_release();
	g_sections++;
}

NOINLINE void writer_release(void)
{
	g_rw.unlock();
}

NOINLINE void writer_section(void)
{
	double t0 = workload_now();

	g_rw.lock();
	g_writer_wait_ns += (unsigned long long)((workload_now() - t0) * 1e9);
	spin_us(2000);
	writer_release();
}

NOINLINE void reader_release(void)
{
	g_rw.unlock_shared();
}

NOINLINE void reader_section(void)
{
	double t0 = workload_now();

	g_rw.lock_shared();
	g_reader_wait_ns += (unsigned long long)((workload_now() - t0) * 1e9);
	spin_us(10);
	reader_release();
}

} // extern "C"

static void worker(const char *name, void (*section)(void), double outside_us)
{
	pthread_setname_np(pthread_self(), name);
	while (workload_now() < g_end) {
		section();
		spin_us(outside_us);
	}
}

int main(int argc, char **argv)
{
	std::vector<std::thread> t;
	double secs;

	if (argc != 3 || (secs = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: locks_cxx mutex|shared SECS\n");
		return 2;
	}
	printf("locks_cxx: pid %d\n", getpid());
	fflush(stdout);
	g_end = workload_now() + secs;
	if (!strcmp(argv[1], "mutex")) {
		for (int i = 0; i < 4; i++)
			t.emplace_back(worker, "worker", mutex_section, 20.0);
	} else if (!strcmp(argv[1], "shared")) {
		t.emplace_back(worker, "writer", writer_section, 1000.0);
		for (int i = 0; i < 3; i++)
			t.emplace_back(worker, "reader", reader_section, 300.0);
	} else {
		fprintf(stderr, "locks_cxx: unknown mode %s\n", argv[1]);
		return 2;
	}
	for (auto &th : t)
		th.join();
	if (!strcmp(argv[1], "mutex"))
		printf("locks_cxx: wait_ns %llu sections %llu\n", g_wait_ns.load(),
		       g_sections.load());
	else
		printf("locks_cxx: reader_wait_ns %llu writer_wait_ns %llu\n",
		       g_reader_wait_ns.load(), g_writer_wait_ns.load());
	return 0;
}
