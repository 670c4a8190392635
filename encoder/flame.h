/* flame.html: one self-contained file (our HTML, CSS and JS inline, nothing fetched) that draws
 * an interactive flame graph of one or more profiles (struct pmodel), optionally as a
 * difference against base profiles. The data is embedded compressed; the page decodes it with
 * the browser's own DecompressionStream. */
#ifndef CPROF_FLAME_H
#define CPROF_FLAME_H

#include <stddef.h>

#include "pmodel.h"

/* One profile of the page: a run writes one per kind (cpu, block, mutex, heap); the page
 * offers each with each of its sample types. */
struct flame_input {
	const char *label;		/* "cpu", "heap", or the file's base name */
	const struct pmodel *pm;
	const struct pmodel *base;	/* NULL, or the profile to diff against (--base) */
};

struct flame_opts {
	const char *title;		/* shown in the page's header, e.g. "cprof-bpf -p 4242" */
};

/* Writes the page to path atomically (temp file + rename, mode 0600, no symlink followed).
 * Returns 0 or -errno. */
int flame__write(const char *path, const struct flame_input *in, size_t n_in,
		 const struct flame_opts *o);

#endif
