/* Unwind rows for Go code (see cfi_go.h). Everything read from the object is untrusted:
 * every offset into .gopclntab is bounds-checked. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/cfi_go.h"
#include "unwind/cfi_gopcln.h"
#include "unwind/cfi_int.h"
#include "util/util.h"

/* What a runtime function needs from the unwinder. */
enum go_role {
	GO_ROOT,	/* the outermost frame of a stack, as Go's own traceback sees it */
	GO_SIGNAL,	/* the signal trampoline (sa_restorer) */
	GO_SWITCH,	/* frameless, switches to the system stack and calls there */
	GO_FP,		/* keeps a frame pointer but moves sp to the system stack */
	GO_CGOCALL,	/* runtime.cgocall: its frame size lets asmcgocall's frame be found */
};

/* Names as .gopclntab spells them (Go 1.18 to 1.22). */
static const struct {
	const char *name;
	enum go_role role;
} go_names[] = {
	/* Go's traceback stops at these (runtime.topofstack). */
	{ "runtime.goexit", GO_ROOT },
	{ "runtime.mstart", GO_ROOT },
	{ "runtime.mcall", GO_ROOT },
	{ "runtime.morestack", GO_ROOT },
	{ "runtime.rt0_go", GO_ROOT },
	/* The entry point and the stub it jumps to, before rt0_go: the word at sp is argc,
	 * not a return address (the first instructions of every Go program). */
	{ "_rt0_amd64_linux", GO_ROOT },
	{ "_rt0_amd64", GO_ROOT },
	{ "runtime.sigreturn", GO_SIGNAL },
	{ "runtime.sigreturn__sigaction", GO_SIGNAL },
	{ "runtime.asmcgocall", GO_SWITCH },
	{ "runtime.systemstack", GO_SWITCH },
	/* vDSO calls and libc calls of cgo binaries, made on the system stack. */
	{ "runtime.nanotime1", GO_FP },
	{ "runtime.walltime", GO_FP },
	{ "runtime.walltime1", GO_FP },
	{ "time.now", GO_FP },
	{ "runtime.callCgoMmap", GO_FP },
	{ "runtime.callCgoMunmap", GO_FP },
	{ "runtime.callCgoSigaction", GO_FP },
	{ "runtime.cgocall", GO_CGOCALL },
};

#define N_GO_NAMES ARRAY_SIZE(go_names)
/* A name may occur twice: an assembly function and its ABI wrapper. */
#define MAX_MARKS (2 * N_GO_NAMES)

struct go_func {
	uint64_t lo, hi;	/* ELF addresses */
	enum go_role role;
	size_t name;		/* in go_names */
};

struct cfi_go {
	struct gopcln tab;
	uint64_t text_lo, text_hi;
	struct go_func funcs[MAX_MARKS];
	size_t n_funcs;
	/* The section holding Go's text, to read the instructions at a row. */
	const uint8_t *code;
	uint64_t code_addr, code_size;
};

struct symbol_query {
	const char *name;
	uint64_t addr;
};

static int symbol_named(const GElf_Sym *sym, const char *name, void *arg)
{
	struct symbol_query *q = arg;

	if (strcmp(name, q->name))
		return 0;
	q->addr = sym->st_value;
	return 1;
}

/* The address of symbol name in .symtab, 0 if absent. */
static uint64_t symbol_addr(Elf *elf, const char *name)
{
	struct symbol_query q = { .name = name };

	cfi_elf__symbols(elf, SHT_SYMTAB, symbol_named, &q);
	return q.addr;
}

/* pcHeader.textStart is relocated at load time in position-independent binaries (0 in the
 * file): then runtime.text, else the start of .text. */
static uint64_t text_start(Elf *elf, uint64_t hdr_text)
{
	GElf_Shdr sh;
	uint64_t a;

	if (hdr_text)
		return hdr_text;
	if ((a = symbol_addr(elf, "runtime.text")))
		return a;
	return cfi_elf__section(elf, NULL, ".text", &sh) ? sh.sh_addr : 0;
}

static void note_func(struct cfi_go *g, const char *name, uint64_t lo, uint64_t hi)
{
	for (size_t k = 0; k < N_GO_NAMES; k++) {
		if (strcmp(name, go_names[k].name) || g->n_funcs == MAX_MARKS)
			continue;
		g->funcs[g->n_funcs++] = (struct go_func){
			.lo = lo, .hi = hi, .role = go_names[k].role, .name = k,
		};
		return;
	}
}

