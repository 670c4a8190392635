// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profile model and the text views on arbitrary bytes: ids and string indices that name
 * nothing, stacks of any depth, labels of any shape. Every view is drawn, against the
 * profile itself as a base too, so the merging of samples runs as well. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pmodel.h"
#include "ptext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmodel *pm = NULL;
	struct ptext_opts o = { 0 };
	struct pm_filter filt = { NULL, 0, "a" };
	char buf[64];
	FILE *f;
	size_t t;

	if (pmodel__read_buf(data, size, &pm))
		return 0;
	f = fopen("/dev/null", "w");
	for (t = 0; f && t < pm->n_types && t < 4; t++) {
		o = (struct ptext_opts){ .type = t, .by_line = t % 2 };
		ptext__print_top(f, pm, &o, 10);
		ptext__print_tree(f, pm, &o, t ? 0.01 : 0);
		o.base = pm, o.base_type = t, o.filter = &filt;
		ptext__print_folded(f, pm, &o);
		ptext__print_top(f, pm, &o, 0);
		pmodel__format_value(pm, t, pm->n_samples ? pmodel__value(pm, 0, t) : 0, buf,
				     sizeof(buf));
	}
	if (f)
		fclose(f);
	pmodel__free(pm);
	return 0;
}
