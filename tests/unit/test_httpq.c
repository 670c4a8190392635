// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the /debug/pprof server accepts from the network and from --http (user/core/httpq.c):
 * every rule of the query string (known parameters, their bounds, percent-decoding,
 * duplicates, empty pairs, the length limit), listen addresses (IPv4, IPv6 in brackets,
 * ports, which ones are loopback), the bearer header and the token comparison. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "core/httpq.h"

static struct httpq q;
static char why[160];

/* httpq__parse on a C string (its length without the NUL). */
static int parse(const char *s)
{
	why[0] = 0;
	return httpq__parse(s, strlen(s), &q, why, sizeof(why));
}

/* s is refused with a reason containing want. */
static void refused(const char *s, const char *want, int line)
{
	int err = parse(s);

	if (err != -EINVAL || !strstr(why, want))
		printf("    line %d: '%.80s' gave %d '%s', want -EINVAL '%s'\n", line, s, err, why,
		       want);
	CHECK(err == -EINVAL && strstr(why, want), "see above");
}
#define REFUSED(s, want) refused(s, want, __LINE__)

TEST(empty_and_defaults)
{
	memset(&q, 0xa5, sizeof(q));
	CHECK(parse("") == 0, "the empty query: %s", why);
	CHECK(!q.has_seconds && !q.has_pid && !q.has_comm && !q.has_debug && !q.has_gc,
	      "nothing given, yet a has_ flag is set");
	CHECK(q.pid == 0 && q.seconds == 0 && q.comm[0] == 0, "fields not cleared");
	CHECK(httpq__parse(NULL, 0, &q, why, sizeof(why)) == 0, "NULL with length 0");
}

TEST(known_parameters)
{
	REQUIRE(parse("seconds=30&pid=4242&comm=nginx&debug=0&gc=1") == 0, "%s", why);
	CHECK(q.has_seconds && q.seconds == 30, "seconds %lld", q.seconds);
	CHECK(q.has_pid && q.pid == 4242, "pid %u", q.pid);
	CHECK(q.has_comm && !strcmp(q.comm, "nginx"), "comm '%s'", q.comm);
	CHECK(q.has_debug && q.debug == 0, "debug %lld", q.debug);
	CHECK(q.has_gc && q.gc == 1, "gc %lld", q.gc);
	/* Go's handlers decide what seconds <= 0 means per endpoint: kept as given. */
	REQUIRE(parse("seconds=-5") == 0, "%s", why);
	CHECK(q.has_seconds && q.seconds == -5, "seconds %lld", q.seconds);
	REQUIRE(parse("seconds=0") == 0, "%s", why);
	CHECK(q.has_seconds && q.seconds == 0, "seconds %lld", q.seconds);
	REQUIRE(parse("seconds=9223372036854775807") == 0, "%s", why);
	CHECK(q.seconds == 9223372036854775807LL, "LLONG_MAX: %lld", q.seconds);
	REQUIRE(parse("seconds=-9223372036854775808") == 0, "%s", why);
	CHECK(q.seconds == (-9223372036854775807LL - 1), "LLONG_MIN: %lld", q.seconds);
	REQUIRE(parse("seconds=007") == 0, "%s", why);
	CHECK(q.seconds == 7, "leading zeros: %lld (not octal)", q.seconds);
}

