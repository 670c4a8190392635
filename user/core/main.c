// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cprof-bpf: command-line parsing only; the session does the rest. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cprof.h"
#include "core/cliarg.h"
#include "core/cmd_flame.h"
#include "core/cmd_report.h"
#include "core/cmd_stacks.h"
#include "core/httpq.h"
#include "core/options.h"
#include "core/session.h"
#include "kinds/kind.h"
#include "util/log.h"
#include "util/util.h"
#include "util/vec.h"

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
	"  -t, --types LIST         profile kinds, comma-separated: cpu, block, mutex, heap,\n"
	"                           threads (default: cpu,block; with -p or COMMAND also\n"
	"                           mutex,heap; threads only when named)\n"
	"  -F, --frequency HZ       CPU sampling frequency (default 99)\n"
	"      --max-depth N        user frames per stack, 1-256 (default 128)\n"
	"      --ring-size MIB      ring buffer size in MiB, a power of two (default 4)\n"
	"      --block-rate NS      block profile: waits >= NS are all kept, shorter ones with\n"
	"                           probability wait/NS (Go's semantics; default 1000000)\n"
	"      --mutex-rate N       mutex profile: keep 1 in N lock contentions, values scaled\n"
	"                           by N (Go's semantics; default 1)\n"
	"      --heap-rate BYTES    heap profile: mean bytes allocated between samples\n"
	"                           (default 524288, as Go)\n"
	"      --threads-interval SECS  threads profile: seconds between snapshots of every\n"
	"                           thread's stack, 0.01-60 (default 1)\n"
	"      --debuginfo-dir DIR  look for separate debuginfo in DIR too (a .build-id tree\n"
	"                           like /usr/lib/debug, or a PPROF_BINARY_PATH directory);\n"
	"                           repeatable\n"
	"      --debuginfod-timeout SECS  debuginfo found nowhere else is fetched by build id\n"
	"                           from the servers in DEBUGINFOD_URLS, in the background;\n"
	"                           symbols wait at most SECS per object for it, and the\n"
	"                           end of the run SECS in all (default 5; 0: never fetch)\n"
	"      --http ADDR          also serve /debug/pprof/ on ADDR ([HOST]:PORT; no HOST:\n"
	"                           127.0.0.1) until SIGINT/SIGTERM or -d, as Go programs do:\n"
	"                           go tool pprof http://ADDR/debug/pprof/profile?seconds=10\n"
	"      --http-token-file FILE  requests need Authorization: Bearer <FILE's line>;\n"
	"                           required for an address other than loopback\n"
	"      --http-max-seconds N longest ?seconds=N window served (default 300)\n"
	"      --http-max-requests N  requests at once, others get 503 (default 8)\n"
	"      --max-stacks N       distinct stacks kept (default 100000); past it new stacks\n"
	"                           count in [stack table full], and exited processes go first\n"
	"      --max-exited N       exited processes whose stacks are kept (default 512); older\n"
	"                           ones are folded into [evicted]\n"
	"      --check              load every profile kind's BPF programs (attaching none)\n"
	"                           and say which this kernel supports, and how\n"
	"  -v, --verbose            libbpf and unwinder diagnostics on stderr\n"
	"  -h, --help               this text\n"
	"      --version            the version\n"
	"\n"
	"Other commands (each has its own --help):\n"
	"  cprof-bpf top [OPTIONS] [-- COMMAND]: a live view, refreshed every second\n"
	"  cprof-bpf report FILE.pb.gz [--top N | --tree | --folded] [--base OLD.pb.gz]:\n"
	"                           a pprof profile (ours or Go's) as text; no root needed\n"
	"  cprof-bpf flame FILE.pb.gz [FILE2.pb.gz ...] [--base OLD.pb.gz ...] [-o OUT.html]\n"
	"                           [--title TITLE]: an interactive flame graph of pprof\n"
	"                           profiles (ours or Go's) in one self-contained HTML file;\n"
	"                           every run writes DIR/flame.html of its profiles\n"
	"  cprof-bpf stacks -p PID[,PID...] [--json]: every thread's stack now, threads with\n"
	"                           the same stack grouped; the process is not stopped\n"
	"\n"
	"Without -p and COMMAND the whole host is profiled, each sample labelled with its\n"
	"process. With COMMAND, it starts once the probes are attached and cprof-bpf exits\n"
	"with its exit status. Read a profile with: cprof-bpf report DIR/cpu.pb.gz (or\n"
	"go tool pprof -top DIR/cpu.pb.gz);\n"
	"DIR/block.pb.gz holds where threads waited off-CPU and for how long, DIR/mutex.pb.gz\n"
	"which lock releases made other threads wait (the holder's stack) and for how long,\n"
	"DIR/heap.pb.gz what was allocated and what of it is still in use (-p, COMMAND).\n"
	"\n"
	"Offline, on any pprof file (ours, Go's), with no root:\n"
	"  cprof-bpf report FILE [--top N | --tree | --folded] [--base OLD]\n"
	"                   [--sample-index NAME] [--lines] [--pid PID] [--comm NAME] [-o OUT]\n"
	"                           the profile as text, figures as go tool pprof shows them\n"
	"                           (cprof-bpf report --help)\n"
	"\n"
	"Environment: CPROF_CACHE_DIR, where unwind tables are cached (/var/cache/cprof-bpf);\n"
	"DEBUGINFOD_URLS, the debuginfod servers (none: nothing is fetched), and the other\n"
	"variables of elfutils' client (DEBUGINFOD_CACHE_PATH, where fetched files are kept);\n"
	"CPROF_HEAP_URETPROBES=1|perf (diagnostic) forces the heap profile's return-probe\n"
	"mode of kernels without uprobe sessions; CPROF_FAIL_KINDS=LIST (tests) makes those\n"
	"kinds fail to load; CPROF_HTTP_IDLE_TIMEOUT=SECS (tests) closes --http connections\n"
	"idle that long (default 30).\n";

