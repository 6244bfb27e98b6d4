/* akios run as a user meets it: the default policy runs python, --dry-run
 * prints the plan (text and JSON) and exits 0 only when the run would be
 * allowed, --no-sandbox is refused by strict policies and loud and
 * audited otherwise, and the hardened example policy, pointed at a temp
 * workspace, runs. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>

static struct cage_ws W;

static bool audit_has(const char *needle)
{
	char *buf = cagetest_audit_text(&W);
	bool found;

	cr_assert_not_null(buf);
	found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

Test(cage_cli, default_policy_prints_1)
{
	char *cmd[] = {"python3", "-c", "print(1)", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1\n");
	test_run_free(&r);
	/* run.start carries the policy hash and the enforcement report. */
	cr_assert(audit_has("\"run.start\""));
	cr_assert(audit_has("\"sha256\":\""));
	cr_assert(audit_has("\"enforcement\":{"));
	cr_assert(audit_has("\"landlock_abi\""));
	cr_assert(audit_has("\"type\":\"run.end\",\"exit_code\":0"));
	cagetest_teardown(&W);
}

static bool has_mount(cJSON *mounts, const char *path, bool ro)
{
	cJSON *m;

	cJSON_ArrayForEach(m, mounts)
	{
		cJSON *p = cJSON_GetObjectItem(m, "path");
		cJSON *r = cJSON_GetObjectItem(m, "read_only");

		if (cJSON_IsString(p) && !strcmp(p->valuestring, path) &&
		    cJSON_IsBool(r) && cJSON_IsTrue(r) == ro)
			return true;
	}
	return false;
}

Test(cage_cli, dry_run_json_plan)
{
	char *extra[] = {"--dry-run", "--json", NULL};
	char *cmd[] = {"python3", "-V", NULL};
	struct test_run r;
	cJSON *j;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_run(&W, extra, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	j = cJSON_Parse(r.out);
	cr_assert_not_null(j, "%s", r.out);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "allowed")));
	cr_assert(has_mount(cJSON_GetObjectItem(j, "mounts"), "/usr", true));
	cr_assert(has_mount(cJSON_GetObjectItem(j, "mounts"), W.ws, false));
	cr_assert(has_mount(cJSON_GetObjectItem(j, "mounts"), "/tmp", false));
	cr_assert_not_null(cJSON_GetObjectItem(j, "landlock_rules"));
	cJSON_Delete(j);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_cli, dry_run_refusal_exits_1)
{
	char pol[2048];
	char *extra[] = {"--dry-run", NULL};
	char *cmd[] = {"true", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_file(&W, ".ssh/keep", "k"), 0);
	snprintf(pol, sizeof(pol),
		 "version: 1\nname: bad\nfilesystem:\n  allow:\n"
		 "    - path: \"%s/.ssh\"\n      mode: r\n"
		 "    - path: \"${CWD}\"\n      mode: r\n",
		 W.ws);
	cr_assert_eq(cagetest_policy(&W, pol), 0);
	cr_assert_eq(cagetest_run(&W, extra, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "REFUSED"));
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_cli, no_sandbox_refused_by_strict_policy)
{
	char *extra[] = {"--no-sandbox", NULL};
	char *cmd[] = {"true", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_run(&W, extra, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 125);
	cr_assert_not_null(strstr(r.err, "strict"));
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_cli, no_sandbox_is_loud_and_audited)
{
	char *extra[] = {"--no-sandbox", NULL};
	char *cmd[] = {"sh", "-c", "exit 5", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W, "version: 1\nname: loose\n"
					 "security:\n  sandbox: standard\n"),
		     0);
	cr_assert_eq(cagetest_run(&W, extra, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 5);
	cr_assert_not_null(strstr(r.err, "WARNING"));
	test_run_free(&r);
	cr_assert(audit_has("run.no_sandbox"));
	cagetest_teardown(&W);
}

/* policy/examples/hardened-production.yml with /workspace moved. */
static void hardened_policy(void)
{
	char *text = calloc(1, 8192);
	char *out = calloc(1, 16384);
	const char *p;
	size_t n = 0;
	int fd = open("policy/examples/hardened-production.yml",
		      O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_gt(read(fd, text, 8191), 0);
	close(fd);
	for (p = text; *p;) {
		if (!strncmp(p, "/workspace", 10)) {
			n += (size_t)snprintf(out + n, 16384 - n, "%s", W.ws);
			p += 10;
		} else {
			out[n++] = *p++;
		}
	}
	cr_assert_eq(cagetest_policy(&W, out), 0);
	free(text);
	free(out);
}

Test(cage_cli, hardened_example_policy_runs)
{
	char *cmd[] = {"python3", "-c",
		       "open('output/r.txt', 'w').write("
		       "open('input/a.txt').read().upper())\n"
		       "try:\n open('input/x', 'w')\n"
		       "except OSError as e:\n print('denied', e.errno)\n",
		       NULL};
	char path[700];
	char buf[64] = {0};
	struct test_run r;
	int fd;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_file(&W, "input/a.txt", "hello"), 0);
	cr_assert_eq(cagetest_file(&W, "output/.keep", ""), 0);
	hardened_policy();
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "denied"), "%s", r.out);
	test_run_free(&r);
	snprintf(path, sizeof(path), "%s/output/r.txt", W.ws);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, buf, sizeof(buf) - 1), 5);
	close(fd);
	cr_assert_str_eq(buf, "HELLO");
	cagetest_teardown(&W);
}

Test(cage_cli, require_signed_refuses_unsigned_policy)
{
	char *extra[] = {"--require-signed", NULL};
	char *nosb[] = {"--require-signed", "--no-sandbox", NULL};
	char *cmd[] = {"true", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W, "version: 1\nname: unsigned\n"
					 "security:\n  sandbox: standard\n"),
		     0);
	cr_assert_eq(cagetest_run(&W, extra, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 125, "%s", r.err);
	test_run_free(&r);
	/* The embedded default counts as signed; --no-sandbox never does. */
	W.policy[0] = '\0';
	cr_assert_eq(cagetest_run(&W, nosb, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 125, "%s", r.err);
	test_run_free(&r);
	cagetest_teardown(&W);
}
