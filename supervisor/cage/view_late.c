/* The late part of the view's timing: waiting for akios's go (the
 * placeholders exist on the host) and which tail of the plan's mounts
 * may wait until after the old root's detach (rebinds only: the root is
 * read-only by then). Plain reads of the plan and one pipe. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <unistd.h>

int cage_view_await_go(int *fd, struct cage_fail *f)
{
	char go;
	ssize_t n;

	if (*fd < 0)
		return 0;
	while ((n = read(*fd, &go, 1)) < 0 && errno == EINTR)
		;
	close(*fd);
	*fd = -1;
	if (n == 1)
		return 0;
	*f = (struct cage_fail){.what = "start", .path = "(akios is gone)"};
	return -EPIPE;
}

/* Where the rebinds that may wait until after the detach begin: the
 * first placeholder, if every mount from there on is a rebind (a path
 * already in the view bound on itself: nothing to make in the root,
 * which the detach makes read-only); else n_mounts. */
unsigned cage_view_late_from(const struct cage_plan *p)
{
	unsigned i = 0;

	while (i < p->n_mounts && !(p->mounts[i].flags & CAGE_MF_PLACEHOLDER))
		i++;
	for (unsigned j = i; j < p->n_mounts; j++)
		if (p->mounts[j].kind != CAGE_MNT_REBIND)
			return p->n_mounts;
	return i;
}