static const char top_usage_text[] =
	"Usage: cprof-bpf top [OPTIONS] [-- COMMAND [ARG...]]\n"
	"A live view of where the time goes, refreshed every second: per function, its share\n"
	"and time of the last interval and since the start, of the CPU profile or the off-CPU\n"
	"(block) one. Profiles -p PIDs, a COMMAND, or the whole host, as a run does.\n"
	"\n"
	"      --interval SECS      seconds between refreshes (default 1)\n"
	"  -d, --duration SECS      no live view: run SECS, then print one table (since the\n"
	"                           start, top 30 by self) and exit; so does a stdout that is\n"
	"                           not a terminal, at SIGINT or when COMMAND exits\n"
	"  -o, --output DIR         also write the profiles there at the end (default: none)\n"
	"  -t, --types LIST         default cpu,block; the view shows cpu and block\n"
	"  -p, -F, and the other options of a run: cprof-bpf --help\n"
	"\n"
	"Keys: s/t (or </>) sort by self/total; i sort by the last interval or since the\n"
	"start; l functions or file:line; o CPU or off-CPU view; p show one process (a pid\n"
	"or a name; empty shows all); space pause (collection goes on); q quit.\n";

enum { OPT_VERSION = 1000, OPT_MAX_DEPTH, OPT_RING_SIZE, OPT_BLOCK_RATE, OPT_MUTEX_RATE,
       OPT_HEAP_RATE, OPT_DEBUGINFO_DIR, OPT_CHECK, OPT_HTTP, OPT_HTTP_TOKEN,
       OPT_HTTP_MAX_SECONDS, OPT_HTTP_MAX_REQUESTS, OPT_MAX_STACKS, OPT_MAX_EXITED,
       OPT_DEBUGINFOD_TIMEOUT, OPT_INTERVAL, OPT_THREADS_INTERVAL };

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
	{ "threads-interval", required_argument, NULL, OPT_THREADS_INTERVAL },
	{ "debuginfo-dir", required_argument, NULL, OPT_DEBUGINFO_DIR },
	{ "debuginfod-timeout", required_argument, NULL, OPT_DEBUGINFOD_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "http-token-file", required_argument, NULL, OPT_HTTP_TOKEN },
	{ "http-max-seconds", required_argument, NULL, OPT_HTTP_MAX_SECONDS },
	{ "http-max-requests", required_argument, NULL, OPT_HTTP_MAX_REQUESTS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "max-exited", required_argument, NULL, OPT_MAX_EXITED },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ 0 },
};

/* One line on stderr for a usage error. Returns -EINVAL. */
static int CPROF_PRINTF(1, 2) usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s (see cprof-bpf --help)", msg);
	return -EINVAL;
}

/* The options being parsed, and what parsing them needs to remember. */
struct args {
	struct cprof_opts *o;
	size_t cap_pids;
	bool types_given;
};

static int add_pids(struct args *a, const char *list)
{
	struct cprof_opts *o = a->o;
	char bad[32];
	int err = cliarg__pids(list, &o->pids, &o->n_pids, &a->cap_pids, bad, sizeof(bad));

	if (err == -EINVAL && bad[0])
		return usage_error("invalid pid '%s': expected a positive number", bad);
	if (err == -EINVAL)
		return usage_error("-p needs a pid");
	return err;
}

