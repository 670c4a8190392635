// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pprof_read__buf on arbitrary bytes: gzip framing, inflate, protobuf-c unpacking. Profiles
 * come from other machines and other tools, so the reader must survive anything. */
#include <stddef.h>
#include <stdint.h>

#include "pprof_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Perftools__Profiles__Profile *p = pprof_read__buf(data, size);
	size_t i;

	/* what readers do next: resolve strings, in range or not */
	for (i = 0; p && i < p->n_sample_type; i++) {
		(void)pprof_read__str(p, p->sample_type[i]->type);
		(void)pprof_read__str(p, p->sample_type[i]->unit);
	}
	pprof_read__free(p);
	return 0;
}
