/* One hash table for every module: open addressing with linear probing, entries of a fixed size
 * stored inline, grown at half load. The caller gives each operation the key's hash and an
 * equality test, so one table serves keys of any shape (a pid, a (device, inode) pair, a
 * string interned elsewhere). Entry pointers stay valid until the next insert or remove. */
#ifndef CPROF_HASHMAP_H
#define CPROF_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is entry (an element of the table) the one key names? ctx is passed through. */
typedef bool (*hashmap_eq_fn)(const void *ctx, const void *key, const void *entry);

struct hashmap {
	unsigned char *ents;	/* cap entries of esize bytes */
	uint32_t *tags;		/* per slot: 0 = empty, else the hash's low 32 bits | 1 */
	size_t cap;		/* a power of two, or 0 */
	size_t n;
	size_t esize;
};

#define HASHMAP_INIT(type) { .esize = sizeof(type) }

void hashmap__free(struct hashmap *m);
/* Forgets every entry, keeping the memory. */
void hashmap__clear(struct hashmap *m);
static inline size_t hashmap__count(const struct hashmap *m) { return m->n; }

/* The entry equal to key, or NULL. */
void *hashmap__find(const struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn eq,
		    const void *ctx);
/* The entry equal to key; when there is none, a new zeroed entry that the caller fills (its
 * key fields too), with *added set. NULL on ENOMEM. */
void *hashmap__insert(struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn eq,
		      const void *ctx, bool *added);
/* Removes entry (returned by find or insert). */
void hashmap__remove(struct hashmap *m, void *entry);
/* Iteration: start with *it = 0; returns the next entry or NULL at the end. */
void *hashmap__next(const struct hashmap *m, size_t *it);

/* Hashes: every input bit reaches every output bit (splitmix64's finalizer). */
static inline uint64_t hash__u64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Combines h with one more value; the order of values matters. */
static inline uint64_t hash__add(uint64_t h, uint64_t v)
{
	return hash__u64(h * 0x9e3779b97f4a7c15ULL + v + 0x632be59bd9b4e019ULL);
}

uint64_t hash__bytes(const void *p, size_t n);
uint64_t hash__str(const char *s);

#endif
