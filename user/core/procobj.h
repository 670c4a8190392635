/* The process-tracking BPF object (bpf/proc.bpf.c), always loaded: it reports exec, exit and
 * dlopen of watched processes and follows COMMAND's forks, and it owns every map the kinds'
 * objects share — pid filter, ring buffer, counters, unwind tables — sized for the options
 * and created before any object loads. */
#ifndef CPROF_PROCOBJ_H
#define CPROF_PROCOBJ_H

#include <stdint.h>
#include <bpf/libbpf.h>

struct cprof_opts;
struct debuginfod;
struct kind_env;
struct procobj;
struct unwinder;

/* Opens and sizes the object. Returns 0 or -errno (reported). */
int procobj__open(const struct cprof_opts *o, struct procobj **out);

/* Creates the shared maps and hands them to the kinds (kind_env__share), or says that they
 * could not be. Returns 0 or -errno (reported). */
int procobj__share(struct procobj *po, struct kind_env *env);

/* Loads its programs: the kinds' objects may load meanwhile. Returns 0 or -errno
 * (reported). */
int procobj__load(struct procobj *po);
void procobj__free(struct procobj *po);

/* Attaches the lifecycle tracepoints. Returns 0 or -errno (reported). */
int procobj__attach(struct procobj *po);
void procobj__detach(struct procobj *po);

/* Adds pid to the pid filter. Returns 0 or -errno. */
int procobj__watch_pid(struct procobj *po, int pid);

/* The cache directory of the run (CPROF_CACHE_DIR, else /var/cache/cprof-bpf, created
 * 0700), or NULL if it cannot be used (said with -v, once): unwind tables and uncompressed
 * debuginfo are kept there. */
const char *procobj__cache_dir(const struct cprof_opts *o);

/* The unwinder that builds tables into the unwind maps and publishes each process's view
 * there. Returns 0 or -errno (reported). */
int procobj__unwinder(const struct procobj *po, const struct cprof_opts *o,
		      struct debuginfod *dfd, struct unwinder **out);

/* A consumer of the ring buffer that calls fn(ctx, record, size). NULL with errno set. */
struct ring_buffer *procobj__ring_buffer(struct procobj *po, ring_buffer_sample_fn fn,
					 void *ctx);

/* The counters (enum cprof_counter), summed over CPUs, into out[CPROF_CNT_NR]. */
void procobj__read_counters(const struct procobj *po, uint64_t *out);

#endif
