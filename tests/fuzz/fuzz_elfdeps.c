/* libFuzzer harness for elfdeps__each (elf/elfdeps.h), the heap profile's reading of the
 * COMMAND's executable before it runs: its dynamic linker and the libraries it names. The
 * input becomes the file (a memfd). Aborts when a path handed on breaks the contract: the
 * dynamic linker absolute, at most PATH_MAX bytes with its NUL; a library, which comes
 * after it, also found (it exists).
 *
 * Seeds (tests/fuzz/corpus/elfdeps/), written by tests/fuzz/mkseeds.sh: a dynamically
 * linked program naming libc and libm, one with a RUNPATH, one with an RPATH list, a
 * shared library (no PT_INTERP), a static program (no dynamic section). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/elfdeps.h"

static void check_path(const char *path, void *ctx)
{
	size_t n = strnlen(path, PATH_MAX);
	unsigned int *calls = ctx;

	/* Only the dynamic linker, the first call, is handed on unchecked. */
	if (n == PATH_MAX || path[0] != '/' || (*calls && access(path, F_OK)) ||
	    ++*calls > 1u << 16)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int calls = 0;
	int fd = memfd_create("fuzz-elfdeps", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size)
		elfdeps__each(fd, check_path, &calls);
	close(fd);
	return 0;
}