TEST(integer_rules)
{
	static const char *const bad[] = {
		"seconds=", "seconds", "seconds=abc", "seconds=1.5", "seconds=0x10",
		"seconds=1e3", "seconds=+5", "seconds=%2B5", "seconds=-", "seconds=--5",
		"seconds=-%2B5", "seconds=5+", "seconds=+", "seconds=5%20",
		"seconds=9223372036854775808", "seconds=-9223372036854775809",
		"seconds=99999999999999999999", "seconds=000000000000000000001",
		"debug=x", "gc=", "debug=1.0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(bad[i], "must be an integer");
	REFUSED("debug=x", "invalid value for \"debug\"");
	REFUSED("gc=", "invalid value for \"gc\"");
}

TEST(pid_bounds)
{
	REQUIRE(parse("pid=1") == 0, "%s", why);
	CHECK(q.pid == 1, "pid %u", q.pid);
	REQUIRE(parse("pid=4194304") == 0, "PID_MAX_LIMIT: %s", why);
	CHECK(q.pid == 4194304, "pid %u", q.pid);
	REFUSED("pid=4194305", "must be a process id");
	REFUSED("pid=0", "must be a process id");
	REFUSED("pid=-1", "must be a process id");
	REFUSED("pid=4294967297", "must be a process id");	/* 2^32 + 1: no wrap to 1 */
	REFUSED("pid=", "must be a process id");
	REFUSED("pid", "must be a process id");
	REFUSED("pid=12a", "must be a process id");
	REFUSED("pid=%2012", "must be a process id");
}

TEST(comm_bounds)
{
	REQUIRE(parse("comm=a") == 0, "%s", why);
	CHECK(!strcmp(q.comm, "a"), "comm '%s'", q.comm);
	REQUIRE(parse("comm=123456789012345") == 0, "15 bytes: %s", why);
	CHECK(!strcmp(q.comm, "123456789012345"), "comm '%s'", q.comm);
	REFUSED("comm=1234567890123456", "1-15 bytes");
	REFUSED("comm=", "1-15 bytes");
	REFUSED("comm", "1-15 bytes");
	/* A name of 15 bytes after decoding, 45 before. */
	REQUIRE(parse("comm=%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41") == 0, "%s", why);
	CHECK(!strcmp(q.comm, "AAAAAAAAAAAAAAA"), "comm '%s'", q.comm);
	/* '+' and %20 are spaces; a kworker's name has a slash and colons. */
	REQUIRE(parse("comm=my+proc%20x") == 0, "%s", why);
	CHECK(!strcmp(q.comm, "my proc x"), "comm '%s'", q.comm);
	REQUIRE(parse("comm=kworker/0:1") == 0, "%s", why);
	CHECK(!strcmp(q.comm, "kworker/0:1"), "comm '%s'", q.comm);
	/* Bytes above 0x7f are allowed (a UTF-8 name), control bytes are not. */
	REQUIRE(parse("comm=caf%C3%A9") == 0, "%s", why);
	CHECK(!strcmp(q.comm, "caf\xc3\xa9"), "comm '%s'", q.comm);
	REFUSED("comm=a%0Ab", "1-15 bytes");
	REFUSED("comm=a%09", "1-15 bytes");
	REFUSED("comm=%7F", "1-15 bytes");
	REFUSED("comm=%1F", "1-15 bytes");
}

TEST(percent_decoding)
{
	REQUIRE(parse("%73econds=%31%30") == 0, "an escaped name and value: %s", why);
	CHECK(q.has_seconds && q.seconds == 10, "seconds %lld", q.seconds);
	REQUIRE(parse("seconds=%3a") == -EINVAL, "':' is no digit");
	REQUIRE(parse("comm=%6a%6B") == 0, "hex digits of either case: %s", why);
	CHECK(!strcmp(q.comm, "jk"), "comm '%s'", q.comm);
	REFUSED("seconds=%zz", "malformed query string");
	REFUSED("seconds=%", "malformed query string");
	REFUSED("seconds=%3", "malformed query string");
	REFUSED("seconds=1%", "malformed query string");
	REFUSED("seconds=%g1", "malformed query string");
	REFUSED("%zz=1", "malformed query string");
	REFUSED("x=%zz", "malformed query string");	/* unknown, but still well formed */
	/* Bytes that must be escaped in a query. */
	REFUSED("comm=a b", "malformed query string");
	REFUSED("comm=a\"b", "malformed query string");
	REFUSED("comm=a<b", "malformed query string");
	REFUSED("comm=a#b", "malformed query string");
	REFUSED("comm=a\\b", "malformed query string");
	REFUSED("comm=\x80", "malformed query string");
	REFUSED("x=\x01", "malformed query string");
	/* Allowed unescaped: RFC 3986 pchar, '/' and '?'. */
	CHECK(parse("x=-._~!$'()*,;:@/?") == 0, "pchar refused: %s", why);
}

/* A NUL byte, escaped or not, never ends a name or a value early: "seconds=5%00junk" is
 * not seconds=5. */
TEST(nul_bytes)
{
	REFUSED("seconds=5%00junk", "malformed query string");
	REFUSED("seconds%00junk=5", "malformed query string");
	REFUSED("comm=ab%00cd", "malformed query string");
	REFUSED("pid=1%00", "malformed query string");
	CHECK(httpq__parse("seconds=5\0x", 11, &q, why, sizeof(why)) == -EINVAL,
	      "a raw NUL inside the length was accepted");
	/* The length bounds the query, not a NUL: bytes past len are not read. */
	REQUIRE(httpq__parse("seconds=5&seconds=6", 9, &q, why, sizeof(why)) == 0, "%s", why);
	CHECK(q.seconds == 5, "seconds %lld", q.seconds);
}

TEST(equals_in_value)
{
	/* As Go's url.ParseQuery: the first '=' splits, later ones belong to the value. */
	REQUIRE(parse("x=a=b&seconds=3") == 0, "%s", why);
	CHECK(q.seconds == 3, "seconds %lld", q.seconds);
	REQUIRE(parse("comm=a=b") == 0, "%s", why);
	CHECK(!strcmp(q.comm, "a=b"), "comm '%s'", q.comm);
	REFUSED("seconds=3=4", "must be an integer");
}

TEST(duplicates)
{
	REFUSED("seconds=1&seconds=2", "parameter \"seconds\" given more than once");
	REFUSED("seconds=1&seconds=1", "more than once");
	REFUSED("pid=1&pid=2", "parameter \"pid\" given more than once");
	REFUSED("comm=a&comm=b", "parameter \"comm\" given more than once");
	REFUSED("debug=0&debug=0", "parameter \"debug\" given more than once");
	REFUSED("gc=0&gc=1", "parameter \"gc\" given more than once");
	/* A duplicate spelled differently is the same name once decoded. */
	REFUSED("seconds=1&%73econds=2", "parameter \"seconds\" given more than once");
	/* The first bad value or duplicate is the one reported. */
	REFUSED("seconds=x&seconds=1", "invalid value for \"seconds\"");
	/* Names are case-sensitive, as Go's: "Seconds" is another (unknown) name. */
	REQUIRE(parse("seconds=1&Seconds=2") == 0, "%s", why);
	CHECK(q.seconds == 1, "seconds %lld", q.seconds);
	/* Unknown names are ignored however often they come. */
	CHECK(parse("x=1&x=2&x") == 0, "unknown duplicates refused: %s", why);
}

TEST(empty_pairs)
{
	REQUIRE(parse("&&seconds=2&&&pid=7&") == 0, "%s", why);
	CHECK(q.seconds == 2 && q.pid == 7, "seconds %lld pid %u", q.seconds, q.pid);
	CHECK(parse("&") == 0, "'&' alone: %s", why);
	CHECK(parse("&&&&") == 0, "'&&&&': %s", why);
	REFUSED("=", "malformed query string");
	REFUSED("=1", "malformed query string");
	REFUSED("seconds=1&=2", "malformed query string");
	/* A name without '=' is a name with an empty value. */
	REQUIRE(parse("flag&seconds=4") == 0, "%s", why);
	CHECK(q.seconds == 4, "seconds %lld", q.seconds);
	REQUIRE(parse("x=") == 0, "unknown with an empty value: %s", why);
}

TEST(lengths)
{
	char buf[HTTPQ_MAX_QUERY + 64], name[80];

	/* Exactly the limit: accepted; one more byte: refused with the limit said. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "seconds=1&x=", 12);
	memset(buf + 12, 'a', 50);
	for (size_t i = 62; i < HTTPQ_MAX_QUERY; i++)
		buf[i] = '&';
	REQUIRE(httpq__parse(buf, HTTPQ_MAX_QUERY, &q, why, sizeof(why)) == 0, "%s", why);
	CHECK(q.seconds == 1, "seconds %lld", q.seconds);
	buf[HTTPQ_MAX_QUERY] = '&';
	CHECK(httpq__parse(buf, HTTPQ_MAX_QUERY + 1, &q, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "longer than 1024 bytes"), "%d bytes: '%s'", HTTPQ_MAX_QUERY + 1, why);
	/* A name or value decodes to at most 63 bytes. */
	memset(name, 'n', sizeof(name));
	memcpy(name + 63, "=1", 3);
	CHECK(parse(name) == 0, "a name of 63 bytes: %s", why);
	memset(name, 'n', sizeof(name));
	memcpy(name + 64, "=1", 3);
	REFUSED(name, "malformed query string");
	memcpy(name, "x=", 2);
	memset(name + 2, 'v', 63);
	name[65] = 0;
	CHECK(parse(name) == 0, "a value of 63 bytes: %s", why);
	memset(name + 2, 'v', 64);
	name[66] = 0;
	REFUSED(name, "malformed query string");
	/* The reason is cut to the buffer it is given, and NUL-terminated. */
	memset(buf, 'Z', 16);
	CHECK(httpq__parse("seconds=1&seconds=2", 19, &q, buf, 8) == -EINVAL &&
	      strlen(buf) == 7, "a reason of %zu bytes in 8", strnlen(buf, 16));
}

/* httpq__parse_addr: family, address, port and loopback of spec. */
static void addr_ok(const char *spec, int family, const char *host, int port, bool loopback,
		    int line)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	bool lo = !loopback;
	char got[INET6_ADDRSTRLEN] = "?";
	int got_port = -1, err;

	memset(&ss, 0x5a, sizeof(ss));
	err = httpq__parse_addr(spec, &ss, &len, &lo);
	if (!err && ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, got, sizeof(got));
		got_port = ntohs(a->sin_port);
		err = len == sizeof(*a) ? 0 : -1;
	} else if (!err && ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, got, sizeof(got));
		got_port = ntohs(a->sin6_port);
		err = len == sizeof(*a) && !a->sin6_flowinfo && !a->sin6_scope_id ? 0 : -1;
	}
	if (err || ss.ss_family != family || strcmp(got, host) || got_port != port ||
	    lo != loopback)
		printf("    line %d: '%s' gave %d family %d %s port %d loopback %d len %u\n", line,
		       spec, err, ss.ss_family, got, got_port, lo, (unsigned int)len);
	CHECK(!err && ss.ss_family == family && !strcmp(got, host) && got_port == port &&
	      lo == loopback, "see above");
}
#define ADDR_OK(spec, fam, host, port, lo) addr_ok(spec, fam, host, port, lo, __LINE__)

