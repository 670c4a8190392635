// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JSON output staged in a small buffer, then gzipped. Numbers are formatted by hand: a large
 * flame graph has millions of them and snprintf would be most of the cost. */
#include <string.h>

#include "gzbuf.h"
#include "jsonw.h"

#define JSON_EXACT_MAX (1LL << 53)

void jsonw__init(struct jsonw *w, struct gzbuf *out)
{
	w->gz = out;
	w->err = 0;
	w->n = 0;
	w->used = 0;
}

static void drain(struct jsonw *w)
{
	if (!w->err && w->used)
		w->err = gzbuf__append(w->gz, w->buf, w->used);
	w->n += w->used;
	w->used = 0;
}

static void put(struct jsonw *w, const char *s, size_t len)
{
	size_t chunk;

	while (len) {
		if (w->used == sizeof(w->buf))
			drain(w);
		chunk = sizeof(w->buf) - w->used;
		if (chunk > len)
			chunk = len;
		memcpy(w->buf + w->used, s, chunk);
		w->used += chunk;
		s += chunk;
		len -= chunk;
	}
}

void jsonw__raw(struct jsonw *w, const char *s)
{
	put(w, s, strlen(s));
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), or 0 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

void jsonw__str(struct jsonw *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)s), i = 0, run, len;
	char esc[6] = { '\\', 'u', '0', '0' };

	put(w, "\"", 1);
	while (i < n) {
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' &&
			      s[run] != '\\'; run++)
			;
		put(w, (const char *)s + i, run - i);
		i = run;
		if (i == n)
			break;
		if (s[i] == '"' || s[i] == '\\') {
			esc[1] = (char)s[i];
			put(w, esc, 2);
			esc[1] = 'u';
			i++;
		} else if (s[i] < 0x20) {
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 15];
			put(w, esc, 6);
			i++;
		} else if ((len = utf8_len(s + i, n - i))) {
			put(w, (const char *)s + i, len);
			i += len;
		} else {
			put(w, "\\ufffd", 6);
			i++;
		}
	}
	put(w, "\"", 1);
}

static void put_u64(struct jsonw *w, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, d + i, sizeof(d) - i);
}

void jsonw__u32(struct jsonw *w, uint32_t v)
{
	put_u64(w, v);
}

void jsonw__i64(struct jsonw *w, int64_t v)
{
	if (v < 0) {
		put(w, "-", 1);
		put_u64(w, v < -JSON_EXACT_MAX ? (uint64_t)JSON_EXACT_MAX : (uint64_t)-v);
	} else {
		put_u64(w, v > JSON_EXACT_MAX ? (uint64_t)JSON_EXACT_MAX : (uint64_t)v);
	}
}

int jsonw__flush(struct jsonw *w)
{
	drain(w);
	return w->err;
}
