/* The /debug/pprof server's parsers on arbitrary bytes: the input as a query string
 * (httpq__parse), as --http's ADDR (httpq__parse_addr) and as an Authorization header value
 * (httpq__bearer, then httpq__token_equal). Aborts when a result breaks what the server
 * relies on: parameters within their bounds, a reason for every refusal, an address of the
 * family and length it says, loopback exactly for 127/8, ::1 and ::ffff:127/104, a token
 * inside the header without surrounding spaces. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/httpq.h"

static void check_query(const char *text, size_t size)
{
	struct httpq q;
	char why[160];
	size_t n;

	memset(why, 'X', sizeof(why));
	if (httpq__parse(text, size, &q, why, sizeof(why))) {
		if (!memchr(why, 0, sizeof(why)) || !why[0])
			abort();	/* a 400 must say why, in a C string */
		return;
	}
	if (size > HTTPQ_MAX_QUERY)
		abort();
	if (q.has_pid != (q.pid != 0) || q.pid > 4194304)
		abort();
	n = strnlen(q.comm, sizeof(q.comm));
	if (n == sizeof(q.comm) || q.has_comm != (n > 0))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)q.comm[i] < 0x20 || q.comm[i] == 0x7f)
			abort();
	if ((!q.has_seconds && q.seconds) || (!q.has_debug && q.debug) || (!q.has_gc && q.gc))
		abort();
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(a6) || (!memcmp(a6->s6_addr, mapped, 12) &&
					    a6->s6_addr[12] == 127);
}

static void check_addr(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	bool loopback = false;

	if (httpq__parse_addr(spec, &ss, &len, &loopback))
		return;
	if (ss.ss_family == AF_INET) {
		if (len != sizeof(struct sockaddr_in))
			abort();
	} else if (ss.ss_family == AF_INET6) {
		if (len != sizeof(struct sockaddr_in6))
			abort();
	} else {
		abort();
	}
	if (loopback != is_loopback(&ss))
		abort();
	/* Only "[", "]", digits, dots, colons, hex digits and "localhost" make an address. */
	for (const char *p = spec; *p; p++)
		if (!strchr("[]:.0123456789abcdefABCDEFlocahst", *p))
			abort();
}

static void check_bearer(const char *value, size_t size)
{
	const char *tok;
	size_t len;
	char *copy;

	if (httpq__bearer(value, &tok, &len))
		return;
	if (tok < value + 7 || tok + len > value + size || !len || len > HTTPQ_MAX_TOKEN ||
	    tok[0] == ' ' || tok[len - 1] == ' ')
		abort();
	if (!httpq__token_equal(tok, len, tok, len))
		abort();
	/* Any one byte changed, or one byte fewer, no longer equals. */
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, tok, len);
	copy[len / 2] ^= 1;
	if (httpq__token_equal(copy, len, tok, len) || httpq__token_equal(tok, len - 1, tok, len))
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes for the query (ASan catches a read past it), and a
	 * NUL-terminated one for the C-string parsers. */
	char *text = malloc(size ? size : 1), *str = malloc(size + 1);

	if (text && str) {
		memcpy(text, data, size);
		memcpy(str, data, size);
		str[size] = 0;
		check_query(text, size);
		check_addr(str);
		check_bearer(str, strlen(str));
	}
	free(text);
	free(str);
	return 0;
}
