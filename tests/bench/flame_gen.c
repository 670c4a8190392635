/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flame_gen OUT.pb.gz [STACKS [skewed|random]]: writes a CPU profile with STACKS distinct
 * stacks (default 100000) down a skewed (default) or random call tree (gen__branch), for the
 * flame benchmark (tests/bench/flame_big.sh): what a long host-wide run of a large program
 * looks like to flame.html.
 *
 * Shape, all from a fixed seed (the same file every time): 4 processes of 4 threads; stacks of
 * 12 to 40 frames from a pool of 6000 functions in 8 modules, with long C++-like names; every
 * stack ends in its own path (its index written in base 32 along its last frames, so no two
 * are equal) and one stack in 8 ends in 2 to 4 kernel frames. Values follow a power law, so a
 * few stacks are hot and most are one sample: the page must prune what is too narrow to draw.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof.h"

#define N_FUNCS 6000
#define N_KFUNCS 200
#define N_MODULES 8
#define MAX_DEPTH 48
/* The last 160 functions only end stacks (the base-32 digits of a stack's number), so no
 * walk down the tree can spell another stack's tail. */
#define N_TREE_FUNCS (N_FUNCS - 32 * 5)

struct gen {
	struct pprof_builder *b;
	uint64_t rng;
	bool random;		/* callees chosen uniformly: see gen__branch */
	uint64_t user_loc[N_FUNCS];
	uint64_t kernel_loc[N_KFUNCS];
};

