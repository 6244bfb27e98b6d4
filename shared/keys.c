/* keys: default locations of the akios key pair.
 * Invariant: never returns a relative directory. */
#include "shared/common.h"
#include "shared/fileio.h"
#include "shared/keys.h"

#include <errno.h>
#include <sys/stat.h>

static int join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int keys_default_dir(char *buf, size_t size)
{
	const char *v = getenv("AKIOS_KEY_DIR");

	if (v && v[0] == '/') {
		int n = snprintf(buf, size, "%s", v);

		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	v = getenv("XDG_CONFIG_HOME");
	if (v && v[0] == '/')
		return join(buf, size, v, "akios/keys");
	v = getenv("HOME");
	if (v && v[0] == '/')
		return join(buf, size, v, ".config/akios/keys");
	return -ENOENT;
}

int keys_path(const char *dir, const char *name, char *buf, size_t size)
{
	char def[4096];
	int rc;

	if (!dir) {
		rc = keys_default_dir(def, sizeof(def));
		if (rc)
			return rc;
		dir = def;
	}
	return join(buf, size, dir, name);
}

int keys_make_dir(const char *dir)
{
	return fileio_mkdir_p(dir, 0700);
}
