/* Ranges of a fixed-size array handed out and given back: the unwinder's shared BPF arrays
 * of rows and pages, whose objects come and go in a long run. First fit over the free
 * ranges, kept sorted and merged; the top of the array is given out last. */
#ifndef CPROF_EXTENTS_H
#define CPROF_EXTENTS_H

#include <stddef.h>
#include <stdint.h>

struct extent {
	uint32_t start, n;
};

struct extents {
	uint32_t limit;		/* the array's size */
	uint32_t top;		/* [top, limit) was never handed out, or all of it came back */
	uint64_t used;		/* elements handed out and not given back */
	struct extent *free;	/* below top, sorted by start, none adjacent */
	size_t n_free, cap_free;
};

void extents__init(struct extents *x, uint32_t limit);
void extents__fini(struct extents *x);

/* n elements at *start (n 0: *start 0, nothing taken). Returns 0, or -ENOSPC when no
 * free range holds n (the array is full, or too fragmented). */
int extents__alloc(struct extents *x, uint32_t n, uint32_t *start);

/* Gives back [start, start + n), which extents__alloc handed out. Returns 0, or -ENOMEM
 * when the free list could not grow (the range is then lost to the run). */
int extents__free(struct extents *x, uint32_t start, uint32_t n);

#endif
