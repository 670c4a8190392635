/* What libbpf says while BPF objects load: kept (the last part of it) so that a failed load
 * can be told in a few words — the kernel feature that is missing, the verifier's verdict —
 * and printed only with -v. */
#ifndef CPROF_LOADLOG_H
#define CPROF_LOADLOG_H

#include <stdbool.h>
#include <stddef.h>

/* Routes libbpf's messages here: shown on stderr when verbose, always kept. */
void loadlog__install(bool verbose);

/* Forgets what was kept: call before a load whose failure is to be explained. */
void loadlog__begin(void);

/* A short reason for the failure of the load since loadlog__begin(), from libbpf's and the
 * verifier's messages, into buf; false when nothing known was found. */
bool loadlog__reason(char *buf, size_t size);

/* The same, from a log given as text (pure: unit-tested). */
bool loadlog__classify(const char *log, char *buf, size_t size);

#endif
