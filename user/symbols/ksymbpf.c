// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Runs bpf/ksym.bpf.c in batches and parses what it wrote (ksymbpf.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/ksymbpf.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "ksym.skel.h"

/* An address asked before, and the answer (name NULL: none). */
struct kname {
	uint64_t addr;
	const char *name, *module;	/* in the arena */
	uint64_t start;
};

struct ksymbpf {
	struct ksym_bpf *skel;
	int prog_fd;
	struct hashmap names;	/* struct kname */
	struct arena strings;
};

struct ksymbpf *ksymbpf__open(void)
{
	struct ksymbpf *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return NULL;
	k->names = (struct hashmap)HASHMAP_INIT(struct kname);
	k->skel = ksym_bpf__open_and_load();
	if (!k->skel || !k->skel->bss) {
		err = errno ? errno : EINVAL;
		ksymbpf__free(k);
		errno = err;
		return NULL;
	}
	k->prog_fd = bpf_program__fd(k->skel->progs.cprof_ksym_resolve);
	return k;
}

void ksymbpf__free(struct ksymbpf *k)
{
	if (!k)
		return;
	ksym_bpf__destroy(k->skel);
	hashmap__free(&k->names);
	arena__free(&k->strings);
	free(k);
}

/* "0x" then 1-16 hex digits, ending at end: the value. */
static bool parse_hex(const char *s, const char *end, uint64_t *v)
{
	size_t digits = 0;

	if (end - s < 3 || s[0] != '0' || s[1] != 'x')
		return false;
	*v = 0;
	for (s += 2; s < end; s++, digits++) {
		char c = *s;
		int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
			(c | 0x20) - 'a' + 10 : -1;

		if (d < 0 || digits == 16)
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	return digits > 0;
}

/* A BPF program's symbol, "bpf_prog_<16 hex digits of its tag>[_name]": kallsyms lists it in
 * module "bpf", and "%pS" names no module. */
static bool is_bpf_prog(const char *name)
{
	static const char prefix[] = "bpf_prog_";
	size_t i, p = sizeof(prefix) - 1;

	if (strncmp(name, prefix, p))
		return false;
	for (i = p; i < p + 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return name[i] == '\0' || name[i] == '_';
}

void ksymbpf__parse(const char *text, long len, uint64_t addr, struct ksym_name *out)
{
	const char *end, *plus, *slash, *mod;
	uint64_t off, size;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (len <= 1 || len > CPROF_KSYM_NAME)
		return;
	end = text + strnlen(text, (size_t)len - 1);
	/* " [module]" last, if any. */
	mod = memchr(text, ' ', (size_t)(end - text));
	if (mod) {
		if (end - mod < 4 || mod[1] != '[' || end[-1] != ']' ||
		    (size_t)(end - mod - 3) >= sizeof(out->module) ||
		    memchr(mod + 2, ' ', (size_t)(end - mod - 3)))
			return;
		memcpy(out->module, mod + 2, (size_t)(end - mod - 3));
		end = mod;
	}
	slash = memrchr(text, '/', (size_t)(end - text));
	plus = slash ? memrchr(text, '+', (size_t)(slash - text)) : NULL;
	if (!plus || plus == text || !parse_hex(plus + 1, slash, &off) ||
	    !parse_hex(slash + 1, end, &size) || off > addr || (size && off >= size)) {
		out->module[0] = '\0';
		return;
	}
	n = (size_t)(plus - text);
	memcpy(out->name, text, n);
	out->name[n] = '\0';
	out->start = addr - off;
	out->found = true;
	if (!out->module[0] && is_bpf_prog(out->name))
		strcpy(out->module, "bpf");
}

int ksymbpf__lookup(struct ksymbpf *k, const uint64_t *addrs, size_t n, struct ksym_name *out)
{
	struct ksym_bpf__bss *bss = k->skel->bss;

	for (size_t at = 0; at < n; at += CPROF_KSYM_BATCH) {
		size_t m = n - at < CPROF_KSYM_BATCH ? n - at : CPROF_KSYM_BATCH;
		LIBBPF_OPTS(bpf_test_run_opts, opts);

		memcpy(bss->addrs, addrs + at, m * sizeof(*addrs));
		bss->n_addrs = (uint32_t)m;
		if (bpf_prog_test_run_opts(k->prog_fd, &opts))
			return -errno;
		for (size_t i = 0; i < m; i++)
			ksymbpf__parse(bss->names[i], bss->lens[i], addrs[at + i], &out[at + i]);
	}
	return 0;
}

static bool kname_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return ((const struct kname *)ent)->addr == *(const uint64_t *)key;
}

int ksymbpf__find(struct ksymbpf *k, uint64_t addr, size_t max, const char **name,
		  uint64_t *start, const char **module)
{
	uint64_t hash = hash__u64(addr);
	struct kname *e = hashmap__find(&k->names, hash, &addr, kname_eq, NULL);
	struct ksym_name got;
	bool added;
	int err;

	if (!e) {
		if (hashmap__count(&k->names) >= max)
			return -E2BIG;
		err = ksymbpf__lookup(k, &addr, 1, &got);
		if (err)
			return err;
		e = hashmap__insert(&k->names, hash, &addr, kname_eq, NULL, &added);
		if (!e)
			return -ENOMEM;
		e->addr = addr;
		if (got.found) {
			e->name = arena__strdup(&k->strings, got.name, strlen(got.name));
			e->module = arena__strdup(&k->strings, got.module, strlen(got.module));
			e->start = got.start;
			if (!e->name || !e->module) {
				hashmap__remove(&k->names, e);
				return -ENOMEM;
			}
		}
	}
	if (!e->name)
		return -ENOENT;
	*name = e->name;
	*start = e->start;
	*module = e->module;
	return 0;
}
