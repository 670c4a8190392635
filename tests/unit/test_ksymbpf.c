// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel addresses named by the kernel (symbols/ksymbpf.c): the parser of "%pS" output on
 * well-formed, cut and hostile text, and the live resolver against our own reading of
 * /proc/kallsyms for a spread of functions of vmlinux and of modules. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "symbols/kallsyms.h"
#include "symbols/ksymbpf.h"

static void expect_parse(const char *text, uint64_t addr, bool found, const char *name,
			 uint64_t start, const char *module)
{
	struct ksym_name k;

	ksymbpf__parse(text, (long)strlen(text) + 1, addr, &k);
	CHECK(k.found == found, "\"%s\": found %d", text, k.found);
	if (found && k.found)
		CHECK(!strcmp(k.name, name) && k.start == start && !strcmp(k.module, module),
		      "\"%s\": %s at %" PRIx64 " [%s]", text, k.name, k.start, k.module);
	if (!k.found)
		CHECK(!k.name[0] && !k.module[0], "\"%s\": nothing kept", text);
}

TEST(parse)
{
	char big[CPROF_KSYM_NAME + 8];
	struct ksym_name k;

	expect_parse("schedule+0x0/0x90", 0xffffffff81000000ull, true, "schedule",
		     0xffffffff81000000ull, "");
	expect_parse("do_nanosleep+0x6b/0x170", 0xffffffff8100006bull, true, "do_nanosleep",
		     0xffffffff81000000ull, "");
	expect_parse("ext4_read+0x1A/0x40 [ext4]", 0xffffffffc000101aull, true, "ext4_read",
		     0xffffffffc0001000ull, "ext4");
	expect_parse("foo.isra.0+0x4/0x10", 0x1004, true, "foo.isra.0", 0x1000, "");
	expect_parse("a+b+0x4/0x10", 0x1004, true, "a+b", 0x1000, "");
	expect_parse("bpf_prog_78436b46e9b4b5c5_resolve+0x4/0x10", 0x1004, true,
		     "bpf_prog_78436b46e9b4b5c5_resolve", 0x1000, "bpf");
	expect_parse("bpf_prog_load+0x4/0x10", 0x1004, true, "bpf_prog_load", 0x1000, "");
	expect_parse("0xffffffff81000000", 0xffffffff81000000ull, false, NULL, 0, NULL);
	expect_parse("", 0x1000, false, NULL, 0, NULL);
	expect_parse("+0x4/0x10", 0x1004, false, NULL, 0, NULL);		/* no name */
	expect_parse("f+0x20/0x10", 0x1020, false, NULL, 0, NULL);		/* offset past size */
	expect_parse("f+0x2000/0x10000", 0x1000, false, NULL, 0, NULL);	/* offset past address */
	expect_parse("f+0x/0x10", 0x1000, false, NULL, 0, NULL);
	expect_parse("f+0x4/0x10 [mod", 0x1004, false, NULL, 0, NULL);
	expect_parse("f+0x4/0x10 [m d]", 0x1004, false, NULL, 0, NULL);
	expect_parse("f+0x4/0x10 []", 0x1004, false, NULL, 0, NULL);
	expect_parse("f+0x4/0x10000000000000000", 0x1004, false, NULL, 0, NULL);	/* 17 digits */
	expect_parse("f+0x4/0x1g", 0x1004, false, NULL, 0, NULL);
	/* The kernel's length counts the NUL; one past the buffer means the name was cut. */
	ksymbpf__parse("schedule+0x0/0x90", CPROF_KSYM_NAME + 1, 0x1000, &k);
	CHECK(!k.found, "a cut name is not trusted");
	ksymbpf__parse("schedule+0x0/0x90", 0, 0x1000, &k);
	CHECK(!k.found, "length 0");
	/* Unterminated text: bounded by len. */
	memset(big, 'a', sizeof(big));
	ksymbpf__parse(big, CPROF_KSYM_NAME, 0x1000, &k);
	CHECK(!k.found, "no terminator");
}

