// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See symobj.h. Names live in one arena per object; C++ names are demangled on first
 * lookup only, since most symbols of a big library are never hit.
 *
 * Every file read here comes from (or is chosen by) the profiled process: headers are
 * checked against the file size before libelf allocates anything from them, and a file
 * that does not parse yields an empty table, never a crash. */
#include <errno.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/debugcache.h"
#include "elf/debuginfo.h"
#include "elf/elffile.h"
#include "elf/fderange.h"
#include "elf/minidebug.h"
#include "proc/object.h"
#include "symbols/demangle.h"
#include "symbols/dwarfidx.h"
#include "symbols/gopclntab.h"
#include "symbols/symobj.h"
#include "symbols/symtab.h"
#include "util/arena.h"
#include "util/log.h"

/* A debug section read whole into memory (libLLVM's .debug_info is ~1 GiB). */
#define SYM_MAX_DEBUG_SECTION (4ull << 30)

struct symobj {
	const struct object *obj;
	struct symtab tab;
	bool has_table;		/* a symbol table was found (own or debuginfo) */
	const char *debug_file;	/* arena; NULL if no separate debuginfo was used */
	struct dwarf_index *dw;	/* NULL without DWARF */
	struct gopclntab *go;	/* Go's tables, when there is no DWARF */
	struct fde_range *fdes;	/* .eh_frame_hdr's functions, for code no symbol covers */
	size_t n_fdes;
	const char **fde_names;	/* arena; "lib.so+0xSTART", made on first lookup */
	struct elf_file dw_elf;	/* what dw reads: the object or its debuginfo */
	uint64_t dw_bytes;	/* what dw holds: its debug sections, decompressed */
	bool dw_own;		/* dw reads the object itself (else debug_file) */
	bool dw_dropped;	/* closed to save memory: reopened when a lookup needs it */
	bool dw_pinned;		/* handed out (symobj__dwarf): never closed */
	bool dw_functions, dw_lines;	/* what dw had when first opened */
	struct arena arena;
};

void symobj__free(struct symobj *so)
{
	if (!so)
		return;
	symtab__free(&so->tab);
	dwarf_index__free(so->dw);
	gopclntab__free(so->go);
	free(so->fdes);
	free(so->fde_names);
	elf_file__close(&so->dw_elf);
	arena__free(&so->arena);
	free(so);
}

/* Finds obj's separate debuginfo, opened into dbg. Returns 0, -ENOENT, -ENOMEM. */
static int symobj__find_debuginfo(struct symobj *so, const struct debuginfo_search *ds,
				  const struct elf_file *own, struct elf_file *dbg)
{
	char *path = malloc(PATH_MAX);
	int err = -ENOMEM;

	if (!path)
		goto out;
	err = debuginfo__find(ds, so->obj, own, dbg, path);
	if (err)
		goto out;
	so->debug_file = arena__strdup(&so->arena, path, strlen(path));
	if (!so->debug_file) {
		elf_file__close(dbg);
		err = -ENOMEM;
	}
out:
	free(path);
	return err;
}

static int symobj__open(const struct object *obj, struct elf_file *own)
{
	if (obj->is_vdso && obj->vdso_image)
		return elf_file__open(own, -1, false, obj->vdso_image, obj->vdso_size);
	if (obj->fd >= 0)
		return elf_file__open(own, obj->fd, false, NULL, 0);
	return -ENOENT;
}

/* Without an own .symtab: the debuginfo's (richer), else MiniDebugInfo's (opened into
 * mini, image), each merged with the own .dynsym (which they lack: they hold what
 * stripping removed). Returns 0, -ENOENT when there is no table at all, -ENOMEM. */
