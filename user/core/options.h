/* What main.c parsed from the command line; read by the session. */
#ifndef CPROF_OPTIONS_H
#define CPROF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#define KIND_BIT(k) (1u << (k))

struct cprof_opts {
	int *pids;		/* -p; n_pids == 0: whole host (or COMMAND) */
	size_t n_pids;
	char **command;		/* argv after "--", NULL-terminated; NULL if none */
	double duration;	/* seconds; 0 = until a signal (or COMMAND's exit) */
	char *output_dir;	/* never NULL after parsing */
	unsigned int kinds;	/* KIND_BIT(enum cprof_kind) set */
	unsigned int kinds_required;	/* named with -t: an error if the kernel refuses one */
	unsigned int fail_kinds;	/* CPROF_FAIL_KINDS (tests): their load is made to fail */
	unsigned int freq;	/* Hz */
	unsigned int max_depth;	/* user frames */
	unsigned int ring_mib;	/* ring buffer size */
	unsigned long long block_rate_ns;	/* block profile sampling rate */
	unsigned int mutex_rate;	/* mutex profile: keep 1 in mutex_rate contentions */
	unsigned long long heap_rate;	/* heap profile: mean bytes between samples */
	int heap_uretprobes;	/* CPROF_HEAP_URETPROBES (diagnostic): 0 = sessions where the
				 * kernel has them, 1 = uprobe_multi return probes, 2 = perf ones */
	const char **debug_dirs;	/* --debuginfo-dir DIRs then /usr/lib/debug, NULL-terminated;
					 * NULL when none was given (the symbolizer's default) */
	bool verbose;
	bool check;		/* --check: load every kind, attach none, say which work */
};

#endif
