/* Unwind rows for the gap glibc leaves in the CFI of clone and clone3
 * (sysdeps/unix/sysv/linux/x86_64/clone.S, clone3.S): the function's FDE ends (cfi_endproc)
 * just before its syscall instruction, and the next FDE, at the new thread's entry, starts
 * with an undefined return address. Between the two no FDE describes the code, yet tasks
 * are sampled there all the time: inside the system call (the saved user pc is the one after
 * it), the parent in copy_process and the new thread before its first instruction, and just
 * back from it. The parent has pushed nothing since the FDE's end, so its rule still holds
 * there; the new thread, on its new stack with rax == 0, is at its root. cfi_clone__fix
 * gives such a gap a CPROF_ROW_CLONE row that says both, in objects whose symbols name the
 * function (__clone3, clone3, __clone, clone). */
#ifndef CPROF_CFI_CLONE_H
#define CPROF_CFI_CLONE_H

#include <stdint.h>
#include <gelf.h>

struct cfi_rows;

/* Rewrites, in rows (sorted by pc, relative to base, the last END), each END row that
 * covers such a gap: one inside a clone function named in elf's .symtab or .dynsym, or in
 * the .symtab of the ELF file on sym_fd (the object's separate debuginfo; -1: none),
 * between rows that describe the function's code from its start on (the last one a
 * CFA = rsp + 8k row) and a row with an undefined return address. Nothing else changes; an
 * object without such END rows has no symbols read, and symbols that cannot be read count
 * as absent. */
void cfi_clone__fix(Elf *elf, int sym_fd, uint64_t base, struct cfi_rows *rows);

#endif