static int symobj__add_fallback(struct symtab *t, const struct elf_file *own,
				const struct elf_file *dbg, struct elf_file *mini, void **image)
{
	int err = dbg->elf ? symtab__add_table(t, dbg, SHT_SYMTAB) : -ENOENT, dyn;

	if (err == -ENOENT && !own->image) {
		err = minidebug__open(own, mini, image);
		if (!err)
			err = symtab__add_table(t, mini, SHT_SYMTAB);
	}
	dyn = symtab__add_table(t, own, SHT_DYNSYM);
	if (err == -ENOMEM || dyn == -ENOMEM)
		return -ENOMEM;
	return err && dyn ? -ENOENT : 0;
}

/* Indexes f's DWARF and keeps f open for it (f is left closed). Files whose debug
 * sections would not fit in memory are skipped. */
static int symobj__open_dwarf(struct symobj *so, struct elf_file *f)
{
	int err = elf_file__check_debug(f, SYM_MAX_DEBUG_SECTION, &so->dw_bytes);

	if (!err)
		err = dwarf_index__open(f->elf, &so->dw);
	if (err) {
		log_debug("symbolizer: %s: %s, no file:line or inline frames",
			  f == &so->dw_elf || !so->debug_file ? so->obj->path : so->debug_file,
			  err == -ENOMEM ? strerror(ENOMEM) : "unusable DWARF");
		return err == -ENOMEM ? err : 0;
	}
	so->dw_functions |= dwarf_index__has_functions(so->dw);
	so->dw_lines |= dwarf_index__has_lines(so->dw);
	so->dw_elf = *f;
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	/* libdw has read the debug sections whole: a separate file's fd is not needed. */
	if (so->dw_elf.own_fd && so->dw_elf.fd >= 0) {
		elf_cntl(so->dw_elf.elf, ELF_C_FDDONE);
		close(so->dw_elf.fd);
		so->dw_elf.fd = -1;
	}
	return 0;
}

/* The functions of own's .eh_frame_hdr, named only when a lookup needs one. */
static int symobj__read_fdes(struct symobj *so, const struct elf_file *own)
{
	int err = fde_range__read(own, &so->fdes, &so->n_fdes);

	if (err)
		return err == -ENOMEM ? err : 0;
	so->fde_names = calloc(so->n_fdes ? so->n_fdes : 1, sizeof(*so->fde_names));
	return so->fde_names ? 0 : -ENOMEM;
}

/* Symbols: the own .symtab if there is one, else symobj__add_fallback; PLT stubs always.
 * The files stay open until symtab__finish has copied the names.
 * DWARF: the object's own, else its separate debuginfo's; without DWARF, Go's tables. */
static int symobj__build(struct symobj *so, const struct debuginfo_search *ds)
{
	struct elf_file own = { .fd = -1 }, dbg = { .fd = -1 }, mini = { .fd = -1 };
	void *mini_image = NULL;
	bool own_dwarf;
	int err;

	err = symobj__open(so->obj, &own);
	if (err) {
		log_debug("symbolizer: %s: %s, no symbols", so->obj->path ? so->obj->path : "?",
			  err == -ENOENT ? "not a readable ELF file" : strerror(-err));
		err = err == -ENOMEM ? err : 0;
		goto out;
	}
	own_dwarf = elf_file__has_dwarf(&own);
	err = symtab__add_table(&so->tab, &own, SHT_SYMTAB);
	if ((err == -ENOENT || !own_dwarf) && !own.image &&
	    symobj__find_debuginfo(so, ds, &own, &dbg) == -ENOMEM)
		err = -ENOMEM;
	if (err == -ENOENT)
		err = symobj__add_fallback(&so->tab, &own, &dbg, &mini, &mini_image);
	so->has_table = !err;
	if (err == -ENOENT)
		err = 0;
	if (!err)
		err = symtab__add_plt(&so->tab, &own, &so->arena);
	if (!err)
		err = symtab__finish(&so->tab, &so->arena);
	so->dw_own = own_dwarf;
	if (!err && (own_dwarf || (dbg.elf && elf_file__has_dwarf(&dbg)))) {
		struct elf_file *dwf = own_dwarf ? &own : &dbg, plain = { .fd = -1 };

		/* Compressed: an uncompressed copy, made once, read as it is. Its sizes are
		 * checked first: the copy holds what libdw would. */
		if (ds->cache_dir && !dwf->image &&
		    !elf_file__check_debug(dwf, SYM_MAX_DEBUG_SECTION, NULL) &&
		    !debugcache__open(ds->cache_dir, so->obj->build_id, dwf, &plain))
			dwf = &plain;
		err = symobj__open_dwarf(so, dwf);
		elf_file__close(&plain);
	}
	if (!err && !so->dw && own.elf && gopclntab__open_elf(&own, &so->go) == -ENOMEM)
		err = -ENOMEM;
	if (!err)
		err = symobj__read_fdes(so, &own);
out:
	elf_file__close(&mini);
	free(mini_image);
	elf_file__close(&dbg);
	elf_file__close(&own);
	return err;
}

