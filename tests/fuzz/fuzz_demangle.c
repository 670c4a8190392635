/* libFuzzer harness for demangle__cxx (symbols/demangle.h), which hands the names of a
 * profiled process's symbols and DWARF linkage names to libiberty's demangler: the input
 * (up to libFuzzer's -max_len, past the wrapper's own bound) is the name, with "_Z"
 * put in front when it lacks it so that most inputs reach the demangler. The demangler
 * recurses on its input: a stack overflow here is the wrapper's bound being too high.
 * Aborts when a result is not a NUL-terminated string, or drops a "@plt" suffix.
 *
 * Seeds (tests/fuzz/corpus/demangle/): mangled names of the kinds the symbolizer meets
 * (templates, lambdas, operators, clones, a PLT stub), and a substitution-heavy name on
 * which libstdc++'s demangler, used before, took minutes (docs/fuzzing.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/demangle.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a = { 0 };
	char *name = malloc(size + 3);
	const char *out;
	size_t n;

	if (!name)
		return 0;
	n = size >= 2 && !memcmp(data, "_Z", 2) ? 0 : 2;
	memcpy(name, "_Z", n);
	memcpy(name + n, data, size);
	name[n + size] = 0;
	out = demangle__cxx(&a, name);
	if (out) {
		size_t len = strlen(out), nlen = strlen(name);

		if (nlen > 4 && !strcmp(name + nlen - 4, "@plt") &&
		    (len < 4 || strcmp(out + len - 4, "@plt")))
			abort();
	}
	arena__free(&a);
	free(name);
	return 0;
}
