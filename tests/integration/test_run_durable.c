/* akios run's audit log around the cage: run.start is written and made
 * durable while the cage builds its view (the log itself is opened then
 * when its directories exist), and the agent must never execute when
 * that fails. A seccomp filter (tests/helpers/fail_sync) makes every
 * fdatasync of akios fail with EIO: the run then fails with a precise
 * message, the agent's command leaves no trace, no placeholder is left
 * in the workspace, and the log still verifies. Both paths: the gated
 * one (the agent's exec waits for the supervisor's answer) and the one
 * without seccomp (committed before the cage). And the audit and key
 * directories stay out of the agent's sight when they lie in the
 * workspace, on the first run (created before the plan) as on later ones
 * (the log opened while the cage builds). */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static struct cage_ws W;

struct spec {
	bool fail;	     /* under fail_sync */
	bool no_seccomp;     /* fail_sync --no-seccomp */
	const char *degrade; /* an extra option, or NULL */
	const char *audit;   /* the audit dir, or NULL: W.audit */
	const char *keys;    /* the key dir, or NULL: W.keys */
	const char *script;  /* sh -c SCRIPT */
};

static bool in_ws(const char *rel)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", W.ws, rel);
	return lstat(path, &st) == 0;
}

/* env -C ws [fail_sync [--no-seccomp]] akios run ... -- sh -c SCRIPT */
static void run(const struct spec *sp, struct test_run *r)
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
	snprintf(audit, sizeof(audit), "--audit-dir=%s",
		 sp->audit ? sp->audit : W.audit);
	snprintf(home, sizeof(home), "HOME=%s", W.ws);
	snprintf(keys, sizeof(keys), "AKIOS_KEY_DIR=%s",
		 sp->keys ? sp->keys : W.keys);
	argv[n++] = "env";
	argv[n++] = "-C";
	argv[n++] = W.ws;
	if (sp->fail)
		argv[n++] = helper;
	if (sp->fail && sp->no_seccomp)
		argv[n++] = "--no-seccomp";
	argv[n++] = akios;
	argv[n++] = "run";
	argv[n++] = audit;
	if (sp->degrade)
		argv[n++] = (char *)sp->degrade;
	argv[n++] = "--";
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = (char *)(sp->script ? sp->script : "touch ran");
	argv[n] = NULL;
	cr_assert_eq(test_run(argv, NULL, 0, env, 60, r), 0);
}

static void verify_log(const char *audit, const char *keys)
{
	char dir[600];
	char *argv[] = {(char *)test_akios(), "audit", "verify", dir, NULL};
	char key_env[600];
	char *env[] = {key_env, NULL};
	struct test_run r;

	snprintf(dir, sizeof(dir), "--audit-dir=%s", audit);
	snprintf(key_env, sizeof(key_env), "AKIOS_KEY_DIR=%s", keys);
	cr_assert_eq(test_run(argv, NULL, 0, env, 60, &r), 0);
	cr_assert_eq(r.status, 0, "audit verify: %s %s", r.out, r.err);
	test_run_free(&r);
}

static void never_runs(bool no_seccomp, const char *degrade)
{
	static const char *const ph[] = {".git", ".envrc", ".vscode", ".idea",
					 ".gitmodules"};
	struct spec sp = {.no_seccomp = no_seccomp, .degrade = degrade};
	struct test_run r;
	char ran[700];

	cr_assert_eq(cagetest_setup(&W, false), 0);
	/* A first run makes the key and the log (their own syncs). */
	run(&sp, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	snprintf(ran, sizeof(ran), "%s/ran", W.ws);
	cr_assert_eq(unlink(ran), 0);

	sp.fail = true;
	run(&sp, &r);
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
	verify_log(W.audit, W.keys);
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

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/* The audit and key directories in the workspace: missing before the
 * first run (made by it), present for the next ones. The agent sees
 * neither the key nor the log's files, and the log records every run. */
Test(run_durable, audit_and_key_dirs_in_the_workspace_stay_hidden)
{
	static const char look[] =
	    "for f in k/akios.key k/akios.pub a/events.log a/lock "
	    "a/checkpoints; do [ -e \"$f\" ] && echo \"SEEN $f\"; done; "
	    "echo looked";
	char audit[sizeof(W.audit)];
	char keys[sizeof(W.keys)];
	struct spec sp = {.audit = audit, .keys = keys, .script = look};
	struct test_run r;
	char *log;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_lt(strlen(W.ws) + 3, sizeof(audit));
	snprintf(audit, sizeof(audit), "%.*s/a", (int)sizeof(audit) - 3, W.ws);
	snprintf(keys, sizeof(keys), "%.*s/k", (int)sizeof(keys) - 3, W.ws);
	for (int i = 0; i < 3; i++) {
		run(&sp, &r);
		cr_assert_eq(r.status, 0, "run %d: %s", i, r.err);
		cr_assert_str_eq(r.out, "looked\n", "run %d", i);
		test_run_free(&r);
	}
	cr_assert(in_ws("k/akios.key") && in_ws("a/events.log"));
	verify_log(audit, keys);
	snprintf(W.audit, sizeof(W.audit), "%s", audit);
	log = cagetest_audit_text(&W);
	cr_assert_not_null(log);
	cr_assert_eq(count(log, "\"type\":\"run.start\""), 3, "%s", log);
	cr_assert_eq(count(log, "\"type\":\"run.end\""), 3, "%s", log);
	free(log);
	cagetest_teardown(&W);
}

/* A second run on an audit directory another run holds: its log opens
 * while its cage builds, fails, and the agent never starts (one error
 * line for the lock, one for the run). */
Test(run_durable, locked_audit_dir_stops_the_cage_before_the_agent)
{
	char *hold[] = {"sh", "-c", "touch held; exec sleep 30", NULL};
	const int fds[3] = {-1, -1, -1};
	struct spec sp = {0};
	struct test_run r;
	char ran[700];
	pid_t pid;
	int st;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	run(&sp, &r); /* the key and the log exist: the open can wait */
	cr_assert_eq(r.status, 0, "%s", r.err);
	test_run_free(&r);
	snprintf(ran, sizeof(ran), "%s/ran", W.ws);
	cr_assert_eq(unlink(ran), 0);
	cr_assert_eq(cagetest_spawn(&W, hold, fds, &pid), 0);
	for (int i = 0; i < 200 && !in_ws("held"); i++)
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	cr_assert(in_ws("held"), "the first run never started");
	run(&sp, &r);
	cr_assert_eq(r.status, AKIOS_EXIT_INTERNAL, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "locked"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "the agent was not started"), "%s",
			   r.err);
	cr_assert_eq(count(r.err, "locked"), 1, "%s", r.err);
	cr_assert(!in_ws("ran"), "the agent ran: %s", r.err);
	test_run_free(&r);
	cr_assert_eq(kill(pid, SIGTERM), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	verify_log(W.audit, W.keys);
	cagetest_teardown(&W);
}
