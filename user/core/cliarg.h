/* Numbers and pid lists on the command line, read one way for the run's options (main.c)
 * and for the subcommands that read files (cmd_report.c). */
#ifndef CPROF_CLIARG_H
#define CPROF_CLIARG_H

#include <stddef.h>

/* A whole number in [min, max] with nothing around it (no sign, no suffix), or -EINVAL. */
int cliarg__uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Appends each pid of "PID[,PID...]" to the growable array *pids (*n used, *cap allocated).
 * Returns 0, -ENOMEM, or -EINVAL for a token that is not a positive pid: that token is then
 * copied into bad[bad_size] for the caller's message ("" for a list with no pid at all). */
int cliarg__pids(const char *list, int **pids, size_t *n, size_t *cap, char *bad,
		 size_t bad_size);

#endif
