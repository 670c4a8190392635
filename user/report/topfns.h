/* The summary's top functions, counted as go tool pprof -top counts them from the profile:
 * a sample's flat goes to the innermost function of its leaf location, its cum once to each
 * function anywhere in its stack (inlined frames included), however many frames that function
 * has there (recursion, several call sites). Functions are told apart by name. */
#ifndef CPROF_TOPFNS_H
#define CPROF_TOPFNS_H

#include <stddef.h>
#include <stdint.h>

struct topfns;

struct topfns_entry {
	char name[160];		/* cut short if longer; grouping uses the full name */
	int64_t flat, cum;
};

struct topfns *topfns__new(void);
void topfns__free(struct topfns *t);

/* Location id (the profile's, non-zero) has functions names[0..n), innermost first.
 * Returns 0 or -ENOMEM. */
int topfns__location(struct topfns *t, uint64_t id, const char *const *names, size_t n);

/* A sample of value v on locations ids[0..n), leaf first; unknown ids are skipped. */
void topfns__sample(struct topfns *t, const uint64_t *ids, size_t n, int64_t v);

/* The (at most) max functions with the largest flat above 0, largest first, ties by name.
 * Returns how many. */
size_t topfns__top(const struct topfns *t, struct topfns_entry *out, size_t max);

#endif
