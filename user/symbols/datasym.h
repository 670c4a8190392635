/* Data symbols: names for addresses in a process's static data, e.g. the futex word of a lock
 * → "hot_lock", or "g_cache.mu" for a lock inside a global struct. Per object, the OBJECT
 * symbols of .symtab (else .dynsym) are read once into a sorted table; where the object
 * has DWARF (own or separate, found by the symbolizer), the variable's type gives the
 * member path (dwvar.h), else the name is "g_cache+0x40". */
#ifndef CPROF_DATASYM_H
#define CPROF_DATASYM_H

#include <stddef.h>
#include <stdint.h>

struct objcache;
struct object;
struct procmaps;
struct symbolizer;

struct datasym;

/* sym: where DWARF comes from; NULL: symbol tables only. */
struct datasym *datasym__new(struct symbolizer *sym);
void datasym__free(struct datasym *ds);

/* The data symbol of obj covering ELF virtual address vaddr: *name (valid until
 * datasym__free) and *off, vaddr's offset in it. Returns 0 or -ENOENT. */
int datasym__resolve(struct datasym *ds, const struct object *obj, uint64_t vaddr,
		     const char **name, uint64_t *off);

/* Names ELF virtual address vaddr of obj into buf: "symbol.member[i]..." when DWARF
 * describes the variable there, else "symbol" or "symbol+0xOFF" (no DWARF, or vaddr in
 * padding). A variable DWARF knows but no symbol table names (a static in a stripped
 * binary with separate debuginfo) is named from DWARF. Returns 0, or -ENOENT when
 * nothing names vaddr (buf is left as it was). */
int datasym__name(struct datasym *ds, const struct object *obj, uint64_t vaddr, char *buf,
		  size_t len);

/* Names addr of process pid (maps pm, objects through oc) into buf as datasym__name does,
 * when the file mapped there (or the file an anonymous mapping right after it extends:
 * its .bss) has something there, else "0xADDR". */
void datasym__name_addr(struct datasym *ds, struct objcache *oc, const struct procmaps *pm,
			int pid, uint64_t addr, char *buf, size_t len);

#endif
