/* libFuzzer harness for the unwind-table cache loader (cfi_cache__load_fd, format version
 * CFI_CACHE_VERSION) past its checksum: the input is a cache file, header and rows, whose
 * crc the harness recomputes before writing it to a memfd, so that mutations reach the
 * header's other checks and the rows' validation instead of dying at the crc (fuzz_cfi
 * feeds the same loader files with their own crc). The build id asked for is the one the
 * header names, so that mutations reach the build id's checks too. A table that loads is
 * checked as fuzz_cfitab.h says.
 *
 * Seeds (tests/fuzz/corpus/cficache/), written by tests/fuzz/mkseeds.sh: the tables of the
 * cfi seeds tiny.so, tiny-go.so and tiny-clone.so as cfi_cache__store writes them for the
 * build id FUZZ_BUILD_ID. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_cfitab.h"
#include "unwind/cfi.h"
#include "unwind/cfi_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[CFI_CACHE_BUILD_ID_MAX + 1] = { 0 };
	struct cfi_cache_header h;
	struct cfi_table *t = NULL;
	int fd;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	memcpy(id, h.build_id, sizeof(h.build_id));
	h.crc = cfi_cache__checksum(&h, data + sizeof(h), size - sizeof(h));
	fd = memfd_create("fuzz-cficache", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
	    write(fd, data + sizeof(h), size - sizeof(h)) == (ssize_t)(size - sizeof(h)) &&
	    !cfi_cache__load_fd(fd, id, &t))
		fuzz_cfi_check_table(t);
	cfi_table__free(t);
	close(fd);
	return 0;
}
