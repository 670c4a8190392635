// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The /debug/pprof server's plumbing: the listening socket (loopback unless a token guards
 * it), libmicrohttpd in external epoll mode, each request's life, and the bounds that keep a
 * hostile or slow client from costing more than a few connections' memory. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <microhttpd.h>

#include "core/serve.h"
#include "core/serve_int.h"
#include "util/clock.h"
#include "util/log.h"

/* Hard limits below the application's: past these MHD closes the socket unanswered. */
#define MHD_CONNECTIONS 64
#define MHD_PER_IP 32
#define CONN_MEMORY (32 * 1024)	/* request line and headers must fit: else 414/431 */

static void add_common(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

static int queue(struct req *r, unsigned int status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	add_common(resp);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->state = REQ_ANSWERED;
	if (status < 400)
		r->srv->answered++;
	else
		r->srv->refused++;
	return ret;
}

int serve__reply_profile(struct req *r, void *buf, size_t len, const char *filename)
{
	struct MHD_Response *resp;
	char disp[128];

	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	MHD_add_response_header(resp, "Content-Disposition", disp);
	return queue(r, MHD_HTTP_OK, resp);
}

int serve__reply_text(struct req *r, const char *ctype, const char *body, size_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp)
		MHD_add_response_header(resp, "Content-Type", ctype);
	return queue(r, MHD_HTTP_OK, resp);
}

int serve__reply_redirect(struct req *r, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL,
								    MHD_RESPMEM_PERSISTENT);

	if (resp)
		MHD_add_response_header(resp, "Location", location);
	return queue(r, MHD_HTTP_MOVED_PERMANENTLY, resp);
}

static struct MHD_Response *error_response(const char *fmt, va_list ap)
{
	char body[512];
	struct MHD_Response *resp;
	int n = vsnprintf(body, sizeof(body) - 1, fmt, ap);

	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(body) - 2)
		n = sizeof(body) - 2;
	body[n++] = '\n';
	resp = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return NULL;
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(resp, "X-Go-Pprof", "1");
	return resp;
}

