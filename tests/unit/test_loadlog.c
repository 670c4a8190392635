// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The short reasons a failed BPF load is told with (user/core/loadlog.c), from excerpts of what
 * libbpf 1.1 and the verifier print on the kernels we support. */
#include <stdarg.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "core/loadlog.h"

static const char *reason(const char *log)
{
	static char buf[256];

	if (!loadlog__classify(log, buf, sizeof(buf)))
		return "";
	return buf;
}

TEST(stack_too_large)
{
	const char *log = "libbpf: prog 'cprof_heap_probe': BPF program load failed: Permission denied\n"
			  "libbpf: prog 'cprof_heap_probe': -- BEGIN PROG LOAD LOG --\n"
			  "combined stack size of 4 calls is 528. Too large\n"
			  "verification time 8436 usec\n";

	CHECK(!strcmp(reason(log), "the verifier counts a stack of 528 bytes, over its 512-byte limit"),
	      "got '%s'", reason(log));
}

TEST(core_relocation)
{
	const char *patch = "libbpf: prog 'cprof_cpu_sample': relo #5: <byte_off> [102] struct "
			    "pt_regs.cs (0:17:0 @ offset 136)\n"
			    "libbpf: prog 'cprof_cpu_sample': relo #5: failed to patch insn #117: -22\n"
			    "libbpf: failed to perform CO-RE relocations: -22\n";
	const char *poison = "117: <invalid CO-RE relocation>\n"
			     "failed to resolve CO-RE relocation <byte_off> [7] struct task_struct.__state "
			     "(0:2 @ offset 24)\n";

	CHECK(!strcmp(reason(patch), "a CO-RE relocation does not fit this kernel's BTF: "
				     "struct pt_regs.cs"), "got '%s'", reason(patch));
	CHECK(strstr(reason(poison), "lacks what a CO-RE relocation needs") &&
	      strstr(reason(poison), "struct task_struct.__state"), "got '%s'", reason(poison));
}

TEST(missing_helper_and_attach_point)
{
	const char *helper = "36: (85) call bpf_loop#181\nunknown func bpf_loop#181\n";
	const char *kfunc = "libbpf: extern (func ksym) 'bpf_session_is_return': not found in kernel "
			    "or module BTFs\n";
	const char *tp = "libbpf: prog 'p': failed to find kernel BTF type ID of "
			 "'sched_process_exec': -3\n";

	CHECK(!strcmp(reason(helper), "the kernel lacks the BPF helper bpf_loop#181"), "got '%s'",
	      reason(helper));
	CHECK(!strcmp(reason(kfunc), "the kernel lacks the kfunc bpf_session_is_return"), "got '%s'",
	      reason(kfunc));
	CHECK(!strcmp(reason(tp), "the kernel has no sched_process_exec to attach to"), "got '%s'",
	      reason(tp));
}

TEST(verifier_argument)
{
	const char *log = "123: (85) call bpf_map_lookup_elem#1\n"
			  "R2 type=mem expected=fp, pkt, pkt_meta, map_key, map_value\n"
			  "processed 900 insns\n";

	CHECK(strstr(reason(log), "R2 type=mem expected=fp") != NULL, "got '%s'", reason(log));
}

TEST(unknown_and_bounded)
{
	char small[8];

	CHECK(!loadlog__classify("libbpf: something else entirely\n", small, sizeof(small)),
	      "an unknown log gives no reason");
	CHECK(!loadlog__classify("", small, sizeof(small)), "an empty log gives no reason");
	CHECK(loadlog__classify("combined stack size of 9 calls is 99999. Too large", small,
				sizeof(small)) && strlen(small) == sizeof(small) - 1,
	      "the reason is cut to the buffer: '%s'", small);
	CHECK(!loadlog__classify("failed to find kernel BTF type ID of '", small, 0),
	      "a zero-size buffer gives no reason");
}

/* Calls the print function loadlog__install() gave libbpf, as libbpf would. */
static void libbpf_says(libbpf_print_fn_t fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fn(LIBBPF_WARN, fmt, ap);
	va_end(ap);
}

/* libbpf prints a failed program's whole verifier log as one message: the verdict at its
 * end must be kept, however long the log before it. */
TEST(long_message_tail_kept)
{
	size_t n = 200 << 10;
	char *log = malloc(n + 64), reason[256];
	libbpf_print_fn_t fn;

	REQUIRE(log, "malloc");
	memset(log, 'x', n);
	for (size_t i = 79; i < n; i += 80)
		log[i] = '\n';
	strcpy(log + n, "\ncombined stack size of 4 calls is 528. Too large\n");
	loadlog__install(false);
	fn = libbpf_set_print(NULL);
	libbpf_set_print(fn);
	loadlog__begin();
	libbpf_says(fn, "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n",
		    log);
	CHECK(loadlog__reason(reason, sizeof(reason)) && strstr(reason, "528 bytes"),
	      "the verdict after %zu bytes of log was lost", n);
	loadlog__begin();
	CHECK(!loadlog__reason(reason, sizeof(reason)), "loadlog__begin forgets what was kept");
	free(log);
}

int main(void)
{
	CHECK_SUITE("unit/loadlog");
	RUN(stack_too_large);
	RUN(core_relocation);
	RUN(missing_helper_and_attach_point);
	RUN(verifier_argument);
	RUN(unknown_and_bounded);
	RUN(long_message_tail_kept);
	return CHECK_EXIT();
}
