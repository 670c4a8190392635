// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Go's block-profile sampling as the BPF program runs it (bpf/block_sample.h): long waits
 * kept as they are, short ones kept with probability delay/rate and weighted so that the
 * totals of counts and delays are unbiased. */
#include <math.h>
#include <stdint.h>

#include "block_sample.h"
#include "check.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* splitmix64: independent of the xorshift the BPF side draws with. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

TEST(long_waits_kept_as_they_are)
{
	__u64 count, value;

	CHECK(block_sample(1000000, 1000000, 0, &count, &value) && count == 1 && value == 1000000,
	      "a wait of exactly the rate: count %llu value %llu", (unsigned long long)count,
	      (unsigned long long)value);
	CHECK(block_sample(6000000000ULL, 1000000, UINT64_MAX, &count, &value) && count == 1 &&
		      value == 6000000000ULL,
	      "a 6 s wait: count %llu value %llu", (unsigned long long)count,
	      (unsigned long long)value);
	CHECK(block_sample(5, 1, UINT64_MAX, &count, &value) && value == 5, "rate 1 keeps all");
	CHECK(block_sample(5, 0, UINT64_MAX, &count, &value) && value == 5, "rate 0 acts as 1");
}

TEST(short_waits_drawn)
{
	__u64 count, value;

	CHECK(!block_sample(0, 1000000, 0, &count, &value), "a zero wait is never kept");
	CHECK(block_sample(1, 1000000, 0, &count, &value) && count == 1000000 && value == 1000000,
	      "u = 0 keeps any wait, for rate/delay waits: count %llu value %llu",
	      (unsigned long long)count, (unsigned long long)value);
	CHECK(!block_sample(999999, 1000000, UINT64_MAX, &count, &value),
	      "u close to 1 drops a wait just under the rate");
	/* u = 1/2: kept iff delay/rate > 1/2. */
	CHECK(block_sample(500001, 1000000, 1ULL << 63, &count, &value), "just over half kept");
	CHECK(!block_sample(500000, 1000000, 1ULL << 63, &count, &value), "half exactly dropped");
	/* The same across 2^32 ns (the modulo path). */
	CHECK(!block_sample(5000000000ULL, 10000000000ULL, 5000000000ULL, &count, &value),
	      "rate 10 s, u = 1/2 of it: a 5 s wait dropped");
	CHECK(block_sample(5000000000ULL, 10000000000ULL, 4999999999ULL, &count, &value) &&
		      count == 2 && value == 10000000000ULL,
	      "rate 10 s: a 5 s wait kept stands for 2 waits of 10 s");
}

/* Over n waits of delay ns each, the kept records' totals estimate n and n × delay: within
 * 5 standard deviations of the Bernoulli sums (and the counts within their rounding). */
static void check_unbiased(__u64 delay, __u64 rate, long n)
{
	double p = (double)delay / (double)rate, sum_value = 0, sum_count = 0;
	double sd = (double)rate * sqrt((double)n * p * (1 - p)), want = (double)n * delay;
	long kept = 0;

	for (long i = 0; i < n; i++) {
		__u64 count, value;

		if (block_sample(delay, rate, rng(), &count, &value)) {
			kept++;
			sum_value += (double)value;
			sum_count += (double)count;
		}
	}
	CHECK(fabs(sum_value - want) <= 5 * sd,
	      "delay %llu rate %llu: kept %ld of %ld, delay total %.4g, want %.4g ± %.3g",
	      (unsigned long long)delay, (unsigned long long)rate, kept, n, sum_value, want, 5 * sd);
	/* rate/delay is rounded down per record: counts are low by at most one part in rate/delay. */
	CHECK(sum_count <= (double)n * (1 + 0.01) + 5 * sd / delay &&
		      sum_count >= (double)n * (1 - (double)delay / rate) - 5 * sd / delay - 1,
	      "delay %llu rate %llu: count total %.4g, want about %ld", (unsigned long long)delay,
	      (unsigned long long)rate, sum_count, n);
}

TEST(totals_unbiased)
{
	check_unbiased(1000, 1000000, 2000000);
	check_unbiased(37000, 1000000, 1000000);
	check_unbiased(250000, 1000000, 1000000);
	check_unbiased(999999, 1000000, 1000000);
	check_unbiased(3000, 100000, 1000000);
	check_unbiased(1000000000, 10000000000ULL, 1000000);
}

int main(void)
{
	CHECK_SUITE("block_sample");
	RUN(long_waits_kept_as_they_are);
	RUN(short_waits_drawn);
	RUN(totals_unbiased);
	return CHECK_EXIT();
}
