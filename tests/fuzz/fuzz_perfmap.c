/* perfmap__parse on arbitrary text, then lookups: a function found must cover the address
 * (start at or below it) and have a NUL-terminated name. The addresses looked up are the
 * starts of the first lines' numbers, so lookups hit entries as well as gaps.
 *
 * Then perfmap__load_at over a fake system root (a private directory, see load()): the input
 * up to its first NUL is process 100's /proc/100/status, the rest its map, at every place a
 * map is looked for. A map read must have the parser's entries; a gone process's map is read,
 * one that left nothing is not.
 *
 * Seeds: status_ok (NSpid 1, Uid 0: the map is read), status_nspid2 (the map is a symlink),
 * status_uid (euid 4242, the map root's: read). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "symbols/perfmap.h"
#include "fuzz_tmpdir.h"

/* The fake root: process 100 (status: the input's) maps /tmp/perf-NSPID.map in its own root
 * (proc/100/root/): NSPID 1 a regular file of root's, 2 a symlink to it, 3 a directory, 4 a
 * FIFO, 5 a file of user 4242's. Process 200 is gone and left tmp/perf-200.map; 300 is a
 * process without a status; 400 is gone and left nothing. Every map file holds the input's
 * map text. */
static const char *fake_root(void)
{
	static const char *const dirs[] = { "proc", "proc/100", "proc/100/root",
					    "proc/100/root/tmp", "proc/100/root/tmp/perf-3.map",
					    "proc/300", "tmp" };
	char path[PATH_MAX];
	const char *root;
	int fresh;
	size_t i;

	root = fuzz_tmpdir(&fresh);
	if (!fresh)
		return root;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		if (mkdir(path, 0755))
			abort();
	}
	fuzz_tmpdir_write(root, "proc/100/root/tmp/perf-5.map", "", 0);
	snprintf(path, sizeof(path), "%s/proc/100/root/tmp/perf-5.map", root);
	if (chown(path, 4242, 4242))
		abort();
	snprintf(path, sizeof(path), "%s/proc/100/root/tmp/perf-2.map", root);
	if (symlink("perf-1.map", path))
		abort();
	snprintf(path, sizeof(path), "%s/proc/100/root/tmp/perf-4.map", root);
	if (mkfifo(path, 0644))
		abort();
	return root;
}

/* A map loaded must hold the parser's n entries; want: 1 it must load, -1 it must not
 * (ENOENT), 0 either. */
static void check_load(const char *root, int pid, size_t n, int want)
{
	struct perfmap *pm = perfmap__load_at(root, pid);

	if ((pm && (perfmap__count(pm) != n || want < 0)) ||
	    (!pm && want > 0 && errno != ENOMEM) || (!pm && want < 0 && errno != ENOENT))
		abort();
	perfmap__free(pm);
}

/* text (size bytes, NUL-terminated past them), whose whole parsed to n entries. */
static void load(const char *text, size_t size, size_t n)
{
	const char *root = fake_root(), *nul = memchr(text, '\0', size);
	size_t status = nul ? (size_t)(nul - text) : 0, map = nul ? size - status - 1 : size;
	const char *m = text + size - map;

	if (nul) {
		struct perfmap *pm = perfmap__parse(m, map);

		if (!pm)
			return;
		n = perfmap__count(pm);
		perfmap__free(pm);
	}
	fuzz_tmpdir_write(root, "proc/100/status", text, status);
	fuzz_tmpdir_write(root, "proc/100/root/tmp/perf-1.map", m, map);
	fuzz_tmpdir_write(root, "proc/100/root/tmp/perf-5.map", m, map);
	fuzz_tmpdir_write(root, "tmp/perf-200.map", m, map);
	check_load(root, 100, n, 0);
	check_load(root, 200, n, 1);
	check_load(root, 300, n, -1);
	check_load(root, 400, n, -1);
}

static void lookup(const struct perfmap *pm, uint64_t addr)
{
	const char *name;
	uint64_t start;

	if (perfmap__find(pm, addr, &name, &start) == 0 &&
	    (start > addr || strlen(name) > PERFMAP_MAX_NAME))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1); /* NUL-terminated for strtoull, not for the parser */
	struct perfmap *pm;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pm = perfmap__parse(text, size);
	for (i = 0; pm && i < size && i < 4096; i++) {
		uint64_t a;

		if (i && text[i - 1] != '\n')
			continue;
		a = strtoull(text + i, NULL, 16);
		lookup(pm, a);
		lookup(pm, a + 1);
		lookup(pm, a - 1);
	}
	if (pm) {
		lookup(pm, 0);
		lookup(pm, UINT64_MAX);
		load(text, size, perfmap__count(pm));
	}
	perfmap__free(pm);
	free(text);
	return 0;
}
