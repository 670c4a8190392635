/* /proc/kallsyms: ~200k lines "addr type name[\t[module]]", parsed in one pass into a sorted
 * array of 24-byte entries and one string arena. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/kallsyms.h"
#include "util/readfile.h"
#include "util/search.h"
#include "util/util.h"

#define KALLSYMS_MAX_BYTES (1u << 30)	/* arena offsets are 32-bit */
#define RANK_BOUNDARY 4

/* A text symbol, or a boundary: a data symbol that only ends the extent of the text
 * symbol before it (so the last function of a section does not swallow what follows). */
struct ksym {
	uint64_t addr;
	uint32_t name;		/* arena offset */
	uint32_t module;	/* arena offset; 0 = "" (vmlinux) */
	uint32_t seq;		/* line order: ties between aliases resolve the same way every run */
	uint8_t rank;		/* T t W w, then boundaries: the preferred alias sorts first */
};

struct kallsyms {
	struct ksym *syms;
	size_t n, n_text;
	char *arena;
};

struct parse_state {
	struct kallsyms *ks;
	size_t arena_len;
	uint32_t prev_mod;	/* modules' symbols come in runs: reuse the last module string */
	size_t lines, zero_lines;
};

static int type_rank(char t)
{
	switch (t) {
	case 'T': return 0;
	case 't': return 1;
	case 'W': return 2;
	case 'w': return 3;
	case 'b': case 'B': case 'd': case 'D': case 'r': case 'R': return RANK_BOUNDARY;
	default: return -1;
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static uint32_t store(struct parse_state *ps, const char *s, size_t n)
{
	uint32_t off = (uint32_t)ps->arena_len;

	memcpy(ps->ks->arena + ps->arena_len, s, n);
	ps->ks->arena[ps->arena_len + n] = '\0';
	ps->arena_len += n + 1;
	return off;
}

/* "\t[module]" at s, or nothing. Returns false on a malformed suffix. */
static bool parse_module(struct parse_state *ps, const char *s, const char *end, uint32_t *mod)
{
	const char *name, *close;
	uint32_t prev = ps->prev_mod;
	size_t n;

	*mod = 0;
	if (s == end)
		return true;
	if (end - s < 3 || s[0] != '\t' || s[1] != '[')
		return false;
	name = s + 2;
	close = memchr(name, ']', (size_t)(end - name));
	if (!close || close == name || memchr(name, '\0', (size_t)(close - name)))
		return false;
	n = (size_t)(close - name);
	if (prev && strlen(ps->ks->arena + prev) == n && memcmp(ps->ks->arena + prev, name, n) == 0) {
		*mod = prev;
		return true;
	}
	*mod = ps->prev_mod = store(ps, name, n);
	return true;
}

static void parse_line(struct parse_state *ps, const char *s, const char *end)
{
	struct ksym *k = &ps->ks->syms[ps->ks->n];
	const char *name;
	uint64_t addr = 0;
	int d, rank, digits = 0;

	for (; s < end && (d = hex_digit(*s)) >= 0 && digits < 16; s++, digits++)
		addr = addr << 4 | (uint64_t)d;
	if (!digits || end - s < 3 || s[0] != ' ' || s[2] != ' ')
		return;
	rank = type_rank(s[1]);
	ps->lines++;
	if (addr == 0) {
		ps->zero_lines++;
		return;
	}
	if (rank < 0)
		return;
	name = s += 3;
	while (s < end && *s != '\t' && *s != ' ' && *s != '\0')
		s++;
	if (s == name)
		return;
	if (!parse_module(ps, s, end, &k->module))
		return;
	k->addr = addr;
	k->rank = (uint8_t)rank;
	k->seq = (uint32_t)ps->ks->n;
	k->name = rank == RANK_BOUNDARY ? 0 : store(ps, name, (size_t)(s - name));
	ps->ks->n++;
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return CMP3(x->addr, y->addr);
	return x->rank != y->rank ? CMP3(x->rank, y->rank) : CMP3(x->seq, y->seq);
}

/* Sorts, keeps one symbol per address (the preferred alias), counts text symbols. */
static void finish(struct kallsyms *ks)
{
	size_t i, k = 0;

	qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_ksym);
	ks->n_text = 0;
	for (i = 0; i < ks->n; i++) {
		if (k && ks->syms[i].addr == ks->syms[k - 1].addr)
			continue;
		ks->syms[k++] = ks->syms[i];
		if (ks->syms[i].rank != RANK_BOUNDARY)
			ks->n_text++;
	}
	ks->n = k;
}

/* The arena is sized by the text (names are part of it), so it never moves while parsing;
 * both arrays shrink to fit at the end. */
static struct kallsyms *parse(const char *text, size_t len, struct parse_state *ps)
{
	const char *p = text, *end = text + len, *nl;
	size_t lines = 1;
	void *tmp;

	if (len > KALLSYMS_MAX_BYTES) {
		errno = EFBIG;
		return NULL;
	}
	for (nl = text; len && (nl = memchr(nl, '\n', (size_t)(end - nl))); nl++)
		lines++;
	ps->ks = calloc(1, sizeof(*ps->ks));
	if (!ps->ks)
		return NULL;
	ps->ks->syms = malloc(lines * sizeof(*ps->ks->syms));
	ps->ks->arena = malloc(len + 2);
	if (!ps->ks->syms || !ps->ks->arena) {
		kallsyms__free(ps->ks);
		errno = ENOMEM;
		return NULL;
	}
	ps->ks->arena[0] = '\0';
	ps->arena_len = 1;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		parse_line(ps, p, nl);
	}
	finish(ps->ks);
	if ((tmp = realloc(ps->ks->arena, ps->arena_len)))
		ps->ks->arena = tmp;
	if (ps->ks->n && (tmp = realloc(ps->ks->syms, ps->ks->n * sizeof(*ps->ks->syms))))
		ps->ks->syms = tmp;
	return ps->ks;
}

