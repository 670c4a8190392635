// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proc/mapsfile.h"
#include "util/readfile.h"

#define MAPS_MAX_BYTES (256u << 20)	/* ~2.5M mappings: far beyond vm.max_map_count */

int mapsfile__read(int pid, char **text, size_t *len)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = readfile__all(path, 64 << 10, MAPS_MAX_BYTES, text, len);
	return err == -ENOENT ? -ESRCH : err;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 1 to max_digits hex digits; more digits is a malformed field, not a wrap-around. */
static bool parse_hex(const char **p, const char *end, unsigned max_digits, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	for (; s < end && (d = hex_digit(*s)) >= 0; s++) {
		if ((size_t)(s - *p) == max_digits)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

static bool parse_perms(const char **p, const char *end, uint32_t *prot)
{
	const char *s = *p;

	if (end - s < 4)
		return false;
	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-') || (s[3] != 'p' && s[3] != 's'))
		return false;
	*prot = (s[0] == 'r' ? PM_R : 0) | (s[1] == 'w' ? PM_W : 0) | (s[2] == 'x' ? PM_X : 0);
	*p = s + 4;
	return true;
}

bool mapsfile__parse_line(const char *s, const char *end, struct maps_line *l)
{
	uint64_t major, minor;

	if (!parse_hex(&s, end, 16, &l->start) || !expect(&s, end, '-') ||
	    !parse_hex(&s, end, 16, &l->end) || !expect(&s, end, ' ') ||
	    !parse_perms(&s, end, &l->prot) || !expect(&s, end, ' ') ||
	    !parse_hex(&s, end, 16, &l->offset) || !expect(&s, end, ' ') ||
	    !parse_hex(&s, end, 8, &major) || !expect(&s, end, ':') ||
	    !parse_hex(&s, end, 8, &minor) || !expect(&s, end, ' ') ||
	    !parse_dec(&s, end, &l->inode))
		return false;
	if (l->start >= l->end)
		return false;
	if (s < end && *s != ' ')
		return false;
	while (s < end && *s == ' ')
		s++;
	if (memchr(s, '\0', (size_t)(end - s)))
		return false; /* not from the kernel, and it would cut the path short */
	l->dev = makedev((unsigned)major, (unsigned)minor);
	l->path = s;
	l->path_len = (size_t)(end - s);
	return true;
}

size_t mapsfile__undeleted_len(const char *path, size_t len)
{
	static const char sfx[] = " (deleted)";
	size_t k = sizeof(sfx) - 1;

	return len >= k && memcmp(path + len - k, sfx, k) == 0 ? len - k : len;
}

int mapsfile__own_vdso(uintptr_t *base, size_t *size)
{
	const char *p, *end, *nl;
	struct maps_line l;
	char *text = NULL;
	size_t len = 0;
	int err;

	*base = getauxval(AT_SYSINFO_EHDR);
	if (!*base)
		return -ENOENT;
	err = mapsfile__read(getpid(), &text, &len);
	if (err)
		return err;
	err = -ENOENT;
	for (p = text, end = text + len; p < end && err; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (mapsfile__parse_line(p, nl, &l) && l.start == *base && l.path_len == 6 &&
		    !memcmp(l.path, "[vdso]", 6)) {
			*size = l.end - l.start;
			err = 0;
		}
	}
	free(text);
	return err;
}
