/* The state the agent starts in, as the kernel reports it, as root and as
 * an unprivileged user: every capability set empty (the bounding and
 * ambient sets are dropped once by PID 1 before it clones the agent,
 * before the plan exists: child.c, lock_privileges), the securebits
 * locked, the cage's host name, no_new_privs and the seccomp filter on,
 * no signal ignored or blocked even when akios was started with some (only the ignored ones are reset,
 * from the kernel's list), only fds 0-2 open; and the reaper (PID 1)
 * holds no capability either. The view is the same whether PID 1 could
 * leave its fds for one close_range or had to close each (a low
 * RLIMIT_NOFILE). */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sys/resource.h>

static struct cage_ws W;

static const char *const clean_lines[] = {
    "SigBlk:\t0000000000000000\n", "SigIgn:\t0000000000000000\n",
    "CapInh:\t0000000000000000\n", "CapPrm:\t0000000000000000\n",
    "CapEff:\t0000000000000000\n", "CapBnd:\t0000000000000000\n",
    "CapAmb:\t0000000000000000\n", "NoNewPrivs:\t1\n",
};

/* akios (and so the cage) inherits these from the test process. */
static void dirty_signals(void)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigset_t block;

	cr_assert_eq(sigaction(SIGHUP, &ign, NULL), 0);
	cr_assert_eq(sigaction(SIGUSR1, &ign, NULL), 0);
	cr_assert_eq(sigaction(SIGPIPE, &ign, NULL), 0);
	cr_assert_eq(sigaction(SIGRTMIN + 5, &ign, NULL), 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGRTMIN + 6);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
}

static void agent_state(bool rootless)
{
	char *status[] = {"grep", "-E",
			  "^(Sig(Blk|Ign)|Cap...|NoNewPrivs|Seccomp):",
			  "/proc/self/status", NULL};
	char *fds[] = {"sh", "-c", "exec ls /proc/self/fd", NULL};
	char *creds[] = {"./cage_try", "creds", "-", NULL};
	char want[128];
	struct test_run r;

	dirty_signals();
	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_run(&W, NULL, status, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(clean_lines); i++)
		cr_assert_not_null(strstr(r.out, clean_lines[i]), "%s: %s",
				   clean_lines[i], r.out);
	cr_assert_not_null(strstr(r.out, "Seccomp:\t2\n"), "%s", r.out);
	test_run_free(&r);
	/* ls's own directory fd is 3: nothing else is open. */
	cr_assert_eq(cagetest_run(&W, NULL, fds, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0\n1\n2\n3\n");
	test_run_free(&r);
	/* By prctl and uname: each securebit with its lock (KEEP_CAPS off,
	 * locked), nothing left to raise or to regain at an exec. */
	cagetest_creds_want(want, sizeof(want));
	cr_assert_eq(cagetest_run(&W, NULL, creds, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, want);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_clean, agent_state_root)
{
	agent_state(false);
}
Test(cage_clean, agent_state_rootless)
{
	agent_state(true);
}

/* /proc/1/status stays readable (not dumpable hides mem, fd, environ).
 * PID 1 drops its own caps and dumpability right after the agent's exec
 * (before it, the agent shares PID 1's memory, which the supervisor must
 * read for the exec trap): the agent may start inside that window, where
 * PID 1's full caps are what keeps it out of /proc/1/mem. So the check is
 * that PID 1 gets there, within 2 s. */
Test(cage_clean, reaper_holds_nothing)
{
	char *cmd[] = {"sh", "-c",
		       "i=0; while ! grep -q '^CapEff:[[:space:]]*0*$' "
		       "/proc/1/status && [ $i -lt 100 ]; do sleep 0.02; "
		       "i=$((i+1)); done; "
		       "grep -E '^(Cap...|NoNewPrivs):' /proc/1/status",
		       NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 2; i < AKIOS_ARRAY_SIZE(clean_lines); i++)
		cr_assert_not_null(strstr(r.out, clean_lines[i]), "%s: %s",
				   clean_lines[i], r.out);
	test_run_free(&r);
	cagetest_teardown(&W);
}

/* The mount table and the skeleton as the agent sees them (mount ids,
 * device numbers and /proc's link count left out: they differ from run
 * to run; so may the width of ls's link column, which /proc's count,
 * the host's number of processes, sets: runs of spaces are squeezed). */
static char *view_listing(void)
{
	char *cmd[] = {
	    "sh", "-c",
	    "sed -E 's/^[0-9]+ [0-9]+ [0-9:]+ //' /proc/self/mountinfo; "
	    "ls -la --time-style=+ / /etc /dev /tmp | grep -v ' proc$' | "
	    "tr -s ' '; "
	    "exec ls /proc/self/fd",
	    NULL};
	struct test_run r;
	char *out;

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, &r), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	out = strdup(r.out);
	cr_assert_not_null(out);
	test_run_free(&r);
	return out;
}

Test(cage_clean, same_view_with_few_fds)
{
	struct rlimit lim;
	char *wide;
	char *low;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	wide = view_listing();
	/* Below what leaving every fd to the end would need (3 a mount). */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &lim), 0);
	lim.rlim_cur = 96;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	low = view_listing();
	cr_assert_str_eq(wide, low);
	cr_assert_not_null(strstr(low, " /dev/pts "), "%s", low);
	cr_assert_not_null(strstr(low, "\n0\n1\n2\n3\n"), "%s", low);
	free(wide);
	free(low);
	cagetest_teardown(&W);
}
