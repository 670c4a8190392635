/* bpflink: the programs of a relocatable BPF object (clang -target bpf -c), each linked the way
 * libbpf links it before loading (bpf_object__reloc_code): the program's own instructions,
 * then every .text function it reaches, appended depth-first in the order libbpf appends
 * them, with bpf-to-bpf calls and callback addresses rewritten pc-relative. Only code
 * references are resolved: maps, globals, CO-RE and kfunc addresses are left as they are. */
#ifndef CPROF_BPFLINK_H
#define CPROF_BPFLINK_H

#include <linux/bpf.h>
#include <stddef.h>

struct bpflink_func {
	const char *name;
	size_t start;		/* its first instruction in the linked program */
};

struct bpflink_prog {
	const char *name;	/* the program's function name */
	const char *section;	/* its ELF section: "kprobe", "tp_btf/sched_switch", ... */
	struct bpf_insn *insns;
	size_t n_insns;
	/* The program itself at 0, then each appended .text function, by start. A call is
	 * marked BPF_PSEUDO_CALL, a callback address (ld_imm64) BPF_PSEUDO_FUNC, and a call to
	 * an extern (kfunc) BPF_PSEUDO_KFUNC_CALL. */
	struct bpflink_func *funcs;
	size_t n_funcs;
};

struct bpflink;

/* Reads the object at path and links each of its programs (the functions of its executable
 * sections other than .text). Returns 0 or -errno: -ENOEXEC when it is not a relocatable
 * BPF object, -EINVAL for a reference libbpf would refuse (said on stderr, naming the
 * object, the program and the instruction). The caller calls elf_version() first. */
int bpflink__open(const char *path, struct bpflink **out);
void bpflink__free(struct bpflink *bl);

size_t bpflink__count(const struct bpflink *bl);
const struct bpflink_prog *bpflink__prog(const struct bpflink *bl, size_t i);
/* The name of the function of p starting at instruction start, or NULL. */
const char *bpflink__func_name(const struct bpflink_prog *p, size_t start);

#endif
