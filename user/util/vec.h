/* Growable arrays, grown in one place: capacity doubles, sizes are checked for overflow. */
#ifndef CPROF_VEC_H
#define CPROF_VEC_H

#include <stddef.h>

/* Makes room for need elements of size bytes in *p (capacity *cap, in elements), doubling.
 * Returns 0 or -ENOMEM (then *p and *cap are unchanged). */
int vec__grow(void **p, size_t *cap, size_t need, size_t size);

/* The same for a typed pointer p with a size_t capacity cap: VEC_GROW(v, cap, n + 1).
 * When there is room already, no call is made (pushes in hot loops). */
#define VEC_GROW(p, cap, need)                                                  \
	({                                                                      \
		void *vp_ = (p);                                                \
		size_t vn_ = (need);                                            \
		int ve_ = vn_ <= (cap) ? 0 :                                    \
			  vec__grow(&vp_, &(cap), vn_, sizeof(*(p)));           \
		(p) = vp_;                                                      \
		ve_;                                                            \
	})

/* Appends *elem to p[0..n), growing p; n is incremented. Returns 0 or -ENOMEM. */
#define VEC_PUSH(p, n, cap, elem)                                               \
	({                                                                      \
		int pe_ = VEC_GROW(p, cap, (n) + 1);                            \
		if (!pe_)                                                       \
			(p)[(n)++] = (elem);                                    \
		pe_;                                                            \
	})

#endif
