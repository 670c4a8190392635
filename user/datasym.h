/* Data symbols: names for addresses in a process's static data, e.g. the futex word of a lock
 * → "hot_lock", or "g_cache+0x40" for a lock inside a global struct. Per object, the OBJECT
 * symbols of .symtab (else .dynsym) are read once into a sorted table. */
#ifndef CPROF_DATASYM_H
#define CPROF_DATASYM_H

#include <stddef.h>
#include <stdint.h>

struct objcache;
struct object;
struct procmaps;

struct datasym;

struct datasym *datasym__new(void);
void datasym__free(struct datasym *ds);

/* The data symbol of obj covering ELF virtual address vaddr: *name (valid until
 * datasym__free) and *off, vaddr's offset in it. Returns 0 or -ENOENT. */
int datasym__resolve(struct datasym *ds, const struct object *obj, uint64_t vaddr,
		     const char **name, uint64_t *off);

/* Names addr of process pid (maps pm, objects through oc) into buf: "symbol" or
 * "symbol+0xOFF" when a data symbol of the file mapped there covers it (an anonymous
 * mapping right after a file's mapping is taken as its .bss), else "0xADDR". */
void datasym__name_addr(struct datasym *ds, struct objcache *oc, const struct procmaps *pm,
			int pid, uint64_t addr, char *buf, size_t len);

#endif
