/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_epilogue [SECS]: burns one core for SECS seconds (default 5) in the epilogue of
 * epi_hot, after its "pop %rbp", where its CFI still says the caller's rbp is saved at
 * CFA - 16, as GCC's output does (glibc's free and _int_free end this way). That slot is now
 * below the stack pointer, and epi_hot makes its page unreadable (PROT_NONE) for as long as
 * it spins there: an unwinder that reads the dead slot faults, where the register already
 * holds the caller's rbp.
 *   main → epi_round → epi_run → epi_hot
 * epi_run moves the stack pointer so that epi_hot's return address is the first word of a
 * page; its own frame is found from rbp (CFA = rbp + 16), whatever the move was.
 *
 * Ground truth: every sample whose leaf is epi_hot has the user stack
 *   epi_hot; epi_run; epi_round; main; the libc start-up frames.
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "uw.h"

#define EPI_STR_(x) #x
#define EPI_STR(x) EPI_STR_(x)

/* epi_hot(iters, page): mprotect(page, 4096, PROT_NONE), iters turns of a loop, then
 * mprotect(page, 4096, PROT_READ | PROT_WRITE); page is the stack page just below its
 * return address, made part of the stack by its "push %rbp". Only registers are used while
 * the page is unreadable. Returns 0, or not if either mprotect failed. */
long epi_hot(long iters, void *page);
/* epi_run(iters): calls epi_hot(iters, page) with its return address at the start of a
 * page and page the one below it. */
long epi_run(long iters);

__asm__(".text\n"
	".globl epi_hot\n"
	".type epi_hot, @function\n"
	"epi_hot:\n"
	".cfi_startproc\n"
	"	push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"	mov %rsi, %rbp\n"	/* rbp: a general register here, as at -O2 */
	"	pop %rbp\n"
	".cfi_def_cfa_offset 8\n"	/* and no .cfi_restore %rbp, as GCC leaves it */
	"	mov %rdi, %r8\n"
	"	mov %rsi, %r9\n"
	"	mov $" EPI_STR(SYS_mprotect) ", %eax\n"
	"	mov %r9, %rdi\n"
	"	mov $4096, %esi\n"
	"	xor %edx, %edx\n"		/* PROT_NONE */
	"	syscall\n"
	"	mov %rax, %r10\n"
	"1:	dec %r8\n"
	"	jnz 1b\n"
	"	mov $" EPI_STR(SYS_mprotect) ", %eax\n"
	"	mov %r9, %rdi\n"
	"	mov $4096, %esi\n"
	"	mov $3, %edx\n"			/* PROT_READ | PROT_WRITE */
	"	syscall\n"
	"	or %r10, %rax\n"		/* 0 when both calls succeeded */
	"	ret\n"
	".cfi_endproc\n"
	".size epi_hot, .-epi_hot\n"
	"\n"
	".globl epi_run\n"
	".type epi_run, @function\n"
	"epi_run:\n"
	".cfi_startproc\n"
	"	push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"	mov %rsp, %rbp\n"
	".cfi_def_cfa_register %rbp\n"
	/* rsp = the page boundary 2 pages down, + 8: the call's return address is then the
	 * first word of a page, the page below it free for epi_hot to protect. */
	"	lea -8192(%rsp), %rsi\n"
	"	and $-4096, %rsi\n"
	"	lea 8(%rsi), %rsp\n"
	"	sub $4096, %rsi\n"
	"	call epi_hot\n"
	"	leave\n"
	".cfi_def_cfa %rsp, 8\n"
	"	ret\n"
	".cfi_endproc\n"
	".size epi_run, .-epi_run\n");

UW_FN long epi_round(long iters)
{
	long r = epi_run(iters);

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 5);
	long rounds = 0;

	/* A round is about 10 ms of spinning between its two mprotect calls. */
	while (workload_now() < end) {
		long r = epi_round(20 * 1000 * 1000);

		UW_KEEP(r);
		if (r != 0) {
			fprintf(stderr, "uw_epilogue: mprotect failed\n");
			return 1;
		}
		rounds++;
	}
	printf("uw_epilogue: %ld rounds\n", rounds);
	return 0;
}
