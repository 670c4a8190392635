/* threadsnap__next over arbitrary bytes, as the thread iterator's output is read: every
 * record it returns is a thread record whose frames lie inside the input (the input is
 * copied into a buffer of its own size, so ASan catches a read past it), and the offset
 * only moves forward by whole records. Each record then goes into a snapshot with a frame
 * per address, named by a string from the input's bytes, and the snapshot is printed as
 * text and as JSON. Aborts on a record or an offset that breaks those rules. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"
#include "report/threadsnap.h"

static void add(struct threadsnap *ts, const struct cprof_sample *r)
{
	struct thread_frame f[CPROF_SAMPLE_MAX_FRAMES];
	char names[CPROF_SAMPLE_MAX_FRAMES][4];
	char comm[CPROF_COMM_LEN + 1], pcomm[CPROF_COMM_LEN + 1];
	size_t n = (size_t)r->n_kernel + r->n_user;
	struct thread_info t = {
		.pid = (int)(r->pid % 4), .tid = (int)r->tid, .comm = comm, .pcomm = pcomm,
		.state = threadsnap__state(r->value[0], r->value[1]),
		.unreadable = r->flags & CPROF_SF_STACK_UNREAD,
		.complete = !(r->flags & CPROF_SF_STOP_MASK), .stop = "cut",
	};

	memcpy(comm, r->comm, CPROF_COMM_LEN);
	memcpy(pcomm, r->pcomm, CPROF_COMM_LEN);
	comm[CPROF_COMM_LEN] = pcomm[CPROF_COMM_LEN] = '\0';
	for (size_t i = 0; i < n; i++) {
		uint64_t a = r->frames[i];

		/* Few distinct names, so that threads do group; some unnamed. */
		snprintf(names[i], sizeof(names[i]), "%c%c", 'a' + (int)(a % 3), '"' + (int)(a % 2));
		f[i] = (struct thread_frame){ .addr = a, .name = a % 5 ? names[i] : NULL,
					      .kernel = i < r->n_kernel, .line = (int64_t)(a % 7),
					      .file = a % 2 ? "f.c" : NULL,
					      .object = a % 11 ? "o" : NULL, .inlined = a % 13 == 1 };
	}
	if (threadsnap__add(ts, &t, f, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	union thread_rec *rec = malloc(sizeof(*rec));
	struct threadsnap *ts = threadsnap__new();
	FILE *null = fopen("/dev/null", "w");
	size_t off = 0, prev;
	int rc;

	if (!buf || !rec || !ts || !null)
		goto out;
	memcpy(buf, data, size);
	for (;;) {
		prev = off;
		rc = threadsnap__next(buf, size, &off, rec);
		if (rc)
			break;
		if (rec->r.kind != CPROF_EV_THREAD || rec->r.n_kernel > CPROF_MAX_KERNEL_FRAMES ||
		    rec->r.n_user > CPROF_MAX_USER_FRAMES || off > size ||
		    off - prev != sizeof(rec->r) + 8 * ((size_t)rec->r.n_kernel + rec->r.n_user))
			abort();
		add(ts, &rec->r);
	}
	if ((rc == 1 && off != size) || (rc < 0 && off != prev) || rc > 1)
		abort();
	threadsnap__print(ts, null, THREADSNAP_GROUPS);
	threadsnap__print(ts, null, THREADSNAP_EACH);
	threadsnap__print(ts, null, THREADSNAP_JSON);
out:
	if (null)
		fclose(null);
	threadsnap__free(ts);
	free(rec);
	free(buf);
	return 0;
}
