// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "util/log.h"

static bool verbose;

void log__set_verbose(bool v)
{
	verbose = v;
}

bool log__verbose(void)
{
	return verbose;
}

/* One write per line where possible, so lines of concurrent writers do not interleave. */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "cprof-bpf: %s", prefix);
	va_list cp;

	va_copy(cp, ap);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, cp);
	va_end(cp);
	if (n < (int)sizeof(buf) - 1) {
		buf[n] = '\n';
		fwrite(buf, 1, n + 1, stderr);
		return;
	}
	fprintf(stderr, "cprof-bpf: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, prefix, cond)                      \
	void name(const char *fmt, ...)                 \
	{                                               \
		va_list ap;                             \
		if (!(cond))                            \
			return;                         \
		va_start(ap, fmt);                      \
		vline(prefix, fmt, ap);                 \
		va_end(ap);                             \
	}

LOG_FN(log_error, "", true)
LOG_FN(log_warn, "warning: ", true)
LOG_FN(log_info, "", true)
LOG_FN(log_debug, "", verbose)

void log_vprint(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
}
