/* cage_view_common_dirs (supervisor/cage/view.c): how much of a path the
 * view build may skip creating because a directory it made before shares
 * it. Only whole components count: "/etc" is no prefix of "/etcx".
 * cage_view_late_from: which mounts wait until after the old root's
 * detach (a tail of rebinds starting at the first placeholder only). */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <criterion/criterion.h>

static size_t common(const char *a, const char *b)
{
	size_t n = cage_view_common_dirs(a, strlen(a), b, strlen(b));

	/* Symmetric, whichever is the known directory. */
	cr_assert_eq(n, cage_view_common_dirs(b, strlen(b), a, strlen(a)),
		     "%s / %s", a, b);
	return n;
}

Test(cage_view_dirs, whole_components_only)
{
	cr_assert_eq(common("", "/etc"), 0);
	cr_assert_eq(common("/etc", "/etc"), 4);
	cr_assert_eq(common("/etc", "/etc/ssl"), 4);
	cr_assert_eq(common("/etc/ssl", "/etc/python3"), 4);
	cr_assert_eq(common("/etc", "/etcx"), 0);
	cr_assert_eq(common("/etc/ab", "/etc/a"), 4);
	cr_assert_eq(common("/a/b/c", "/a/b/c/d/e"), 6);
	cr_assert_eq(common("/dev", "/proc/sys"), 0);
	cr_assert_eq(common("/ab", "/ac"), 0);
}

static unsigned late_from(const enum cage_mnt *kinds, const unsigned *flags,
			  unsigned n)
{
	static struct cage_plan p; /* its tables are large */

	p.n_mounts = n;
	for (unsigned i = 0; i < n; i++)
		p.mounts[i] =
		    (struct cage_mount){.kind = kinds[i], .flags = flags[i]};
	return cage_view_late_from(&p);
}

Test(cage_view_dirs, placeholders_rebound_after_the_detach)
{
	const enum cage_mnt tail[] = {CAGE_MNT_BIND, CAGE_MNT_MASK,
				      CAGE_MNT_REBIND, CAGE_MNT_REBIND,
				      CAGE_MNT_REBIND};
	const unsigned ph = CAGE_MF_PLACEHOLDER | CAGE_MF_RO;
	const unsigned tail_f[] = {0, CAGE_MF_RO, CAGE_MF_RO, ph, ph};
	const enum cage_mnt mixed[] = {CAGE_MNT_BIND, CAGE_MNT_REBIND,
				       CAGE_MNT_ROOTDIR};
	const unsigned mixed_f[] = {0, ph, 0};
	const unsigned none_f[] = {0, CAGE_MF_RO, CAGE_MF_RO, CAGE_MF_RO,
				   CAGE_MF_RO};

	/* From the first placeholder (a frozen control file before it
	 * stays in the build). */
	cr_assert_eq(late_from(tail, tail_f, 5), 3);
	/* Something to make in the root after a placeholder: all before
	 * the pivot, the go awaited there. */
	cr_assert_eq(late_from(mixed, mixed_f, 3), 3);
	/* No placeholder: nothing left. */
	cr_assert_eq(late_from(tail, none_f, 5), 5);
	cr_assert_eq(late_from(tail, tail_f, 0), 0);
}