/* Notes the runtime's functions by name, and the extent of the text. */
static int read_funcs(struct cfi_go *g)
{
	struct gopcln_func f = { 0 };
	int err;

	for (uint64_t i = 0; i < g->tab.nfunc; i++) {
		err = gopcln__func(&g->tab, i, &f);
		if (err)
			return err;
		note_func(g, f.name, f.lo, f.hi);
	}
	g->text_lo = g->tab.text;
	g->text_hi = f.hi;
	return g->text_hi > g->text_lo ? 0 : -EINVAL;
}

/* The section that holds Go's text, for reading instructions (optional). */
static void find_code(struct cfi_go *g, Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || g->text_lo < sh.sh_addr ||
		    g->text_lo - sh.sh_addr >= sh.sh_size)
			continue;
		d = elf_getdata(scn, NULL);
		if (d && d->d_buf && d->d_size == sh.sh_size) {
			g->code = d->d_buf;
			g->code_addr = sh.sh_addr;
			g->code_size = sh.sh_size;
		}
		return;
	}
}

int cfi_go__open(Elf *elf, struct cfi_go **out)
{
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Shdr sh;
	struct cfi_go *g;
	int err;

	*out = NULL;
	scn = cfi_elf__section(elf, NULL, ".gopclntab", &sh);
	if (!scn)
		scn = cfi_elf__section(elf, NULL, ".data.rel.ro.gopclntab", &sh);
	if (!scn)
		return -ENOENT;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	err = gopcln__init(&g->tab, data->d_buf, data->d_size);
	if (!err) {
		g->tab.text = text_start(elf, g->tab.text);
		err = read_funcs(g);
	}
	if (err) {
		free(g);
		return err;
	}
	find_code(g, elf);
	*out = g;
	return 0;
}

void cfi_go__free(struct cfi_go *g)
{
	free(g);
}

void cfi_go__text(const struct cfi_go *g, uint64_t *lo, uint64_t *hi)
{
	*lo = g->text_lo;
	*hi = g->text_hi;
}

/* ---- rows ---- */

/* The length of "MOVQ BP, off(SP)" at vaddr (Go's prologue saving the caller's rbp after
 * moving sp), 0 if that is not the instruction there. */
static unsigned bp_save_len(const struct cfi_go *g, uint64_t vaddr)
{
	const uint8_t *p;

	if (!g->code || g->code_size < 8 || vaddr < g->code_addr ||
	    vaddr - g->code_addr > g->code_size - 8)
		return 0;
	p = g->code + (vaddr - g->code_addr);
	if (p[0] != 0x48 || p[1] != 0x89 || p[3] != 0x24)
		return 0;
	return p[2] == 0x6c ? 5 : p[2] == 0xac ? 8 : 0;
}

static const struct go_func *func_at(const struct cfi_go *g, uint64_t vaddr, enum go_role role)
{
	for (size_t i = 0; i < g->n_funcs; i++)
		if (g->funcs[i].role == role && vaddr >= g->funcs[i].lo && vaddr < g->funcs[i].hi)
			return &g->funcs[i];
	return NULL;
}

/* In an overlay's rows: the row underneath shows through. */
#define ROW_HOLE CPROF_ROW_NR

/* The rows of under (sorted by pc, the first at 0, the last END) with those of over (the
 * same, but any last row) laid over them wherever over's is not a hole, into out. */
static int overlay(const struct cfi_rows *under, const struct cfi_rows *over,
		   struct cfi_rows *out)
{
	size_t i = 0, j = 0;
	uint64_t pos = 0, next;
	int err = 0;

	while (!err) {
		const struct cprof_unwind_row *u = &under->rows[i], *o = &over->rows[j];

		err = cfi_rows__push(out, (uint32_t)pos, o->kind == ROW_HOLE ? *u : *o);
		next = i + 1 < under->n ? under->rows[i + 1].pc : UINT64_MAX;
		if (j + 1 < over->n && over->rows[j + 1].pc < next)
			next = over->rows[j + 1].pc;
		if (next == UINT64_MAX)
			break;
		pos = next;
		i += i + 1 < under->n && under->rows[i + 1].pc == pos;
		j += j + 1 < over->n && over->rows[j + 1].pc == pos;
	}
	return err;
}

