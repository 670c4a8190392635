/* procmaps__parse on arbitrary text, then lookups around every entry; procmaps__from_exec
 * on the same bytes taken as an exec record. Aborts when an invariant find() relies on
 * breaks: entries sorted, non-overlapping, start < end; or a record gives more mappings
 * than it holds.
 *
 * With objects, through an object cache that holds one file of ours (OBJ_NAME in a private
 * directory, fuzz_tmpdir.h): the parsed entries' objects opened as the harness's own
 * process maps them (procmaps__attach_objects: "[vdso]" gives our vDSO, other paths open
 * only if they are that inode, which a fuzzed line rarely names); the last bytes of the
 * input as a mapping added to the snapshot (procmaps__with_vma), naming the cache's file
 * when its is_exe is odd: the snapshot then has one entry more, the new one with that
 * object, or is refused; the exec record's mappings' objects (attach_exec_objects, our
 * root when the record's pad is odd). Objects only where an executable mapping names a
 * file or the vDSO. Also: the snapshot matches its own text (procmaps__same_text), keeps
 * its image, and outlives a reference taken and released.
 *
 * Seed with_vma: two lines and a mapping after them, [0x500000, 0x501000) at offset 0x1000,
 * is_exe 1 (recipe: the text "400000-401000 r-xp 00000000 08:01 42 /a\n600000-601000
 * rw-p 00000000 00:00 0 \n", then struct cprof_exec_vma { 0x500000, 0x501000, 0x1000, 7,
 * 0x801, 1 }, little-endian). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cprof.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "fuzz_elfw.h"
#include "fuzz_tmpdir.h"

#define OBJ_NAME "obj"

/* The file the object caches hold: a small ELF file; its path, dev and inode. */
static struct {
	char path[PATH_MAX];
	uint64_t dev, ino;
} fix;

static void fixture(void)
{
	static const unsigned char text[16] = { 0xc3 };
	struct elfw_sec sec = { ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x401000,
				text, sizeof(text) };
	unsigned char *img;
	const char *dir;
	struct stat st;
	size_t len;
	int fresh;

	dir = fuzz_tmpdir(&fresh);
	if (!fresh)
		return;
	img = elfw_build(&sec, 1, &len);
	if (!img)
		abort();
	fuzz_tmpdir_write(dir, OBJ_NAME, img, len);
	free(img);
	snprintf(fix.path, sizeof(fix.path), "%s/%s", dir, OBJ_NAME);
	if (stat(fix.path, &st))
		abort();
	fix.dev = st.st_dev;
	fix.ino = st.st_ino;
}

static void check_entries(const struct procmaps *pm, bool objects)
{
	const struct procmaps_entry *e, *prev = NULL;
	size_t i, n = procmaps__count(pm);

	for (i = 0; i < n; i++, prev = e) {
		e = procmaps__entry(pm, i);
		if (!e || e->start >= e->end || (prev && prev->end > e->start) ||
		    strlen(e->path) > 1 << 20)
			abort();
		if (e->obj && (!objects || !(e->prot & PM_X) ||
			       (e->path[0] != '/' && strcmp(e->path, "[vdso]"))))
			abort();
		if (procmaps__find(pm, e->start) != e || procmaps__find(pm, e->end - 1) != e)
			abort();
		if (e->start > 0 && procmaps__find(pm, e->start - 1) == e)
			abort();
		if (procmaps__find(pm, e->end) == e)
			abort();
	}
	if (procmaps__entry(pm, n))
		abort();
}

/* pm with the mapping at the end of data added (naming the cache's object, fix, when its
 * is_exe is odd). */
static void with_vma(const struct procmaps *pm, const uint8_t *data, size_t size,
		     struct objcache *oc, const struct object *fix_obj)
{
	const struct procmaps_entry *e;
	struct cprof_exec_vma v;
	struct procmaps *out;

	if (size < sizeof(v))
		return;
	memcpy(&v, data + size - sizeof(v), sizeof(v));
	if (v.is_exe & 1) {
		v.ino = fix.ino;
		v.dev = major(fix.dev) << 20 | (minor(fix.dev) & 0xfffff);
	}
	out = procmaps__with_vma(pm, &v, oc);
	if (!out)
		return;
	check_entries(out, true);
	e = procmaps__find(out, v.start);
	if (procmaps__count(out) != procmaps__count(pm) + 1 || !e || e->start != v.start ||
	    e->end != v.end || e->obj != fix_obj || procmaps__image(out) != procmaps__image(pm))
		abort();
	procmaps__free(out);
}

static int forget_any(void *ctx, struct object *obj)
{
	(void)ctx;
	(void)obj;
	return 0;
}

/* pm's objects, the mapping of with_vma, the exec record's objects; then pm is freed and
 * the objects no snapshot holds any more are released, before the cache goes. */
static void objects(struct procmaps *pm, const uint8_t *data, size_t size)
{
	struct objcache *oc = objcache__new();
	const struct object *fix_obj;
	struct cprof_exec_info xi;
	struct procmaps *x;

	if (!oc) {
		procmaps__free(pm);
		return;
	}
	fix_obj = objcache__get_host(oc, fix.path, fix.dev, fix.ino);
	if (!fix_obj)
		abort();
	procmaps__attach_objects(pm, getpid(), oc);
	check_entries(pm, true);
	with_vma(pm, data, size, oc, fix_obj);
	if (size >= sizeof(xi)) {
		memcpy(&xi, data, sizeof(xi));
		x = procmaps__from_exec(&xi, oc, xi.pad & 1);
		if (x)
			check_entries(x, true);
		procmaps__free(x);
	}
	procmaps__free(pm);
	objcache__sweep(oc, 0, 0, forget_any, NULL);
	objcache__free(oc);
}

/* What a snapshot says of itself: its text, its image, a reference. */
static void snapshot(struct procmaps *pm, const char *text, size_t size)
{
	if (!procmaps__same_text(pm, text, size) || procmaps__ref(pm) != pm)
		abort();
	procmaps__free(pm);	/* the reference: pm lives on */
	procmaps__set_image(pm, 0x7ffc00000000ull + size);
	if (procmaps__image(pm) != 0x7ffc00000000ull + size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches any read past the text. */
	char *text = malloc(size ? size : 1);
	struct cprof_exec_info xi;
	struct procmaps *pm;
	uint64_t addr = 0;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	fixture();
	pm = procmaps__parse(text, size);
	if (pm) {
		check_entries(pm, false);
		for (i = 0; i + 8 <= size && i < 64; i += 8) {
			memcpy(&addr, data + i, 8);
			procmaps__find(pm, addr);
		}
		snapshot(pm, text, size);
		objects(pm, data, size);	/* frees pm */
	}
	free(text);
	/* The same bytes as an exec record, whose path the target chose: one line per
	 * mapping whatever it holds. */
	if (size >= sizeof(xi)) {
		memcpy(&xi, data, sizeof(xi));
		pm = procmaps__from_exec(&xi, NULL, false);
		if (pm) {
			check_entries(pm, false);
			if (procmaps__count(pm) > CPROF_EXEC_MAPS)
				abort();
		}
		procmaps__free(pm);
	}
	return 0;
}
