// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * uw_deep [SECS]: burns one core for SECS seconds (default 5) at the bottom of a 60-deep
 * virtual recursion through two classes, in code without frame pointers.
 *
 * Ground truth: every sample whose leaf is leaf_hot has the user stack
 *   leaf_hot; 30 × (Odd::descend; Even::descend); run; main;
 *   __libc_start_call_main; __libc_start_main; _start
 * (run calls Even::descend at depth 60, which calls Odd::descend at 59, ..., Odd at 1 calls
 * leaf_hot).
 */
#include "uw.h"

UW_EXTERN UW_FN long leaf_hot(long units)
{
	UW_BURN(units * WORK_UNIT);
	return units;
}

struct Node {
	Node *next = nullptr;
	virtual ~Node() = default;
	virtual long descend(int depth, long units) = 0;
};

struct Even : Node {
	UW_FN long descend(int depth, long units) override;
};

struct Odd : Node {
	UW_FN long descend(int depth, long units) override;
};

long Even::descend(int depth, long units)
{
	long r = depth ? next->descend(depth - 1, units) : leaf_hot(units);

	UW_KEEP(r);
	return r;
}

long Odd::descend(int depth, long units)
{
	long r = depth > 1 ? next->descend(depth - 1, units) : leaf_hot(units);

	UW_KEEP(r);
	return r;
}

enum { DEPTH = 60 };

UW_EXTERN UW_FN long run(Node *top, long units)
{
	long r = top->descend(DEPTH, units);

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 5);
	Node *nodes[DEPTH];
	long total = 0;

	// nodes[i] runs at depth DEPTH - i: even depths are Even, odd ones Odd.
	for (int i = 0; i < DEPTH; i++)
		nodes[i] = (DEPTH - i) % 2 ? static_cast<Node *>(new Odd) : new Even;
	for (int i = 0; i + 1 < DEPTH; i++)
		nodes[i]->next = nodes[i + 1];
	while (workload_now() < end)
		total += run(nodes[0], 20);
	printf("uw_deep: %ld units\n", total);
	for (Node *n : nodes)
		delete n;
	return 0;
}