/* Appends dir before the default /usr/lib/debug, which stays last. */
static int add_debug_dir(struct cprof_opts *o, const char *dir)
{
	size_t n = 0;
	const char **v;

	if (!*dir)
		return usage_error("empty --debuginfo-dir");
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

/* The kind named name (the kinds table's names), or NULL. */
static const struct kind_ops *kind_named(const char *name)
{
	for (unsigned int i = 0; i < n_kinds; i++)
		if (!strcmp(name, kinds[i]->name))
			return kinds[i];
	return NULL;
}

/* A comma-separated list of profile kinds into *set (KIND_BIT set); what names the list
 * in errors ("-t", "CPROF_FAIL_KINDS"). */
static int parse_kinds(const char *list, const char *what, unsigned int *set)
{
	char *copy = strdup(list), *save = NULL, *tok, known[128] = "";
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (unsigned int i = 0; i < n_kinds; i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			 i ? ", " : "", kinds[i]->name);
	*set = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		const struct kind_ops *k = kind_named(tok);

		if (k)
			*set |= KIND_BIT(k->id);
		else
			err = usage_error("%s: unknown profile type '%s' (known: %s)", what, tok,
					  known);
	}
	free(copy);
	return err;
}

static int parse_types(struct args *a, const char *list)
{
	struct cprof_opts *o = a->o;
	int err = parse_kinds(list, "-t", &o->kinds);

	a->types_given = true;
	if (!err && !o->kinds)
		err = usage_error("-t needs at least one profile type");
	/* Named kinds are wanted: one the kernel cannot collect is an error. */
	o->kinds_required = o->kinds;
	return err;
}

/* Diagnostics, not options: the heap profile's fallback for kernels without uprobe
 * sessions, on a kernel that has them; the block profile's syscall-exit stacks on a kernel
 * with task works; kinds whose load is made to fail (tests of what a kernel that refuses
 * them gets); the --http server's idle timeout (tests of slow clients cannot wait its
 * 30 s). And where unwind tables are cached. */
static int parse_env(struct cprof_opts *o)
{
	const char *env;

	if ((env = getenv("CPROF_HEAP_URETPROBES")) && *env && strcmp(env, "0")) {
		if (strcmp(env, "1") && strcmp(env, "perf"))
			return usage_error("CPROF_HEAP_URETPROBES='%s': expected 0, 1 or perf", env);
		o->k.heap_uretprobes = !strcmp(env, "perf") ? 2 : 1;
	}
	env = getenv("CPROF_BLOCK_SYS_EXIT");
	o->k.block_sys_exit = env && !strcmp(env, "1");
	if ((env = getenv("CPROF_CACHE_DIR")) && *env)
		o->cache_dir = env;
	if ((env = getenv("CPROF_HTTP_IDLE_TIMEOUT")) && *env) {
		unsigned long v;

		if (cliarg__uint(env, 1, 3600, &v))
			return usage_error("CPROF_HTTP_IDLE_TIMEOUT='%s': expected seconds, 1-3600",
					   env);
		o->http.idle_timeout = (unsigned int)v;
	}
	if ((env = getenv("CPROF_FAIL_KINDS")) && *env)
		return parse_kinds(env, "CPROF_FAIL_KINDS", &o->fail_kinds);
	return 0;
}

/* Seconds in [min, max] (min excluded when open), or -EINVAL. */
static int parse_secs(const char *s, double min, bool open, double max, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < min || (open && d == min) || d > max)
		return -EINVAL;
	*out = d;
	return 0;
}

static int parse_duration(struct cprof_opts *o, const char *s)
{
	if (parse_secs(s, 0, true, 366 * 86400.0, &o->duration))
		return usage_error("invalid duration '%s': expected seconds > 0", s);
	return 0;
}

/* The options that take a whole number: its range, its field (one of u, ull), and the
 * error's words. */
struct num_opt {
	int opt;
	unsigned long min, max;
	bool pow2;
	unsigned int *u;
	unsigned long long *ull;
	const char *what, *expected;
};

