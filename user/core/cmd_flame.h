/* `cprof-bpf flame`: pprof files → one flame.html. Offline: no root, no BPF. */
#ifndef CPROF_CMD_FLAME_H
#define CPROF_CMD_FLAME_H

/* argv[0] is "flame". Returns the exit status: 0, 1 (a file unreadable or unwritable),
 * 2 (usage). */
int cmd_flame__main(int argc, char **argv);

#endif
