/* The untrusted parts of an HTTP request to the /debug/pprof server, parsed without a
 * network: the listen address of --http, the raw query string, the bearer token. Pure and
 * bounded, so tests/fuzz can feed them anything. */
#ifndef CPROF_HTTPQ_H
#define CPROF_HTTPQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The longest query string accepted (longer: 400). */
#define HTTPQ_MAX_QUERY 1024
#define HTTPQ_COMM_LEN 16
#define HTTPQ_MAX_TOKEN 4096

/* The parameters the server knows; each at most once. Unknown names are ignored, as Go's
 * handlers ignore them, but must still be well formed. */
struct httpq {
	bool has_seconds, has_pid, has_comm, has_debug, has_gc;
	long long seconds;	/* as given: Go's rules for <= 0 apply per endpoint */
	uint32_t pid;
	char comm[HTTPQ_COMM_LEN];	/* a process name: 1-15 printable bytes */
	long long debug, gc;
};

/* Parses query (the part after '?', len bytes, not NUL-terminated; may be empty) into q.
 * Returns 0, or -EINVAL with a one-line reason in why[why_len] (for a 400). */
int httpq__parse(const char *query, size_t len, struct httpq *q, char *why, size_t why_len);

/* Parses --http's ADDR: "PORT", ":PORT", "HOST:PORT" or "[IPV6]:PORT", HOST an IP literal
 * or "localhost"; no host means 127.0.0.1. Fills *ss and *len, and *loopback (127/8, ::1,
 * ::ffff:127.0.0.0/104). Returns 0 or -EINVAL. */
int httpq__parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		      bool *loopback);

/* The token of an "Authorization: Bearer TOKEN" header value (scheme case-insensitive):
 * *tok and *tok_len point into value. Returns 0 or -EINVAL. */
int httpq__bearer(const char *value, const char **tok, size_t *tok_len);

/* Whether given equals token, in time independent of both contents and lengths (up to
 * HTTPQ_MAX_TOKEN bytes; longer never equals). */
bool httpq__token_equal(const char *given, size_t given_len, const char *token,
			size_t token_len);

#endif
