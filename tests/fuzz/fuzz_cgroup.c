/* cgroup__parse on arbitrary /proc/PID/cgroup text, then cgroup__container_id on the path.
 * Aborts when a promise of the header breaks: a path starts with '/', is within
 * CGROUP_PATH_MAX and as long as returned, has no control byte; an id is 64 lowercase hex
 * digits found in the path. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/cgroup.h"

static void check_id(const char *path)
{
	char id[CGROUP_ID_LEN + 2];

	id[CGROUP_ID_LEN + 1] = 'Z';
	if (!cgroup__container_id(path, id))
		return;
	if (strlen(id) != CGROUP_ID_LEN || id[CGROUP_ID_LEN + 1] != 'Z' || !strstr(path, id))
		abort();
	for (size_t i = 0; i < CGROUP_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches any read past the text. */
	char *text = malloc(size ? size : 1), *path = malloc(CGROUP_PATH_MAX + 1);
	int n;

	if (!text || !path)
		goto out;
	memcpy(text, data, size);
	n = cgroup__parse(text, size, path);
	if (n >= 0) {
		if (n == 0 || n > CGROUP_PATH_MAX || path[0] != '/' || strlen(path) != (size_t)n)
			abort();
		for (int i = 0; i < n; i++)
			if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
				abort();
		check_id(path);
	} else if (n != -ENOENT && n != -EINVAL && n != -ENAMETOOLONG) {
		abort();
	}
	/* The id search on the raw text too, as a string of any bytes. */
	if (size && text[size - 1] == 0)
		check_id(text);
out:
	free(text);
	free(path);
	return 0;
}
