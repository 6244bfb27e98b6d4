/* The stable names of the PII/secret patterns and their categories, as a
 * policy writes them in pii_redaction.patterns. A name may be a pattern
 * ("credit_card") or a category ("financial", "api_key"), which stands for
 * every pattern in it. Pure data: the policy loader validates names with
 * it without linking the scanner. */
#ifndef AKIOS_PII_NAMES_H
#define AKIOS_PII_NAMES_H

#include "shared/common.h"

#include <stdbool.h>

struct pii_name {
	const char *name;     /* stable pattern name */
	const char *category; /* its category */
};

/* The table, sorted by name; *n set to its length. */
const struct pii_name *pii_names(unsigned *n) AKIOS_NONNULL(1);

/* True when name is a pattern or a category name. */
bool pii_name_known(const char *name) AKIOS_NONNULL(1);

/* The category of a pattern name, or NULL if name is not a pattern. */
const char *pii_name_category(const char *name) AKIOS_NONNULL(1);

/* The closest known name (for "did you mean"), or NULL if none is close. */
const char *pii_name_suggest(const char *name) AKIOS_NONNULL(1);

#endif