struct kallsyms *kallsyms__parse(const char *text, size_t len)
{
	struct parse_state ps = { 0 };

	return parse(text, len, &ps);
}

struct kallsyms *kallsyms__load(const char *path)
{
	struct parse_state ps = { 0 };
	struct kallsyms *ks;
	char *text = NULL;
	size_t len = 0;
	int err;

	err = readfile__all(path ? path : "/proc/kallsyms", 4 << 20, KALLSYMS_MAX_BYTES, &text,
			    &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	ks = parse(text, len, &ps);
	free(text);
	/* kptr_restrict (or no CAP_SYSLOG) shows every address as 0: the names alone are
	 * useless, and the caller should say why kernel frames are unresolved. */
	if (ks && ps.lines && ps.zero_lines == ps.lines) {
		kallsyms__free(ks);
		errno = EPERM;
		return NULL;
	}
	return ks;
}

void kallsyms__free(struct kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->arena);
	free(ks);
}

#define KSYM_ADDR(k) ((k)->addr)

int kallsyms__find(const struct kallsyms *ks, uint64_t addr, const char **name,
		   uint64_t *sym_start, const char **module)
{
	size_t lo = UPPER_BOUND(ks->syms, ks->n, KSYM_ADDR, addr);
	const struct ksym *k;

	if (lo == 0)
		return -ENOENT;
	k = &ks->syms[lo - 1];
	if (k->rank == RANK_BOUNDARY)
		return -ENOENT;
	if (name)
		*name = ks->arena + k->name;
	if (sym_start)
		*sym_start = k->addr;
	if (module)
		*module = ks->arena + k->module;
	return 0;
}

size_t kallsyms__count(const struct kallsyms *ks)
{
	return ks->n_text;
}

/* /sys/kernel/notes holds the kernel's ELF notes. */
void kallsyms__build_id(char *out, size_t size)
{
	unsigned char buf[4096];
	ssize_t len;
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);

	out[0] = 0;
	if (fd < 0)
		return;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len > 0)
		kallsyms__notes_build_id(buf, (size_t)len, out, size);
}

/* NT_GNU_BUILD_ID (3) names "GNU". */
void kallsyms__notes_build_id(const void *notes, size_t len, char *out, size_t size)
{
	const unsigned char *buf = notes;
	size_t off = 0;

	out[0] = 0;
	while (off + 12 <= len) {
		uint32_t nsz, dsz, type;
		size_t name_off = off + 12, desc_off;

		memcpy(&nsz, buf + off, 4);
		memcpy(&dsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		desc_off = name_off + ((nsz + 3) & ~3u);
		if (nsz > 4096 || dsz > 4096 || desc_off + dsz > len)
			return;
		if (type == 3 && nsz == 4 && !memcmp(buf + name_off, "GNU", 4)) {
			for (uint32_t i = 0; i < dsz && 2 * i + 2 < size; i++)
				snprintf(out + 2 * i, 3, "%02x", buf[desc_off + i]);
			return;
		}
		off = desc_off + ((dsz + 3) & ~3u);
	}
}
