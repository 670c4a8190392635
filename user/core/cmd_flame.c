// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cprof-bpf flame FILE.pb.gz [FILE2.pb.gz ...] [--base OLD.pb.gz ...] [-o OUT.html] [--title T]:
 * reads any pprof files (ours or Go's) and writes one page showing each of them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmd_flame.h"
#include "flame.h"
#include "pmodel.h"

#define EXIT_USAGE 2

static const char flame_usage[] =
	"Usage: cprof-bpf flame FILE.pb.gz [FILE2.pb.gz ...] [--base OLD.pb.gz ...]\n"
	"                       [-o OUT.html] [--title TITLE]\n"
	"Writes an interactive flame graph of pprof profiles (ours or Go's) as one HTML file\n"
	"that needs nothing but a browser: each profile and sample type selectable, search,\n"
	"zoom, a reversed (callers) view, a process and thread filter.\n"
	"\n"
	"  -o, --output OUT.html    the page (default: the first FILE's name with .html)\n"
	"      --base OLD.pb.gz     show each FILE as a difference against OLD: red where a\n"
	"                           function grew, blue where it shrank, as shares of each\n"
	"                           total; once per FILE, in the same order, or once for one FILE\n"
	"      --title TITLE        the page's title (default: the files' names)\n"
	"  -h, --help               this text\n";

static const struct option flame_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "base", required_argument, NULL, 'b' },
	{ "title", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct flame_args {
	const char *out;
	const char *title;
	const char **bases;
	int n_bases;
	char **files;
	int n_files;
};

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "cprof-bpf flame: %s%s (see cprof-bpf flame --help)\n", msg, arg ? arg : "");
	return EXIT_USAGE;
}

/* Fills a from argv. Returns -1 to go on, else an exit status (0 after --help). */
static int parse(int argc, char **argv, struct flame_args *a)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", flame_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 't':
			a->title = optarg;
			break;
		case 'b':
			a->bases[a->n_bases++] = optarg;	/* room for argc */
			break;
		case 'h':
			fputs(flame_usage, stdout);
			return 0;
		case ':':
			return usage("missing value of ", argv[optind - 1]);
		default:
			if (optopt) {
				char opt[3] = { '-', (char)optopt, 0 };

				return usage("unknown option ", opt);
			}
			return usage("unknown option ", argv[optind - 1]);
		}
	}
	a->files = argv + optind;
	a->n_files = argc - optind;
	if (!a->n_files)
		return usage("no profile given", NULL);
	if (a->n_bases && a->n_bases != a->n_files)
		return usage(a->n_files == 1 ? "one --base for one profile" :
			     "give one --base per profile, in the same order", NULL);
	if (a->out && !*a->out)
		return usage("empty output name", NULL);
	return -1;
}

/* path without its folder and without ".pb.gz", ".pb" or ".gz": "cpu" for "out/cpu.pb.gz". */
static char *stem_of(const char *path, const char **dir_end)
{
	static const char *const exts[] = { ".pb.gz", ".pprof.gz", ".pprof", ".pb", ".gz" };
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t len = strlen(base), i, e;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		e = strlen(exts[i]);
		if (len > e && !strcmp(base + len - e, exts[i])) {
			len -= e;
			break;
		}
	}
	if (dir_end)
		*dir_end = base;
	return strndup(base, len);
}

/* Reads path into *pm, saying why not in one line. */
static int read_profile(const char *path, struct pmodel **pm)
{
	int err = pmodel__read_file(path, pm);

	if (err == -EINVAL)
		fprintf(stderr, "cprof-bpf flame: %s: not a valid pprof profile\n", path);
	else if (err == -EFBIG)
		fprintf(stderr, "cprof-bpf flame: %s: too large once decompressed\n", path);
	else if (err)
		fprintf(stderr, "cprof-bpf flame: cannot read %s: %s\n", path, strerror(-err));
	return err;
}

/* The page's name: the first file's, with .html for its extensions. */
static char *default_out(const char *first)
{
	const char *base;
	char *stem = stem_of(first, &base), *out = NULL;

	if (stem && asprintf(&out, "%.*s%s.html", (int)(base - first), first, stem) < 0)
		out = NULL;
	free(stem);
	return out;
}

/* "a.pb.gz, b.pb.gz", with " (base: old.pb.gz)" after each file that has one. */
static char *default_title(const struct flame_args *a)
{
	char *t = strdup(""), *next;
	int i;

	for (i = 0; t && i < a->n_files; i++) {
		if (asprintf(&next, "%s%s%s%s%s%s", t, i ? ", " : "", a->files[i],
			     a->n_bases ? " (base: " : "", a->n_bases ? a->bases[i] : "",
			     a->n_bases ? ")" : "") < 0)
			next = NULL;
		free(t);
		t = next;
	}
	return t;
}

static int write_page(const struct flame_args *a, struct flame_input *in)
{
	char *out = a->out ? strdup(a->out) : default_out(a->files[0]);
	char *title = a->title ? strdup(a->title) : default_title(a);
	struct flame_opts o = { .title = title };
	int err = out && title ? 0 : -ENOMEM;

	if (!err)
		err = flame__write(out, in, a->n_files, &o);
	if (err)
		fprintf(stderr, "cprof-bpf flame: cannot write %s: %s\n", out ? out : "the page",
			strerror(-err));
	else
		fprintf(stderr, "cprof-bpf flame: wrote %s\n", out);
	free(out);
	free(title);
	return err ? 1 : 0;
}

int cmd_flame__main(int argc, char **argv)
{
	struct flame_args a = { .bases = calloc(argc + 1, sizeof(*a.bases)) };
	struct flame_input *in = NULL;
	struct pmodel **pms = NULL;	/* each file's, then each base's */
	char **labels = NULL;
	int rc, i;

	if (!a.bases)
		return 1;
	rc = parse(argc, argv, &a);
	if (rc >= 0)
		goto out;
	rc = 1;
	in = calloc(a.n_files, sizeof(*in));
	pms = calloc(2 * a.n_files, sizeof(*pms));
	labels = calloc(a.n_files, sizeof(*labels));
	if (!in || !pms || !labels)
		goto out;
	for (i = 0; i < a.n_files; i++) {
		labels[i] = stem_of(a.files[i], NULL);
		if (!labels[i] || read_profile(a.files[i], &pms[i]) ||
		    (a.n_bases && read_profile(a.bases[i], &pms[a.n_files + i])))
			goto out;
		in[i] = (struct flame_input){ .label = labels[i], .pm = pms[i],
					      .base = pms[a.n_files + i] };
	}
	rc = write_page(&a, in);
out:
	for (i = 0; pms && i < 2 * a.n_files; i++)
		pmodel__free(pms[i]);
	for (i = 0; labels && i < a.n_files; i++)
		free(labels[i]);
	free(in);
	free(pms);
	free(labels);
	free(a.bases);
	return rc;
}
