// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <pthread.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kinds/kind.h"
#include "util/log.h"

/* The kinds open in threads of their own: the first to ask reads it, the others wait. */
static pthread_mutex_t vmlinux_lock = PTHREAD_MUTEX_INITIALIZER;

const struct btf *kind_env__vmlinux(struct kind_env *env)
{
	pthread_mutex_lock(&vmlinux_lock);
	if (!env->vmlinux_read) {
		env->vmlinux = btf__load_vmlinux_btf();
		env->vmlinux_read = true;
	}
	pthread_mutex_unlock(&vmlinux_lock);
	return env->vmlinux;
}

void kind_env__drop_vmlinux(struct kind_env *env)
{
	btf__free(env->vmlinux);
	env->vmlinux = NULL;
}

int kind__adopt_maps(struct bpf_object *obj, const struct kind_env *env)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		for (size_t i = 0; i < env->n_shared_maps; i++) {
			struct bpf_map *own = env->shared_maps[i];
			int err;

			if (strcmp(bpf_map__name(m), bpf_map__name(own)))
				continue;
			err = bpf_map__reuse_fd(m, bpf_map__fd(own));
			if (err) {
				log_error("sharing BPF map %s: %s", bpf_map__name(m),
					  strerror(-err));
				return err;
			}
			break;
		}
	}
	return 0;
}
