/* See gopclntab.h. Layouts follow the Go runtime's runtime/symtab.go and runtime2.go:
 *
 *   pcHeader: magic u32, 0, 0, minLC u8, ptrSize u8, then nfunc, nfiles, textStart and the
 *             offsets (from the header) of funcnametab, cutab, filetab, pctab, pclntab.
 *   pclntab:  functab[nfunc + 1] {entryoff u32, funcoff u32}, sorted, the last the end;
 *             _func at pclntab + funcoff: entryoff, nameoff, args, deferreturn, pcsp,
 *             pcfile, pcln, npcdata, cuOffset (u32 each), [1.20+: startLine i32], funcID,
 *             flag, pad, nfuncdata (u8 each), then pcdata[npcdata] and funcdata[nfuncdata]
 *             (u32 offsets into pctab, and from go:func.*).
 *   pc-value tables: pairs of varints (zigzag value delta, pc delta / minLC) from the
 *             function's entry, value -1 before the first; a zero value delta ends them.
 *   inline tree (funcdata 3, indexed by pcdata 2): 1.18-1.19 {parent i16, funcID u8, pad,
 *             file i32, line i32, nameoff i32, parentPc i32}; 1.20+ {funcID u8, pad[3],
 *             nameOff i32, parentPc i32, startLine i32}.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "symbols/elfsyms.h"
#include "symbols/gopclntab.h"
#include "util/search.h"

#define GO118_MAGIC 0xfffffff0u
#define GO120_MAGIC 0xfffffff1u
#define HEADER_SIZE 72
#define PCDATA_INLTREE_INDEX 2
#define FUNCDATA_INLTREE 3
#define MAX_STEPS (1u << 20)	/* pc-value pairs decoded per lookup */
#define MAX_INLINE_DEPTH 256
/* moduledata: the offsets of the pcHeader pointer's companions and of gofunc. */
#define MD_FUNCNAMETAB 8
#define MD_FTAB 128
#define MD_TEXT 176
#define MD_GOFUNC_118 304	/* ... types, etypes, rodata, gofunc */
#define MD_GOFUNC_120 320	/* 1.20 added covctrs, ecovctrs before end */

struct table {
	size_t off, end;	/* [off, end) in the copy */
};

struct gopclntab {
	unsigned char *data;
	size_t len;
	unsigned char *gofunc;	/* copy of the memory at go:func.*, or NULL */
	size_t gofunc_len;
	bool go120;
	uint8_t quantum;
	uint64_t nfunc, text;
	struct table names, cus, files, pcs, funcs;
	size_t func_size;	/* sizeof(_func) */
	size_t inl_size;	/* sizeof(inlinedCall) */
};

/* A decoded _func. */
struct func {
	uint64_t entry;
	int32_t nameoff, start_line;
	uint32_t pcfile, pcln, npcdata, cu;
	uint8_t nfuncdata;
	size_t pos;		/* of the _func in data */
};

static bool rd(const unsigned char *d, size_t len, size_t off, size_t n, void *out)
{
	if (off > len || n > len - off)
		return false;
	memcpy(out, d + off, n);
	return true;
}

static uint32_t rd32(const struct gopclntab *g, size_t off, bool *ok)
{
	uint32_t v = 0;

	if (!rd(g->data, g->len, off, 4, &v))
		*ok = false;
	return v;
}

/* A NUL-terminated string at t.off + off, inside t; NULL otherwise. */
static const char *table_str(const struct gopclntab *g, const struct table *t, uint64_t off)
{
	const char *s;

	if (off >= t->end - t->off)
		return NULL;
	s = (const char *)g->data + t->off + off;
	return memchr(s, '\0', t->end - t->off - off) ? s : NULL;
}

