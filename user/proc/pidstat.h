/* /proc/PID/stat: the few fields the run needs of a process, parsed with bounds (the
 * command name in it is the process's to choose). */
#ifndef CPROF_PIDSTAT_H
#define CPROF_PIDSTAT_H

#include <stddef.h>
#include <stdint.h>

struct pidstat {
	char comm[16];		/* NUL-terminated, cut to fit */
	int ppid;
	uint64_t flags;		/* PF_* (PF_KTHREAD: a kernel thread) */
	uint64_t start_stack;	/* startstack: the image's id (cprof_sample.image); 0 when
				 * hidden or the address space is gone */
};

/* Parses the text of a stat file: "pid (comm) state ppid ...". Returns 0, or -EINVAL
 * when a field is missing or malformed. */
int pidstat__parse(const char *text, size_t len, struct pidstat *ps);

/* Reads and parses /proc/PID/stat. Returns 0, -ESRCH (no such process) or -errno. */
int pidstat__read(int pid, struct pidstat *ps);
/* The same for the stat file at path (its first 1 KiB): -ESRCH when it is missing or
 * empty. */
int pidstat__read_file(const char *path, struct pidstat *ps);

#endif
