/* gzip into memory, appended to in small pieces: the pprof writer streams protobuf-c's
 * output through it, the flame.html writer its JSON. */
#ifndef CPROF_GZBUF_H
#define CPROF_GZBUF_H

#include <stddef.h>

struct gzbuf;

/* level: zlib's, 1 (fastest) to 9. Returns NULL on ENOMEM. */
struct gzbuf *gzbuf__new(int level);
/* Accepts NULL. */
void gzbuf__free(struct gzbuf *g);
/* Appends len bytes. Returns 0 or -errno; after an error every later call fails the same. */
int gzbuf__append(struct gzbuf *g, const void *data, size_t len);
/* Ends the stream and hands over the gzip bytes (*out, to free()); g is then spent. */
int gzbuf__finish(struct gzbuf *g, void **out, size_t *len);

#endif
