/* See elfdeps.h. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>

#include "elf/elfdeps.h"
#include "util/util.h"

/* The file's PT_INTERP: a NUL-terminated absolute path filling the segment exactly. */
static void each_interp(Elf *e, int fd, elfdeps_fn fn, void *ctx)
{
	char path[PATH_MAX];
	size_t n;

	if (elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_INTERP || !ph.p_filesz ||
		    ph.p_filesz >= sizeof(path) || ph.p_offset > INT64_MAX ||
		    pread(fd, path, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			continue;
		path[ph.p_filesz] = 0;
		if (path[0] == '/' && strlen(path) == ph.p_filesz - 1)
			fn(path, ctx);
		return;
	}
}

/* lib found in runpath (when it is one absolute directory: no list, no $ORIGIN; a relative
 * one would be looked up from our own working directory, not the program's), else in the
 * system directories, into path. */
static bool find_lib(const char *runpath, const char *lib, char *path, size_t len)
{
	static const char *const dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					    "/lib64", "/usr/lib", "/usr/local/lib" };

	if (runpath && runpath[0] == '/' && !strchr(runpath, ':') && !strchr(runpath, '$') &&
	    snprintf(path, len, "%s/%s", runpath, lib) < (int)len && !access(path, R_OK))
		return true;
	for (size_t j = 0; j < ARRAY_SIZE(dirs); j++)
		if (snprintf(path, len, "%s/%s", dirs[j], lib) < (int)len && !access(path, R_OK))
			return true;
	return false;
}

/* One SHT_DYNAMIC section: its RUNPATH (or RPATH), then its DT_NEEDED names. */
static void each_needed(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, elfdeps_fn fn, void *ctx)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	const char *runpath = NULL;
	char path[PATH_MAX];
	GElf_Dyn dyn;

	for (size_t i = 0; d && i < n && gelf_getdyn(d, (int)i, &dyn); i++)
		if (dyn.d_tag == DT_RUNPATH || dyn.d_tag == DT_RPATH)
			runpath = elf_strptr(e, sh->sh_link, dyn.d_un.d_val);
	for (size_t i = 0; d && i < n && gelf_getdyn(d, (int)i, &dyn); i++) {
		const char *lib = dyn.d_tag == DT_NEEDED ?
				  elf_strptr(e, sh->sh_link, dyn.d_un.d_val) : NULL;

		if (lib && !strchr(lib, '/') && find_lib(runpath, lib, path, sizeof(path)))
			fn(path, ctx);
	}
}

int elfdeps__each(int fd, elfdeps_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;
	Elf *e;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return -EINVAL;
	}
	each_interp(e, fd, fn, ctx);
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC)
			each_needed(e, scn, &sh, fn, ctx);
	}
	elf_end(e);
	return 0;
}
