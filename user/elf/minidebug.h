/* MiniDebugInfo (Fedora, GDB): a .gnu_debugdata section holding an xz-compressed ELF
 * file whose .symtab has the function symbols that stripping removed from .dynsym's
 * view. Its contents come from the profiled process's file: sizes are bounded. */
#ifndef CPROF_MINIDEBUG_H
#define CPROF_MINIDEBUG_H

#include <stddef.h>

struct elf_file;

/* Bound on the decompressed image (real ones are a few hundred KiB). */
#define MINIDEBUG_MAX_SIZE (64u << 20)

/* Decompresses an xz stream of at most max_out bytes into a malloc'd *out. Returns 0,
 * -EINVAL (not xz, corrupt, truncated, or larger than max_out), -ENOMEM. */
int minidebug__decompress(const void *in, size_t in_len, size_t max_out, void **out,
			  size_t *out_len);

/* Opens own's MiniDebugInfo as mini; *image (free it after closing mini) holds its
 * bytes. Returns 0, -ENOENT (no .gnu_debugdata), -EINVAL, -ENOMEM. */
int minidebug__open(const struct elf_file *own, struct elf_file *mini, void **image);

#endif
