/* The link-time marker of the static akios: linked into build/akios
 * alone (GNUmakefile), never into libakios.a, akios-ext or the tests. Its
 * definition overrides the weak default in supervisor/ext.c, so this
 * binary hands redact and audit export --to to akios-ext (supervisor/ext.h). */
#include "shared/common.h"

#include <stdbool.h>

bool ext_link_static(void);
bool ext_link_static(void)
{
	return true;
}
