// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cprof-bpf: command-line parsing only; the session does the rest. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cprof.h"
#include "core/options.h"
#include "core/session.h"
#include "util/log.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"Usage: cprof-bpf [OPTIONS] [-- COMMAND [ARG...]]\n"
	"Sampling profiler for running processes, the whole host, or a command it launches.\n"
	"Writes pprof profiles (go tool pprof reads them) into one directory.\n"
	"\n"
	"  -p, --pid PID[,PID...]   profile these processes (all their threads); repeatable\n"
	"  -d, --duration SECS      stop after SECS (default: until SIGINT/SIGTERM, or until\n"
	"                           COMMAND exits)\n"
	"  -o, --output DIR         where profiles go (default ./cprof-YYYYmmdd-HHMMSS)\n"
	"  -t, --types LIST         profile kinds, comma-separated: cpu, block, mutex, heap\n"
	"                           (default: cpu,block; with -p or COMMAND also mutex,heap)\n"
	"  -F, --frequency HZ       CPU sampling frequency (default 99)\n"
	"      --max-depth N        user frames per stack, 1-256 (default 128)\n"
	"      --ring-size MIB      ring buffer size in MiB, a power of two (default 4)\n"
	"      --block-rate NS      block profile: waits >= NS are all kept, shorter ones with\n"
	"                           probability wait/NS (Go's semantics; default 1000000)\n"
	"      --mutex-rate N       mutex profile: keep 1 in N lock contentions, values scaled\n"
	"                           by N (Go's semantics; default 1)\n"
	"      --heap-rate BYTES    heap profile: mean bytes allocated between samples\n"
	"                           (default 524288, as Go)\n"
	"      --debuginfo-dir DIR  look for separate debuginfo in DIR too (a .build-id tree\n"
	"                           like /usr/lib/debug, or a PPROF_BINARY_PATH directory);\n"
	"                           repeatable\n"
	"      --check              load every profile kind's BPF programs (attaching none)\n"
	"                           and say which this kernel supports, and how\n"
	"  -v, --verbose            libbpf and unwinder diagnostics on stderr\n"
	"  -h, --help               this text\n"
	"      --version            the version\n"
	"\n"
	"Without -p and COMMAND the whole host is profiled, each sample labelled with its\n"
	"process. With COMMAND, it starts once the probes are attached and cprof-bpf exits\n"
	"with its exit status. Read a profile with: go tool pprof -top DIR/cpu.pb.gz;\n"
	"DIR/block.pb.gz holds where threads waited off-CPU and for how long, DIR/mutex.pb.gz\n"
	"which lock releases made other threads wait (the holder's stack) and for how long,\n"
	"DIR/heap.pb.gz what was allocated and what of it is still in use (-p, COMMAND).\n"
	"\n"
	"Environment: CPROF_CACHE_DIR, where unwind tables are cached (/var/cache/cprof-bpf);\n"
	"CPROF_HEAP_URETPROBES=1|perf (diagnostic) forces the heap profile's return-probe\n"
	"mode of kernels without uprobe sessions; CPROF_FAIL_KINDS=LIST (tests) makes those\n"
	"kinds fail to load.\n";

enum { OPT_VERSION = 1000, OPT_MAX_DEPTH, OPT_RING_SIZE, OPT_BLOCK_RATE, OPT_MUTEX_RATE,
       OPT_HEAP_RATE, OPT_DEBUGINFO_DIR, OPT_CHECK };

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "types", required_argument, NULL, 't' },
	{ "frequency", required_argument, NULL, 'F' },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "block-rate", required_argument, NULL, OPT_BLOCK_RATE },
	{ "mutex-rate", required_argument, NULL, OPT_MUTEX_RATE },
	{ "heap-rate", required_argument, NULL, OPT_HEAP_RATE },
	{ "debuginfo-dir", required_argument, NULL, OPT_DEBUGINFO_DIR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cprof-bpf: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see cprof-bpf --help)\n");
	return -EINVAL;
}