static void addr_bad(const char *spec, int line)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool lo;
	int err = httpq__parse_addr(spec, &ss, &len, &lo);

	if (err != -EINVAL)
		printf("    line %d: '%s' gave %d, want -EINVAL\n", line, spec, err);
	CHECK(err == -EINVAL, "see above");
}
#define ADDR_BAD(spec) addr_bad(spec, __LINE__)

TEST(addr_v4)
{
	ADDR_OK("8080", AF_INET, "127.0.0.1", 8080, true);
	ADDR_OK(":8080", AF_INET, "127.0.0.1", 8080, true);
	ADDR_OK("0", AF_INET, "127.0.0.1", 0, true);
	ADDR_OK("127.0.0.1:0", AF_INET, "127.0.0.1", 0, true);
	ADDR_OK("127.255.1.2:65535", AF_INET, "127.255.1.2", 65535, true);
	ADDR_OK("localhost:6060", AF_INET, "127.0.0.1", 6060, true);
	ADDR_OK("0.0.0.0:6060", AF_INET, "0.0.0.0", 6060, false);
	ADDR_OK("10.1.2.3:80", AF_INET, "10.1.2.3", 80, false);
	ADDR_OK("128.0.0.1:80", AF_INET, "128.0.0.1", 80, false);
	ADDR_OK("126.255.255.255:80", AF_INET, "126.255.255.255", 80, false);
	ADDR_OK("192.168.0.1:080", AF_INET, "192.168.0.1", 80, false);
	/* Brackets around an IPv4 address, as Go's SplitHostPort takes them. */
	ADDR_OK("[127.0.0.1]:80", AF_INET, "127.0.0.1", 80, true);
}

