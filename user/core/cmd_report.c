// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `cprof-bpf report`: reads a profile into the model and prints one text view of it. Needs
 * no root and no BPF: it runs wherever the file was copied to. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cliarg.h"
#include "core/cmd_report.h"
#include "pmodel.h"
#include "ptext.h"
#include "util/util.h"
#include "util/vec.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char report_usage[] =
	"Usage: cprof-bpf report FILE [--top N | --tree | --folded] [OPTIONS]\n"
	"Prints a pprof profile (cprof-bpf's, Go's runtime/pprof, any other) as text, with the\n"
	"figures go tool pprof shows.\n"
	"\n"
	"      --top N              the N functions with the most self value (default 20;\n"
	"                           0: all), in pprof -top's layout\n"
	"      --cum                sort --top by cumulative value\n"
	"      --tree               the call tree from the roots, children by value\n"
	"      --folded             one line per distinct stack, 'root;...;leaf VALUE', for\n"
	"                           flamegraph.pl, inferno and speedscope\n"
	"      --base OLD           show this profile minus OLD (with --folded: two columns,\n"
	"                           'stack OLD NEW', a differential flame graph's input)\n"
	"      --sample-index NAME  the sample type to show (cpu, samples, delay,\n"
	"                           contentions, inuse_space, ...; or its number)\n"
	"      --lines              a row per function and line\n"
	"      --pid PID[,PID...]   only samples of these processes (host-wide profiles)\n"
	"      --comm NAME          only samples of processes whose name contains NAME\n"
	"  -o, --output FILE        write to FILE instead of stdout\n"
	"  -h, --help               this text\n";

enum view { VIEW_TOP, VIEW_TREE, VIEW_FOLDED };

struct report_args {
	const char *file, *base, *type, *out, *comm;
	enum view view;
	bool view_set, cum, lines;
	unsigned long top;
	int *pids;
	size_t n_pids, cap_pids;
};

enum { OPT_TOP = 1000, OPT_CUM, OPT_TREE, OPT_FOLDED, OPT_BASE, OPT_INDEX, OPT_LINES, OPT_PID,
       OPT_COMM };

static const struct option report_opts[] = {
	{ "top", required_argument, NULL, OPT_TOP },
	{ "cum", no_argument, NULL, OPT_CUM },
	{ "tree", no_argument, NULL, OPT_TREE },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "base", required_argument, NULL, OPT_BASE },
	{ "sample-index", required_argument, NULL, OPT_INDEX },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* One line on stderr: "cprof-bpf report: MESSAGE[SUFFIX]". */
static void report_verror(const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "cprof-bpf report: %s%s\n", msg, suffix);
}

static void CPROF_PRINTF(1, 2) report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_verror("", fmt, ap);
	va_end(ap);
}

/* A usage error; returns -EINVAL. */
static int CPROF_PRINTF(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_verror(" (see cprof-bpf report --help)", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_pids(struct report_args *a, const char *arg)
{
	char bad[32];
	int err = cliarg__pids(arg, &a->pids, &a->n_pids, &a->cap_pids, bad, sizeof(bad));

	if (err == -EINVAL && bad[0])
		return usage("invalid pid '%s': expected a positive number", bad);
	if (err == -EINVAL)
		return usage("--pid needs a pid");
	return err;
}

static int set_view(struct report_args *a, enum view v)
{
	if (a->view_set && a->view != v)
		return usage("--top, --tree and --folded exclude each other");
	a->view = v;
	a->view_set = true;
	return 0;
}

/* Returns 0, 1 after --help, or -errno after a usage error (reported). */
static int parse_one(struct report_args *a, int c)
{
	switch (c) {
	case OPT_TOP:
		if (cliarg__uint(optarg, 0, 1000000000, &a->top))
			return usage("invalid --top '%s': expected a count (0: all)", optarg);
		return set_view(a, VIEW_TOP);
	case OPT_CUM: a->cum = true; return 0;
	case OPT_TREE: return set_view(a, VIEW_TREE);
	case OPT_FOLDED: return set_view(a, VIEW_FOLDED);
	case OPT_BASE: a->base = optarg; return 0;
	case OPT_INDEX: a->type = optarg; return 0;
	case OPT_LINES: a->lines = true; return 0;
	case OPT_PID: return parse_pids(a, optarg);
	case OPT_COMM: a->comm = optarg; return 0;
	case 'o': a->out = optarg; return 0;
	case 'h': fputs(report_usage, stdout); return 1;
	default: return usage("unknown option");
	}
}

static int parse_report_args(int argc, char **argv, struct report_args *a)
{
	int c, err = 0;

	optind = 1;
	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, ":o:h", report_opts, NULL)) != -1) {
		if (c == ':')
			return usage("option %s needs a value", argv[optind - 1]);
		if (c == '?')
			return usage("unknown option '%s'", argv[optind - 1]);
		err = parse_one(a, c);
	}
	if (err)
		return err;
	if (optind >= argc)
		return usage("a profile file is needed");
	if (optind + 1 < argc)
		return usage("one profile file at a time ('%s' is extra)", argv[optind + 1]);
	a->file = argv[optind];
	return 0;
}

