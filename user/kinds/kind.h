/* What every profile kind is given by the session, and the one way a kind's BPF object
 * shares the maps all objects use. */
#ifndef CPROF_KIND_H
#define CPROF_KIND_H

#include <stddef.h>

struct bpf_map;
struct bpf_object;

struct kind_env {
	/* The maps every BPF object uses as one — pid filter, ring buffer, counters, unwind
	 * tables — created by the object that owns them (the process-tracking one). */
	struct bpf_map *const *shared_maps;
	size_t n_shared_maps;
};

/* Before obj's load: each of its maps named like a shared map becomes that map
 * (bpf_map__reuse_fd), so obj is sized and filled by the owner. Returns 0 or -errno. */
int kind__adopt_maps(struct bpf_object *obj, const struct kind_env *env);

#endif
