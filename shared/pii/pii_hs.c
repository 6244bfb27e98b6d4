/* pii_hs: libhs through dlopen/dlsym. Resolved completely at load
 * (RTLD_NOW, like the binary's own -z now); dlopen counts references, so
 * each engine holds its own handle and closes it when freed. */
#include "shared/common.h"
#include "shared/pii/pii_hs.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/platform/x86.h>

static void *sym(void *lib, const char *name, bool *ok)
{
	void *p = dlsym(lib, name);

	*ok = *ok && p;
	return p;
}

/* Vectorscan 5.4.9's AVX-512 scan path (what hs_scan picks on an
 * AVX-512 CPU) misses matches depending on the scanned bytes' address
 * (tests/unit/test_pii_align.c); its AVX2 path, same database, does not.
 * A fat-runtime libhs exports each path: on an AVX2 CPU take the AVX2
 * one, and compile for AVX2 only (an AVX-512 database may use engines,
 * such as 64-state Sheng, that the AVX2 path does not have). Without it (a single-ISA build), hs_scan is used and the scanner
 * falls back to its address-pinned double scan. */
static const hs_platform_info_t avx2_platform = {
    .tune = HS_TUNE_FAMILY_GENERIC, .cpu_features = HS_CPU_FEATURES_AVX2};

static void pick_scan(struct pii_hs *hs, void *lib)
{
	void *avx2 = dlsym(lib, "avx2_hs_scan");

	hs->scan_exact = !CPU_FEATURE_ACTIVE(AVX512BW);
#ifdef AKIOS_TESTING
	/* test builds can take hs_scan as is, to test the fallback */
	if (getenv("AKIOS_TEST_PII_HS_SCAN"))
		return;
#endif
	if (avx2 && CPU_FEATURE_ACTIVE(AVX2)) {
		hs->scan = avx2;
		hs->scan_exact = true;
		hs->platform = &avx2_platform;
	}
}

int pii_hs_load(struct pii_hs *hs, struct akios_err *err)
{
	bool ok = true;
	void *lib = dlopen(PII_HS_LIB, RTLD_NOW | RTLD_LOCAL);

	memset(hs, 0, sizeof(*hs));
	if (!lib)
		return akios_err_set(err, NULL, 0, 0,
				     "PII detection needs %s (Debian: apt-get "
				     "install libvectorscan5): %s",
				     PII_HS_LIB, dlerror());
	hs->expression_info = sym(lib, "hs_expression_info", &ok);
	hs->compile_multi = sym(lib, "hs_compile_multi", &ok);
	hs->free_compile_error = sym(lib, "hs_free_compile_error", &ok);
	hs->alloc_scratch = sym(lib, "hs_alloc_scratch", &ok);
	hs->free_scratch = sym(lib, "hs_free_scratch", &ok);
	hs->free_database = sym(lib, "hs_free_database", &ok);
	hs->scan = sym(lib, "hs_scan", &ok);
	pick_scan(hs, lib);
	if (!ok) {
		dlclose(lib);
		memset(hs, 0, sizeof(*hs));
		return akios_err_set(err, NULL, 0, 0,
				     "%s lacks the Vectorscan block API",
				     PII_HS_LIB);
	}
	hs->lib = lib;
	return 0;
}

void pii_hs_unload(struct pii_hs *hs)
{
	if (hs->lib)
		dlclose(hs->lib);
	memset(hs, 0, sizeof(*hs));
}