/* CFA = rsp + delta + 8 (the return address is pushed below the caller's sp); offsets the
 * rows cannot hold are UNSUPPORTED, as they are from .debug_frame (cfi_program.c). */
static struct cprof_unwind_row sp_row(int32_t delta)
{
	struct cprof_unwind_row r = { .kind = CPROF_ROW_UNSUPPORTED };
	int64_t cfa = (int64_t)delta + 8;

	if (delta >= 0 && cfa % 8 == 0 && cfa / 8 <= UINT16_MAX) {
		r.kind = CPROF_ROW_CFA_RSP;
		r.cfa_off = (uint16_t)(cfa / 8);
	}
	return r;
}

/* Pass 1: an overlay of the stack-pointer tables of every function that has one, with
 * holes where none does (assembly without a frame, C code linked into Go's text) and
 * where a table ends early (malformed). *any: whether some function had one. */
static int pcsp_rows(const struct cfi_go *g, uint64_t base, struct cfi_rows *over, bool *any)
{
	struct gopcln tab = g->tab;	/* with a fresh budget */
	struct gopcln_iter it;
	struct gopcln_func f;
	uint64_t lo, hi, end;
	int32_t delta;
	int err = cfi_rows__push_kind(over, 0, ROW_HOLE);

	for (uint64_t i = 0; i < tab.nfunc && !err; i++) {
		if (gopcln__func(&tab, i, &f) || f.lo < base || f.hi - base > UINT32_MAX ||
		    !gopcln__pcsp_begin(&tab, &f, &it))
			continue;
		end = f.lo;
		while (!err && gopcln__pcsp_next(&it, &lo, &hi, &delta)) {
			err = cfi_rows__push(over, (uint32_t)(lo - base), sp_row(delta));
			end = hi;
			*any = true;
		}
		if (!err && end > f.lo)
			err = cfi_rows__push_kind(over, (uint32_t)(end - base), ROW_HOLE);
	}
	return err;
}

/* Pass 2, row by row over Go's text: rbp is saved at CFA - 16 once a frame is set up (CFA
 * offset > 8), except on the instruction that saves it; functions that move sp to another
 * stack follow their frame pointer instead. */
static int fix_rows(const struct cfi_go *g, uint64_t base, const struct cprof_unwind_row *in,
		    size_t n, struct cfi_rows *out)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct cprof_unwind_row r = in[i];
		uint64_t vaddr = base + r.pc, next = i + 1 < n ? base + in[i + 1].pc : UINT64_MAX;
		unsigned len;

		if (vaddr < g->text_lo || vaddr >= g->text_hi || r.kind != CPROF_ROW_CFA_RSP ||
		    r.cfa_off < 2 || r.rbp_slot) {
			err = cfi_rows__push(out, r.pc, r);
			continue;
		}
		if (func_at(g, vaddr, GO_FP)) {
			err = cfi_rows__push(out, r.pc, (struct cprof_unwind_row){ .kind = CPROF_ROW_FP });
			continue;
		}
		len = bp_save_len(g, vaddr);
		if (len && vaddr + len < next) {
			err = cfi_rows__push(out, r.pc, r);
			vaddr += len;
		}
		r.rbp_slot = 2;
		if (!err)
			err = cfi_rows__push(out, (uint32_t)(vaddr - base), r);
	}
	return err;
}

/* The largest rsp-based CFA offset (8-byte units) of the rows over f; 0 if none. */
static uint16_t max_cfa_off(const struct go_func *f, uint64_t base,
			    const struct cprof_unwind_row *r, size_t n)
{
	uint16_t best = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t lo = base + r[i].pc, hi = i + 1 < n ? base + r[i + 1].pc : UINT64_MAX;

		if (hi > f->lo && lo < f->hi && r[i].kind == CPROF_ROW_CFA_RSP && r[i].cfa_off > best)
			best = r[i].cfa_off;
	}
	return best;
}

/* Whether f's rows show no frame of its own (the assembly function, not its ABI wrapper);
 * true where there are no rows to tell. */
static bool frameless(const struct go_func *f, uint64_t base, const struct cprof_unwind_row *r,
		      size_t n)
{
	return max_cfa_off(f, base, r, n) <= 1;
}

/* runtime.cgocall's CFA offset in its body (its frame size + 8), in 8-byte units; 0 if
 * unknown. */
