/* Symbolizes the addresses (ELF virtual addresses in hex, one per line on stdin) of one
 * ELF file with cprof-bpf's symbolizer, and prints them as `eu-addr2line -a -i -f -C`
 * does, without columns:
 *
 *	0x0000000000001234
 *	innermost function
 *	file:line
 *	its caller (for each inlined level)
 *	file:line of the call
 *
 * so that the two outputs can be compared line by line. With -q it prints nothing but the
 * timing line on stderr. Used by tests/bench/symbolize.sh and tests/e2e/sym_addr2line.sh.
 *
 * usage: symbolize [-q] [-d DEBUGDIR]... FILE < ADDRESSES */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc/object.h"
#include "symbols/symbolizer.h"

#define MAX_DIRS 16

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_result(uint64_t addr, const struct sym_result *r)
{
	printf("0x%016" PRIx64 "\n", addr);
	if (!r->n) {
		printf("??\n??:0\n");
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct sym_frame *f = &r->frames[i];

		printf("%s\n", f->name ? f->name : "??");
		if (f->file)
			printf("%s:%" PRId64 "\n", f->file, f->line);
		else
			printf("??:0\n");
	}
}

static int read_addrs(uint64_t **v, size_t *n)
{
	char line[128];
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	while (fgets(line, sizeof(line), stdin)) {
		char *end;
		uint64_t a = strtoull(line, &end, 16);

		if (end == line)
			continue;
		if (*n == cap) {
			uint64_t *p = realloc(*v, (cap = cap ? cap * 2 : 4096) * sizeof(*p));

			if (!p)
				return -ENOMEM;
			*v = p;
		}
		(*v)[(*n)++] = a;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dirs[MAX_DIRS + 2] = { 0 };
	struct symbolizer_opts opts = { .debug_dirs = NULL };
	struct object obj = { .fd = -1 };
	struct symbolizer *s;
	size_t n_dirs = 0, n, i, frames = 0, found = 0;
	struct sym_result r;
	bool quiet = false;
	uint64_t *addrs;
	double t0, t1;
	int c;

	while ((c = getopt(argc, argv, "qd:")) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'd' && n_dirs < MAX_DIRS)
			dirs[n_dirs++] = optarg;
		else
			return 2;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: symbolize [-q] [-d DEBUGDIR]... FILE < ADDRESSES\n");
		return 2;
	}
	if (n_dirs) {
		dirs[n_dirs] = "/usr/lib/debug";
		opts.debug_dirs = dirs;
	}
	obj.fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	obj.path = obj.host_path = argv[optind];
	if (obj.fd < 0 || object__parse_fd(&obj, obj.fd) || read_addrs(&addrs, &n)) {
		fprintf(stderr, "symbolize: %s: %s\n", argv[optind], strerror(errno ? errno : EINVAL));
		return 1;
	}
	s = symbolizer__new(&opts);
	if (!s)
		return 1;
	t0 = now();
	for (i = 0; i < n; i++) {
		if (symbolizer__resolve(s, &obj, addrs[i], &r))
			r.n = 0;
		frames += r.n;
		found += r.n > 0;
		if (!quiet)
			print_result(addrs[i], &r);
	}
	t1 = now();
	fprintf(stderr, "%zu addresses (%zu resolved, %zu frames) in %.3f s, %.2f us/address\n", n,
		found, frames, t1 - t0, n ? (t1 - t0) * 1e6 / (double)n : 0);
	symbolizer__free(s);
	free(addrs);
	close(obj.fd);
	return 0;
}
