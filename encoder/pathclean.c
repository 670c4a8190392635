// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Go's filepath.Clean (path/filepath/path.go) on '/' separators, step for step. */
#include <stdbool.h>

#include "pathclean.h"

size_t path__clean(const char *p, size_t n, char *out)
{
	bool rooted = n && p[0] == '/';
	size_t r = 0, w = 0, dotdot = 0;

	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;	/* empty element */
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;	/* "." */
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;	/* "..": back to the last separator, or kept when there is none */
			if (w > dotdot) {
				for (w--; w > dotdot && out[w] != '/'; w--)
					;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (r < n && p[r] != '/')
				out[w++] = p[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return w;
}