/* A whole number in [min, max], or -EINVAL. */
static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int add_pids(struct cprof_opts *o, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long pid;
		int *p;

		if (parse_uint(tok, 1, INT_MAX, &pid)) {
			err = usage_error("invalid pid '%s': expected a positive number", tok);
			break;
		}
		p = realloc(o->pids, (o->n_pids + 1) * sizeof(*p));
		if (!p) {
			err = -ENOMEM;
			break;
		}
		o->pids = p;
		o->pids[o->n_pids++] = (int)pid;
	}
	if (!err && !o->n_pids)
		err = usage_error("-p needs a pid%s", "");
	free(copy);
	return err;
}

/* Appends dir before the default /usr/lib/debug, which stays last. */
static int add_debug_dir(struct cprof_opts *o, const char *dir)
{
	size_t n = 0;
	const char **v;

	if (!*dir)
		return usage_error("empty --debuginfo-dir%s", "");
	while (o->debug_dirs && o->debug_dirs[n])
		n++;
	v = realloc(o->debug_dirs, (n + 2 + !n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (!n)
		v[n++] = "/usr/lib/debug";
	v[n] = v[n - 1];
	v[n - 1] = dir;
	v[n + 1] = NULL;
	o->debug_dirs = v;
	return 0;
}

/* A comma-separated list of profile kinds into *kinds (KIND_BIT set); what names the list
 * in errors ("-t", "CPROF_FAIL_KINDS"). */
static int parse_kinds(const char *list, const char *what, unsigned int *kinds)
{
	static const char *const names[CPROF_KIND_HEAP_ALLOC + 1] = {
		[CPROF_KIND_CPU] = "cpu",
		[CPROF_KIND_BLOCK] = "block",
		[CPROF_KIND_MUTEX] = "mutex",
		[CPROF_KIND_HEAP_ALLOC] = "heap",
	};
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	*kinds = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		size_t k;

		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(tok, names[k]))
				break;
		if (k == sizeof(names) / sizeof(names[0])) {
			fprintf(stderr, "cprof-bpf: %s: unknown profile type '%s' (known: cpu, block, "
				"mutex, heap) (see cprof-bpf --help)\n", what, tok);
			err = -EINVAL;
		} else {
			*kinds |= KIND_BIT(k);
		}
	}
	free(copy);
	return err;
}

static int parse_types(struct cprof_opts *o, const char *list)
{
	int err = parse_kinds(list, "-t", &o->kinds);

	if (!err && !o->kinds)
		err = usage_error("-t needs at least one profile type%s", "");
	/* Named kinds are wanted: one the kernel cannot collect is an error. */
	o->kinds_required = o->kinds;
	return err;
}

/* Diagnostics, not options: the heap profile's fallback for kernels without uprobe
 * sessions, on a kernel that has them; kinds whose load is made to fail (tests of what a
 * kernel that refuses them gets). */
static int parse_env(struct cprof_opts *o)
{
	const char *env;

	if ((env = getenv("CPROF_HEAP_URETPROBES")) && *env && strcmp(env, "0")) {
		if (strcmp(env, "1") && strcmp(env, "perf"))
			return usage_error("CPROF_HEAP_URETPROBES='%s': expected 0, 1 or perf", env);
		o->heap_uretprobes = !strcmp(env, "perf") ? 2 : 1;
	}
	if ((env = getenv("CPROF_FAIL_KINDS")) && *env)
		return parse_kinds(env, "CPROF_FAIL_KINDS", &o->fail_kinds);
	return 0;
}

static int parse_duration(struct cprof_opts *o, const char *s)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d <= 0 || d > 366 * 86400.0)
		return usage_error("invalid duration '%s': expected seconds > 0", s);
	o->duration = d;
	return 0;
}

static char *default_output(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "cprof-%Y%m%d-%H%M%S", &tm);
	return strdup(buf);
}