TEST(addr_v6)
{
	ADDR_OK("[::1]:6060", AF_INET6, "::1", 6060, true);
	ADDR_OK("[::]:0", AF_INET6, "::", 0, false);
	ADDR_OK("[fe80::1]:80", AF_INET6, "fe80::1", 80, false);
	ADDR_OK("[2001:db8::2]:443", AF_INET6, "2001:db8::2", 443, false);
	/* IPv4-mapped: loopback exactly when the IPv4 address is. */
	ADDR_OK("[::ffff:127.0.0.1]:80", AF_INET6, "::ffff:127.0.0.1", 80, true);
	ADDR_OK("[::ffff:127.9.8.7]:80", AF_INET6, "::ffff:127.9.8.7", 80, true);
	ADDR_OK("[::ffff:10.0.0.1]:80", AF_INET6, "::ffff:10.0.0.1", 80, false);
	ADDR_OK("[::ffff:128.0.0.1]:80", AF_INET6, "::ffff:128.0.0.1", 80, false);
	/* Not mapped: IPv4-compatible (deprecated) ::127.0.0.1, and ::2. */
	ADDR_OK("[::127.0.0.1]:80", AF_INET6, "::127.0.0.1", 80, false);
	ADDR_OK("[::2]:80", AF_INET6, "::2", 80, false);
	ADDR_OK("[0:0:0:0:0:0:0:1]:1", AF_INET6, "::1", 1, true);
}

