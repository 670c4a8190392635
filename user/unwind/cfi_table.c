/* Unwind tables (see cfi.h): rows wrapped with their page index, and lookups through it,
 * as the BPF unwinder does them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/cfi.h"
#include "unwind/cfi_int.h"
#include "util/search.h"

struct cfi_table {
	struct cprof_unwind_row *rows;
	size_t n_rows;
	uint32_t *pages;	/* see CFI_PAGE_SHIFT */
	size_t n_pages;
	uint64_t base;
	struct cfi_stats stats;
};

/* Builds the page index of t->rows (rows[0].pc is 0, so every page start is covered). */
static int index_pages(struct cfi_table *t)
{
	size_t last = t->n_rows - 1, i = 0;

	t->n_pages = ((size_t)t->rows[last].pc >> CFI_PAGE_SHIFT) + 2;
	t->pages = malloc(t->n_pages * sizeof(*t->pages));
	if (!t->pages)
		return -ENOMEM;
	for (size_t p = 0; p + 1 < t->n_pages; p++) {
		uint64_t start = (uint64_t)p << CFI_PAGE_SHIFT;

		while (i < last && t->rows[i + 1].pc <= start)
			i++;
		t->pages[p] = (uint32_t)i;
	}
	t->pages[t->n_pages - 1] = (uint32_t)last;
	return 0;
}

int cfi_table__adopt(struct cprof_unwind_row *rows, size_t n_rows, uint64_t base,
		     const struct cfi_stats *stats, struct cfi_table **out)
{
	struct cfi_table *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	if (!t) {
		free(rows);
		goto out;
	}
	t->rows = rows;
	t->n_rows = n_rows;
	t->base = base;
	if (stats)
		t->stats = *stats;
	memset(t->stats.rows, 0, sizeof(t->stats.rows));
	for (size_t i = 0; i < n_rows; i++)
		t->stats.rows[rows[i].kind]++;
	err = index_pages(t);
	if (err)
		goto out;
	*out = t;
	t = NULL;
out:
	cfi_table__free(t);
	return err;
}

int cfi_table__new(const struct cprof_unwind_row *rows, size_t n_rows, uint64_t base,
		   const struct cfi_stats *stats, struct cfi_table **out)
{
	struct cprof_unwind_row *copy;

	*out = NULL;
	if (!n_rows || rows[0].pc != 0 || rows[n_rows - 1].kind != CPROF_ROW_END ||
	    rows[n_rows - 1].pc > UINT64_MAX - base)
		return -EINVAL;
	for (size_t i = 0; i < n_rows; i++) {
		if (rows[i].kind >= CPROF_ROW_NR || (i && rows[i].pc <= rows[i - 1].pc))
			return -EINVAL;
	}
	copy = malloc(n_rows * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rows, n_rows * sizeof(*copy));
	return cfi_table__adopt(copy, n_rows, base, stats, out);
}

void cfi_table__free(struct cfi_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->pages);
	free(t);
}

const struct cprof_unwind_row *cfi_table__rows(const struct cfi_table *t, size_t *n_rows)
{
	*n_rows = t->n_rows;
	return t->rows;
}

const uint32_t *cfi_table__pages(const struct cfi_table *t, size_t *n_pages)
{
	*n_pages = t->n_pages;
	return t->pages;
}

uint64_t cfi_table__base(const struct cfi_table *t)
{
	return t->base;
}

const struct cfi_stats *cfi_table__stats(const struct cfi_table *t)
{
	return &t->stats;
}

#define ROW_PC(r) ((r)->pc)

const struct cprof_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr)
{
	uint64_t pc, page;
	size_t lo, n;

	if (vaddr < t->base)
		return NULL;
	pc = vaddr - t->base;
	page = pc >> CFI_PAGE_SHIFT;
	if (page >= t->n_pages - 1)
		return &t->rows[t->n_rows - 1];
	/* The last row with row.pc <= pc among rows[lo .. lo + n) (rows[lo] is one). */
	lo = t->pages[page];
	n = t->pages[page + 1] - lo + 1;
	return &t->rows[lo + UPPER_BOUND(t->rows + lo, n, ROW_PC, pc) - 1];
}
