/* object__parse_elf on arbitrary bytes (a zeroed object each time, as a caller would
 * have), then offset translation; and object__parse_fd on the same bytes in a memfd
 * (fuzz_memfd.h), which must agree (it reads through pread and a window cache instead of
 * memcpy). Aborts on results that break the object contract. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_memfd.h"
#include "proc/object.h"

static void check_object(const struct object *obj, int err, const uint8_t *data, size_t size)
{
	uint64_t va, off;
	size_t i;

	if (err != 0 && err != -EINVAL)
		abort();
	if (err && (obj->is_elf || obj->n_loads || obj->build_id[0] || obj->debuglink[0]))
		abort();
	if (strnlen(obj->debuglink, sizeof(obj->debuglink)) == sizeof(obj->debuglink) ||
	    strchr(obj->debuglink, '/'))
		abort();
	if (obj->n_loads > OBJECT_MAX_LOADS || strlen(obj->build_id) > 40 ||
	    strspn(obj->build_id, "0123456789abcdef") != strlen(obj->build_id) ||
	    strlen(obj->build_id) % 2)
		abort();
	/* Loads may overlap in garbage: an earlier one may answer, but one must. */
	for (i = 0; i < obj->n_loads; i++)
		if (obj->loads[i].filesz &&
		    object__file_offset_to_vaddr(obj, obj->loads[i].offset, &va))
			abort();
	for (i = 0; i + 8 <= size && i < 64; i += 8) {
		memcpy(&off, data + i, 8);
		object__file_offset_to_vaddr(obj, off, &va);
	}
}

static void same_as_file(const struct object *mem, int mem_err, const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd(data, size);
	struct object file;
	int err;

	if (fd < 0)
		return;
	memset(&file, 0, sizeof(file));
	file.fd = -1;
	err = object__parse_fd(&file, fd);
	if (err != mem_err || file.is_elf != mem->is_elf || file.e_type != mem->e_type ||
	    file.n_loads != mem->n_loads || strcmp(file.build_id, mem->build_id) ||
	    strcmp(file.debuglink, mem->debuglink) || file.debuglink_crc != mem->debuglink_crc ||
	    memcmp(file.loads, mem->loads, mem->n_loads * sizeof(mem->loads[0])))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches any read past the image. */
	uint8_t *img = malloc(size ? size : 1);
	struct object obj;
	int err;

	if (!img)
		return 0;
	memcpy(img, data, size);
	memset(&obj, 0, sizeof(obj));
	obj.fd = -1;
	err = object__parse_elf(&obj, img, size);
	check_object(&obj, err, data, size);
	same_as_file(&obj, err, data, size);
	free(img);
	return 0;
}
