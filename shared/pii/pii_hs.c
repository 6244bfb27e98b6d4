/* pii_hs: libhs through dlopen/dlsym. Resolved completely at load
 * (RTLD_NOW, like the binary's own -z now); dlopen counts references, so
 * each engine holds its own handle and closes it when freed. */
#include "shared/common.h"
#include "shared/pii/pii_hs.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

static void *sym(void *lib, const char *name, bool *ok)
{
	void *p = dlsym(lib, name);

	*ok = *ok && p;
	return p;
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
