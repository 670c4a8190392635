// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "kinds/cpu.h"
#include "report/report.h"

int cpu__attach(struct bpf_program *prog, unsigned int freq, const int *cpus, size_t n_cpus,
		struct bpf_link **links)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.sample_freq = freq,
		.freq = 1,
	};
	int attached = 0, err = 0;

	for (size_t i = 0; i < n_cpus; i++) {
		int fd = syscall(__NR_perf_event_open, &attr, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);

		links[i] = NULL;
		if (fd < 0) {
			err = -errno;
			if (err == -ENODEV)	/* went offline since we listed it */
				continue;
			return err;
		}
		links[i] = bpf_program__attach_perf_event(prog, fd);
		if (!links[i]) {
			err = -errno;
			close(fd);
			return err;
		}
		attached++;
	}
	return attached ? 0 : (err ? err : -ENODEV);
}

static void cpu_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
		       int64_t *out)
{
	(void)value;
	out[0] = (int64_t)count;
	out[1] = (int64_t)count * k->period;
}

void cpu__report_kind(struct report_kind *k, unsigned int freq)
{
	static const struct pprof_value_type types[] = {
		{ "samples", "count" },
		{ "cpu", "nanoseconds" },
	};

	*k = (struct report_kind){
		.kind = CPROF_KIND_CPU,
		.name = "cpu",
		.file = "cpu.pb.gz",
		.types = types,
		.n_types = 2,
		.period_type = { "cpu", "nanoseconds" },
		.period = 1000000000LL / (freq ? freq : 1),
		.values = cpu_values,
	};
}