TEST(addr_refused)
{
	static const char *const bad[] = {
		"", ":", "localhost", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:80 ",
		"127.0.0.1:123456", "127.0.0.1:8o", "-1", "65536", "99999999999999999999",
		"::1:80", "::1", "[::1]", "[::1]:", "[::1]:x", "[::1:80", "::1]:80",
		"[]:80", "[[::1]]:80", "[::1]]:80", "example.com:80", "LOCALHOST:80",
		"localhost.:80", "127.1:80", "0:80", "1.2.3.4.5:80", "256.0.0.1:80",
		"[fe80::1%eth0]:80", "[::ffff:127.0.0.1:80", " 127.0.0.1:80",
		"127.0.0.1\n:80",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ADDR_BAD(bad[i]);
}

/* httpq__bearer: value gives the token want (NULL: refused). */
static void bearer(const char *value, const char *want, int line)
{
	const char *tok = NULL;
	size_t len = 0;
	int err = httpq__bearer(value, &tok, &len);
	bool ok = want ? !err && len == strlen(want) && !memcmp(tok, want, len) &&
				 tok >= value && tok + len <= value + strlen(value)
		       : err == -EINVAL;

	if (!ok)
		printf("    line %d: '%.60s' gave %d '%.*s', want %s%s%s\n", line, value, err,
		       err ? 0 : (int)(len > 60 ? 60 : len), tok ? tok : "",
		       want ? "'" : "-EINVAL", want ? want : "", want ? "'" : "");
	CHECK(ok, "see above");
}
#define BEARER(value, want) bearer(value, want, __LINE__)

TEST(bearer_header)
{
	char big[HTTPQ_MAX_TOKEN + 16];

	BEARER("Bearer abc", "abc");
	BEARER("bearer abc", "abc");
	BEARER("BEARER abc", "abc");
	BEARER("BeArEr x.y-z_~+/=", "x.y-z_~+/=");
	BEARER("Bearer    abc   ", "abc");
	BEARER("Bearer a b", "a b");
	BEARER("Bearer", NULL);
	BEARER("Bearer ", NULL);
	BEARER("Bearer      ", NULL);
	BEARER("Bearerabc", NULL);
	BEARER("Bearer\tabc", NULL);
	BEARER("Basic YWJjOmRlZg==", NULL);
	BEARER(" Bearer abc", NULL);
	BEARER("", NULL);
	BEARER("abc", NULL);
	/* Up to HTTPQ_MAX_TOKEN bytes. */
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 't', HTTPQ_MAX_TOKEN);
	big[7 + HTTPQ_MAX_TOKEN] = 0;
	BEARER(big, big + 7);
	big[7 + HTTPQ_MAX_TOKEN] = 't';
	big[8 + HTTPQ_MAX_TOKEN] = 0;
	BEARER(big, NULL);
}

