// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc/pidstat.h"

/* Fields after the command name, 1-based: state, ppid, ..., flags (7th), ..., startstack
 * (26th). */
#define FIELD_PPID 2
#define FIELD_FLAGS 7
#define FIELD_START_STACK 26

/* The unsigned decimal at *p (a '-' sign allowed and taken as 0: ppid of the idle
 * task is 0, never negative elsewhere); false when there is none. */
static bool field_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	bool neg = s < end && *s == '-';

	if (neg)
		s++;
	if (s == end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		/* rsslim is often UINT64_MAX itself: the bound is exact. */
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = neg ? 0 : v;
	return true;
}

int pidstat__parse(const char *text, size_t len, struct pidstat *ps)
{
	const char *end = text + len, *open = memchr(text, '(', len), *close = NULL, *p;
	uint64_t v;
	size_t n;
	int field = 1;

	/* The name may hold spaces and parentheses: it ends at the last ')'. */
	for (p = text; p < end; p++)
		if (*p == ')')
			close = p;
	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(ps->comm))
		n = sizeof(ps->comm) - 1;
	memcpy(ps->comm, open + 1, n);
	ps->comm[n] = 0;
	/* The state is one character; every field after it a number. */
	p = close + 1;
	if (end - p < 3 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	for (p += 3, field = 2; field <= FIELD_START_STACK; field++) {
		if (!field_u64(&p, end, &v))
			return -EINVAL;
		if (field == FIELD_PPID)
			ps->ppid = v > INT32_MAX ? 0 : (int)v;
		else if (field == FIELD_FLAGS)
			ps->flags = v;
		else if (field == FIELD_START_STACK)
			ps->start_stack = v;
		if (field < FIELD_START_STACK && (p == end || *p++ != ' '))
			return -EINVAL;
	}
	return 0;
}

int pidstat__read(int pid, struct pidstat *ps)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return pidstat__read_file(path, ps);
}

int pidstat__read_file(const char *path, struct pidstat *ps)
{
	char buf[1024];
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len <= 0)
		return -ESRCH;
	return pidstat__parse(buf, (size_t)len, ps);
}
