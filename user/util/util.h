/* Small things every module needs: array length, min/max, the printf-format attribute. */
#ifndef CPROF_UTIL_H
#define CPROF_UTIL_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

/* Lets the compiler check format strings against their arguments (-Wformat). */
#define CPROF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Three-way comparison of two unsigned values without the overflow of a - b. */
#define CMP3(a, b) (((a) > (b)) - ((a) < (b)))

#endif