struct pick {
	uint64_t addr;
	char name[128];
	char module[64];
};

/* Every step-th text symbol of /proc/kallsyms (and every module's first), up to max. */
static size_t pick_symbols(struct pick *p, size_t max, size_t step)
{
	char line[512], type, name[128], module[64], last_mod[64] = "";
	unsigned long long a;
	size_t n = 0, i = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		int got = sscanf(line, "%llx %c %127s [%63[^]]]", &a, &type, name, module);

		if (got < 3 || !a || (type != 'T' && type != 't'))
			continue;
		if (got < 4)
			module[0] = '\0';
		if ((i++ % step) && (!module[0] || !strcmp(module, last_mod)))
			continue;
		snprintf(last_mod, sizeof(last_mod), "%s", module);
		p[n].addr = a;
		snprintf(p[n].name, sizeof(p[n].name), "%s", name);
		snprintf(p[n].module, sizeof(p[n].module), "%s", module);
		n++;
	}
	fclose(f);
	return n;
}

#define PICKS 2048

TEST(live)
{
	static struct pick p[PICKS];
	static struct ksym_name out[PICKS];
	static uint64_t addrs[PICKS];
	struct timespec t0, t1;
	size_t n, same = 0, same_start = 0, mods = 0, unnamed = 0;
	struct kallsyms *ks;
	struct ksymbpf *k;
	double us;
	int err;

	k = ksymbpf__open();
	if (!k)
		SKIP("the kernel refused the resolver: %s", strerror(errno));
	ks = kallsyms__load(NULL);
	if (!ks) {
		ksymbpf__free(k);
		SKIP("/proc/kallsyms: %s", strerror(errno));
	}
	n = pick_symbols(p, PICKS, 97);
	REQUIRE(n > 500, "%zu symbols picked", n);
	for (size_t i = 0; i < n; i++)
		addrs[i] = p[i].addr + 1;	/* inside the function, as a return address is */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	err = ksymbpf__lookup(k, addrs, n, out);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	REQUIRE(!err, "lookup: %s", strerror(-err));
	us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL, *mod = NULL;
		uint64_t start = 0;

		if (kallsyms__find(ks, addrs[i], &name, &start, &mod))
			continue;
		/* Code outside the kernel's own tables that kallsyms lists apart (ftrace's
		 * trampolines): "%pS" has no name for it, and the symbolizer asks kallsyms. */
		if (!out[i].found && mod[0] && strcmp(mod, "bpf")) {
			unnamed++;
			continue;
		}
		if (!out[i].found || out[i].start != start || strcmp(out[i].module, mod)) {
			CHECK(0, "%" PRIx64 ": kernel says %s at %" PRIx64 " [%s], kallsyms %s at %"
			      PRIx64 " [%s]", addrs[i], out[i].found ? out[i].name : "-", out[i].start,
			      out[i].module, name, start, mod);
			continue;
		}
		same_start++;
		same += !strcmp(out[i].name, name);	/* aliases may be named either way */
		mods += mod[0] != '\0';
	}
	printf("    %zu addresses in %.0f us of CPU (%.2f us each); %zu named as kallsyms has "
	       "them, %zu of them in modules or BPF; %zu left to kallsyms\n", n, us,
	       us / (double)n, same, mods, unnamed);
	CHECK(same_start + unnamed == n, "%zu of %zu at the same start and module", same_start, n);
	CHECK(same * 100 >= n * 99, "%zu of %zu with the same name", same, n);
	CHECK(unnamed * 100 <= n, "%zu of %zu not named", unnamed, n);
	kallsyms__free(ks);
	ksymbpf__free(k);
}

int main(void)
{
	CHECK_SUITE("ksymbpf");
	RUN(parse);
	RUN(live);
	return CHECK_EXIT();
}
