// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "core/loadlog.h"
#include "util/log.h"

/* The verifier's log of a failed program can run to megabytes; its verdict is at the end,
 * libbpf's reason (a relocation, a missing helper) in its own lines. Keep the tail. */
#define LOG_KEEP (64 << 10)

/* Per thread: the kinds load in threads of their own, and libbpf prints from the thread
 * that called it. */
static __thread char kept[LOG_KEEP + 1];
static __thread size_t kept_len;
static __thread bool capturing;	/* inside loadlog__begin() ... loadlog__end() */
static bool verbose;

/* Appends the last LOG_KEEP bytes of s[0..n) to what is kept, dropping the oldest. */
static void keep(const char *s, size_t n)
{
	if (n > LOG_KEEP) {
		s += n - LOG_KEEP;
		n = LOG_KEEP;
	}
	if (kept_len + n > LOG_KEEP) {
		size_t drop = kept_len + n - LOG_KEEP;

		memmove(kept, kept + drop, kept_len - drop);
		kept_len -= drop;
	}
	memcpy(kept + kept_len, s, n);
	kept_len += n;
	kept[kept_len] = 0;
}

/* libbpf prints a failed program's whole verifier log as one message, its verdict at the
 * end: formatted whole (on the heap when it is long), then its tail kept. */
static void capture(const char *fmt, va_list ap)
{
	char line[4096], *text = line;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(line, sizeof(line), fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof(line)) {
		va_copy(copy, ap);
		if (vasprintf(&text, fmt, copy) < 0)
			text = NULL;
		va_end(copy);
	}
	if (n > 0 && text)
		keep(text, text == line ? (size_t)n : strlen(text));
	if (text != line)
		free(text);
}

/* libbpf-tools' rule outside capture windows: only debug messages wait for -v. */
static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (capturing)
		capture(fmt, ap);
	if (capturing ? verbose : level != LIBBPF_DEBUG || verbose)
		log_vprint("", fmt, ap);
	return 0;
}

void loadlog__install(bool v)
{
	verbose = v;
	libbpf_set_print(print);
}

void loadlog__begin(void)
{
	kept_len = 0;
	kept[0] = 0;
	capturing = true;
}

void loadlog__end(void)
{
	capturing = false;
}

bool loadlog__reason(char *buf, size_t size)
{
	return loadlog__classify(kept, buf, size);
}

/* The text after the last occurrence of key in log, up to the end of its line. */
static bool last_line(const char *log, const char *key, char *out, size_t size)
{
	const char *p = NULL, *q = log, *end;
	size_t n;

	while ((q = strstr(q, key))) {
		p = q;
		q += strlen(key);
	}
	if (!p)
		return false;
	p += strlen(key);
	end = strchr(p, '\n');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

/* The reasons, most specific first: each names what the kernel lacks or refused. */
bool loadlog__classify(const char *log, char *buf, size_t size)
{
	char a[160], b[160];
	unsigned int n;

	if (!size)
		return false;
	if (last_line(log, "combined stack size of ", a, sizeof(a)) &&
	    sscanf(a, "%*u calls is %u", &n) == 1) {
		snprintf(buf, size, "the verifier counts a stack of %u bytes, over its 512-byte "
			 "limit", n);
		return true;
	}
	if (last_line(log, "failed to resolve CO-RE relocation ", a, sizeof(a)) ||
	    (last_line(log, "failed to patch insn", b, sizeof(b)) &&
	     last_line(log, "): failed to resolve CO-RE", a, sizeof(a)))) {
		snprintf(buf, size, "the kernel's BTF lacks what a CO-RE relocation needs (%s)", a);
		return true;
	}
	if (last_line(log, "failed to patch insn", a, sizeof(a))) {
		/* The relocation's spec came on an earlier line: "[22] struct pt_regs.cs (...". */
		bool is_struct = last_line(log, "] struct ", b, sizeof(b));

		if (is_struct || last_line(log, "] union ", b, sizeof(b))) {
			char *q = strstr(b, " (");

			if (q)
				*q = 0;
			snprintf(buf, size, "a CO-RE relocation does not fit this kernel's BTF: %s %s",
				 is_struct ? "struct" : "union", b);
		} else {
			snprintf(buf, size, "a CO-RE relocation does not fit this kernel's BTF");
		}
		return true;
	}
	if (last_line(log, "unknown func ", a, sizeof(a)) ||
	    last_line(log, "invalid func ", a, sizeof(a))) {
		snprintf(buf, size, "the kernel lacks the BPF helper %s", a);
		return true;
	}
	if (last_line(log, "failed to find kernel BTF type ID of '", a, sizeof(a))) {
		char *q = strchr(a, '\'');

		if (q)
			*q = 0;
		snprintf(buf, size, "the kernel has no %s to attach to", a);
		return true;
	}
	if (last_line(log, "extern (func ksym) '", a, sizeof(a))) {
		char *q = strchr(a, '\'');

		if (q)
			*q = 0;
		snprintf(buf, size, "the kernel lacks the kfunc %s", a);
		return true;
	}
	if (last_line(log, "\nR", a, sizeof(a)) && strstr(a, "expected=")) {
		snprintf(buf, size, "the verifier refused an argument: R%s", a);
		return true;
	}
	if (last_line(log, "BPF program is too large", a, sizeof(a)) ||
	    strstr(log, "processed 1000001 insns")) {
		snprintf(buf, size, "the verifier's 1M-instruction budget ran out");
		return true;
	}
	return false;
}