static int parse_header(struct gopclntab *g)
{
	uint64_t h[8];
	uint32_t magic;
	size_t i;

	if (g->len < HEADER_SIZE)
		return -EINVAL;
	memcpy(&magic, g->data, 4);
	memcpy(h, g->data + 8, sizeof(h));
	if ((magic != GO118_MAGIC && magic != GO120_MAGIC) || g->data[4] || g->data[5] ||
	    (g->data[6] != 1 && g->data[6] != 2 && g->data[6] != 4) || g->data[7] != 8)
		return -EINVAL;
	g->go120 = magic == GO120_MAGIC;
	g->quantum = g->data[6];
	g->nfunc = h[0];
	g->text = h[2];
	/* The tables follow each other in this order (cmd/link's pcln.go). */
	for (i = 3; i < 8; i++)
		if (h[i] < (i == 3 ? HEADER_SIZE : h[i - 1]) || h[i] > g->len)
			return -EINVAL;
	g->names = (struct table){ h[3], h[4] };
	g->cus = (struct table){ h[4], h[5] };
	g->files = (struct table){ h[5], h[6] };
	g->pcs = (struct table){ h[6], h[7] };
	g->funcs = (struct table){ h[7], g->len };
	if (g->nfunc >= (g->funcs.end - g->funcs.off) / 8)
		return -EINVAL;
	g->func_size = g->go120 ? 44 : 40;
	g->inl_size = g->go120 ? 16 : 20;
	return 0;
}

int gopclntab__open(const void *data, size_t len, const void *gofunc_data, size_t gofunc_len,
		    struct gopclntab **out)
{
	struct gopclntab *g = calloc(1, sizeof(*g));
	int err = -ENOMEM;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->data = malloc(len ? len : 1);
	if (!g->data)
		goto out;
	memcpy(g->data, data, len);
	g->len = len;
	if (gofunc_data && gofunc_len) {
		g->gofunc = malloc(gofunc_len);
		if (!g->gofunc)
			goto out;
		memcpy(g->gofunc, gofunc_data, gofunc_len);
		g->gofunc_len = gofunc_len;
	}
	err = parse_header(g);
out:
	if (err)
		gopclntab__free(g);
	else
		*out = g;
	return err;
}

void gopclntab__free(struct gopclntab *g)
{
	if (!g)
		return;
	free(g->data);
	free(g->gofunc);
	free(g);
}

bool gopclntab__has_inlines(const struct gopclntab *g)
{
	return g && g->gofunc;
}

/* A functab entry: the function's entry offset from text, its _func's offset. */
struct functab_ent {
	unsigned char entryoff[4], funcoff[4];
};

static inline uint32_t functab_entry(const struct functab_ent *e)
{
	uint32_t v;

	memcpy(&v, e->entryoff, sizeof(v));
	return v;
}

/* The function covering pc: binary search of functab (its nfunc + 1 entries lie inside
 * the data, see parse_header), then its _func. */
static bool find_func(const struct gopclntab *g, uint64_t pc, struct func *f)
{
	const struct functab_ent *ftab = (const void *)(g->data + g->funcs.off);
	size_t lo, base = g->funcs.off;
	uint64_t off = pc - g->text;
	uint32_t funcoff, next;
	bool ok = true;

	if (pc < g->text || off > UINT32_MAX || !g->nfunc)
		return false;
	lo = UPPER_BOUND(ftab, g->nfunc, functab_entry, off);
	next = rd32(g, base + 8 * lo, &ok); /* the next function's entry, or the end */
	if (!lo || off >= next || !ok)
		return false;
	funcoff = rd32(g, base + 8 * (lo - 1) + 4, &ok);
	f->pos = base + funcoff;
	if (!ok || funcoff > g->funcs.end - base || g->func_size > g->funcs.end - f->pos)
		return false;
	f->entry = g->text + rd32(g, f->pos, &ok);
	f->nameoff = (int32_t)rd32(g, f->pos + 4, &ok);
	f->pcfile = rd32(g, f->pos + 20, &ok);
	f->pcln = rd32(g, f->pos + 24, &ok);
	f->npcdata = rd32(g, f->pos + 28, &ok);
	f->cu = rd32(g, f->pos + 32, &ok);
	f->start_line = g->go120 ? (int32_t)rd32(g, f->pos + 36, &ok) : 0;
	f->nfuncdata = g->data[f->pos + g->func_size - 1];
	return ok && f->entry <= pc;
}

static bool varint(const struct gopclntab *g, size_t *p, uint32_t *v)
{
	uint32_t out = 0;
	int shift;

	for (shift = 0; shift < 35 && *p < g->pcs.end; shift += 7) {
		uint8_t b = g->data[(*p)++];

		out |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = out;
			return true;
		}
	}
	return false;
}