int serve__reply_error(struct req *r, unsigned int status, const char *fmt, ...)
{
	struct MHD_Response *resp;
	va_list ap;

	va_start(ap, fmt);
	resp = error_response(fmt, ap);
	va_end(ap);
	if (resp && status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	if (resp && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	return queue(r, status, resp);
}

void serve__suspend(struct req *r, double due)
{
	r->due = due;
	r->state = REQ_WINDOW;
	r->next = r->srv->windows;
	r->srv->windows = r;
	MHD_suspend_connection(r->conn);
}

static void unlink_window(struct req *r)
{
	for (struct req **p = &r->srv->windows; *p; p = &(*p)->next) {
		if (*p == r) {
			*p = r->next;
			return;
		}
	}
}

/* The request's first line: its state begins here, with the raw target kept (MHD hands the
 * handler a decoded path without the query). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct serve *srv = cls;
	struct req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->srv = srv;
	r->conn = conn;
	r->uri_too_long = snprintf(r->uri, sizeof(r->uri), "%s", uri) >= (int)sizeof(r->uri);
	srv->in_flight++;
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct serve *srv = cls;
	struct req *r = *con_cls;

	(void)conn;
	(void)code;
	if (!r)
		return;
	if (r->marked) {
		unlink_window(r);
		output__mark_free(&r->mark);
	}
	free(r);
	*con_cls = NULL;
	srv->in_flight--;
}

static bool authorized(struct serve *srv, struct MHD_Connection *conn)
{
	const char *h, *tok;
	size_t len;

	if (!srv->has_token)
		return true;
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || httpq__bearer(h, &tok, &len))
		return false;
	return httpq__token_equal(tok, len, srv->token, srv->token_len);
}

/* A new request: method, size, token and load are checked before any path is routed, so
 * the index and the errors are guarded too. */
static int first_call(struct serve *srv, struct req *r, const char *url, const char *method)
{
	const char *qm = strchr(r->uri, '?');
	struct httpq q;
	char why[160];

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return serve__reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method %s not allowed: GET or HEAD", method);
	if (r->uri_too_long)
		return serve__reply_error(r, MHD_HTTP_URI_TOO_LONG, "request target too long");
	if (!authorized(srv, r->conn))
		return serve__reply_error(r, MHD_HTTP_UNAUTHORIZED,
					  "unauthorized: send Authorization: Bearer <token of "
					  "--http-token-file>");
	if (srv->finishing)
		return serve__reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "cprof-bpf is shutting down");
	if (srv->in_flight > srv->max_requests)
		return serve__reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "too many requests at once (--http-max-requests %u): "
					  "retry later", srv->max_requests);
	if (httpq__parse(qm ? qm + 1 : "", qm ? strlen(qm + 1) : 0, &q, why, sizeof(why)))
		return serve__reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
	return serve_pprof__route(r, url, &q);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct serve *srv = cls;
	struct req *r = *con_cls;

	(void)version;
	(void)upload_data;
	if (!r)
		return MHD_NO;	/* out of memory at the first line: drop the connection */
	r->conn = conn;
	if (*upload_size) {	/* a body nobody asked for: read and ignore it */
		*upload_size = 0;
		return MHD_YES;
	}
	switch (r->state) {
	case REQ_NEW:
		return first_call(srv, r, url, method) ? MHD_YES : MHD_NO;
	case REQ_DUE:
		if (r->gone)
			return MHD_NO;	/* nobody to answer: close, build nothing */
		return serve_pprof__window_done(r) ? MHD_YES : MHD_NO;
	default:
		return MHD_YES;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	log_debug("http: %s", line);
}

/* Reads the token: one line of 1-4096 bytes; a file others may read is said. */
static int read_token(struct serve *srv, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		log_error("--http-token-file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		log_error("--http-token-file %s: not a regular file", path);
		return -EINVAL;
	}
	n = read(fd, srv->token, sizeof(srv->token));
	close(fd);
	while (n > 0 && (srv->token[n - 1] == '\n' || srv->token[n - 1] == '\r'))
		n--;
	if (n <= 0 || n > HTTPQ_MAX_TOKEN || memchr(srv->token, '\n', (size_t)n)) {
		log_error("--http-token-file %s: want one line of 1-%d bytes", path,
			  HTTPQ_MAX_TOKEN);
		return -EINVAL;
	}
	if (st.st_mode & 077)
		log_warn("--http-token-file %s can be read by other users (mode %03o)", path,
			 (unsigned int)(st.st_mode & 0777));
	srv->token_len = (size_t)n;
	srv->has_token = true;
	return 0;
}

/* Binds the listening socket ourselves: any address family, our own error lines, and the
 * real port when 0 was asked. */
static int listen_on(struct serve *srv, const char *spec, const struct sockaddr_storage *ss,
		     socklen_t len)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage got;
	socklen_t got_len = sizeof(got);
	char host[INET6_ADDRSTRLEN];
	int port;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&got, &got_len)) {
		int err = -errno;

		log_error("--http %s: cannot listen: %s", spec, strerror(errno));
		close(fd);
		return err;
	}
	if (got.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&got;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(srv->url, sizeof(srv->url), "http://[%s]:%d", host, port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&got;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(srv->url, sizeof(srv->url), "http://%s:%d", host, port);
	}
	srv->listen_fd = fd;
	return 0;
}

static int start_daemon(struct serve *srv)
{
	unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES) {
		log_error("--http: this libmicrohttpd has no epoll support");
		return -ENOTSUP;
	}
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
				  MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MHD_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MHD_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, srv->idle_timeout,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
				  MHD_OPTION_END);
	if (!srv->d) {
		log_error("--http: cannot start the HTTP server");
		return -EIO;
	}
	srv->listen_fd = -1;	/* the daemon's now */
	return 0;
}

