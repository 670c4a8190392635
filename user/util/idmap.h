/* A hash map from a pair of u64 keys to a u64 value (e.g. (mapping id, address) → location
 * id), over util/hashmap; keys (0, 0) are allowed. */
#ifndef CPROF_IDMAP_H
#define CPROF_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap;

struct idmap *idmap__new(void);
void idmap__free(struct idmap *m);
/* Returns 1 and sets *val if present, else 0. */
int idmap__get(const struct idmap *m, uint64_t a, uint64_t b, uint64_t *val);
/* Inserts or replaces. Returns 0 or -ENOMEM. */
int idmap__set(struct idmap *m, uint64_t a, uint64_t b, uint64_t val);
/* Removes the pair if present (a map keyed by something that comes and goes, a pid, stays
 * as large as what is present at once). */
void idmap__remove(struct idmap *m, uint64_t a, uint64_t b);
size_t idmap__count(const struct idmap *m);

#endif
