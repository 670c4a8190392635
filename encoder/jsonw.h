/* A JSON writer into a gzip stream (gzbuf): the flame.html data is written once, piece by
 * piece, never held whole uncompressed. Strings come from profiles, so from anywhere: they are
 * escaped, and bytes that are not UTF-8 become U+FFFD so that any browser decodes them alike. */
#ifndef CPROF_JSONW_H
#define CPROF_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct gzbuf;

struct jsonw {
	struct gzbuf *gz;
	int err;		/* the first error; every later write is skipped */
	size_t n;		/* bytes written, before compression */
	char buf[4096];		/* staged output, flushed when full */
	size_t used;
};

/* out must outlive the writer; call jsonw__flush before finishing out. */
void jsonw__init(struct jsonw *w, struct gzbuf *out);
/* Literal text: punctuation, keys already quoted. */
void jsonw__raw(struct jsonw *w, const char *s);
/* A quoted, escaped string (NULL is ""). */
void jsonw__str(struct jsonw *w, const char *s);
void jsonw__u32(struct jsonw *w, uint32_t v);
/* An integer as JSON readers keep it exactly: clamped to +-2^53, where doubles stop being
 * exact (a value past it is a corrupt profile anyway). */
void jsonw__i64(struct jsonw *w, int64_t v);
/* Returns the first error (0 or -errno) after writing out what is staged. */
int jsonw__flush(struct jsonw *w);

#endif
