/* What main.c parsed from the command line and the environment; read by the session. */
#ifndef CPROF_OPTIONS_H
#define CPROF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/serve.h"
#include "kinds/kind.h"

/* Bounds of a long run (core/retain.c). */
struct retain_opts {
	unsigned int max_stacks;	/* --max-stacks: distinct stacks kept (0: no limit) */
	unsigned int max_exited;	/* --max-exited: exited processes whose stacks are kept */
};

struct cprof_opts {
	int *pids;		/* -p; n_pids == 0: whole host (or COMMAND) */
	size_t n_pids;
	char **command;		/* argv after "--", NULL-terminated; NULL if none */
	double duration;	/* seconds; 0 = until a signal (or COMMAND's exit) */
	char *output_dir;	/* never NULL after parsing, but for top without -o */
	unsigned int kinds;	/* KIND_BIT(enum cprof_kind) set */
	unsigned int kinds_required;	/* named with -t: an error if the kernel refuses one */
	unsigned int fail_kinds;	/* CPROF_FAIL_KINDS (tests): their load is made to fail */
	unsigned int ring_mib;	/* ring buffer size */
	struct kind_opts k;	/* the kinds' tuning */
	const char **debug_dirs;	/* --debuginfo-dir DIRs then /usr/lib/debug, NULL-terminated;
					 * NULL when none was given (the symbolizer's default) */
	const char *cache_dir;	/* CPROF_CACHE_DIR, NULL if unset or empty */
	double debuginfod_timeout;	/* --debuginfod-timeout: seconds per object; 0: off */
	struct serve_opts http;	/* --http*: addr NULL without a server */
	struct retain_opts retain;	/* --max-stacks, --max-exited */
	bool verbose;
	bool check;		/* --check: load every kind, attach none, say which work */
	bool top;		/* `cprof-bpf top`: the live view (core/top.c) */
	double top_interval;	/* top's --interval: seconds between refreshes */
};

#endif
