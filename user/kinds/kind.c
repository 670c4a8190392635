// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
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

/* The kinds open (and read the kernel's BTF) while the session creates the shared maps. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t shared_cond = PTHREAD_COND_INITIALIZER;

void kind_env__share(struct kind_env *env, struct bpf_map *const *maps, size_t n, int err)
{
	pthread_mutex_lock(&shared_lock);
	env->shared_maps = maps;
	env->n_shared_maps = err ? 0 : n;
	env->shared_err = err;
	env->shared_set = true;
	pthread_cond_broadcast(&shared_cond);
	pthread_mutex_unlock(&shared_lock);
}

static int wait_shared(const struct kind_env *env)
{
	int err;

	pthread_mutex_lock(&shared_lock);
	while (!env->shared_set)
		pthread_cond_wait(&shared_cond, &shared_lock);
	err = env->shared_err;
	pthread_mutex_unlock(&shared_lock);
	return err ? -ECANCELED : 0;
}

int kind__adopt_maps(struct bpf_object *obj, const struct kind_env *env)
{
	struct bpf_map *m;
	int err = wait_shared(env);

	if (err)
		return err;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		for (size_t i = 0; i < env->n_shared_maps; i++) {
			struct bpf_map *own = env->shared_maps[i];

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
