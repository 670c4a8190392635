/* C++ (Itanium ABI) names made readable, once: results live in an arena. */
#ifndef CPROF_DEMANGLE_H
#define CPROF_DEMANGLE_H

struct arena;

/* The demangled form of name in the arena, or NULL when it is not an Itanium C++ name
 * ("_Z..."), does not demangle, or memory runs out. A PLT stub's "_ZN...@plt" keeps its
 * suffix, as objdump -C shows it. */
const char *demangle__cxx(struct arena *a, const char *name);

#endif