int symobj__new(const struct object *obj, const struct debuginfo_search *ds,
		struct symobj **out)
{
	struct symobj *so = calloc(1, sizeof(*so));
	int err;

	*out = NULL;
	if (!so)
		return -ENOMEM;
	so->obj = obj;
	err = symobj__build(so, ds);
	if (err)
		symobj__free(so);
	else
		*out = so;
	return err;
}

static const char *symobj__name(struct symobj *so, struct sym *sym)
{
	if (sym->name)
		return sym->name;
	sym->name = demangle__cxx(&so->arena, sym->system_name);
	/* Not demangleable (or no memory): the mangled name is still a useful name. */
	if (!sym->name)
		sym->name = sym->system_name;
	return sym->name;
}

/* The outermost frame of res (whose function starts at entry) takes the symbol table's
 * name when the symbol starts at that entry: the name users know (malloc, not glibc's
 * __GI___libc_malloc), and the one profiles without debuginfo show. A split part
 * (foo.cold) has no symbol at foo's entry and so counts as foo. Unnamed code (assembly
 * that DWARF gives lines for) takes the symbol's name too. */
static void symobj__outer(struct symobj *so, struct sym *sym, uint64_t entry,
			  struct sym_result *res)
{
	struct sym_frame *outer = &res->frames[res->n - 1];

	if (sym && (!outer->name || sym->start == entry)) {
		outer->name = symobj__name(so, sym);
		outer->system_name = sym->system_name;
	}
	res->sym_start = sym ? sym->start : entry;
}

/* Keeps the n frames (of a function entered at entry) written into res, unless the code
 * is unnamed and no symbol covers it either: then res is left as it was (zeroed). */
static bool symobj__take(struct symobj *so, struct sym *sym, size_t n, uint64_t entry,
			 struct sym_result *res)
{
	if (!n || (!sym && !res->frames[n - 1].name)) {
		memset(res->frames, 0, n * sizeof(res->frames[0]));
		return false;
	}
	res->n = n;
	symobj__outer(so, sym, entry, res);
	return true;
}

/* DWARF's frames at vaddr, if it covers it, named as addr2line names them (but see
 * symobj__outer). */
static bool resolve_dwarf(struct symobj *so, struct sym *sym, uint64_t vaddr,
			  struct sym_result *res)
{
	struct dwarf_frame df[SYM_MAX_FRAMES];
	uint64_t func_lo;
	size_t n, i;

	n = dwarf_index__lookup(so->dw, vaddr, df, SYM_MAX_FRAMES, &func_lo);
	for (i = 0; i < n; i++)
		res->frames[i] = (struct sym_frame){
			.name = df[i].name, .system_name = df[i].system_name,
			.file = df[i].file, .line = df[i].line, .start_line = df[i].decl_line,
		};
	return symobj__take(so, sym, n, func_lo, res);
}

/* The same from .gopclntab, for Go binaries without DWARF. */
static bool resolve_go(struct symobj *so, struct sym *sym, uint64_t vaddr,
		       struct sym_result *res)
{
	struct gopcln_frame gf[SYM_MAX_FRAMES];
	uint64_t entry;
	size_t n, i;

