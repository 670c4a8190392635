/* A minimal ELF64 writer for the fuzz harnesses: fuzzed section contents are wrapped in a
 * well-formed file, so that mutations reach the section parsers instead of dying in the
 * ELF header checks. */
#ifndef FUZZ_ELFW_H
#define FUZZ_ELFW_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct elfw_sec {
	const char *name;
	uint32_t type;
	uint64_t flags, addr;
	const void *data;
	size_t size;
	uint32_t link;		/* sh_link: a symbol table's string table */
};

static inline size_t elfw_file_size(const struct elfw_sec *s)
{
	return s->type == SHT_NOBITS ? 0 : s->size;
}

/* A malloc'd ELF64 executable (x86-64) holding the sections (plus the null section and
 * .shstrtab), written at *len bytes. NULL when out of memory. */
static inline unsigned char *elfw_build(const struct elfw_sec *secs, size_t n, size_t *len)
{
	size_t names = 1 + strlen(".shstrtab") + 1, off, i, nsh = n + 2;
	Elf64_Ehdr eh = { 0 };
	Elf64_Shdr *sh;
	unsigned char *out;
	char *strtab;

	for (i = 0; i < n; i++)
		names += strlen(secs[i].name) + 1;
	off = sizeof(eh);
	for (i = 0; i < n; i++)
		off += elfw_file_size(&secs[i]);
	off += names;
	off = (off + 7) & ~(size_t)7;
	*len = off + nsh * sizeof(Elf64_Shdr);
	out = calloc(1, *len);
	if (!out)
		return NULL;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = off;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (uint16_t)nsh;
	eh.e_shstrndx = (uint16_t)(nsh - 1);
	memcpy(out, &eh, sizeof(eh));
	sh = (Elf64_Shdr *)(out + off);
	off = sizeof(eh);
	strtab = (char *)out + sizeof(eh);
	for (i = 0; i < n; i++)
		strtab += elfw_file_size(&secs[i]);
	names = 1;
	for (i = 0; i < n; i++) {
		Elf64_Shdr *s = &sh[i + 1];

		s->sh_name = (uint32_t)names;
		strcpy(strtab + names, secs[i].name);
		names += strlen(secs[i].name) + 1;
		s->sh_type = secs[i].type;
		s->sh_flags = secs[i].flags;
		s->sh_addr = secs[i].addr;
		s->sh_offset = off;
		s->sh_size = secs[i].size;
		s->sh_addralign = 1;
		s->sh_link = secs[i].link;
		if (secs[i].type == SHT_SYMTAB)
			s->sh_entsize = sizeof(Elf64_Sym);
		if (elfw_file_size(&secs[i]))
			memcpy(out + off, secs[i].data, secs[i].size);
		off += elfw_file_size(&secs[i]);
	}
	sh[nsh - 1].sh_name = (uint32_t)names;
	strcpy(strtab + names, ".shstrtab");
	sh[nsh - 1].sh_type = SHT_STRTAB;
	sh[nsh - 1].sh_offset = (uint64_t)(strtab - (char *)out);
	sh[nsh - 1].sh_size = names + strlen(".shstrtab") + 1;
	sh[nsh - 1].sh_addralign = 1;
	return out;
}

#endif
