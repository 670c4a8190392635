/* `cprof-bpf report FILE`: a pprof profile (ours or any other) as text, offline. */
#ifndef CPROF_CMD_REPORT_H
#define CPROF_CMD_REPORT_H

/* argv[0] is "report". Returns the exit status: 0, 1 (a file that cannot be read or
 * written), 2 (usage). */
int cmd_report__main(int argc, char **argv);

#endif
