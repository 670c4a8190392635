/* `cprof-bpf stacks -p PID`: every thread's stack now, grouped, without stopping the
 * process (bpf/threads.bpf.c). */
#ifndef CPROF_CMD_STACKS_H
#define CPROF_CMD_STACKS_H

/* argv[0] is "stacks". Returns the exit status: 0; 1 (not root, no such process, a process
 * gone before its threads were read, a kernel without the iterator); 2 (usage). */
int cmd_stacks__main(int argc, char **argv);

#endif
