// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pprof_read__buf on arbitrary bytes: gzip framing, inflate, protobuf-c unpacking. Profiles
 * come from other machines and other tools, so the reader must survive anything. The same
 * bytes as a file (pprof_read__file) must read as the same profile, or fail as the buffer
 * did; under a cap of up to 4 KiB taken from the last byte (pprof_read__buf_limit), a
 * profile read is one the uncapped reader reads too, and a refusal past the cap is EFBIG.
 *
 * Seeds: demo.pb (plain), demo.pb.gz (gzip -9n demo.pb), demo2.pb.gz (two gzip members:
 * `head -c 200 demo.pb | gzip -9n; tail -c +201 demo.pb | gzip -9n`). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pprof_read.h"
#include "fuzz_memfd.h"

typedef Perftools__Profiles__Profile Profile;

static bool same(const Profile *a, const Profile *b)
{
	return a->n_sample_type == b->n_sample_type && a->n_sample == b->n_sample &&
	       a->n_string_table == b->n_string_table && a->n_location == b->n_location;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Profile *p = pprof_read__buf(data, size), *f, *capped;
	size_t i, cap = size ? (size_t)data[size - 1] * 16 : 0;

	/* what readers do next: resolve strings, in range or not */
	for (i = 0; p && i < p->n_sample_type; i++) {
		(void)pprof_read__str(p, p->sample_type[i]->type);
		(void)pprof_read__str(p, p->sample_type[i]->unit);
	}
	f = pprof_read__file(fuzz_memfile(data, size));
	if ((!f) != (!p) || (f && !same(f, p)))
		abort();
	capped = pprof_read__buf_limit(data, size, cap);
	if ((capped && (!p || !same(capped, p))) || (!capped && p && errno != EFBIG))
		abort();
	pprof_read__free(capped);
	pprof_read__free(f);
	pprof_read__free(p);
	return 0;
}
