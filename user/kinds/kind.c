// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <bpf/libbpf.h>

#include "kinds/kind.h"

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
			if (err)
				return err;
			break;
		}
	}
	return 0;
}
