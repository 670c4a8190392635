// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/command.h"
#include "util/log.h"

int command__spawn(struct command *c, char *const *argv)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (c->pid == 0) {
		char x;

		close(p[1]);
		if (read(p[0], &x, 1) != 1)
			_exit(127);	/* the profiler failed before starting us */
		signal(SIGPIPE, SIG_DFL);	/* ignored by us, not by the command */
		if (c->nofile_set)
			setrlimit(RLIMIT_NOFILE, &c->nofile);	/* ours was raised, not its */
		execvp(argv[0], argv);
		log_error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	c->release_fd = p[1];
	return 0;
}

int command__release(struct command *c)
{
	int err = 0;

	if (write(c->release_fd, "x", 1) != 1)
		err = -errno;
	command__close(c);
	return err;
}

bool command__exited(struct command *c)
{
	if (!c->done && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->done = true;
	return c->done;
}

void command__stop(struct command *c)
{
	kill(c->pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(c->pid, &c->status, WNOHANG) == c->pid) {
			c->done = true;
			return;
		}
		usleep(10000);
	}
	kill(c->pid, SIGKILL);
	if (waitpid(c->pid, &c->status, 0) == c->pid)
		c->done = true;
}

void command__kill(struct command *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

int command__exit_status(const struct command *c)
{
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	return 128 + WTERMSIG(c->status);
}

void command__close(struct command *c)
{
	if (c->release_fd >= 0)
		close(c->release_fd);
	c->release_fd = -1;
}
