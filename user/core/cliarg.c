// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cliarg.h"
#include "util/vec.h"

int cliarg__uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cliarg__pids(const char *list, int **pids, size_t *n, size_t *cap, char *bad,
		 size_t bad_size)
{
	char *copy = strdup(list), *save = NULL, *tok;
	size_t before = *n;
	unsigned long pid;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	bad[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		if (cliarg__uint(tok, 1, INT_MAX, &pid)) {
			snprintf(bad, bad_size, "%s", tok);
			err = -EINVAL;
		} else {
			err = VEC_PUSH(*pids, *n, *cap, (int)pid);
		}
	}
	if (!err && *n == before)
		err = -EINVAL;
	free(copy);
	return err;
}