/* xorshift64*: a fixed sequence, so the benchmark reads the same profile every time. */
static uint64_t gen__next(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

/* One location per function, each at its own address of its module's mapping. */
static int gen__locations(struct gen *g)
{
	static const char *words[] = { "Parser", "Buffer", "Index", "Session", "Codec",
				       "Planner", "Cache", "Stream", "Table", "Worker" };
	uint64_t maps[N_MODULES], kmap;
	char name[160], file[64], mod[64];
	int i;

	for (i = 0; i < N_MODULES; i++) {
		snprintf(mod, sizeof(mod), "/usr/lib/libbench%d.so", i);
		maps[i] = pprof_builder__mapping(g->b, &(struct pprof_mapping){
			.memory_start = 0x7f0000000000ULL + ((uint64_t)i << 32),
			.memory_limit = 0x7f0000000000ULL + ((uint64_t)i << 32) + (1ULL << 30),
			.filename = mod, .has_functions = true });
		if (!maps[i])
			return -ENOMEM;
	}
	kmap = pprof_builder__mapping(g->b, &(struct pprof_mapping){
		.memory_start = 0xffffffff81000000ULL, .memory_limit = 0xffffffff83000000ULL,
		.filename = "[kernel.kallsyms]", .has_functions = true });
	if (!kmap)
		return -ENOMEM;
	for (i = 0; i < N_FUNCS; i++) {
		snprintf(name, sizeof(name), "bench::%s%s<std::vector<int>>::step_%04d",
			 words[i % 10], words[(i / 10) % 10], i);
		snprintf(file, sizeof(file), "src/module%d/part%d.cc", i % N_MODULES, i % 97);
		g->user_loc[i] = pprof_builder__location(g->b, maps[i % N_MODULES],
			0x7f0000000000ULL + ((uint64_t)(i % N_MODULES) << 32) + 0x1000 + 64 * i,
			&(struct pprof_line){ .name = name, .filename = file, .line = 10 + i % 500 }, 1);
		if (!g->user_loc[i])
			return -errno;
	}
	for (i = 0; i < N_KFUNCS; i++) {
		snprintf(name, sizeof(name), "kernel_path_%03d", i);
		g->kernel_loc[i] = pprof_builder__location(g->b, kmap, 0xffffffff81000000ULL + 256 * i,
			&(struct pprof_line){ .name = name }, 1);
		if (!g->kernel_loc[i])
			return -errno;
	}
	return 0;
}

/* The callee taken at depth k of the walk. Skewed (the default), as call trees are: below the
 * first levels a function calls its usual callee 15 times in 16, so stacks share long prefixes
 * and differ near their leaves. Random: 1 of 12 callees at every level, so stacks part early:
 * the most trie nodes per stack, the worst case for the page's size. */
static uint64_t gen__branch(struct gen *g, size_t k)
{
	uint64_t r = gen__next(g);

	if (g->random)
		return r % 12;
	if (k < 3)
		return r % 4;
	return r % 16 ? 0 : 1 + (r >> 8) % 11;
}

/* Stack number i, leaf first, into locs; returns its depth. Its frames from the root are a
 * walk down a tree that the seed fixes (shared prefixes, as real call trees have), then i in
 * base 32 (distinct tails), then maybe kernel frames. */
static size_t gen__stack(struct gen *g, long i, uint64_t *locs)
{
	uint64_t root_first[MAX_DEPTH];
	size_t n = 0, depth = 12 + gen__next(g) % 24, k;
	uint64_t node = 1 + gen__next(g) % 7;
	long rest = i;

	for (k = 0; k < depth - 4; k++) {
		root_first[n++] = g->user_loc[node % N_TREE_FUNCS];
		node = node * 31 + 1 + gen__branch(g, k);
	}
	for (k = 0; k < 4; k++, rest /= 32)
		root_first[n++] = g->user_loc[N_TREE_FUNCS + 32 * k + rest % 32];
	if (rest)
		root_first[n++] = g->user_loc[N_TREE_FUNCS + 32 * 4 + rest % 32];
	if (gen__next(g) % 8 == 0)
		for (k = 2 + gen__next(g) % 3; k > 0 && n < MAX_DEPTH; k--)
			root_first[n++] = g->kernel_loc[gen__next(g) % N_KFUNCS];
	for (k = 0; k < n; k++)
		locs[k] = root_first[n - 1 - k];
	return n;
}

static int gen__samples(struct gen *g, long n_stacks)
{
	static const char *comms[] = { "bench-server", "bench-worker", "bench-indexer",
				       "bench-cron" };
	uint64_t locs[MAX_DEPTH];
	char thread[32];
	long i;
	int err;

	for (i = 0; i < n_stacks; i++) {
		size_t depth = gen__stack(g, i, locs);
		/* A power law: one stack in 2^k has about 2^k samples. */
		int64_t n = 1 + (int64_t)((gen__next(g) % 1000) == 0 ? gen__next(g) % 2000 :
					  (1ULL << __builtin_ctzll(gen__next(g) | 1ULL << 10)) - 1);
		int64_t values[2] = { n, n * 10101010 };
		int p = (int)(i % 4);
		struct pprof_label labels[3] = {
			{ .key = "pid", .num = 4000 + p },
			{ .key = "comm", .str = comms[p] },
			{ .key = "thread", .str = thread },
		};

		snprintf(thread, sizeof(thread), "%s-%d", comms[p], (int)(i / 4 % 4));
		err = pprof_builder__add_sample(g->b, locs, depth, values, labels, 3);
		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct pprof_value_type types[] = { { "samples", "count" },
							 { "cpu", "nanoseconds" } };
	struct gen g = { .rng = 0x9e3779b97f4a7c15ULL };
	long n_stacks = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
	int err;

	g.random = argc > 3 && !strcmp(argv[3], "random");
	if (argc < 2 || argc > 4 || n_stacks < 1 || n_stacks > 10000000 ||
	    (argc > 3 && !g.random && strcmp(argv[3], "skewed"))) {
		fprintf(stderr, "usage: flame_gen OUT.pb.gz [STACKS (1..10000000) [skewed|random]]\n");
		return 2;
	}
	g.b = pprof_builder__new(&(struct pprof_opts){
		.sample_types = types, .n_sample_types = 2,
		.period_type = { "cpu", "nanoseconds" }, .period = 10101010,
		.duration_nanos = 60000000000LL, .default_sample_type = "cpu" });
	if (!g.b) {
		perror("flame_gen");
		return 1;
	}
	err = gen__locations(&g);
	if (!err)
		err = gen__samples(&g, n_stacks);
	if (!err)
		err = pprof_builder__write(g.b, argv[1]);
	if (err)
		fprintf(stderr, "flame_gen: %s: %s\n", argv[1], strerror(-err));
	pprof_builder__free(g.b);
	return err ? 1 : 0;
}
