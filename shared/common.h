/* Project-wide macros and the banned-function poison (STYLE.md §27).
 * Every .c of akios includes this first, so a banned call fails to compile
 * rather than waiting for review. */
#ifndef AKIOS_COMMON_H
#define AKIOS_COMMON_H

/* The system headers that declare banned names come first, so their own
 * declarations are seen before the poison below takes effect. */
#include <alloca.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define AKIOS_VERSION "0.1.0"

#define AKIOS_NODISCARD		__attribute__((warn_unused_result))
#define AKIOS_NONNULL(...)	__attribute__((nonnull(__VA_ARGS__)))
#define AKIOS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define AKIOS_UNUSED		__attribute__((unused))

#define AKIOS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Functions that tests reach directly are static in the product and
 * external under -DAKIOS_TESTING (STYLE.md §31). */
#ifdef AKIOS_TESTING
#define AKIOS_STATIC
#else
#define AKIOS_STATIC static
#endif

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok atoi atol atoll
#undef alloca
#pragma GCC poison system popen tmpnam mktemp alloca
/* Criterion's headers use "signal" as a field name, so tests are spared
 * this one; make lint still catches signal() in product code. */
#ifndef AKIOS_TESTING
#pragma GCC poison signal
#endif

#endif
