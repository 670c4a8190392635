/* gopclntab__open and lookups on arbitrary tables. Input: a little-endian u32 L (its top bit:
 * see below), then L bytes of go:func.* memory (inline trees; fewer if the input is
 * shorter), then the .gopclntab bytes. Lookups walk the first 1 KiB of text after the
 * header's textStart and a few addresses taken from the input; find_gofunc searches the
 * go:func bytes as if they were .noptrdata.
 *
 * The same table in an ELF file (fuzz_elfw.h) through gopclntab__open_elf: .gopclntab at
 * PCLN_ADDR, the go:func bytes as .noptrdata at NOPTR_ADDR, and, when L's top bit is set, a
 * .symtab naming NOPTR_ADDR go:func.* and go.func.* (else the go:func base is looked for
 * in the moduledata in .noptrdata). It must open when the table opens alone; with the
 * symbols, its lookups must be those of the table opened with the go:func bytes.
 *
 * Seeds (tests/fuzz/corpus/gopclntab/): two_funcs, a Go 1.18 table made by hand, two
 * functions, main.outer (lines 10-11 of /src/a.go) inlining main.inner (/src/b.go:5) at
 * pc offsets 0x10-0x20, and the inline tree as the go:func bytes; two_funcs_symtab, the
 * same with L's top bit set; two_funcs_moduledata, the same with a Go 1.18 moduledata
 * after the inline tree (at 24: pcHeader PCLN_ADDR, funcnametab PCLN_ADDR + 0x48, ftab
 * PCLN_ADDR + 0x90, text 0x401000, gofunc NOPTR_ADDR), L 336. */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "symbols/gopclntab.h"
#include "fuzz_elfw.h"

#define PCLN_ADDR 0x4e0000u
#define NOPTR_ADDR 0x540000u

static void lookup(const struct gopclntab *g, uint64_t pc)
{
	struct gopcln_frame fr[8];
	uint64_t entry;
	size_t n = gopclntab__lookup(g, pc, fr, 8, &entry), i;

	if (n > 8 || (n && entry > pc))
		abort();
	for (i = 0; i < n; i++)
		if ((fr[i].name && strlen(fr[i].name) > 1u << 30) ||
		    (fr[i].file && strlen(fr[i].file) > 1u << 30) || fr[i].line < 0)
			abort();
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The lookup of pc in a and b gives the same frames. */
static void same_lookup(const struct gopclntab *a, const struct gopclntab *b, uint64_t pc)
{
	struct gopcln_frame fa[8], fb[8];
	uint64_t ea = 0, eb = 0;
	size_t n = gopclntab__lookup(a, pc, fa, 8, &ea), i;

	if (gopclntab__lookup(b, pc, fb, 8, &eb) != n || (n && ea != eb))
		abort();
	for (i = 0; i < n; i++)
		if (!same_str(fa[i].name, fb[i].name) || !same_str(fa[i].file, fb[i].file) ||
		    fa[i].line != fb[i].line || fa[i].start_line != fb[i].start_line)
			abort();
}

/* The table (pcln, n bytes) and go:func bytes (l) in an ELF file, opened by
 * gopclntab__open_elf; g: the table opened alone, NULL if it did not open. */
static void open_elf(const uint8_t *pcln, size_t n, const uint8_t *gofunc, uint32_t l,
		     bool symtab, const struct gopclntab *g, uint64_t text)
{
	static const char strtab[] = "\0go:func.*\0go.func.*";
	Elf64_Sym syms[3] = { { 0 } };
	struct elfw_sec secs[4] = {
		{ ".symtab", SHT_SYMTAB, 0, 0, syms, sizeof(syms), 2 },
		{ ".strtab", SHT_STRTAB, 0, 0, strtab, sizeof(strtab) },
		{ ".gopclntab", SHT_PROGBITS, SHF_ALLOC, PCLN_ADDR, pcln, n },
		{ ".noptrdata", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, NOPTR_ADDR, gofunc, l },
	};
	struct elf_file f = { 0 };
	struct gopclntab *e = NULL;
	unsigned char *img;
	size_t len, i;

	for (i = 1; i < 3; i++) {
		syms[i].st_name = i == 1 ? 1 : 11;
		syms[i].st_info = ELF64_ST_INFO(STB_LOCAL, STT_OBJECT);
		syms[i].st_shndx = 4;
		syms[i].st_value = NOPTR_ADDR;
	}
	img = symtab ? elfw_build(secs, 4, &len) : elfw_build(secs + 2, 2, &len);
	if (!img)
		return;
	if (elf_file__open(&f, -1, false, img, len))
		abort();	/* elfw's files are well-formed */
	if ((gopclntab__open_elf(&f, &e) == 0) != (g != NULL))
		abort();
	for (i = 0; e && i < 1024; i += 3) {
		lookup(e, text + i);
		if (g && symtab && l)
			same_lookup(g, e, text + i);
	}
	gopclntab__free(e);
	elf_file__close(&f);
	free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gopclntab *g = NULL;
	uint64_t text = 0, gofunc;
	uint32_t l = 0;
	bool symtab;
	size_t i;

	if (size < 4)
		return 0;
	memcpy(&l, data, 4);
	symtab = l >> 31;
	l &= ~(1u << 31);
	if (l > size - 4)
		l = (uint32_t)(size - 4);
	if (size - 4 - l >= 32)
		memcpy(&text, data + 4 + l + 24, 8);
	if (gopclntab__open(data + 4 + l, size - 4 - l, data + 4, l, &g))
		g = NULL;
	open_elf(data + 4 + l, size - 4 - l, data + 4, l, symtab, g, text);
	if (!g)
		return 0;
	for (i = 0; i < 1024; i += 3)
		lookup(g, text + i);
	for (i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t a;

		memcpy(&a, data + i, 8);
		lookup(g, a);
	}
	lookup(g, 0);
	lookup(g, UINT64_MAX);
	gopclntab__find_gofunc(g, data + 4, l, text, &gofunc);
	gopclntab__free(g);
	return 0;
}
