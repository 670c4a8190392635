/* Facts about this machine and its processes that the session checks before attaching. */
#ifndef CPROF_SYSINFO_H
#define CPROF_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>

/* Whether pid can be profiled: 0; -ESRCH (no such process); -EPERM (not ours to read);
 * -EINVAL (a kernel thread: no user space). comm receives the process name. */
int sysinfo__check_pid(int pid, char *comm, size_t size);

/* The process (thread group) that thread pid belongs to, from /proc/PID/status; pid itself
 * for a process. Or -errno. */
int sysinfo__tgid(int pid);

/* Whether this process has the capabilities to load and attach tracing BPF programs
 * (CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON), from /proc/self/status. */
bool sysinfo__has_bpf_caps(void);

#endif
