/* --http: the /debug/pprof server, as Go's net/http/pprof serves it, on libmicrohttpd driven
 * from the run's own loop (external epoll mode): handlers run on the loop's thread and read
 * the aggregates directly, a slow client never blocks it, and a profile over the next N
 * seconds is a suspended request that the loop resumes when its window ends. */
#ifndef CPROF_SERVE_H
#define CPROF_SERVE_H

#include <stdbool.h>

struct session;
struct serve;

/* What --http asked for. */
struct serve_opts {
	const char *addr;	/* --http ADDR; NULL: no server */
	const char *token_file;	/* --http-token-file; required off loopback */
	unsigned int max_seconds;	/* --http-max-seconds: longest window (default 300) */
	unsigned int max_requests;	/* --http-max-requests: at once, else 503 (default 8) */
	unsigned int idle_timeout;	/* seconds a connection may neither send nor read (30;
					 * CPROF_HTTP_IDLE_TIMEOUT for tests) */
};

/* Reads the token, binds, starts serving and says where. Errors are said in one line:
 * -EACCES (a non-loopback address without a token file: a usage error), or -errno. */
int serve__start(struct session *s, const struct serve_opts *so, struct serve **out);

/* The descriptor to wait on (readable when the server has work). */
int serve__fd(const struct serve *srv);

/* Milliseconds the loop may wait before serve__run is due, at most max_ms. */
int serve__timeout_ms(struct serve *srv, int max_ms);

/* The monotonic start (seconds) of the oldest window still open; 0 if none. */
double serve__oldest_window(const struct serve *srv);

/* Does the server's work: connections, requests, windows that ended. */
void serve__run(struct serve *srv);

/* The run is over: windows still open end now (their profiles cover what they saw), and
 * replies in flight get up to a second to go out. Then the server stops accepting. */
void serve__finish(struct serve *srv);

void serve__free(struct serve *srv);

#endif
