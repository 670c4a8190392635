// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parsing what a client sends (query strings, bearer tokens) and what --http names. Every
 * input is bounded and checked byte by byte: a malformed request is refused with its reason,
 * never guessed at. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/httpq.h"
#include "util/util.h"

#define VALUE_MAX 64	/* longest decoded value of a known parameter */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A byte allowed unescaped in a query (RFC 3986 pchar, '/', '?'; '=' can only be in a
 * value, where Go's url.ParseQuery keeps it too). strchr would find the terminating NUL:
 * a NUL byte is tested for apart. */
static bool query_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$'()*,;:@/?=", c));
}

/* Percent-decodes in[0, len) into out[out_size] (NUL-terminated), '+' as a space. Returns
 * the decoded length, or -1 when malformed or too long. A NUL byte, raw or as %00, is
 * malformed: the C strings compared later would end there, and "seconds=5%00junk" would
 * read as seconds=5. */
static int decode(const char *in, size_t len, char *out, size_t out_size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int hi, lo;

		if (c == '%') {
			if (i + 2 >= len || (hi = hexval(in[i + 1])) < 0 ||
			    (lo = hexval(in[i + 2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (!c)
				return -1;
		} else if (c == '+') {
			c = ' ';
		} else if (!query_char(c)) {
			return -1;
		}
		if (n + 1 >= out_size)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return (int)n;
}

/* A decimal integer, optionally negative, that fits a long long. */
static int parse_int(const char *s, long long *out)
{
	char *end;

	if (!*s || strlen(s) > 20 || (*s != '-' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int set_param(struct httpq *q, const char *key, const char *val, int vlen, char *why,
		     size_t why_len)
{
	struct {
		const char *name;
		bool *has;
		long long *num;
	} ints[] = {
		{ "seconds", &q->has_seconds, &q->seconds },
		{ "debug", &q->has_debug, &q->debug },
		{ "gc", &q->has_gc, &q->gc },
	};
	long long v;

	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		if (strcmp(key, ints[i].name))
			continue;
		if (*ints[i].has)
			goto dup;
		if (parse_int(val, ints[i].num))
			goto bad;
		*ints[i].has = true;
		return 0;
	}
	if (!strcmp(key, "pid")) {
		if (q->has_pid)
			goto dup;
		if (parse_int(val, &v) || v <= 0 || v > 4194304)
			goto bad;
		q->pid = (uint32_t)v;
		q->has_pid = true;
		return 0;
	}
	if (!strcmp(key, "comm")) {
		if (q->has_comm)
			goto dup;
		if (vlen < 1 || vlen >= HTTPQ_COMM_LEN)
			goto bad;
		for (int i = 0; i < vlen; i++)
			if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f)
				goto bad;
		memcpy(q->comm, val, (size_t)vlen + 1);
		q->has_comm = true;
		return 0;
	}
	return 0;	/* unknown names are ignored, as Go does */
dup:
	snprintf(why, why_len, "parameter \"%s\" given more than once", key);
	return -EINVAL;
bad:
	snprintf(why, why_len, "invalid value for \"%s\"%s", key,
		 !strcmp(key, "pid") ? " - must be a process id" :
		 !strcmp(key, "comm") ? " - must be a process name of 1-15 bytes" :
		 " - must be an integer");
	return -EINVAL;
}

int httpq__parse(const char *query, size_t len, struct httpq *q, char *why, size_t why_len)
{
	size_t i = 0;

	memset(q, 0, sizeof(*q));
	if (len > HTTPQ_MAX_QUERY) {
		snprintf(why, why_len, "query string longer than %d bytes", HTTPQ_MAX_QUERY);
		return -EINVAL;
	}
	while (i < len) {
		const char *amp = memchr(query + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - query) : len;
		const char *eq = memchr(query + i, '=', end - i);
		size_t klen = eq ? (size_t)(eq - query) - i : end - i;
		char key[VALUE_MAX], val[VALUE_MAX];
		int vlen = 0;

		if (end == i) {	/* "a=1&&b=2": an empty pair is skipped, as Go's parser does */
			i++;
			continue;
		}
		if (klen == 0 || decode(query + i, klen, key, sizeof(key)) <= 0 ||
		    (eq && (vlen = decode(eq + 1, end - (size_t)(eq + 1 - query), val,
					  sizeof(val))) < 0)) {
			snprintf(why, why_len, "malformed query string");
			return -EINVAL;
		}
		if (!eq)
			val[0] = 0;
		if (set_param(q, key, val, vlen, why, why_len))
			return -EINVAL;
		i = end + 1;
	}
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	long long v;

	if (!*s || strlen(s) > 5 || *s == '-' || parse_int(s, &v) || v < 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static bool v6_loopback(const struct in6_addr *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return IN6_IS_ADDR_LOOPBACK(a) || (!memcmp(a->s6_addr, mapped, 12) && a->s6_addr[12] == 127);
}

int httpq__parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		      bool *loopback)
{
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(spec, ':'), *port_s = spec;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		size_t hlen = (size_t)(colon - spec);

		port_s = colon + 1;
		if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
			if (hlen == 2)
				return -EINVAL;	/* "[]:PORT" names no address */
			spec++;
			hlen -= 2;
		} else if (memchr(spec, ':', hlen)) {
			return -EINVAL;	/* a bare IPv6 address needs brackets */
		}
		if (hlen >= sizeof(host))
			return -EINVAL;
		if (hlen) {
			memcpy(host, spec, hlen);
			host[hlen] = 0;
		}
	}
	if (parse_port(port_s, &port))
		return -EINVAL;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		*loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		*loopback = v6_loopback(&in6->sin6_addr);
		return 0;
	}
	return -EINVAL;
}

int httpq__bearer(const char *value, const char **tok, size_t *tok_len)
{
	size_t n;

	if (strncasecmp(value, "Bearer ", 7))
		return -EINVAL;
	value += 7;
	while (*value == ' ')
		value++;
	n = strlen(value);
	while (n && value[n - 1] == ' ')
		n--;
	if (!n || n > HTTPQ_MAX_TOKEN)
		return -EINVAL;
	*tok = value;
	*tok_len = n;
	return 0;
}

bool httpq__token_equal(const char *given, size_t given_len, const char *token,
			size_t token_len)
{
	volatile unsigned char diff = given_len != token_len || given_len > HTTPQ_MAX_TOKEN;

	/* Every byte position up to the maximum is compared, whatever the lengths. */
	for (size_t i = 0; i < HTTPQ_MAX_TOKEN; i++) {
		unsigned char a = i < given_len ? (unsigned char)given[i] : 0;
		unsigned char b = i < token_len ? (unsigned char)token[i] : 0;

		diff |= a ^ b;
	}
	return !diff;
}
