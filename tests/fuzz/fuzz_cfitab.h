/* What the unwind-table harnesses (fuzz_cfi.c, fuzz_cficache.c) check of a table that was
 * built or loaded: every row answers a lookup at its own pc, nothing below the base does,
 * and a store/load round trip through the cache gives the same rows and base. */
#ifndef FUZZ_CFITAB_H
#define FUZZ_CFITAB_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind/cfi.h"

#define FUZZ_BUILD_ID "f0"

/* A fresh directory for one round trip, in /dev/shm (tmpfs) where there is one, else in
 * /tmp: on the ext4 /tmp of the test VM, making, filling and removing a directory per
 * table (its inode allocation) took over half of fuzz_cfi's time. */
static inline bool fuzz_cfi_mkdtemp(char dir[static 40])
{
	strcpy(dir, "/dev/shm/cprof-fuzz-cfi-XXXXXX");
	if (mkdtemp(dir))
		return true;
	strcpy(dir, "/tmp/cprof-fuzz-cfi-XXXXXX");
	return mkdtemp(dir) != NULL;
}

/* Stores t in a fresh directory, loads it back, removes both: libFuzzer may end the
 * process without running exit handlers, so nothing is left for one to clean up. */
static inline void fuzz_cfi_round_trip(const struct cfi_table *t)
{
	char dir[40], path[64];
	const struct cprof_unwind_row *rows, *back;
	struct cfi_table *u = NULL;
	size_t n, nu;

	if (!fuzz_cfi_mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/%s.cfi", dir, FUZZ_BUILD_ID);
	if (!cfi_cache__store(dir, FUZZ_BUILD_ID, t)) {
		/* Through the cache's front door: a file that loads is not rebuilt. */
		if (cfi_cache__get(dir, FUZZ_BUILD_ID, -1, -1, -1, &u))
			__builtin_trap();
		rows = cfi_table__rows(t, &n);
		back = cfi_table__rows(u, &nu);
		if (nu != n || memcmp(back, rows, n * sizeof(*rows)) ||
		    cfi_table__base(u) != cfi_table__base(t))
			__builtin_trap();
		cfi_table__free(u);
		unlink(path);
	}
	rmdir(dir);
}

static inline void fuzz_cfi_check_table(const struct cfi_table *t)
{
	size_t n;
	const struct cprof_unwind_row *rows = cfi_table__rows(t, &n);
	uint64_t base = cfi_table__base(t);

	if (!n || rows[n - 1].kind != CPROF_ROW_END)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (rows[i].kind >= CPROF_ROW_NR || cfi_table__find(t, base + rows[i].pc) != &rows[i])
			__builtin_trap();
	if (base && cfi_table__find(t, base - 1))
		__builtin_trap();
	fuzz_cfi_round_trip(t);
}

#endif
