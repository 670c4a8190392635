/* Binary search over sorted arrays, written once. The macros work on any array of structs (or
 * scalars with an empty member path) sorted by a key; they inline, so hot lookups keep the speed
 * of a hand-written loop. */
#ifndef CPROF_SEARCH_H
#define CPROF_SEARCH_H

#include <stddef.h>

/* The number of leading elements of arr[0..n) whose KEY(elem) is <= key, i.e. the index of the
 * first element greater than key. With elements sorted by start, the one covering addr is
 * arr[UPPER_BOUND(...) - 1] when the result is > 0. KEY is a macro or function taking a pointer
 * to an element. */
#define UPPER_BOUND(arr, n, KEY, key)                                            \
	({                                                                      \
		size_t lo_ = 0, hi_ = (n);                                      \
		while (lo_ < hi_) {                                              \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                     \
			if (KEY(&(arr)[mid_]) <= (key))                          \
				lo_ = mid_ + 1;                                  \
			else                                                     \
				hi_ = mid_;                                      \
		}                                                               \
		lo_;                                                            \
	})

/* The index of the first element of arr[0..n) whose KEY(elem) is >= key (n if none). */
#define LOWER_BOUND(arr, n, KEY, key)                                            \
	({                                                                      \
		size_t lo_ = 0, hi_ = (n);                                      \
		while (lo_ < hi_) {                                              \
			size_t mid_ = lo_ + (hi_ - lo_) / 2;                     \
			if (KEY(&(arr)[mid_]) < (key))                           \
				lo_ = mid_ + 1;                                  \
			else                                                     \
				hi_ = mid_;                                      \
		}                                                               \
		lo_;                                                            \
	})

/* The same with a comparison function, for keys that are not one number: cmp(key, elem) < 0,
 * 0, > 0 as key sorts before, with, after elem. Returns the index of the first element not
 * less than key (lower bound) or greater than key (upper bound). */
size_t search__lower(const void *base, size_t n, size_t size, const void *key,
		     int (*cmp)(const void *key, const void *elem));
size_t search__upper(const void *base, size_t n, size_t size, const void *key,
		     int (*cmp)(const void *key, const void *elem));

#endif
