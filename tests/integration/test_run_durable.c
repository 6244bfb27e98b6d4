/* akios run writes run.start before the cage is cloned and makes it
 * durable while the cage builds its view: the agent must never execute
 * when that fails. A seccomp filter (tests/helpers/fail_sync) makes
 * every fdatasync of akios fail with EIO: the run then fails with a
 * precise message, the agent's command leaves no trace, no placeholder
 * is left in the workspace, and the log still verifies. Both paths: the
 * gated one (the agent's exec waits for the supervisor's answer) and
 * the one without seccomp (committed before the cage). */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <sys/stat.h>

static struct cage_ws W;

static bool in_ws(const char *rel)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", W.ws, rel);
	return lstat(path, &st) == 0;
}

/* akios [fail_sync [--no-seccomp]] run ... -- sh -c 'touch ran' */
static void run(bool fail, bool no_seccomp, const char *degrade,
		struct test_run *r)
{
	char akios[PATH_MAX];
	char rel[PATH_MAX];
	char helper[PATH_MAX];
	char audit[600];
	char home[600];
	char keys[600];
	char *argv[16];
	char *env[] = {home, keys, NULL};
	unsigned n = 0;

	cr_assert_not_null(realpath(test_akios(), akios));
	test_build_path("tests/helpers/fail_sync", rel, sizeof(rel));
	cr_assert_not_null(realpath(rel, helper), "%s", rel);
	snprintf(audit, sizeof(audit), "--audit-dir=%s", W.audit);
	snprintf(home, sizeof(home), "HOME=%s", W.ws);
	snprintf(keys, sizeof(keys), "AKIOS_KEY_DIR=%s", W.keys);
	argv[n++] = "env";
	argv[n++] = "-C";
	argv[n++] = W.ws;
	if (fail)
		argv[n++] = helper;
	if (fail && no_seccomp)
		argv[n++] = "--no-seccomp";
	argv[n++] = akios;
	argv[n++] = "run";
	argv[n++] = audit;
	if (degrade)
		argv[n++] = (char *)degrade;
	argv[n++] = "--";
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "touch ran";
	argv[n] = NULL;
	cr_assert_eq(test_run(argv, NULL, 0, env, 60, r), 0);
}

static void verify_log(void)
{
	char dir[600];
	char *argv[] = {(char *)test_akios(), "audit", "verify", dir, NULL};
	char keys[600];
	char *env[] = {keys, NULL};
	struct test_run r;

	snprintf(dir, sizeof(dir), "--audit-dir=%s", W.audit);
	snprintf(keys, sizeof(keys), "AKIOS_KEY_DIR=%s", W.keys);
	cr_assert_eq(test_run(argv, NULL, 0, env, 60, &r), 0);
	cr_assert_eq(r.status, 0, "audit verify: %s %s", r.out, r.err);
	test_run_free(&r);
}

static void never_runs(bool no_seccomp, const char *degrade)
{
	static const char *const ph[] = {".git", ".envrc", ".vscode", ".idea",
					 ".gitmodules"};
	struct test_run r;
	char ran[700];

	cr_assert_eq(cagetest_setup(&W, false), 0);
	/* A first run makes the key and the log (their own syncs). */
	run(false, false, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	snprintf(ran, sizeof(ran), "%s/ran", W.ws);
	cr_assert_eq(unlink(ran), 0);

	run(true, no_seccomp, degrade, &r);
	cr_assert_eq(r.status, AKIOS_EXIT_INTERNAL, "status %d: %s", r.status,
		     r.err);
	cr_assert_not_null(strstr(r.err, "fdatasync"), "%s", r.err);
	/* Gated: the cage was started, then stopped before the exec. */
	cr_assert_eq(strstr(r.err, "the agent was not started") != NULL,
		     !no_seccomp, "%s", r.err);
	cr_assert(!in_ws("ran"), "the agent ran: %s", r.err);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(ph); i++)
		cr_assert(!in_ws(ph[i]), "placeholder %s left", ph[i]);
	test_run_free(&r);
	verify_log();
	cagetest_teardown(&W);
}

Test(run_durable, agent_never_runs_when_run_start_is_not_durable)
{
	never_runs(false, NULL);
}

Test(run_durable, without_seccomp_committed_before_the_cage)
{
	never_runs(true, "--allow-degraded=seccomp");
}