/* The value of pc-value table off (in pctab) at target; -1 if none (Go's pcvalue). */
static int32_t pcvalue(const struct gopclntab *g, const struct func *f, uint32_t off,
		       uint64_t target)
{
	size_t p = g->pcs.off + off;
	uint64_t pc = f->entry;
	int32_t val = -1;
	uint32_t uv, pd, steps;

	if (!off || off >= g->pcs.end - g->pcs.off)
		return -1;
	for (steps = 0; steps < MAX_STEPS; steps++) {
		bool first = pc == f->entry;

		if (!varint(g, &p, &uv) || (uv == 0 && !first))
			return -1;
		/* Go's int32 arithmetic wraps; C's must not overflow. */
		val = (int32_t)((uint32_t)val + (-(uv & 1) ^ (uv >> 1)));
		if (!varint(g, &p, &pd))
			return -1;
		pc += (uint64_t)pd * g->quantum;
		if (target < pc)
			return val;
	}
	return -1;
}

static const char *func_file(const struct gopclntab *g, const struct func *f, int32_t fileno)
{
	uint64_t at = (uint64_t)f->cu + (uint32_t)fileno;
	uint32_t fileoff;

	if (fileno < 0 || at >= (g->cus.end - g->cus.off) / 4)
		return NULL;
	memcpy(&fileoff, g->data + g->cus.off + 4 * at, 4);
	return fileoff == UINT32_MAX ? NULL : table_str(g, &g->files, fileoff);
}

/* File and line at pc inside f. */
static void file_line(const struct gopclntab *g, const struct func *f, uint64_t pc,
		      struct gopcln_frame *fr)
{
	int32_t line = pcvalue(g, f, f->pcln, pc);

	fr->file = func_file(g, f, pcvalue(g, f, f->pcfile, pc));
	fr->line = line > 0 ? line : 0;
}

/* u32 number i of the arrays after the _func: pcdata first, then funcdata. */
static bool func_u32(const struct gopclntab *g, const struct func *f, size_t i, uint32_t *v)
{
	return rd(g->data, g->funcs.end, f->pos + g->func_size + 4 * i, 4, v);
}

/* The inline tree entry ix: callee name offset, parentPc and (1.20+) start line. */
static bool inl_entry(const struct gopclntab *g, uint32_t tree, int32_t ix, int32_t *nameoff,
		      int32_t *parent_pc, int32_t *start_line)
{
	unsigned char e[20];
	uint64_t at = (uint64_t)tree + (uint64_t)(uint32_t)ix * g->inl_size;

	if (ix < 0 || at > SIZE_MAX || !rd(g->gofunc, g->gofunc_len, (size_t)at, g->inl_size, e))
		return false;
	memcpy(nameoff, e + (g->go120 ? 4 : 12), 4);
	memcpy(parent_pc, e + (g->go120 ? 8 : 16), 4);
	if (g->go120)
		memcpy(start_line, e + 12, 4);
	else
		*start_line = 0;
	return true;
}

/* The inline tree's offset from go:func.* and its pc-value table, if f has them. */
static bool func_inltree(const struct gopclntab *g, const struct func *f, uint32_t *tree,
			 uint32_t *table)
{
	return g->gofunc && f->npcdata > PCDATA_INLTREE_INDEX && f->nfuncdata > FUNCDATA_INLTREE &&
	       f->npcdata < (1u << 16) && func_u32(g, f, PCDATA_INLTREE_INDEX, table) &&
	       func_u32(g, f, f->npcdata + FUNCDATA_INLTREE, tree) && *tree != UINT32_MAX;
}

size_t gopclntab__lookup(const struct gopclntab *g, uint64_t pc, struct gopcln_frame *frames,
			 size_t max, uint64_t *entry)
{
	int32_t nameoff, parent_pc, start_line, ix;
	uint32_t tree, table;
	uint64_t tracepc = pc;
	size_t n = 0, depth;
	struct func f;
	bool inl;

	*entry = 0;
	if (!g || !max || !find_func(g, pc, &f))
		return 0;
	inl = func_inltree(g, &f, &tree, &table);
	for (depth = 0; inl && depth < MAX_INLINE_DEPTH; depth++) {
		ix = pcvalue(g, &f, table, tracepc);
		if (ix < 0 || !inl_entry(g, tree, ix, &nameoff, &parent_pc, &start_line))
			break;
		if (n + 1 < max) {
			frames[n].name = nameoff < 0 ? NULL : table_str(g, &g->names, (uint32_t)nameoff);
			frames[n].start_line = start_line > 0 ? start_line : 0;
			file_line(g, &f, tracepc, &frames[n]);
			n++;
		}
		tracepc = f.entry + (uint32_t)parent_pc;
	}
	frames[n].name = f.nameoff < 0 ? NULL : table_str(g, &g->names, (uint32_t)f.nameoff);
	frames[n].start_line = f.start_line > 0 ? f.start_line : 0;
	file_line(g, &f, tracepc, &frames[n]);
	*entry = f.entry;
	return n + 1;
}