int serve__start(struct session *s, const struct serve_opts *so, struct serve **out)
{
	struct sockaddr_storage ss;
	struct serve *srv;
	socklen_t len;
	bool loopback;
	int err;

	*out = NULL;
	if (httpq__parse_addr(so->addr, &ss, &len, &loopback)) {
		log_error("--http %s: want [HOST]:PORT with HOST an IP address or localhost",
			  so->addr);
		return -EINVAL;
	}
	if (!loopback && !so->token_file) {
		log_error("--http %s is not a loopback address: serving profiles beyond this host "
			  "needs --http-token-file FILE", so->addr);
		return -EACCES;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->s = s;
	srv->listen_fd = -1;
	srv->max_seconds = so->max_seconds;
	srv->max_requests = so->max_requests;
	srv->idle_timeout = so->idle_timeout ? so->idle_timeout : 30;
	srv->start_wall_ns = (int64_t)clock__ns(CLOCK_REALTIME);
	err = so->token_file ? read_token(srv, so->token_file) : 0;
	if (!err)
		err = listen_on(srv, so->addr, &ss, len);
	if (!err)
		err = start_daemon(srv);
	if (err) {
		serve__free(srv);
		return err;
	}
	log_info("serving %s/debug/pprof/%s", srv->url,
		 srv->has_token ? " (bearer token required)" : "");
	*out = srv;
	return 0;
}

int serve__fd(const struct serve *srv)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

int serve__timeout_ms(struct serve *srv, int max_ms)
{
	MHD_UNSIGNED_LONG_LONG t;
	double now = clock__secs(CLOCK_MONOTONIC);
	int ms = max_ms;

	if (MHD_get_timeout(srv->d, &t) == MHD_YES && t < (MHD_UNSIGNED_LONG_LONG)ms)
		ms = (int)t;
	for (const struct req *r = srv->windows; r; r = r->next) {
		double left = (r->due - now) * 1000;

		if (r->state != REQ_WINDOW)
			continue;
		if (left < ms)
			ms = left > 0 ? (int)left + 1 : 0;
	}
	return ms;
}

double serve__oldest_window(const struct serve *srv)
{
	double oldest = 0;

	for (const struct req *r = srv->windows; r; r = r->next)
		if (!oldest || r->mark.mono < oldest)
			oldest = r->mark.mono;
	return oldest;
}

/* Whether the client of a suspended request went away (end of file or an error on its
 * socket, which MHD does not watch while the request is suspended). Go's handlers end a
 * profile when the request's context is cancelled: a window nobody waits for must not hold
 * one of --http-max-requests until it ends (a Ctrl-C'd go tool pprof). */
static bool client_gone(const struct req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	ssize_t n;
	char c;

	if (!ci)
		return false;
	n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Resumes the windows that ended, or whose client left; returns how many. They stay
 * listed until their request completes: their base still holds back the release of
 * exited processes. */
static int resume_due(struct serve *srv, double now)
{
	int n = 0;

	for (struct req *r = srv->windows; r; r = r->next) {
		if (r->state != REQ_WINDOW ||
		    (r->due > now && !srv->finishing && !(r->gone = client_gone(r))))
			continue;
		r->state = REQ_DUE;
		MHD_resume_connection(r->conn);
		n++;
	}
	return n;
}

void serve__run(struct serve *srv)
{
	MHD_run(srv->d);
	/* A resumed connection's handler runs on the next MHD_run. */
	if (resume_due(srv, clock__secs(CLOCK_MONOTONIC)))
		MHD_run(srv->d);
}

void serve__finish(struct serve *srv)
{
	double end = clock__secs(CLOCK_MONOTONIC) + 1.0;
	int efd = serve__fd(srv);

	srv->finishing = true;
	serve__run(srv);
	while (srv->in_flight && clock__secs(CLOCK_MONOTONIC) < end) {
		struct epoll_event ev;
		int ms = serve__timeout_ms(srv, 50);

		epoll_wait(efd, &ev, 1, ms);
		serve__run(srv);
	}
}

void serve__free(struct serve *srv)
{
	if (!srv)
		return;
	if (srv->d) {
		srv->finishing = true;
		resume_due(srv, 0);
		MHD_stop_daemon(srv->d);
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	serve_threads__free(srv->threads);
	free(srv);
}
