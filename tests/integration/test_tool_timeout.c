/* tools.timeout_sec through the real `akios run`: a tool run past its
 * limit is killed with SIGKILL about a second later, the agent goes on
 * and exits normally, the audit log has one tool.timeout event naming
 * the tool, pid and limit; a tool that ends in time, and an agent whose
 * own exec of a tool failed, are left alone. Root and rootless. */
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <time.h>

static struct cage_ws W;

static void timeout_policy(void)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "version: 1\nname: tool-timeout\n"
		 "filesystem:\n  allow:\n    - path: \"%s\"\n"
		 "      mode: \"rw\"\n"
		 "tools:\n  allow:\n    - name: sleep\n  timeout_sec: 1\n",
		 W.ws);
	cr_assert_eq(cagetest_policy(&W, yaml), 0);
}

static char *audit_log(void)
{
	char *buf = cagetest_audit_text(&W);

	cr_assert_not_null(buf);
	return buf;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_timed(char *cmd[], struct test_run *r, double *secs)
{
	double t0 = now_s();

	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 40, r), 0);
	*secs = now_s() - t0;
}

/* The timeout event names the tool (resolved in the cage), its pid and
 * the limit; exactly one, since only one run overstayed. */
static void check_event(void)
{
	char *log = audit_log();

	cr_assert_eq(count(log, "\"tool.timeout\""), 1, "%s", log);
	const char *ev = strstr(log, "\"tool.timeout\"");

	cr_assert_not_null(strstr(ev, "\"tool\":\"/usr/bin/sleep\""), "%s", ev);
	cr_assert_not_null(strstr(ev, "\"limit_sec\":1"), "%s", ev);
	cr_assert_not_null(strstr(ev, "\"signal\":\"SIGKILL\""), "%s", ev);
	cr_assert_not_null(strstr(ev, "\"pid\":"), "%s", ev);
	free(log);
}

Test(tool_timeout, shell_sleep_is_killed_and_the_agent_goes_on, .timeout = 60)
{
	char *cmd[] = {"sh", "-c",
		       "sleep 30; echo rc=$?; sleep 0.2; echo rc2=$?", NULL};
	struct test_run r;
	double secs;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	timeout_policy();
	run_timed(cmd, &r, &secs);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* 128 + SIGKILL, then the short sleep finishes normally. */
	cr_assert_str_eq(r.out, "rc=137\nrc2=0\n", "%s", r.err);
	cr_assert_lt(secs, 10.0, "the sleep was not cut short: %.1f s", secs);
	cr_assert_gt(secs, 1.0, "killed before its limit: %.2f s", secs);
	test_run_free(&r);
	check_event();
	cagetest_teardown(&W);
}

/* The agent's own exec of an allowed name fails (no such file): it is
 * still the agent, and must not be killed when that deadline passes. */
static const char python_agent[] =
    "import os, subprocess, time\n"
    "try:\n"
    "    os.execv('/nonexistent/sleep', ['sleep', '30'])\n"
    "except OSError as e:\n"
    "    print('execv', e.errno)\n"
    "print('rc', subprocess.run(['sleep', '30']).returncode)\n"
    "print('rc', subprocess.run(['sleep', '0.1']).returncode)\n"
    "time.sleep(1.5)\n"
    "print('alive')\n";

Test(tool_timeout, failed_exec_is_not_a_tool_run_rootless, .timeout = 60)
{
	char *cmd[] = {"python3", "-c", (char *)python_agent, NULL};
	struct test_run r;
	double secs;

	cr_assert_eq(cagetest_setup(&W, true), 0);
	timeout_policy();
	run_timed(cmd, &r, &secs);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "execv 2\nrc -9\nrc 0\nalive\n", "%s", r.err);
	cr_assert_lt(secs, 12.0, "%.1f s", secs);
	test_run_free(&r);
	check_event();
	cagetest_teardown(&W);
}
