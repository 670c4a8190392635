/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * demo [SECS]: the program `make demo` profiles. Two threads named "parser" and "compressor"
 * burn CPU for SECS seconds (default 5) in functions whose names say what they pretend to do:
 *
 *   parser:     parse_records → tokenize (75%), parse_number (25%)
 *   compressor: compress_block → find_match (60%), huffman_encode (40%)
 *
 * The main thread only waits, so the profile shows about half of its samples in each thread.
 */
#include <pthread.h>
#include <string.h>

#include "workload.h"

static double end_time;

__attribute__((noinline)) void tokenize(void)
{
	BURN(3 * WORK_UNIT);
}

__attribute__((noinline)) void parse_number(void)
{
	BURN(1 * WORK_UNIT);
}

__attribute__((noinline)) void parse_records(long *records)
{
	tokenize();
	parse_number();
	(*records)++;
}

__attribute__((noinline)) void find_match(void)
{
	BURN(3 * WORK_UNIT);
}

__attribute__((noinline)) void huffman_encode(void)
{
	BURN(2 * WORK_UNIT);
}

__attribute__((noinline)) void compress_block(long *blocks)
{
	find_match();
	huffman_encode();
	(*blocks)++;
}

static void *parser_main(void *arg)
{
	long *records = arg;

	while (workload_now() < end_time)
		parse_records(records);
	return NULL;
}

static void *compressor_main(void *arg)
{
	long *blocks = arg;

	while (workload_now() < end_time)
		compress_block(blocks);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t parser, compressor;
	long records = 0, blocks = 0;
	int err;

	end_time = workload_now() + workload_arg(argc, argv, 1, 5);
	err = pthread_create(&parser, NULL, parser_main, &records);
	if (!err)
		err = pthread_create(&compressor, NULL, compressor_main, &blocks);
	if (err) {
		fprintf(stderr, "demo: cannot start threads: %s\n", strerror(err));
		return 1;
	}
	pthread_setname_np(parser, "parser");
	pthread_setname_np(compressor, "compressor");
	pthread_join(parser, NULL);
	pthread_join(compressor, NULL);
	printf("demo: parsed %ld records, compressed %ld blocks\n", records, blocks);
	return 0;
}
