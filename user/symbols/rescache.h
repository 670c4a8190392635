/* Symbolization results kept across reports, their strings copied: a long run (a server)
 * answers an address it has seen before without the tables that resolved it, which may be
 * closed since (symbolizer__trim). Bounded: when full it starts over. */
#ifndef CPROF_RESCACHE_H
#define CPROF_RESCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbols/symres.h"

struct rescache;

/* At most max_entries addresses. NULL on ENOMEM. */
struct rescache *rescache__new(size_t max_entries);
void rescache__free(struct rescache *c);

/* Results are kept by the object's serial (object.h), which is never reused: an object
 * released and another opened at its address never share a result. */

/* On a hit, fills res (or *err, for an address that did not resolve) and returns true. */
bool rescache__get(struct rescache *c, uint64_t obj, uint64_t vaddr, struct sym_result *res,
		   int *err);

/* Keeps res, or err (non-zero: res is ignored), for (obj, vaddr). Silently does nothing
 * when out of memory. */
void rescache__put(struct rescache *c, uint64_t obj, uint64_t vaddr,
		   const struct sym_result *res, int err);

/* Addresses held, and strings bytes held, for the figures of a long run. */
size_t rescache__count(const struct rescache *c);

#endif
