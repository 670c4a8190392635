/* The terminal of `cprof-bpf top` (ncurses): the alternate screen while the view runs, keys
 * read without waiting (the run's loop waits on the terminal's descriptor), lines drawn in a
 * few styles. While the screen is up, stderr (our own warnings) is kept aside and written out
 * once the terminal is restored, so no message tears the screen. */
#ifndef CPROF_TOP_SCREEN_H
#define CPROF_TOP_SCREEN_H

#include <stddef.h>

struct top_screen;

enum top_style { TOP_PLAIN, TOP_BOLD, TOP_TITLE };

struct top_line {
	const char *text;
	enum top_style style;
};

/* Keys besides characters. */
#define TOP_KEY_NONE (-1)
#define TOP_KEY_RESIZE (-2)
#define TOP_KEY_ENTER (-3)
#define TOP_KEY_BACKSPACE (-4)
#define TOP_KEY_ESCAPE (-5)

/* Takes the terminal (stdin and stdout must be one). Returns 0 or -errno. */
int top_screen__open(struct top_screen **out);
/* Restores the terminal, then writes what went to stderr meanwhile. Accepts NULL. */
void top_screen__close(struct top_screen *sc);

/* The descriptor the loop waits on for keys. */
int top_screen__fd(const struct top_screen *sc);
/* The next key, TOP_KEY_* or a character; TOP_KEY_NONE when none is waiting. */
int top_screen__key(struct top_screen *sc);
/* The terminal's size now. */
void top_screen__size(const struct top_screen *sc, int *rows, int *cols);
/* Replaces the screen's content with lines, one per terminal row, cut at its width. */
void top_screen__draw(struct top_screen *sc, const struct top_line *lines, size_t n);

#endif