TEST(token_equal)
{
	static char a[HTTPQ_MAX_TOKEN + 2], b[HTTPQ_MAX_TOKEN + 2];

	CHECK(httpq__token_equal("secret", 6, "secret", 6), "equal tokens differ");
	CHECK(!httpq__token_equal("secreT", 6, "secret", 6), "the last byte is not compared");
	CHECK(!httpq__token_equal("Secret", 6, "secret", 6), "the first byte is not compared");
	CHECK(!httpq__token_equal("secre", 5, "secret", 6), "a prefix equals");
	CHECK(!httpq__token_equal("secrets", 7, "secret", 6), "a longer token equals");
	CHECK(!httpq__token_equal("secret", 6, "secret", 7), "the lengths are not compared");
	CHECK(!httpq__token_equal("", 0, "secret", 6), "the empty token equals");
	CHECK(!httpq__token_equal("secret", 6, "", 0), "anything equals the empty token");
	/* Bytes past the lengths are not read (the comparison pads with zeros). */
	CHECK(httpq__token_equal("abcX", 3, "abcY", 3), "bytes past the length compared");
	CHECK(!httpq__token_equal("abc\0", 4, "abc", 3), "a trailing NUL is ignored");
	memset(a, 'k', sizeof(a));
	memset(b, 'k', sizeof(b));
	CHECK(httpq__token_equal(a, HTTPQ_MAX_TOKEN, b, HTTPQ_MAX_TOKEN),
	      "tokens of %d bytes differ", HTTPQ_MAX_TOKEN);
	b[HTTPQ_MAX_TOKEN - 1] = 'j';
	CHECK(!httpq__token_equal(a, HTTPQ_MAX_TOKEN, b, HTTPQ_MAX_TOKEN),
	      "byte %d is not compared", HTTPQ_MAX_TOKEN - 1);
	b[HTTPQ_MAX_TOKEN - 1] = 'k';
	/* Longer than the maximum never equals, even the same bytes. */
	CHECK(!httpq__token_equal(a, HTTPQ_MAX_TOKEN + 1, b, HTTPQ_MAX_TOKEN + 1),
	      "tokens of %d bytes equal", HTTPQ_MAX_TOKEN + 1);
}

int main(void)
{
	CHECK_SUITE("unit/httpq");
	RUN(empty_and_defaults);
	RUN(known_parameters);
	RUN(integer_rules);
	RUN(pid_bounds);
	RUN(comm_bounds);
	RUN(percent_decoding);
	RUN(nul_bytes);
	RUN(equals_in_value);
	RUN(duplicates);
	RUN(empty_pairs);
	RUN(lengths);
	RUN(addr_v4);
	RUN(addr_v6);
	RUN(addr_refused);
	RUN(bearer_header);
	RUN(token_equal);
	return CHECK_EXIT();
}
