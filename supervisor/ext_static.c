/* The link-time marker of the static akios: linked into build/akios
 * alone (GNUmakefile), never into libakios.a, akios-ext or the tests. Its
 * ext_link_static overrides the weak default in supervisor/ext.c, so this
 * binary hands redact and audit export --to to akios-ext (supervisor/ext.h).
 * A static-pie link also wraps dlopen (-Wl,--wrap=dlopen): should a path
 * ever reach a dlopen in this binary, it fails with this reason instead
 * of mapping a second libc into the process. */
#include "shared/common.h"

#include <stdbool.h>

bool ext_link_static(void);
bool ext_link_static(void)
{
	return true;
}

void *__wrap_dlopen(const char *file, int mode);
void *__wrap_dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

/* dlerror returns char * but callers only read it. */
char *__wrap_dlerror(void);
char *__wrap_dlerror(void)
{
	return (char *)"a static akios loads no shared library (akios-ext "
		       "does)";
}
