/* Inside the /debug/pprof server: serve.c (the daemon, connections, limits, the token) and
 * serve_pprof.c (the paths Go's net/http/pprof serves, and the windows of ?seconds=N). */
#ifndef CPROF_SERVE_INT_H
#define CPROF_SERVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/httpq.h"
#include "core/session_priv.h"

struct MHD_Connection;
struct MHD_Daemon;
struct route;
struct serve_threads;

/* The longest request target kept (path and query); longer: 414. */
#define SERVE_MAX_URI (HTTPQ_MAX_QUERY + 256)

enum req_state {
	REQ_NEW,	/* headers read, not answered */
	REQ_WINDOW,	/* suspended until its window ends */
	REQ_DUE,	/* its window ended: answer on the handler's next call */
	REQ_ANSWERED,
};

/* One request, from its first line (MHD's URI callback) to its completion. */
struct req {
	struct serve *srv;
	struct MHD_Connection *conn;
	enum req_state state;
	bool uri_too_long;
	char uri[SERVE_MAX_URI];	/* raw: path and query, as sent */
	/* A window (?seconds=N, or the CPU profile): */
	struct req *next;		/* in srv->windows */
	const struct route *route;
	struct httpq q;
	struct output_mark mark;	/* the aggregates at its start */
	bool marked;
	bool gone;			/* its client left before the window ended */
	double due;			/* monotonic seconds */
};

struct serve {
	struct session *s;
	struct MHD_Daemon *d;
	int listen_fd;
	bool has_token, finishing;
	size_t token_len;
	char token[HTTPQ_MAX_TOKEN + 1];
	unsigned int max_seconds, max_requests, in_flight;
	unsigned int idle_timeout;	/* seconds: a client that neither sends nor reads */
	struct req *windows;
	char url[160];		/* http://HOST:PORT, as said at the start */
	int64_t start_wall_ns;
	uint64_t answered, refused;	/* replies 2xx, and 4xx/5xx */
	struct serve_threads *threads;	/* goroutine's snapshots; NULL until asked */
};

/* Replies (status 200) with a gzipped profile in buf (taken: freed by the reply). */
int serve__reply_profile(struct req *r, void *buf, size_t len, const char *filename);

/* Replies with status and a one-line text body, as Go's serveError: pprof prints it. */
int serve__reply_error(struct req *r, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Replies 301 to location, as Go's mux redirects a directory without its slash. */
int serve__reply_redirect(struct req *r, const char *location);

/* Replies 200 with a text body of content type ctype (copied). */
int serve__reply_text(struct req *r, const char *ctype, const char *body, size_t len);

/* Suspends r until due (monotonic seconds); its handler runs again then. */
void serve__suspend(struct req *r, double due);

/* serve_pprof.c: answers a new request for path (decoded, no query) with query q.
 * Returns an MHD result. */
int serve_pprof__route(struct req *r, const char *path, const struct httpq *q);

/* serve_threads.c: /debug/pprof/goroutine or threads (name), a snapshot now. */
int serve_threads__reply(struct req *r, const char *name, const struct httpq *q);
void serve_threads__free(struct serve_threads *t);

/* serve_pprof.c: answers a request whose window ended. */
int serve_pprof__window_done(struct req *r);

#endif
