/* ext: finds akios-ext relative to /proc/self/exe and execs it. The
 * candidates are fixed (no PATH search), a candidate that exists but
 * cannot run stops the search (fail closed), and a candidate that is the
 * running binary itself is refused, so no build ever execs in a loop. */
#include "shared/common.h"
#include "supervisor/ext.h"

#include <errno.h>
#include <nss.h>
#include <sys/stat.h>

/* Weak: supervisor/ext_static.c's strong definition wins in the static
 * akios. A function, not a const flag: GCC folds a weak const's
 * initializer into its readers, but never inlines a weak function. */
bool ext_link_static(void);
__attribute__((weak)) bool ext_link_static(void)
{
	return false;
}

static const char *const ext_rel[EXT_CANDIDATES] = {
    EXT_NAME,
    "../lib/akios/" EXT_NAME,
};

bool ext_required(void)
{
	return ext_link_static();
}

void ext_nss_builtin(void)
{
	if (!ext_required())
		return;
	/* Fails only for an unknown database name: nothing to handle. */
	(void)__nss_configure_lookup("passwd", "files");
	(void)__nss_configure_lookup("group", "files");
	(void)__nss_configure_lookup("hosts", "files dns");
}

int ext_candidate(const char *self, unsigned i, char *out, size_t size)
{
	const char *slash = strrchr(self, '/');
	int n;

	if (!slash || i >= EXT_CANDIDATES)
		return -EINVAL;
	n = snprintf(out, size, "%.*s/%s", (int)(slash - self), self,
		     ext_rel[i]);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static bool same_file(const char *path, const struct stat *self)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == self->st_dev &&
	       st.st_ino == self->st_ino;
}

/* Records a failed candidate; errnum is an errno or EXT_SELF. */
static int fail(struct ext_tried *t, const char *path, int errnum)
{
	unsigned i = t->n++;

	if (path != t->path[i])
		snprintf(t->path[i], sizeof(t->path[i]), "%s", path);
	t->errnum[i] = errnum;
	return errnum == EXT_SELF ? -ELOOP : -errnum;
}

int ext_exec(char *const argv[], struct ext_tried *t)
{
	char self[PATH_MAX];
	struct stat st_self;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int rc = -ENOENT;

	memset(t, 0, sizeof(*t));
	if (n < 0 || stat("/proc/self/exe", &st_self) != 0)
		return fail(t, "/proc/self/exe", errno);
	self[n] = '\0';
	for (unsigned i = 0; i < EXT_CANDIDATES; i++) {
		rc = ext_candidate(self, i, t->path[i], sizeof(t->path[i]));
		if (rc)
			return fail(t, t->path[i], -rc);
		if (same_file(t->path[i], &st_self))
			return fail(t, t->path[i], EXT_SELF);
		execve(t->path[i], argv, environ);
		rc = fail(t, t->path[i], errno);
		if (rc != -ENOENT)
			break;
	}
	return rc;
}

const char *ext_tried_format(const struct ext_tried *t, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < t->n && used < size; i++) {
		int errnum = t->errnum[i];
		int n = snprintf(out + used, size - used, "%s%s: %s",
				 i ? "; " : "", t->path[i],
				 errnum == EXT_SELF ? "is this akios itself"
						    : strerror(errnum));

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return out;
}
