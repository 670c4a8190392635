/* Separate debuginfo fetched by build id from debuginfod servers, through elfutils' client
 * and its conventions: the servers are DEBUGINFOD_URLS (none: nothing is fetched), files
 * land in the client's cache (DEBUGINFOD_CACHE_PATH, else its default). One background
 * thread fetches, one build id at a time; each build id is fetched once per run and its
 * outcome kept. Each has a budget of seconds from when it was first asked for; a fetch
 * still running when its budget ends is cancelled (the client's progress callback), so a
 * server that never answers costs at most the budget. Thread-safe. */
#ifndef CPROF_DEBUGINFOD_H
#define CPROF_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>

struct debuginfod;

/* A fetcher with budget seconds per object, or NULL in *out when there is nothing to do
 * (budget 0, DEBUGINFOD_URLS unset or empty). The thread starts at the first request, and
 * opens elfutils' client then (if it cannot, a warning says so and nothing is fetched).
 * Returns 0 or -ENOMEM. */
int debuginfod__new(double budget, struct debuginfod **out);
/* Stops the thread (cancelling what is left) and frees d; NULL is fine. */
void debuginfod__free(struct debuginfod *d);

/* The debuginfo of build_id (lowercase hex) into path[PATH_MAX]: asks for it on first use
 * (what names the object in -v's messages), then, when wait, waits for what is left of its
 * budget. Returns 0 (fetched; the caller checks the file), -ENOENT (no server has it, or
 * the fetch failed), -ETIMEDOUT (its budget ran out), -EINPROGRESS (not waiting, not
 * fetched yet) or -ENOSPC (too many at once: not asked). */
int debuginfod__get(struct debuginfod *d, const char *build_id, const char *what, bool wait,
		    char *path);

/* From now on no fetch runs, and no wait lasts, past one budget from now: a request, or
 * the end of a run, then waits at most that long in all, whatever the number of objects.
 * An earlier limit stays. */
void debuginfod__limit(struct debuginfod *d);
/* Lifts the limit, once the request it was set for is served. */
void debuginfod__unlimit(struct debuginfod *d);

/* Cancels what is still queued or running and joins the thread; idempotent. With -v, each
 * object's outcome has been said (fetched, not found, timed out) as it came. */
void debuginfod__stop(struct debuginfod *d);

struct debuginfod_stats {
	size_t asked, found, missing, timed_out;
	double budget;		/* seconds per object */
	const char *urls;	/* DEBUGINFOD_URLS, valid while d is */
};

void debuginfod__stats(struct debuginfod *d, struct debuginfod_stats *st);

#endif
