/* Kernel text symbols from /proc/kallsyms. See kallsyms.h.
 *
 * TEMPORARY minimal implementation so the symbolizer links and its kernel path can be
 * tested; the full module replaces this file. A symbol extends to the next one (kallsyms
 * has no sizes); the last symbol of the table resolves nothing past itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kallsyms.h"

#define KALLSYMS_MAX_TEXT (256u << 20)

struct ksym {
	uint64_t addr;
	const char *name, *module;
};

struct kallsyms {
	char *text;		/* private copy; names and modules point into it */
	struct ksym *syms;
	size_t n;
};

static int ksym_cmp(const void *pa, const void *pb)
{
	const struct ksym *a = pa, *b = pb;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* "ADDR TYPE NAME[\t[MODULE]]": text (t/T) symbols only. Terminates fields in place. */
static int kallsyms__line(char *line, struct ksym *out)
{
	char *end, *name, *mod;

	out->addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || (end[1] != 't' && end[1] != 'T') || end[2] != ' ')
		return -EINVAL;
	name = end + 3;
	mod = strchr(name, '\t');
	if (mod) {
		*mod++ = '\0';
		if (mod[0] != '[' || !strchr(mod, ']'))
			return -EINVAL;
		mod++;
		*strchr(mod, ']') = '\0';
	}
	if (!name[0])
		return -EINVAL;
	out->name = name;
	out->module = mod ? mod : "";
	return 0;
}

struct kallsyms *kallsyms__parse(const char *text, size_t len)
{
	struct kallsyms *ks = calloc(1, sizeof(*ks));
	size_t cap = 0;
	char *line, *next;

	if (!ks || !(ks->text = malloc(len + 1)))
		goto err;
	memcpy(ks->text, text, len);
	ks->text[len] = '\0';
	for (line = ks->text; line && *line; line = next) {
		struct ksym sym;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (kallsyms__line(line, &sym))
			continue;
		if (ks->n == cap) {
			struct ksym *v = realloc(ks->syms, (cap ? cap * 2 : 4096) * sizeof(*v));

			if (!v)
				goto err;
			ks->syms = v;
			cap = cap ? cap * 2 : 4096;
		}
		ks->syms[ks->n++] = sym;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), ksym_cmp);
	return ks;
err:
	kallsyms__free(ks);
	errno = ENOMEM;
	return NULL;
}

struct kallsyms *kallsyms__load(const char *path)
{
	struct kallsyms *ks = NULL;
	size_t len = 0, cap = 1 << 20;
	char *buf = malloc(cap);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || !buf) {
		err = fd < 0 ? errno : ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap && cap < KALLSYMS_MAX_TEXT) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				err = ENOMEM;
				goto out;
			}
			buf = b;
			cap *= 2;
		}
		if (len == cap)
			break;
	}
	if (n < 0) {
		err = errno;
		goto out;
	}
	ks = kallsyms__parse(buf, len);
	if (!ks)
		err = errno;
	else if (ks->n && ks->syms[ks->n - 1].addr == 0)
		err = EPERM; /* kptr_restrict hides the addresses */
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (err) {
		kallsyms__free(ks);
		ks = NULL;
		errno = err;
	}
	return ks;
}

void kallsyms__free(struct kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->text);
	free(ks);
}

int kallsyms__find(const struct kallsyms *ks, uint64_t addr, const char **name,
		   uint64_t *sym_start, const char **module)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || lo == ks->n)
		return -ENOENT;
	*name = ks->syms[lo - 1].name;
	*sym_start = ks->syms[lo - 1].addr;
	*module = ks->syms[lo - 1].module;
	return 0;
}

size_t kallsyms__count(const struct kallsyms *ks)
{
	return ks ? ks->n : 0;
}
