/* Unit tests of the suggestion distance (shared/strdist.c). */
#include "shared/common.h"
#include "shared/strdist.h"

#include <criterion/criterion.h>

Test(strdist, edits_and_swaps)
{
	cr_assert_eq(akios_edit_distance("security", "security"), 0);
	cr_assert_eq(akios_edit_distance("securty", "security"), 1);
	cr_assert_eq(akios_edit_distance("secuirty", "security"), 1);
	cr_assert_eq(akios_edit_distance("ssn", "ein"), 2);
	cr_assert_eq(akios_edit_distance("", "abc"), 3);
}

Test(strdist, long_strings_are_far)
{
	char longer[40];

	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	cr_assert_eq(akios_edit_distance(longer, "a"), 99);
}
