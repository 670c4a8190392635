/* Minimal unit-test harness. Each TEST prints "PASS: file/name" or "FAIL: file/name" (with
 * the failed checks above it); SKIP(reason) prints "SKIP: file/name: reason". tests/run
 * counts these lines. A test binary exits non-zero if any test failed. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check__failed;
static int check__skipped;
static int check__any_failed;
static const char *check__suite = "unit";

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("    %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
			check__failed = 1;                                                 \
		}                                                                          \
	} while (0)

/* Stops the current test on failure (for checks later code depends on). cond is
 * evaluated once, so it may have side effects. */
#define REQUIRE(cond, ...)                                                                 \
	do {                                                                               \
		int check__ok = !!(cond);                                                  \
		CHECK(check__ok && #cond, __VA_ARGS__);                                    \
		if (!check__ok)                                                            \
			return;                                                            \
	} while (0)

#define SKIP(...)                                                                          \
	do {                                                                               \
		printf("SKIP: %s/%s: ", check__suite, __func__);                           \
		printf(__VA_ARGS__);                                                       \
		printf("\n");                                                              \
		check__skipped = 1;                                                        \
		return;                                                                    \
	} while (0)

#define TEST(name) static void name(void)

static inline void check__run(const char *name, void (*fn)(void))
{
	check__failed = 0;
	check__skipped = 0;
	fflush(stdout);
	fn();
	if (check__skipped)
		return;
	printf("%s: %s/%s\n", check__failed ? "FAIL" : "PASS", check__suite, name);
	fflush(stdout);
	if (check__failed)
		check__any_failed = 1;
}

#define RUN(name) check__run(#name, name)
#define CHECK_SUITE(s) (check__suite = (s))
#define CHECK_EXIT() (check__any_failed ? 1 : 0)

#endif