/* Returns 0 to run, 1 when done (help, version), -errno on a usage error. */
static int parse_args(int argc, char **argv, struct cprof_opts *o)
{
	bool types_given = false;
	unsigned long v;
	int c, err = 0;

	opterr = 0;	/* our own one-line messages */
	while (!err && (c = getopt_long(argc, argv, "+:p:d:o:t:F:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			err = add_pids(o, optarg);
			break;
		case 'd':
			err = parse_duration(o, optarg);
			break;
		case 'o':
			free(o->output_dir);
			o->output_dir = strdup(optarg);
			err = o->output_dir && *optarg ? 0 : usage_error("empty output dir%s", "");
			break;
		case 't':
			err = parse_types(o, optarg);
			types_given = true;
			break;
		case 'F':
			if (parse_uint(optarg, 1, 100000, &v))
				return usage_error("invalid frequency '%s': expected 1-100000 Hz",
						   optarg);
			o->freq = v;
			break;
		case OPT_MAX_DEPTH:
			if (parse_uint(optarg, 1, CPROF_MAX_USER_FRAMES, &v))
				return usage_error("invalid --max-depth '%s': expected 1-256", optarg);
			o->max_depth = v;
			break;
		case OPT_RING_SIZE:
			if (parse_uint(optarg, 1, 1024, &v) || (v & (v - 1)))
				return usage_error("invalid --ring-size '%s': expected a power of two "
						   "from 1 to 1024 (MiB)", optarg);
			o->ring_mib = v;
			break;
		case OPT_BLOCK_RATE:
			if (parse_uint(optarg, 1, 3600000000000ul, &v))
				return usage_error("invalid --block-rate '%s': expected nanoseconds "
						   "from 1 to 3600e9", optarg);
			o->block_rate_ns = v;
			break;
		case OPT_MUTEX_RATE:
			if (parse_uint(optarg, 1, 1000000000ul, &v))
				return usage_error("invalid --mutex-rate '%s': expected 1 to 1e9",
						   optarg);
			o->mutex_rate = v;
			break;
		case OPT_HEAP_RATE:
			if (parse_uint(optarg, 1, 1ul << 40, &v))
				return usage_error("invalid --heap-rate '%s': expected bytes from 1 "
						   "to 2^40", optarg);
			o->heap_rate = v;
			break;
		case OPT_DEBUGINFO_DIR:
			err = add_debug_dir(o, optarg);
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case OPT_VERSION:
			printf("cprof-bpf %s\n", CPROF_VERSION);
			return 1;
		case ':':
			return usage_error("option %s needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (err)
		return err;
	if (optind < argc)
		o->command = &argv[optind];
	if (o->command && o->n_pids)
		return usage_error("give either -p or a COMMAND, not both%s", "");
	if (o->check && (o->command || o->n_pids))
		return usage_error("--check takes no -p or COMMAND: it attaches to nothing%s", "");
	/* Lock contention is a question about given processes, not the host; heap probes go
	 * into each target's allocator, never host-wide. --check loads every kind. */
	if (!types_given && (o->command || o->n_pids || o->check))
		o->kinds |= KIND_BIT(CPROF_KIND_MUTEX) | KIND_BIT(CPROF_KIND_HEAP_ALLOC);
	if ((o->kinds & KIND_BIT(CPROF_KIND_HEAP_ALLOC)) && !o->command && !o->n_pids &&
	    !o->check)
		return usage_error("the heap profile needs -p or a COMMAND%s", "");
	if ((err = parse_env(o)))
		return err;
	if (!o->output_dir && !(o->output_dir = default_output()))
		return -ENOMEM;
	return 0;
}

int main(int argc, char **argv)
{
	struct cprof_opts o = {
		.kinds = KIND_BIT(CPROF_KIND_CPU) | KIND_BIT(CPROF_KIND_BLOCK),
		.freq = 99,
		.max_depth = CPROF_DEFAULT_USER_FRAMES,
		.ring_mib = 4,
		.block_rate_ns = 1000000,
		.mutex_rate = 1,
		.heap_rate = 524288,
	};
	int err = parse_args(argc, argv, &o);

	log__set_verbose(o.verbose);
	if (err == 0)
		err = o.check ? session__check(&o) : session__run(&o);
	else
		err = err > 0 ? 0 : EXIT_USAGE;
	free(o.pids);
	free(o.debug_dirs);
	free(o.output_dir);
	return err;
}
