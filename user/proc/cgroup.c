// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/PID/cgroup has one line per hierarchy, "ID:CONTROLLERS:PATH"; cgroup v2's is
 * "0::PATH" (Documentation/admin-guide/cgroup-v2.rst). A hybrid host lists its v1
 * hierarchies too, whose paths are not what systemd and container runtimes name. */
#include <errno.h>
#include <string.h>

#include "proc/cgroup.h"

#define DELETED " (deleted)"
#define SCOPE ".scope"

/* Is s[0..n) well-formed UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF (the checks of Go's utf8.Valid, which pprof readers built on protobuf-go
 * apply to every string)? */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;	/* overlong */
			hi = c == 0xed ? 0x9f : 0xbf;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;	/* overlong */
			hi = c == 0xf4 ? 0x8f : 0xbf;	/* past U+10FFFF */
		} else {
			return false;
		}
		if (n - i - 1 < k || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t j = 2; j <= k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

/* Checks and copies the path of a "0::" line (s, n bytes, without its newline). */
static int take_path(const char *s, size_t n, char path[CGROUP_PATH_MAX + 1])
{
	size_t dl = sizeof(DELETED) - 1;

	/* The kernel appends this to a removed cgroup's path (proc_cgroup_show); the process
	 * was in the cgroup of that path. */
	if (n > dl && !memcmp(s + n - dl, DELETED, dl))
		n -= dl;
	if (!n || s[0] != '/')
		return -EINVAL;
	if (n > CGROUP_PATH_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -EINVAL;
	if (!utf8_valid((const unsigned char *)s, n))
		return -EINVAL;
	memcpy(path, s, n);
	path[n] = 0;
	return (int)n;
}

int cgroup__parse(const char *text, size_t len, char path[CGROUP_PATH_MAX + 1])
{
	const char *p = text, *end = text + len;
	int ret = -ENOENT;
	bool seen = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol - p >= 3 && !memcmp(p, "0::", 3)) {
			if (seen)
				return -EINVAL;
			seen = true;
			ret = take_path(p + 3, (size_t)(eol - p - 3), path);
		}
		p = nl ? nl + 1 : end;
	}
	return ret;
}

static bool hex64(const char *s)
{
	for (size_t i = 0; i < CGROUP_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The id in one path component c (n bytes), if it is one of the shapes runtimes make.
 * "crio-conmon-ID" and "libpod-conmon-ID" hold the id of the container their monitor
 * process watches from outside: not a container, and no match here. */
static bool component_id(const char *c, size_t n, char id[CGROUP_ID_LEN + 1])
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	size_t sl = sizeof(SCOPE) - 1;
	const char *found = NULL;

	if (n == CGROUP_ID_LEN) {
		found = c;
	} else {
		if (n > sl && !memcmp(c + n - sl, SCOPE, sl))
			n -= sl;
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !found; i++) {
			size_t pl = strlen(prefixes[i]);

			if (n == pl + CGROUP_ID_LEN && !memcmp(c, prefixes[i], pl))
				found = c + pl;
		}
	}
	if (!found || !hex64(found))
		return false;
	memcpy(id, found, CGROUP_ID_LEN);
	id[CGROUP_ID_LEN] = 0;
	return true;
}

bool cgroup__container_id(const char *path, char id[CGROUP_ID_LEN + 1])
{
	size_t end = strlen(path);

	for (;;) {
		size_t start = end;

		while (start && path[start - 1] != '/')
			start--;
		if (component_id(path + start, end - start, id))
			return true;
		if (!start)
			return false;
		end = start - 1;
	}
}
