/* Strings that stay valid until their arena is freed: symbol names handed out by the
 * symbolizer live as long as it does. */
#ifndef CPROF_ARENA_H
#define CPROF_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* A NUL-terminated copy of s[0..len), or NULL when out of memory. */
const char *arena__strdup(struct arena *a, const char *s, size_t len);
/* Frees every string; a is empty (and reusable) afterwards. */
void arena__free(struct arena *a);

#endif
