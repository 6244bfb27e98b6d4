/* Host-side placeholders for control files that do not exist yet: an
 * empty file or directory the view can bind read-only, so the agent can
 * neither create nor replace it. Created with O_EXCL/mkdir (never
 * following a symlink), removed after the run only if still empty, so a
 * file the user made meanwhile is never deleted. */
#include "shared/common.h"
#include "supervisor/cage/run.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static int create_one(const struct cage_mount *m)
{
	int fd;

	if (m->flags & CAGE_MF_DIR)
		return mkdir(m->dst, 0755) == 0 ? 0 : -errno;
	fd = open(m->dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int cage_placeholders_create(const struct cage_plan *p,
			     struct cage_placeholders *ph,
			     struct akios_err *err)
{
	memset(ph, 0, sizeof(*ph));
	for (unsigned i = 0; i < p->n_mounts; i++) {
		int rc;

		if (!(p->mounts[i].flags & CAGE_MF_PLACEHOLDER))
			continue;
		rc = create_one(&p->mounts[i]);
		if (rc == -EEXIST)
			continue; /* appeared since the plan: bound as it is */
		if (rc != 0) {
			cage_placeholders_remove(p, ph);
			return akios_err_set(err, NULL, 0, 0,
					     "cannot create the read-only "
					     "placeholder %s: %s",
					     p->mounts[i].dst, strerror(-rc)),
			       rc;
		}
		ph->created[i] = true;
	}
	return 0;
}

void cage_placeholders_remove(const struct cage_plan *p,
			      const struct cage_placeholders *ph)
{
	/* Reverse order: .git/hooks goes before .git. */
	for (unsigned i = p->n_mounts; i-- > 0;) {
		struct stat st;

		if (!ph->created[i] || lstat(p->mounts[i].dst, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			(void)rmdir(p->mounts[i].dst); /* only when empty */
		else if (S_ISREG(st.st_mode) && st.st_size == 0)
			(void)unlink(p->mounts[i].dst);
	}
}
