/* What libbpf says. While a BPF object loads or attaches (a capture window) it is kept (the
 * last part of it), so that a failure can be told in a few words — the kernel feature that
 * is missing, the verifier's verdict — and printed only with -v: a kind an old kernel
 * refuses must not spill its verifier log. Elsewhere libbpf's warnings and notes are shown
 * as they come, its debug messages only with -v. Capture windows are per thread. */
#ifndef CPROF_LOADLOG_H
#define CPROF_LOADLOG_H

#include <stdbool.h>
#include <stddef.h>

/* Routes libbpf's messages here; verbose: -v. */
void loadlog__install(bool verbose);

/* Opens a capture window, forgetting what was kept: call before a load or attach whose
 * failure is to be explained. */
void loadlog__begin(void);

/* Closes the capture window; what was kept stays for loadlog__reason. */
void loadlog__end(void);

/* A short reason for the failure of the load since loadlog__begin(), from libbpf's and the
 * verifier's messages, into buf; false when nothing known was found. */
bool loadlog__reason(char *buf, size_t size);

/* The same, from a log given as text (pure: unit-tested). */
bool loadlog__classify(const char *log, char *buf, size_t size);

#endif
