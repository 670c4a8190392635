/* One object's symbols, built once: its function symbol table (symtab.h; its own .symtab,
 * else its separate debuginfo's or MiniDebugInfo's merged with its .dynsym, and PLT
 * stubs), the DWARF index (dwarfidx.h) of the object or of its debuginfo, else Go's
 * tables (gopclntab.h). The symbolizer keeps one per object. */
#ifndef CPROF_SYMOBJ_H
#define CPROF_SYMOBJ_H

#include <stdint.h>

#include "symbols/symres.h"

struct Dwarf;
struct debuginfo_search;
struct object;
struct symobj;

/* Reads obj's tables; separate debuginfo is looked for as ds says (debuginfo.h).
 * An object without symbols still gets a (useless) symobj so that it is not read again.
 * Returns 0 or -ENOMEM. */
int symobj__new(const struct object *obj, const struct debuginfo_search *ds,
		struct symobj **out);
void symobj__free(struct symobj *so);

/* As symbolizer__resolve, into a zeroed res. Returns 0 or -ENOENT. */
int symobj__resolve(struct symobj *so, uint64_t vaddr, struct sym_result *res);
void symobj__info(const struct symobj *so, struct sym_object_info *info);
/* The object's DWARF (NULL if none), which from then on stays open: the caller keeps
 * pointers into it. */
struct Dwarf *symobj__dwarf(struct symobj *so);

/* What the object's open DWARF holds in memory (its debug sections decompressed); 0 when
 * none is open or it cannot be closed. */
uint64_t symobj__dwarf_bytes(const struct symobj *so);

/* Closes the object's DWARF to give its memory back; the next lookup that needs it opens
 * it again. Not when symobj__dwarf handed it out. */
void symobj__drop_dwarf(struct symobj *so);

#endif