static uint64_t rd64(const unsigned char *d, size_t off)
{
	uint64_t v;

	memcpy(&v, d + off, 8);
	return v;
}

int gopclntab__find_gofunc(const struct gopclntab *g, const void *data, size_t len,
			   uint64_t pcheader, uint64_t *gofunc)
{
	size_t need = (g->go120 ? MD_GOFUNC_120 : MD_GOFUNC_118) + 8, off;
	const unsigned char *d = data;

	for (off = 0; len >= need && off <= len - need; off += 8) {
		if (rd64(d, off) != pcheader ||
		    rd64(d, off + MD_FUNCNAMETAB) != pcheader + g->names.off ||
		    rd64(d, off + MD_FTAB) != pcheader + g->funcs.off ||
		    rd64(d, off + MD_TEXT) != g->text)
			continue;
		*gofunc = rd64(d, off + need - 8);
		return 0;
	}
	return -ENOENT;
}

struct sym_query {
	const char *name;
	uint64_t value;
};

static int match_sym(void *ctx, const GElf_Sym *sym, size_t shndx, const char *name)
{
	struct sym_query *q = ctx;

	(void)shndx;
	if (!name || strcmp(name, q->name))
		return 0;
	q->value = sym->st_value;
	return 1;
}

/* The value of symbol name in f's .symtab; 0 if none. */
static uint64_t symtab_value(const struct elf_file *f, const char *name)
{
	struct sym_query q = { name, 0 };

	elfsyms__walk(f, SHT_SYMTAB, match_sym, &q);
	return q.value;
}

/* go:func.* (go.func.* before 1.20): its symbol, else from the moduledata. */
static uint64_t find_gofunc(const struct gopclntab *g, const struct elf_file *f,
			    uint64_t pcheader)
{
	uint64_t v = symtab_value(f, g->go120 ? "go:func.*" : "go.func.*");
	size_t idx;
	Elf_Data *d;

	if (v)
		return v;
	idx = elf_file__find_section(f, SHT_PROGBITS, ".noptrdata");
	d = idx ? elf_file__data(f, idx) : NULL;
	if (!d || !d->d_buf || gopclntab__find_gofunc(g, d->d_buf, d->d_size, pcheader, &v))
		return 0;
	return v;
}

/* The bytes from vaddr to the end of the section that holds it. */
static const void *section_tail(const struct elf_file *f, uint64_t vaddr, size_t *len)
{
	size_t i;

	for (i = 1; i < f->shnum; i++) {
		Elf_Data *d;

		if (f->secs[i].type != SHT_PROGBITS || vaddr < f->secs[i].addr ||
		    vaddr >= f->secs[i].end || !(d = elf_file__data(f, i)) || !d->d_buf ||
		    vaddr - f->secs[i].addr >= d->d_size)
			continue;
		*len = d->d_size - (vaddr - f->secs[i].addr);
		return (const char *)d->d_buf + (vaddr - f->secs[i].addr);
	}
	return NULL;
}

int gopclntab__open_elf(const struct elf_file *f, struct gopclntab **out)
{
	size_t idx = elf_file__find_section(f, SHT_PROGBITS, ".gopclntab"), len = 0;
	Elf_Data *d = idx ? elf_file__data(f, idx) : NULL;
	const void *tail = NULL;
	uint64_t gofunc;
	int err;

	*out = NULL;
	if (!d || !d->d_buf)
		return -ENOENT;
	err = gopclntab__open(d->d_buf, d->d_size, NULL, 0, out);
	if (err)
		return err;
	gofunc = find_gofunc(*out, f, f->secs[idx].addr);
	if (gofunc)
		tail = section_tail(f, gofunc, &len);
	if (!tail)
		return 0;
	(*out)->gofunc = malloc(len ? len : 1);
	if (!(*out)->gofunc)
		return 0; /* names and lines without inline frames */
	memcpy((*out)->gofunc, tail, len);
	(*out)->gofunc_len = len;
	return 0;
}
