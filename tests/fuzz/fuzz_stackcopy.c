/* stackcopy__merge on arbitrary records: a sample as the loop lets it through (its frame
 * counts within bounds, its size exactly its frames), a stack copy's frame index and a
 * replay's result, all taken from the input. Every buffer is as large as the record it
 * holds, so ASan catches a frame read or written past it; aborts when a merge keeps frames it
 * should not or claims more frames than it wrote. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"
#include "kinds/stackcopy.h"

/* The input, in order: the sample's header (its frame counts reduced into bounds), the
 * copy's frame index, the replay's count and flags (three u32), then the sample's frames. */
#define FUZZ_HEAD (sizeof(struct cprof_sample) + 3 * sizeof(uint32_t))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cprof_stack_copy *copy = calloc(1, sizeof(*copy));
	struct cprof_replay *io = calloc(1, sizeof(*io));
	struct cprof_sample *r = NULL, *out = malloc(CPROF_SAMPLE_MAX_SIZE);
	struct cprof_sample h;
	uint32_t tail[3];
	size_t frames, rest;

	if (!copy || !io || !out || size < FUZZ_HEAD)
		goto out;
	memcpy(&h, data, sizeof(h));
	memcpy(tail, data + sizeof(h), sizeof(tail));
	data += FUZZ_HEAD;
	rest = size - FUZZ_HEAD;
	h.n_kernel %= CPROF_MAX_KERNEL_FRAMES + 1;
	h.n_user %= CPROF_MAX_USER_FRAMES + 1;
	frames = (size_t)h.n_kernel + h.n_user;
	r = malloc(sizeof(*r) + frames * sizeof(__u64));
	if (!r)
		goto out;
	*r = h;
	memset(r->frames, 0xab, frames * sizeof(__u64));
	memcpy(r->frames, data, rest < frames * sizeof(__u64) ? rest : frames * sizeof(__u64));
	copy->frame = tail[0];
	io->n = tail[1];
	io->flags = tail[2];
	for (size_t i = 0; i < CPROF_MAX_USER_FRAMES; i++)
		io->frames[i] = 0x1000 + i;
	memset(out, 0, CPROF_SAMPLE_MAX_SIZE);
	if (stackcopy__merge(r, copy, io, out)) {
		size_t head = (size_t)r->n_kernel + copy->frame;

		if (out->n_user != io->n || out->n_kernel != r->n_kernel ||
		    copy->frame >= r->n_user || head + out->n_user - copy->frame >
						       CPROF_SAMPLE_MAX_FRAMES)
			abort();
		if (memcmp(out->frames, r->frames, head * sizeof(__u64)) ||
		    out->frames[head] != io->frames[copy->frame])
			abort();
	} else if (out->n_user || out->kind) {
		abort();	/* out must be untouched */
	}
out:
	free(r);
	free(out);
	free(io);
	free(copy);
	return 0;
}