static uint16_t cgocall_cfa(const struct cfi_go *g, uint64_t base,
			    const struct cprof_unwind_row *r, size_t n)
{
	for (size_t i = 0; i < g->n_funcs; i++)
		if (g->funcs[i].role == GO_CGOCALL)
			return max_cfa_off(&g->funcs[i], base, r, n);
	return 0;
}

struct mark {
	uint64_t lo, hi;	/* ELF addresses */
	struct cprof_unwind_row row;
};

static int cmp_mark(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	return CMP3(x->lo, y->lo);
}

/* Pass 3, the whole-function rows: roots, the signal trampoline, stack switches. Sorted,
 * without overlaps (a later overlapping one is dropped). */
static size_t collect_marks(const struct cfi_go *g, uint64_t base,
			    const struct cprof_unwind_row *r, size_t n, struct mark *m)
{
	uint16_t hint = cgocall_cfa(g, base, r, n);
	size_t k = 0, kept = 0;

	for (size_t i = 0; i < g->n_funcs; i++) {
		const struct go_func *f = &g->funcs[i];
		struct mark mk = { .lo = f->lo, .hi = f->hi };

		switch (f->role) {
		case GO_ROOT:
			mk.row.kind = CPROF_ROW_STOP;
			break;
		case GO_SIGNAL:
			/* Handlers return to its first byte: the unwinder looks up return
			 * addresses minus 1 (as glibc's CFI for __restore_rt starts early). */
			mk.lo = f->lo > g->text_lo ? f->lo - 1 : f->lo;
			mk.row.kind = CPROF_ROW_SIGNAL;
			break;
		case GO_SWITCH:
			if (!frameless(f, base, r, n))
				continue;
			mk.row.kind = CPROF_ROW_FP_SWITCH;
			/* Called by runtime.cgocall (else the unwinder's check of the hint
			 * fails and it takes a plain frame-pointer step). */
			if (!strcmp(go_names[f->name].name, "runtime.asmcgocall"))
				mk.row.cfa_off = hint;
			break;
		default:
			continue;
		}
		if (mk.lo < base || mk.hi <= mk.lo || mk.hi - base > UINT32_MAX)
			continue;
		m[k++] = mk;
	}
	qsort(m, k, sizeof(*m), cmp_mark);
	for (size_t i = 0; i < k; i++)
		if (!kept || m[i].lo >= m[kept - 1].hi)
			m[kept++] = m[i];
	return kept;
}

/* The whole-function rows as an overlay (see overlay). */
static int mark_rows(uint64_t base, const struct mark *m, size_t n, struct cfi_rows *over)
{
	int err = cfi_rows__push_kind(over, 0, ROW_HOLE);

	for (size_t i = 0; i < n && !err; i++) {
		err = cfi_rows__push(over, (uint32_t)(m[i].lo - base), m[i].row);
		if (!err)
			err = cfi_rows__push_kind(over, (uint32_t)(m[i].hi - base), ROW_HOLE);
	}
	return err;
}

/* Pass 1 over the rows of the stack-pointer tables, pass 2 (fix_rows), then the marks
 * over that. */
static int fix_all(const struct cfi_go *g, uint64_t base, struct cfi_rows *rows, bool *pcsp)
{
	struct cfi_rows over = { 0 }, sp = { 0 }, fixed = { 0 }, out = { 0 };
	struct mark marks[MAX_MARKS];
	size_t n_marks;
	int err;

	err = pcsp_rows(g, base, &over, pcsp);
	if (!err)
		err = overlay(rows, &over, &sp);
	if (!err)
		err = fix_rows(g, base, sp.rows, sp.n, &fixed);
	if (err)
		goto out;
	n_marks = collect_marks(g, base, sp.rows, sp.n, marks);
	over.n = 0;
	err = mark_rows(base, marks, n_marks, &over);
	if (!err)
		err = overlay(&fixed, &over, &out);
	if (err)
		goto out;
	free(rows->rows);
	*rows = out;
	out.rows = NULL;
out:
	free(over.rows);
	free(sp.rows);
	free(fixed.rows);
	free(out.rows);
	return err;
}

int cfi_go__fix(const struct cfi_go *g, uint64_t base, struct cfi_rows *rows,
		struct cfi_stats *stats)
{
	bool pcsp = false;
	int err = fix_all(g, base, rows, &pcsp);

	if (!err)
		stats->source |= CFI_SRC_GO | (pcsp ? CFI_SRC_GO_PCSP : 0);
	return err;
}
