// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "util/search.h"

size_t search__lower(const void *base, size_t n, size_t size, const void *key,
		     int (*cmp)(const void *key, const void *elem))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t search__upper(const void *base, size_t n, size_t size, const void *key,
		     int (*cmp)(const void *key, const void *elem))
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, (const char *)base + mid * size) >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
