/* COMMAND: started stopped, released once the probes are attached and its pid is in the
 * filter, stopped with the run if it outlives it; its exit status becomes ours. */
#ifndef CPROF_COMMAND_H
#define CPROF_COMMAND_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

struct command {
	pid_t pid;		/* 0: no command */
	int release_fd;		/* -1 once released */
	int status;		/* waitpid's, once done */
	bool done;		/* reaped */
	bool execed;		/* its exec was seen: its samples are the command's */
	struct rlimit nofile;	/* the descriptor limit it runs with (ours before we raised
				 * it: session.c) */
	bool nofile_set;
};

#define COMMAND_INIT { .release_fd = -1 }

/* Forks argv stopped on a pipe; it execs at command__release(). Returns 0 or -errno. */
int command__spawn(struct command *c, char *const *argv);

/* Lets it exec. Returns 0 or -errno. */
int command__release(struct command *c);

/* Whether it has exited (reaped without waiting). */
bool command__exited(struct command *c);

/* The run ended (-d or a signal) before the command did: it was started for the profile,
 * so it ends with it — SIGTERM, then SIGKILL if it lingers past 2 s. */
void command__stop(struct command *c);

/* Setup failed: it never runs. */
void command__kill(struct command *c);

/* Its exit status as a process exit status: the code, or 128 + the signal. */
int command__exit_status(const struct command *c);

/* Closes what is left (the release pipe). */
void command__close(struct command *c);

#endif
