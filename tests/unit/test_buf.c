/* Unit tests of the bounded buffer (shared/buf.c) and error formatting. */
#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"

#include <criterion/criterion.h>
#include <errno.h>

Test(buf, append_and_take)
{
	struct akios_buf b;
	size_t len = 0;
	char *p;

	akios_buf_init(&b, 100);
	cr_assert_eq(akios_buf_append(&b, "abc", 3), 0);
	cr_assert_eq(akios_buf_appendf(&b, "-%d-", 42), 0);
	cr_assert_eq(b.len, 7);
	cr_assert_str_eq(b.ptr, "abc-42-");
	p = akios_buf_take(&b, &len);
	cr_assert_eq(len, 7);
	cr_assert_null(b.ptr);
	cr_assert_eq(b.len, 0);
	free(p);
}

Test(buf, passing_max_frees_and_fails)
{
	struct akios_buf b;
	char big[64] = {0};

	akios_buf_init(&b, 100);
	cr_assert_eq(akios_buf_append(&b, big, 64), 0);
	cr_assert_eq(akios_buf_append(&b, big, 36), 0);
	cr_assert_eq(b.len, 100);
	cr_assert_eq(akios_buf_append(&b, "x", 1), -E2BIG);
	cr_assert_null(b.ptr);
	cr_assert_eq(b.len, 0);
	akios_buf_init(&b, 10);
	cr_assert_eq(akios_buf_appendf(&b, "%s", "0123456789a"), -E2BIG);
	cr_assert_null(b.ptr);
}

Test(buf, reset_keeps_memory)
{
	struct akios_buf b;

	akios_buf_init(&b, 100);
	cr_assert_eq(akios_buf_append(&b, "abc", 3), 0);
	akios_buf_reset(&b);
	cr_assert_not_null(b.ptr);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.ptr, "");
	akios_buf_free(&b);
}

Test(err, format_with_and_without_location)
{
	struct akios_err e = {0};
	char out[300];

	cr_assert_eq(akios_err_set(&e, "p.yml", 3, 7, "bad %s", "key"),
		     -EINVAL);
	akios_err_format(&e, out, sizeof(out));
	cr_assert_str_eq(out, "p.yml:3:7: bad key");
	akios_err_set(&e, "p.yml", 0, 0, "gone");
	akios_err_format(&e, out, sizeof(out));
	cr_assert_str_eq(out, "p.yml: gone");
	akios_err_set(&e, NULL, 0, 0, "plain");
	akios_err_format(&e, out, sizeof(out));
	cr_assert_str_eq(out, "plain");
}

Test(err, long_message_is_truncated_with_ellipsis)
{
	struct akios_err e = {0};
	char longmsg[600];

	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	akios_err_set(&e, NULL, 0, 0, "%s", longmsg);
	cr_assert_eq(strlen(e.msg), sizeof(e.msg) - 1);
	cr_assert_str_eq(e.msg + sizeof(e.msg) - 4, "...");
}
