/* pidstat__parse on arbitrary /proc/PID/stat text. Aborts when a promise of the header
 * breaks: the name is NUL-terminated within its buffer, and nothing is read past the
 * text (ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/pidstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches any read past the text. */
	char *text = malloc(size ? size : 1);
	struct pidstat ps;

	if (!text)
		return 0;
	memcpy(text, data, size);
	memset(&ps, 0x55, sizeof(ps));
	if (!pidstat__parse(text, size, &ps) && !memchr(ps.comm, 0, sizeof(ps.comm)))
		abort();
	free(text);
	return 0;
}
