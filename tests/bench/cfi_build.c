/* Prints how long compiling each object's unwind table takes and how big the table is.
 * Usage: cfi_build FILE... (a figure per file; it measures, it does not judge). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unwind/cfi.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *const kind_names[CPROF_ROW_NR] = {
	"cfa_rsp", "cfa_rbp", "plt", "signal", "stop", "fp", "deref", "end", "unsupported",
	"fp_switch", "clone",
};

/* Best of three runs, and the first, which also pays for reading the file. */
static int bench_one(const char *path)
{
	struct cfi_table *t = NULL;
	double first = 0, best = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		return err;
	}
	for (int i = 0; i < 3 && !err; i++) {
		double t0 = now_ms(), dt;

		cfi_table__free(t);
		t = NULL;
		err = cfi_table__build(fd, -1, -1, &t);
		dt = now_ms() - t0;
		first = i == 0 ? dt : first;
		best = i == 0 || dt < best ? dt : best;
	}
	if (err == -ENOENT) {
		printf("%s: no call frame information\n", path);
		err = 0;
		goto out;
	}
	if (err) {
		fprintf(stderr, "%s: cannot build the unwind table: %s\n", path, strerror(-err));
		goto out;
	}
	size_t n_rows, n_pages;
	const struct cfi_stats *st = cfi_table__stats(t);

	cfi_table__rows(t, &n_rows);
	cfi_table__pages(t, &n_pages);
	printf("%s: %.1f ms (first run %.1f ms), %zu rows, %zu bytes (%zu row + %zu index), "
	       "%u FDEs (%u dropped, %u bad programs)\n", path, best, first, n_rows,
	       n_rows * sizeof(struct cprof_unwind_row) + n_pages * sizeof(uint32_t),
	       n_rows * sizeof(struct cprof_unwind_row), n_pages * sizeof(uint32_t), st->fdes,
	       st->fdes_dropped, st->bad_programs);
	printf("  rows by kind:");
	for (int k = 0; k < CPROF_ROW_NR; k++)
		if (st->rows[k])
			printf(" %s=%u", kind_names[k], st->rows[k]);
	printf("\n");
out:
	cfi_table__free(t);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (bench_one(argv[i]))
			rc = 1;
	return rc;
}
