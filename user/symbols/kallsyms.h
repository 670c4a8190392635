/* Kernel symbols from /proc/kallsyms (text symbols only), with module names. */
#ifndef CPROF_KALLSYMS_H
#define CPROF_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct kallsyms;

/* Parses kallsyms text (bounded; malformed lines skipped). NULL with errno on ENOMEM. */
struct kallsyms *kallsyms__parse(const char *text, size_t len);
/* Reads path (NULL = /proc/kallsyms). NULL with errno set: EPERM when every address is 0
 * (kptr_restrict, or no CAP_SYSLOG: the names alone cannot resolve anything). */
struct kallsyms *kallsyms__load(const char *path);
void kallsyms__free(struct kallsyms *ks);

/* The text symbol containing addr: name, its start, and the module ("" = vmlinux).
 * Returns 0 or -ENOENT. */
int kallsyms__find(const struct kallsyms *ks, uint64_t addr, const char **name,
		   uint64_t *sym_start, const char **module);
size_t kallsyms__count(const struct kallsyms *ks);

/* The running kernel's build id (lowercase hex, from /sys/kernel/notes) into out[size];
 * "" if it cannot be read. */
void kallsyms__build_id(char *out, size_t size);
/* The NT_GNU_BUILD_ID of len bytes of ELF notes (as /sys/kernel/notes holds them, untrusted)
 * into out[size], cut to fit; "" if there is none. */
void kallsyms__notes_build_id(const void *notes, size_t len, char *out, size_t size);

#endif
