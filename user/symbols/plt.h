/* Names for PLT stubs, which no symbol table covers: a sample in the stub that calls write
 * shows as `write@plt`, as objdump names it, instead of `prog+0x1080`. x86-64 only. */
#ifndef CPROF_PLT_H
#define CPROF_PLT_H

#include <stdint.h>

struct arena;
struct elf_file;

/* Called once per stub (or run of unnamed entries, named "[plt]") with [start,
 * start+size) in ELF virtual addresses; name lives in the arena. Returns 0 or -errno
 * (which stops the walk). */
typedef int (*plt_cb)(void *ctx, uint64_t start, uint64_t size, const char *name);

/* Walks .plt, .plt.sec, .plt.got (any executable section named .plt*): each entry whose
 * indirect jump goes through a GOT slot that a JUMP_SLOT, GLOB_DAT or IRELATIVE relocation
 * fills is "SYMBOL@plt" ("*ABS*+0xADDR@plt" for IRELATIVE); PLT0 and the lazy-binding
 * entries of an IBT PLT are "[plt]". Returns 0 (also when there is no PLT), -ENOMEM, or
 * the callback's error. */
int plt__symbols(const struct elf_file *f, struct arena *a, plt_cb cb, void *ctx);

#endif
