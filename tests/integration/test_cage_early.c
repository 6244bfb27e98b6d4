/* The cage's PID 1 is cloned right after the command line, before the
 * policy is even read (launch.c: cage_launch_early): every way out of a
 * run that never gets to the cage (a policy error, an unusable audit
 * directory, a refused plan) must kill and reap it, and akios's death must
 * take it along. The test process is a child subreaper, so anything akios
 * leaves behind becomes its child and is seen here. Moved into the run's
 * cgroup after its clone, the cage still sees its cgroup as "/". */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

static struct cage_ws W;

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* The pids of processes akios left behind (reparented to us), reaped;
 * how many within ~300 ms (an orphan killed by its parent's death needs
 * a moment to become a zombie). */
static int orphans(void)
{
	int n = 0;

	for (int i = 0; i < 30; i++) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG | __WALL);

		if (p > 0) {
			n++;
			continue;
		}
		if (p < 0 && errno == ECHILD)
			break;
		sleep_ms(10);
	}
	return n;
}

static void fails_clean(bool rootless, const char *yaml, char *const extra[],
			int want_status, const char *want_err)
{
	char *cmd[] = {"/bin/true", NULL};
	struct test_run r;

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	if (yaml)
		cr_assert_eq(cagetest_policy(&W, yaml), 0);
	cr_assert_eq(cagetest_run(&W, extra, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, want_status, "%s", r.err);
	cr_assert_not_null(strstr(r.err, want_err), "%s", r.err);
	test_run_free(&r);
	cr_assert_eq(orphans(), 0, "akios left a process behind");
	cagetest_teardown(&W);
}

Test(cage_early, policy_error_leaves_nothing)
{
	fails_clean(false, "version: 1\nname: x\nbogus_key: 1\n", NULL, 125,
		    "bogus_key");
}

Test(cage_early, audit_error_leaves_nothing)
{
	char *extra[] = {"--audit-dir", "/proc/version/audit", NULL};

	fails_clean(false, NULL, extra, 125, "audit");
}

/* Rootless with a required limit and no delegated cgroup: refused after
 * the plan, the early cage already made. */
Test(cage_early, refused_plan_leaves_nothing)
{
	fails_clean(true,
		    "version: 1\nname: x\nfilesystem:\n  allow:\n"
		    "    - path: \"${CWD}\"\n      mode: rw\n"
		    "limits:\n  pids: 64\n  required: [pids]\n",
		    NULL, 125, "refused: limits.pids is required");
}

/* After akios's SIGKILL: whatever it left (the cage's PID 1, killed by
 * its parent's death, and its namespace with it) is reparented to us and
 * must be dead, so reaped here, within 5 s (the agent sleeps 30). */
static bool all_gone(void)
{
	for (int i = 0; i < 500; i++) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG | __WALL);

		if (p < 0 && errno == ECHILD)
			return true;
		if (p == 0)
			sleep_ms(10);
	}
	return false;
}

Test(cage_early, killed_akios_leaves_nothing)
{
	char *cmd[] = {"/bin/sleep", "30", NULL};
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid;
	int st;

	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_geq(devnull, 0);
	/* Killed at once: mostly while the policy loads, the early cage
	 * made or being made. */
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(cagetest_spawn(&W, cmd,
					    (int[]){devnull, devnull, devnull},
					    &pid),
			     0);
		sleep_ms(i);
		cr_assert_eq(kill(pid, SIGKILL), 0);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(all_gone(), "a cage process outlived akios");
	}
	close(devnull);
	cagetest_teardown(&W);
}

Test(cage_early, cgroup_is_root_inside)
{
	char *cmd[] = {"cat", "/proc/self/cgroup", NULL};
	struct test_run r;
	const char *line;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W,
				     "version: 1\nname: x\nfilesystem:\n"
				     "  allow:\n    - path: \"${CWD}\"\n"
				     "      mode: rw\nlimits:\n  pids: 64\n"),
		     0);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_gt(r.out_len, 0);
	/* "N:controllers:path": every path is "/". */
	for (line = r.out; *line; line = strchr(line, '\n') + 1) {
		const char *nl = strchr(line, '\n');

		cr_assert_not_null(nl);
		cr_assert(nl - line >= 2 && nl[-1] == '/' && nl[-2] == ':',
			  "%.*s", (int)(nl - line), line);
	}
	test_run_free(&r);
	cagetest_teardown(&W);
}
