/* Inside the pii module only: the Vectorscan (libhs) calls the engine
 * makes, resolved with dlopen when an engine is built, so commands that
 * never redact (akios run above all) do not load libhs and libstdc++. */
#ifndef AKIOS_PII_HS_H
#define AKIOS_PII_HS_H

#include "shared/common.h"
#include "shared/err.h"

#include <hs/hs.h>
#include <stdbool.h>

/* The soname loaded; a missing library is an error naming it. */
#define PII_HS_LIB "libhs.so.5"

/* Each member has the exact type of the libhs function it stands for. */
struct pii_hs {
	void *lib;
	__typeof__(hs_expression_info) *expression_info;
	__typeof__(hs_compile_multi) *compile_multi;
	__typeof__(hs_free_compile_error) *free_compile_error;
	__typeof__(hs_alloc_scratch) *alloc_scratch;
	__typeof__(hs_free_scratch) *free_scratch;
	__typeof__(hs_free_database) *free_database;
	__typeof__(hs_scan) *scan;
	/* scan's result does not depend on the bytes' address */
	bool scan_exact;
	/* what databases are compiled for: NULL (this CPU) or, with the
	 * AVX2 scan path, AVX2 (an AVX-512 database may use engines that
	 * path lacks) */
	const hs_platform_info_t *platform;
};

/* Loads libhs (RTLD_NOW) and fills hs; on failure hs->lib is NULL. */
int pii_hs_load(struct pii_hs *hs, struct akios_err *err) AKIOS_NONNULL(1);
/* Closes what pii_hs_load opened (nothing when it failed). */
void pii_hs_unload(struct pii_hs *hs) AKIOS_NONNULL(1);

#endif
