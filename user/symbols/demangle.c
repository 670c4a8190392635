/* See demangle.h. */
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "symbols/demangle.h"

/* libstdc++'s demangler (we link -lstdc++); declared here to keep this file C. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* The demangler recurses on the input: long hostile names cost stack and time. */
#define DEMANGLE_MAX 16384

const char *demangle__cxx(struct arena *a, const char *name)
{
	static const char plt[] = "@plt";
	size_t len = strlen(name), plen = sizeof(plt) - 1;
	const char *out = NULL;
	char *m = NULL, *d = NULL;
	int status = -1;

	if (len > DEMANGLE_MAX || strncmp(name, "_Z", 2))
		return NULL;
	if (len > plen && !strcmp(name + len - plen, plt)) {
		m = strndup(name, len - plen);
		if (!m)
			return NULL;
	}
	d = __cxa_demangle(m ? m : name, NULL, NULL, &status);
	if (d && status == 0) {
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
