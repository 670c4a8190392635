/* Threads of our own (the debuginfod fetcher, the table builder), started alike. */
#ifndef CPROF_THREAD_H
#define CPROF_THREAD_H

#include <pthread.h>

/* Starts fn(arg) on a new thread with every signal blocked: SIGINT and SIGTERM are the
 * main thread's. Returns 0 or -errno. */
int thread__start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
