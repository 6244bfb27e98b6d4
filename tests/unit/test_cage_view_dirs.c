/* cage_view_common_dirs (supervisor/cage/view.c): how much of a path the
 * view build may skip creating because a directory it made before shares
 * it. Only whole components count: "/etc" is no prefix of "/etcx". */
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
