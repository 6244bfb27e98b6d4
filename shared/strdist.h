/* String distance for "did you mean" suggestions (policy keys, PII pattern
 * names). Pure function; inputs are short identifiers. */
#ifndef AKIOS_STRDIST_H
#define AKIOS_STRDIST_H

#include "shared/common.h"

/* Optimal string alignment distance (edits plus adjacent swaps). Strings
 * longer than 32 bytes count as far from everything (returns 99). */
unsigned akios_edit_distance(const char *a, const char *b) AKIOS_NONNULL(1, 2);

#endif