static int read_profile(const char *path, struct pmodel **pm)
{
	int err = pmodel__read_file(path, pm);

	if (err == -EINVAL)
		report_error("%s: not a pprof profile (%s)", path, strerror(-err));
	else if (err)
		report_error("%s: %s", path, strerror(-err));
	return err;
}

/* The sample type a names, in the profile and in its base (by name). */
static int pick_types(const struct report_args *a, const struct pmodel *pm,
		      const struct pmodel *base, struct ptext_opts *o)
{
	char types[512] = "";
	size_t i, at = 0;
	int t = pmodel__type_index(pm, a->type), bt = 0;

	if (t < 0) {
		for (i = 0; i < pm->n_types && at < sizeof(types); i++)
			at += snprintf(types + at, sizeof(types) - at, "%s%s", i ? ", " : "",
				       pm->type_names[i]);
		report_error("%s: no sample type '%s' (it has: %s)", a->file, a->type ?: "",
			     pm->n_types ? types : "none");
		return -ENOENT;
	}
	if (base && (bt = pmodel__type_index(base, pm->type_names[t])) < 0) {
		report_error("%s: no sample type '%s' to subtract", a->base, pm->type_names[t]);
		return -ENOENT;
	}
	o->type = t;
	o->base_type = bt;
	return 0;
}

static int print_view(FILE *f, const struct pmodel *pm, const struct report_args *a,
		      const struct ptext_opts *o)
{
	switch (a->view) {
	case VIEW_TREE:
		/* pprof's default node fraction: what is below 0.5% of the total is folded */
		return ptext__print_tree(f, pm, o, 0.005);
	case VIEW_FOLDED:
		return ptext__print_folded(f, pm, o);
	default:
		return ptext__print_top(f, pm, o, a->top);
	}
}

/* --pid's list as the model's filter takes it (pid labels are 64-bit). */
static int64_t *pids64(const struct report_args *a)
{
	int64_t *v = calloc(a->n_pids, sizeof(*v));
	size_t i;

	for (i = 0; v && i < a->n_pids; i++)
		v[i] = a->pids[i];
	return v;
}

int cmd_report__main(int argc, char **argv)
{
	struct report_args a = { .top = 20 };
	struct pmodel *pm = NULL, *base = NULL;
	struct pm_filter filt = { 0 };
	struct ptext_opts o = { 0 };
	int64_t *pids = NULL;
	FILE *f = stdout;
	int err, code = EXIT_FAIL;

	err = parse_report_args(argc, argv, &a);
	if (err) {
		code = err > 0 ? 0 : EXIT_USAGE;
		goto out;
	}
	if (read_profile(a.file, &pm) || (a.base && read_profile(a.base, &base)))
		goto out;
	if (pick_types(&a, pm, base, &o)) {
		code = EXIT_USAGE;
		goto out;
	}
	if (a.n_pids && !(pids = pids64(&a))) {
		report_error("%s", strerror(ENOMEM));
		goto out;
	}
	filt = (struct pm_filter){ pids, a.n_pids, a.comm };
	o.filter = a.n_pids || a.comm ? &filt : NULL;
	o.base = base;
	o.by_line = a.lines;
	o.sort = a.cum ? PTEXT_SORT_CUM : PTEXT_SORT_FLAT;
	if (a.out && !(f = fopen(a.out, "w"))) {
		report_error("%s: %s", a.out, strerror(errno));
		goto out;
	}
	err = print_view(f, pm, &a, &o);
	if (fflush(f) || ferror(f))
		err = err ?: -EIO;
	if (f != stdout && fclose(f))
		err = err ?: -errno;
	if (err)
		report_error("%s: %s", a.out ?: "stdout", strerror(-err));
	else
		code = 0;
out:
	pmodel__free(pm);
	pmodel__free(base);
	free(a.pids);
	free(pids);
	return code;
}