static int parse_number(struct cprof_opts *o, int c, const char *arg)
{
	const struct num_opt opts[] = {
		{ 'F', 1, 100000, false, &o->k.freq, NULL, "frequency", "1-100000 Hz" },
		{ OPT_MAX_DEPTH, 1, CPROF_MAX_USER_FRAMES, false, &o->k.max_depth, NULL,
		  "--max-depth", "1-256" },
		{ OPT_RING_SIZE, 1, 1024, true, &o->ring_mib, NULL, "--ring-size",
		  "a power of two from 1 to 1024 (MiB)" },
		{ OPT_BLOCK_RATE, 1, 3600000000000ul, false, NULL, &o->k.block_rate_ns,
		  "--block-rate", "nanoseconds from 1 to 3600e9" },
		{ OPT_MUTEX_RATE, 1, 1000000000ul, false, &o->k.mutex_rate, NULL, "--mutex-rate",
		  "1 to 1e9" },
		{ OPT_HEAP_RATE, 1, 1ul << 40, false, NULL, &o->k.heap_rate, "--heap-rate",
		  "bytes from 1 to 2^40" },
		{ OPT_HTTP_MAX_SECONDS, 1, 86400, false, &o->http.max_seconds, NULL,
		  "--http-max-seconds", "1-86400" },
		{ OPT_HTTP_MAX_REQUESTS, 1, 32, false, &o->http.max_requests, NULL,
		  "--http-max-requests", "1-32" },
		{ OPT_MAX_STACKS, 1000, 100000000, false, &o->retain.max_stacks, NULL,
		  "--max-stacks", "1000 to 1e8" },
		{ OPT_MAX_EXITED, 0, 1000000, false, &o->retain.max_exited, NULL, "--max-exited",
		  "0 to 1e6" },
	};
	unsigned long v;

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct num_opt *n = &opts[i];

		if (n->opt != c)
			continue;
		if (cliarg__uint(arg, n->min, n->max, &v) || (n->pow2 && (v & (v - 1))))
			return usage_error("invalid %s '%s': expected %s", n->what, arg, n->expected);
		if (n->u)
			*n->u = v;
		else
			*n->ull = v;
		return 0;
	}
	return -ENOENT;
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

/* One option c (getopt_long's) with optarg. Returns 0, 1 when done (help, version), or
 * -errno on a usage error. */
