/* See cfi_gopcln.h. */
#include <errno.h>
#include <string.h>

#include "unwind/cfi_gopcln.h"

#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u
#define HDR_NFUNC 8
#define HDR_TEXT 24
#define HDR_FUNCNAME 32
#define HDR_PCTAB 56
#define HDR_PCLN 64
#define HDR_SIZE 72
#define FUNC_NAMEOFF 4
#define FUNC_PCSP 16
#define FUNC_MIN 20		/* the _func fields read here: entryoff .. pcsp */
/* Pairs decoded per byte of the section, over all functions. Go's linker shares one table
 * between functions whose tables are equal, so a table is decoded once per function using
 * it; real objects stay far below (0.025 pairs per byte of .gopclntab in the go tool of Go
 * 1.19, 0.030-0.036 in programs built by Go 1.23-1.25), and a forged one that has every
 * function use one long table is stopped. */
#define PAIRS_PER_BYTE 1

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int gopcln__init(struct gopcln *t, const uint8_t *d, uint64_t size)
{
	uint32_t magic;

	if (size < HDR_SIZE)
		return -ENOENT;
	magic = rd32(d);
	if (magic != MAGIC_118 && magic != MAGIC_120)
		return -ENOENT;
	/* amd64 only: pc quantum 1, 8-byte pointers. */
	if (d[4] || d[5] || d[6] != 1 || d[7] != 8)
		return -EINVAL;
	*t = (struct gopcln){
		.d = d,
		.size = size,
		.nfunc = rd64(d + HDR_NFUNC),
		.text = rd64(d + HDR_TEXT),
		.names = rd64(d + HDR_FUNCNAME),
		.pctab = rd64(d + HDR_PCTAB),
		.pcln = rd64(d + HDR_PCLN),
		.quantum = d[6],
		.budget = size * PAIRS_PER_BYTE,
	};
	/* functab's nfunc + 1 entries lie inside the section. */
	if (t->pcln >= size || t->names >= size || t->pctab > t->pcln ||
	    (size - t->pcln) / 8 == 0 || t->nfunc > (size - t->pcln) / 8 - 1)
		return -EINVAL;
	return 0;
}

int gopcln__func(const struct gopcln *t, uint64_t i, struct gopcln_func *f)
{
	const uint8_t *ent = t->d + t->pcln + 8 * i;
	uint64_t lo, hi, func, name;

	if (i >= t->nfunc)
		return -EINVAL;
	lo = rd32(ent);
	hi = rd32(ent + 8);
	func = t->pcln + (uint64_t)rd32(ent + 4);
	if (hi < lo || func > t->size - FUNC_MIN)
		return -EINVAL;
	name = t->names + (uint64_t)(int64_t)(int32_t)rd32(t->d + func + FUNC_NAMEOFF);
	if (name >= t->size || !memchr(t->d + name, 0, t->size - name))
		return -EINVAL;
	*f = (struct gopcln_func){
		.lo = t->text + lo,
		.hi = t->text + hi,
		.name = (const char *)t->d + name,
		.pcsp = rd32(t->d + func + FUNC_PCSP),
	};
	return 0;
}

bool gopcln__pcsp_begin(struct gopcln *t, const struct gopcln_func *f, struct gopcln_iter *it)
{
	*it = (struct gopcln_iter){
		.t = t,
		.p = t->pctab + f->pcsp,
		.end = t->pcln,
		.pc = f->lo,
		.hi = f->hi,
		.value = -1,
		.first = true,
	};
	it->done = !f->pcsp || f->pcsp >= t->pcln - t->pctab || f->lo >= f->hi;
	return !it->done;
}

/* A varint of at most 32 bits from it->p; false past the table's end or on overflow. */
static bool varint(struct gopcln_iter *it, uint32_t *v)
{
	uint32_t out = 0;

	for (unsigned shift = 0; shift < 35 && it->p < it->end; shift += 7) {
		uint8_t b = it->t->d[it->p++];

		out |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = out;
			return true;
		}
	}
	return false;
}

bool gopcln__pcsp_next(struct gopcln_iter *it, uint64_t *lo, uint64_t *hi, int32_t *delta)
{
	struct gopcln *t = it->t;
	uint32_t uv, pd;

	/* Pairs with a zero pc delta describe no pc: skipped (each costs budget). */
	while (!it->done && t->budget) {
		t->budget--;
		if (!varint(it, &uv))
			break;
		if (uv == 0 && !it->first) {
			/* The end of the table: its last value holds to the next function. */
			it->done = true;
			*lo = it->pc;
			*hi = it->hi;
			*delta = it->value;
			return it->pc < it->hi;
		}
		if (!varint(it, &pd))
			break;
		/* Go's int32 arithmetic wraps; C's must not overflow. */
		it->value = (int32_t)((uint32_t)it->value + (-(uv & 1) ^ (uv >> 1)));
		it->first = false;
		if (!pd)
			continue;
		*lo = it->pc;
		*delta = it->value;
		if ((uint64_t)pd * t->quantum >= it->hi - it->pc) {
			it->done = true;
			*hi = it->hi;
			return true;
		}
		it->pc += (uint64_t)pd * t->quantum;
		*hi = it->pc;
		return true;
	}
	it->done = true;
	return false;
}
