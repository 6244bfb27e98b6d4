/* Integration tests of `akios redact` (supervisor/cmd_redact.c): the
 * filter on stdin/stdout, --report JSONL (never the value), options,
 * JSON-aware mode and the usage errors. */
#include "shared/common.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>

#define KEY "sk-proj-Ab3dEfGh1jKlMnOpQrStUvWxYz0123456789_-abcdEFGH"

static struct test_run redact(const char *in, const char *a1, const char *a2,
			      const char *a3)
{
	char *argv[] = {(char *)test_akios(), "redact",	  (char *)a1,
			(char *)a2,	      (char *)a3, NULL};
	struct test_run r;

	cr_assert_eq(test_run(argv, in, strlen(in), NULL, 30, &r), 0);
	return r;
}

Test(pii_redact, done_when_line)
{
	struct test_run r = redact(
	    "card 4111 1111 1111 1111, mail a.b@example.com, key " KEY "\n",
	    NULL, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(
	    r.out, "card [CREDIT_CARD], mail [EMAIL], key [OPENAI_KEY]\n");
	cr_assert_eq(r.err_len, 0);
	test_run_free(&r);
}

Test(pii_redact, report_on_stderr_without_values)
{
	struct test_run r =
	    redact("x a.b@example.com 123-45-6789\n", "--report", NULL, NULL);

	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.err, "{\"pattern\":\"email\",\"offset\":2,"
				"\"length\":15}\n{\"pattern\":\"ssn\","
				"\"offset\":18,\"length\":11}\n");
	cr_assert_null(strstr(r.err, "example"));
	test_run_free(&r);
}

Test(pii_redact, report_to_file)
{
	char *dir = test_tmpdir("akios-redact");
	char path[512];
	char arg[600];
	char buf[256] = {0};
	FILE *f;
	struct test_run r;

	snprintf(path, sizeof(path), "%s/findings.jsonl", dir);
	snprintf(arg, sizeof(arg), "--report=%s", path);
	r = redact("mail a.b@example.com\n", arg, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.err_len, 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	fclose(f);
	cr_assert_str_eq(
	    buf, "{\"pattern\":\"email\",\"offset\":5,\"length\":15}\n");
	test_run_free(&r);
	test_rmtree(dir);
	free(dir);
}

Test(pii_redact, modes_patterns_and_style)
{
	struct test_run r = redact("call (415) 555-2671 or a.b@example.com",
				   "--mode", "strict", NULL);

	cr_assert_str_eq(r.out, "call (415) 555-2671 or [EMAIL]");
	test_run_free(&r);
	r = redact("a.b@example.com 4111111111111111", "--patterns",
		   "financial", NULL);
	cr_assert_str_eq(r.out, "a.b@example.com [CREDIT_CARD]");
	test_run_free(&r);
	r = redact("a.b@example.com", "--style", "hash", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(strlen(r.out), strlen("[EMAIL:12345678]"), "%s", r.out);
	cr_assert_eq(strncmp(r.out, "[EMAIL:", 7), 0);
	test_run_free(&r);
	r = redact("ip 10.1.2.3 8.8.8.8", "--keep-private-ips", NULL, NULL);
	cr_assert_str_eq(r.out, "ip 10.1.2.3 [IP_ADDRESS]");
	test_run_free(&r);
}

Test(pii_redact, json_aware)
{
	struct test_run r = redact("{\"to\": \"a.b\\u0040example.com\", "
				   "\"n\": 1.0}\n",
				   "--json-aware", NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "{\"to\": \"[EMAIL]\", \"n\": 1.0}\n");
	test_run_free(&r);
	r = redact("{\"to\": \n  nope}", "--json-aware", NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "akios: stdin:2:"), "%s", r.err);
	cr_assert_eq(r.out_len, 0);
	test_run_free(&r);
}

Test(pii_redact, usage_errors)
{
	struct test_run r = redact("x", "--mode", "paranoid", NULL);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown mode 'paranoid'"), "%s", r.err);
	test_run_free(&r);
	r = redact("x", "--patterns", "emial", NULL);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "did you mean 'email'"), "%s", r.err);
	test_run_free(&r);
	r = redact("x", "--mode", "strict", "--patterns=phone");
	cr_assert_eq(r.status, 2);
	test_run_free(&r);
	r = redact("x", "--style", "sha256", NULL);
	cr_assert_eq(r.status, 2);
	test_run_free(&r);
}

/* Through files, not the test's pipes: 3 MiB in and out. */
Test(pii_redact, large_input_streams)
{
	size_t n = 3u << 20;
	char *dir = test_tmpdir("akios-redact");
	char *in = malloc(n + 1);
	char cmd[1024];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct test_run r;

	cr_assert_not_null(in);
	for (size_t i = 0; i < n; i += 64)
		memcpy(
		    in + i,
		    "lorem ipsum 4111-1111-1111-1111 dolor sit amet, quis no\n"
		    "ostrud.\n",
		    64);
	in[n] = 0;
	snprintf(cmd, sizeof(cmd), "%s/in", dir);
	cr_assert_eq(test_write_file(cmd, in), 0);
	snprintf(cmd, sizeof(cmd),
		 "%s redact < %s/in > %s/out && grep -c '^lorem ipsum "
		 "\\[CREDIT_CARD\\] dolor' %s/out && ! grep -q 4111 %s/out",
		 test_akios(), dir, dir, dir, dir);
	cr_assert_eq(test_run(argv, NULL, 0, NULL, 60, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strtoul(r.out, NULL, 10), n / 64, "%s", r.out);
	test_run_free(&r);
	test_rmtree(dir);
	free(dir);
	free(in);
}
