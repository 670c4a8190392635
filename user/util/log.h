/* Messages to the user on stderr, in one style: "cprof-bpf: …" for errors and notes,
 * "cprof-bpf: warning: …" for warnings (always shown), and debug lines only with -v.
 * The end-of-run summary is output, not logging: report/summary writes it. */
#ifndef CPROF_LOG_H
#define CPROF_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "util/util.h"

void log__set_verbose(bool verbose);
bool log__verbose(void);

/* One line each; the newline is added. */
void log_error(const char *fmt, ...) CPROF_PRINTF(1, 2);
void log_warn(const char *fmt, ...) CPROF_PRINTF(1, 2);
void log_info(const char *fmt, ...) CPROF_PRINTF(1, 2);
/* Only with -v. */
void log_debug(const char *fmt, ...) CPROF_PRINTF(1, 2);
/* For a library's own messages (libbpf's print callback): prefix and text as given. */
void log_vprint(const char *prefix, const char *fmt, va_list ap) CPROF_PRINTF(2, 0);

#endif