static int parse_opt(struct args *a, int c, char **argv)
{
	struct cprof_opts *o = a->o;
	int err;

	switch (c) {
	case 'p':
		return add_pids(a, optarg);
	case 'd':
		return parse_duration(o, optarg);
	case 'o':
		free(o->output_dir);
		o->output_dir = strdup(optarg);
		return o->output_dir && *optarg ? 0 : usage_error("empty output dir");
	case 't':
		return parse_types(a, optarg);
	case OPT_DEBUGINFO_DIR:
		return add_debug_dir(o, optarg);
	case OPT_THREADS_INTERVAL:
		if (parse_secs(optarg, 0.01, false, 60, &o->k.threads_interval))
			return usage_error("invalid --threads-interval '%s': expected seconds "
					   "from 0.01 to 60", optarg);
		return 0;
	case OPT_DEBUGINFOD_TIMEOUT:
		if (parse_secs(optarg, 0, false, 3600, &o->debuginfod_timeout))
			return usage_error("invalid --debuginfod-timeout '%s': expected seconds "
					   "from 0 to 3600", optarg);
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_CHECK:
		o->check = true;
		return 0;
	case OPT_HTTP:
		o->http.addr = optarg;
		return 0;
	case OPT_HTTP_TOKEN:
		o->http.token_file = optarg;
		return 0;
	case OPT_INTERVAL:
		if (!o->top)
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (parse_secs(optarg, 0.1, false, 3600, &o->top_interval))
			return usage_error("invalid --interval '%s': expected seconds from 0.1 to "
					   "3600", optarg);
		return 0;
	case 'h':
		fputs(o->top ? top_usage_text : usage_text, stdout);
		return 1;
	case OPT_VERSION:
		printf("cprof-bpf %s\n", CPROF_VERSION);
		return 1;
	case ':':
		return usage_error("option %s needs a value", argv[optind - 1]);
	default:
		err = parse_number(o, c, optarg);
		return err != -ENOENT ? err : usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

/* --http's address is checked here, so a bad one is a usage error before any BPF work. */
static int check_http(const struct cprof_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;

	if (!o->http.addr)
		return o->http.token_file ? usage_error("--http-token-file needs --http") : 0;
	if (o->check)
		return usage_error("--check serves nothing: leave out --http");
	if (httpq__parse_addr(o->http.addr, &ss, &len, &loopback))
		return usage_error("invalid --http '%s': expected [HOST]:PORT, HOST an IP "
				   "address or localhost", o->http.addr);
	if (!loopback && !o->http.token_file)
		return usage_error("--http %s is not a loopback address: serving profiles beyond "
				   "this host needs --http-token-file FILE", o->http.addr);
	return 0;
}

/* top shows the cpu and block profiles: cpu,block unless -t names others too. */
static int check_top(struct args *a)
{
	struct cprof_opts *o = a->o;
	unsigned int shown = KIND_BIT(CPROF_KIND_CPU) | KIND_BIT(CPROF_KIND_BLOCK);

	if (!o->top)
		return 0;
	if (o->check)
		return usage_error("top shows a run: leave out --check");
	if (!a->types_given)
		o->kinds = shown;
	else if (!(o->kinds & shown))
		return usage_error("top shows the cpu and block profiles: -t needs one of them");
	a->types_given = true;
	return 0;
}

/* After the options: COMMAND, the checks across options, the default kinds. */
static int finish_args(struct args *a, int argc, char **argv)
{
	struct cprof_opts *o = a->o;
	bool targets = o->n_pids || optind < argc;
	int err;

	if (optind < argc)
		o->command = &argv[optind];
	if (o->command && o->n_pids)
		return usage_error("give either -p or a COMMAND, not both");
	if (o->check && targets)
		return usage_error("--check takes no -p or COMMAND: it attaches to nothing");
	if ((err = check_http(o)) || (err = check_top(a)))
		return err;
	/* Lock contention is a question about given processes, not the host; heap probes go
	 * into each target's allocator, never host-wide. --check loads every kind. */
	for (unsigned int i = 0; i < n_kinds && !a->types_given; i++)
		if (kinds[i]->host_default || (targets && !kinds[i]->opt_in) || o->check)
			o->kinds |= KIND_BIT(kinds[i]->id);
	for (unsigned int i = 0; i < n_kinds && !targets && !o->check; i++)
		if (kinds[i]->needs_targets && (o->kinds & KIND_BIT(kinds[i]->id)))
			return usage_error("the %s profile needs -p or a COMMAND", kinds[i]->name);
	if ((err = parse_env(o)))
		return err;
	/* top writes profiles only where -o says. */
	if (!o->output_dir && !o->top && !(o->output_dir = default_output()))
		return -ENOMEM;
	return 0;
}

/* Returns 0 to run, 1 when done (help, version), -errno on a usage error. */
static int parse_args(int argc, char **argv, struct cprof_opts *o)
{
	struct args a = { .o = o };
	int c, err = 0;

	opterr = 0;	/* our own one-line messages */
	while (!err && (c = getopt_long(argc, argv, "+:p:d:o:t:F:vh", long_opts, NULL)) != -1)
		err = parse_opt(&a, c, argv);
	return err ? err : finish_args(&a, argc, argv);
}

/* Subcommands that work on files, not on processes: dispatched before the run's options. */
static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{ "report", cmd_report__main },
	{ "flame", cmd_flame__main },
	{ "stacks", cmd_stacks__main },
};

/* Runs argv[1]'s subcommand if it names one; true then, with its exit status in *code. */
static bool run_subcommand(int argc, char **argv, int *code)
{
	size_t i;

	for (i = 0; argc > 1 && i < ARRAY_SIZE(subcommands); i++) {
		if (!strcmp(argv[1], subcommands[i].name)) {
			*code = subcommands[i].main(argc - 1, argv + 1);
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	struct cprof_opts o = {
		.ring_mib = 4,
		.debuginfod_timeout = 5,
		.http = { .max_seconds = 300, .max_requests = 8, .idle_timeout = 30 },
		.retain = { .max_stacks = 100000, .max_exited = 512 },
		.k = {
			.freq = 99,
			.max_depth = CPROF_DEFAULT_USER_FRAMES,
			.block_rate_ns = 1000000,
			.mutex_rate = 1,
			.heap_rate = 524288,
			.threads_interval = 1,
		},
	};
	int err;

	if (run_subcommand(argc, argv, &err))
		return err;
	/* `cprof-bpf top ...`: a run with the live view, its options a run's and its own. */
	if (argc > 1 && !strcmp(argv[1], "top")) {
		o.top = true;
		o.top_interval = 1;
		argc--;
		argv++;
	}
	err = parse_args(argc, argv, &o);
	if (err == 0)
		err = o.check ? session__check(&o) : session__run(&o);
	else
		err = err > 0 ? 0 : EXIT_USAGE;
	free(o.pids);
	free(o.debug_dirs);
	free(o.output_dir);
	return err;
}
