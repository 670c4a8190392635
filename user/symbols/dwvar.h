/* Global variables in an object's DWARF, by address, and the member path of a byte inside
 * one: the lock at g_cache + 0x40 is "g_cache.mu", in an array of structs "g_shards[3].mu",
 * in nested structs "g_a.b.mu". The DWARF comes from profiled processes' files: the walk
 * is bounded in depth, members and array dimensions, so a hostile type graph (cycles,
 * huge counts) ends in an error, never a hang. */
#ifndef CPROF_DWVAR_H
#define CPROF_DWVAR_H

#include <elfutils/libdw.h>
#include <stddef.h>
#include <stdint.h>

struct dwvars;

/* Indexes the variables of dw that have a fixed address (globals, statics, function
 * statics; not thread-locals). dw must stay open until dwvars__free. Returns 0, -ENOENT
 * when there is none, -ENOMEM. */
int dwvars__open(Dwarf *dw, struct dwvars **out);
void dwvars__free(struct dwvars *dv);

/* The variable covering ELF virtual address vaddr: its name (valid until dwvars__free),
 * its start and its type (*type). Returns 0 or -ENOENT. */
int dwvars__find(struct dwvars *dv, uint64_t vaddr, const char **name, uint64_t *start,
		 Dwarf_Die *type);

/* Writes into buf (len bytes) the path of byte off inside an object of type type, as C
 * spells it after the variable's name: ".mu", "[3].mu", ".b.mu", "" for off 0 of a scalar.
 * The walk stops at a member whose type a system header declares (pthread_mutex_t,
 * std::mutex, ...): their inside is the library's, the member is the lock. *rest is what
 * is left of off inside a scalar where the walk ended (a word inside a wider integer),
 * else 0. Returns 0, -ENOENT when off lands in padding or past the type, -ELOOP past the
 * depth bound, -ENAMETOOLONG when buf is too small. */
int dwvar__member_path(Dwarf_Die *type, uint64_t off, char *buf, size_t len, uint64_t *rest);

#endif
