/* pidstat__parse on arbitrary /proc/PID/stat text. Aborts when a promise of the header
 * breaks: the name is NUL-terminated within its buffer, and nothing is read past the
 * text (ASan). The same bytes as a stat file (pidstat__read_file): its first 1 KiB gives
 * what the parser gives, an empty file -ESRCH. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/pidstat.h"
#include "fuzz_memfd.h"

#define READ_MAX 1024	/* what pidstat__read_file reads of a file */

static void read_file(const uint8_t *data, size_t size, int parsed, const struct pidstat *ps)
{
	struct pidstat fs;
	int err;

	memset(&fs, 0x55, sizeof(fs));
	err = pidstat__read_file(fuzz_memfile(data, size), &fs);
	if (!size) {
		if (err != -ESRCH)
			abort();
	} else if (size <= READ_MAX && (err != parsed || (!err && memcmp(&fs, ps, sizeof(fs))))) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches any read past the text. */
	char *text = malloc(size ? size : 1);
	struct pidstat ps;
	int err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	memset(&ps, 0x55, sizeof(ps));
	err = pidstat__parse(text, size, &ps);
	if (!err && !memchr(ps.comm, 0, sizeof(ps.comm)))
		abort();
	read_file(data, size, err, &ps);
	free(text);
	return 0;
}