	n = gopclntab__lookup(so->go, vaddr, gf, SYM_MAX_FRAMES, &entry);
	for (i = 0; i < n; i++)
		res->frames[i] = (struct sym_frame){
			.name = gf[i].name, .system_name = gf[i].name,
			.file = gf[i].file, .line = gf[i].line, .start_line = gf[i].start_line,
		};
	return symobj__take(so, sym, n, entry, res);
}

/* Opens again the DWARF symobj__drop_dwarf closed: the object (kept open by the object
 * cache) or its debuginfo file, read again by path. Once: a failure leaves it closed. */
static void symobj__reopen_dwarf(struct symobj *so)
{
	struct elf_file f = { .fd = -1 };
	int fd = -1, err;

	so->dw_dropped = false;
	if (so->dw_own)
		err = symobj__open(so->obj, &f);
	else if (!(err = elf_file__open_regular(so->debug_file, &fd)))
		err = elf_file__open(&f, fd, true, NULL, 0);
	if (err && fd >= 0 && f.fd != fd)
		close(fd);
	if (!err)
		symobj__open_dwarf(so, &f);
	elf_file__close(&f);
}

void symobj__drop_dwarf(struct symobj *so)
{
	if (!so->dw || so->dw_pinned)
		return;
	dwarf_index__free(so->dw);
	elf_file__close(&so->dw_elf);
	so->dw = NULL;
	so->dw_bytes = 0;
	so->dw_dropped = true;
}

uint64_t symobj__dwarf_bytes(const struct symobj *so)
{
	return so->dw && !so->dw_pinned ? so->dw_bytes : 0;
}

/* Code no symbol covers, named by the function (FDE) around it: "liblzma.so.5+0x15ae0",
 * the ELF virtual address of its start, as objdump, addr2line and perf number it. One
 * name per function, so profiles group its instructions as they do named code. */
static int resolve_fde(struct symobj *so, uint64_t vaddr, struct sym_result *res)
{
	const struct fde_range *r = fde_range__find(so->fdes, so->n_fdes, vaddr);
	const char **name, *path, *base;
	char buf[PATH_MAX];
	int len;

	if (!r)
		return -ENOENT;
	name = &so->fde_names[r - so->fdes];
	if (!*name) {
		path = so->obj->path ? so->obj->path : "";
		base = strrchr(path, '/');
		len = snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, base ? base + 1 : path, r->start);
		if (len < 0 || (size_t)len >= sizeof(buf))
			return -ENOENT;
		*name = arena__strdup(&so->arena, buf, (size_t)len);
		if (!*name)
			return -ENOENT;
	}
	res->n = 1;
	res->frames[0].name = res->frames[0].system_name = *name;
	res->sym_start = r->start;
	return 0;
}

int symobj__resolve(struct symobj *so, uint64_t vaddr, struct sym_result *res)
{
	struct sym *sym = symtab__find(&so->tab, vaddr);

	if (so->dw_dropped)
		symobj__reopen_dwarf(so);
	if (so->dw && resolve_dwarf(so, sym, vaddr, res))
		return 0;
	if (so->go && resolve_go(so, sym, vaddr, res))
		return 0;
	if (!sym)
		return resolve_fde(so, vaddr, res);
	res->n = 1;
	res->frames[0].name = symobj__name(so, sym);
	res->frames[0].system_name = sym->system_name;
	res->sym_start = sym->start;
	return 0;
}

void symobj__info(const struct symobj *so, struct sym_object_info *info)
{
	info->has_functions = (so->has_table && so->tab.n > 0) || so->dw_functions || so->go;
	info->has_filenames = info->has_line_numbers = so->dw_lines || so->go;
	info->has_inline_frames = so->dw_functions || gopclntab__has_inlines(so->go);
	info->debug_file = so->debug_file;
}

struct Dwarf *symobj__dwarf(struct symobj *so)
{
	if (so->dw_dropped)
		symobj__reopen_dwarf(so);
	so->dw_pinned = so->dw != NULL;
	return dwarf_index__dwarf(so->dw);
}
