// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view's terminal, on ncurses: one place that knows curses, so the view's logic
 * (top.c) and its text (top_rows.c) stay testable without a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <curses.h>

#include "core/top_screen.h"

/* What went to stderr while the screen was up, written out at the end: at most this much
 * (the last messages of a long run say what matters). */
#define TOP_STDERR_MAX (64 * 1024)

struct top_screen {
	SCREEN *scr;
	int saved_stderr;	/* the terminal's stderr while ours goes to keep_fd; -1: not kept */
	int keep_fd;
};

/* Sends stderr to a memory file while the screen is up, if stderr is the terminal. */
static void keep_stderr(struct top_screen *sc)
{
	if (!isatty(STDERR_FILENO))
		return;
	sc->keep_fd = memfd_create("cprof-top-stderr", MFD_CLOEXEC);
	if (sc->keep_fd < 0)
		return;
	fflush(stderr);
	sc->saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (sc->saved_stderr < 0 || dup2(sc->keep_fd, STDERR_FILENO) < 0) {
		if (sc->saved_stderr >= 0)
			close(sc->saved_stderr);
		sc->saved_stderr = -1;
	}
}

/* Puts stderr back and writes out the tail of what was kept. */
static void replay_stderr(struct top_screen *sc)
{
	char *buf;
	off_t end, from;
	ssize_t n;

	if (sc->saved_stderr < 0)
		goto out;
	fflush(stderr);
	dup2(sc->saved_stderr, STDERR_FILENO);
	close(sc->saved_stderr);
	end = lseek(sc->keep_fd, 0, SEEK_END);
	from = end > TOP_STDERR_MAX ? end - TOP_STDERR_MAX : 0;
	buf = malloc(TOP_STDERR_MAX);
	if (buf && end > 0 && (n = pread(sc->keep_fd, buf, (size_t)(end - from), from)) > 0 &&
	    write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
	free(buf);
out:
	if (sc->keep_fd >= 0)
		close(sc->keep_fd);
}

int top_screen__open(struct top_screen **out)
{
	struct top_screen *sc = calloc(1, sizeof(*sc));

	*out = NULL;
	if (!sc)
		return -ENOMEM;
	sc->saved_stderr = sc->keep_fd = -1;
	/* Our own terminal description from $TERM, on stdout and stdin. */
	sc->scr = newterm(NULL, stdout, stdin);
	if (!sc->scr) {
		free(sc);
		return -ENOTTY;
	}
	set_term(sc->scr);
	cbreak();	/* keys at once; Ctrl-C still a SIGINT, which ends the run */
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	keep_stderr(sc);
	*out = sc;
	return 0;
}

void top_screen__close(struct top_screen *sc)
{
	if (!sc)
		return;
	endwin();
	delscreen(sc->scr);
	replay_stderr(sc);
	free(sc);
}

int top_screen__fd(const struct top_screen *sc)
{
	(void)sc;
	return STDIN_FILENO;
}

int top_screen__key(struct top_screen *sc)
{
	int c = wgetch(stdscr);

	(void)sc;
	switch (c) {
	case ERR:
		return TOP_KEY_NONE;
	case KEY_RESIZE:
		return TOP_KEY_RESIZE;
	case KEY_ENTER:
	case '\n':
	case '\r':
		return TOP_KEY_ENTER;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		return TOP_KEY_BACKSPACE;
	case 27:
		return TOP_KEY_ESCAPE;
	default:
		/* Other function keys mean nothing here. */
		return c >= 0 && c < 256 ? c : TOP_KEY_NONE;
	}
}

void top_screen__size(const struct top_screen *sc, int *rows, int *cols)
{
	(void)sc;
	getmaxyx(stdscr, *rows, *cols);
}

void top_screen__draw(struct top_screen *sc, const struct top_line *lines, size_t n)
{
	int rows, cols;

	top_screen__size(sc, &rows, &cols);
	erase();
	for (size_t i = 0; i < n && (int)i < rows; i++) {
		int attr = lines[i].style == TOP_BOLD ? A_BOLD :
			   lines[i].style == TOP_TITLE ? A_REVERSE : A_NORMAL;

		attrset(attr);
		mvaddnstr((int)i, 0, lines[i].text, cols);
		/* A title bar spans the width. */
		if (lines[i].style == TOP_TITLE)
			for (int x = (int)strlen(lines[i].text); x < cols; x++)
				mvaddch((int)i, x, ' ');
	}
	attrset(A_NORMAL);
	refresh();
}
