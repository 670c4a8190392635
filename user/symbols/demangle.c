/* See demangle.h. */
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>

#include "util/arena.h"
#include "symbols/demangle.h"

/* The demangler recurses on the input: long hostile names cost stack and time. libiberty's
 * (binutils', Debian's libiberty-dev) rather than libstdc++'s __cxa_demangle: GCC 12's copy
 * of the same code spends minutes on some short hostile names (docs/fuzzing.md) that this
 * newer one refuses in microseconds, and it bounds its recursion. */
#define DEMANGLE_MAX 16384

const char *demangle__cxx(struct arena *a, const char *name)
{
	static const char plt[] = "@plt";
	size_t len = strlen(name), plen = sizeof(plt) - 1;
	const char *out = NULL;
	char *m = NULL, *d = NULL;

	if (len > DEMANGLE_MAX || strncmp(name, "_Z", 2))
		return NULL;
	if (len > plen && !strcmp(name + len - plen, plt)) {
		m = strndup(name, len - plen);
		if (!m)
			return NULL;
	}
	d = cplus_demangle_v3(m ? m : name, DMGL_PARAMS | DMGL_ANSI);
	if (d) {
		size_t dlen = strlen(d);
		char *full = m ? realloc(d, dlen + plen + 1) : d;

		if (full) {
			d = full;
			if (m)
				memcpy(d + dlen, plt, plen + 1);
			out = arena__strdup(a, d, strlen(d));
		}
	}
	free(d);
	free(m);
	return out;
}
