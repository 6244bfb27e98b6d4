/* akios doctor against this host: the lines and the JSON agree with an
 * independent look at the kernel, the exit status follows the verdict,
 * and an unprivileged user without a delegated cgroup gets ❌ and 1. */
#include "shared/common.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/landlock.h"
#include "supervisor/cage/probe.h"
#include "tests/lib/testlib.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void doctor(bool as_nobody, bool json, struct test_run *r)
{
	char *argv[8];
	int n = 0;

	if (as_nobody) {
		argv[n++] = "/usr/bin/setpriv";
		argv[n++] = "--reuid=65534";
		argv[n++] = "--regid=65534";
		argv[n++] = "--clear-groups";
	}
	argv[n++] = (char *)test_akios();
	argv[n++] = "doctor";
	if (json)
		argv[n++] = "--json";
	argv[n] = NULL;
	cr_assert_eq(test_run(argv, NULL, 0, NULL, 20, r), 0);
	cr_assert(!r->timed_out);
}

static bool userns_works(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

Test(harden_doctor, json_matches_the_kernel, .timeout = 30)
{
	struct test_run r;
	struct utsname u;
	cJSON *j, *full;

	doctor(false, true, &r);
	j = cJSON_Parse(r.out);
	cr_assert_not_null(j, "%s", r.out);
	cr_assert_eq(uname(&u), 0);
	cr_assert_str_eq(cJSON_GetObjectItem(j, "kernel")->valuestring,
			 u.release);
	cr_assert_eq(cJSON_GetObjectItem(j, "landlock_abi")->valueint,
		     cage_landlock_abi());
	cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItem(j, "userns")),
		     userns_works());
	full = cJSON_GetObjectItem(j, "full_enforcement");
	cr_assert(cJSON_IsBool(full));
	cr_assert_eq(r.status, cJSON_IsTrue(full) ? 0 : 1, "exit %d", r.status);
	cJSON_Delete(j);
	test_run_free(&r);
}

Test(harden_doctor, text_lines_tell_this_host, .timeout = 30)
{
	struct cage_limits all = {1, 1, 1};
	struct test_run r;
	struct utsname u;
	char want[160];
	enum cage_cgroup_backend b = cage_cgroup_detect(&all, NULL, 0);

	doctor(false, false, &r);
	cr_assert_eq(uname(&u), 0);
	cr_assert(strstr(r.out, "[akios] System Diagnostics\n"), "%s", r.out);
	snprintf(want, sizeof(want), "Kernel: %s (", u.release);
	cr_assert(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), "Landlock: ABI %d", cage_landlock_abi());
	cr_assert(strstr(r.out, want), "%s", r.out);
	if (b == CAGE_CGROUP_V1)
		cr_assert(strstr(r.out, "\u2705 cgroups: v1 controllers"));
	else if (b == CAGE_CGROUP_V2)
		cr_assert(strstr(r.out, "\u2705 cgroups: v2"));
	else
		cr_assert(strstr(r.out, "\u274c cgroups:"));
	cr_assert(strstr(r.out, "seccomp user-notify: "));
	cr_assert(strstr(r.out, "User namespaces: "));
	cr_assert(strstr(r.out, "/tmp: "));
	cr_assert(strstr(r.out, "Capabilities: "));
	cr_assert(strstr(r.out, r.status == 0 ? "Cage: full enforcement"
					      : "Cage: degraded"));
	test_run_free(&r);
}

Test(harden_doctor, unprivileged_without_cgroup_is_degraded, .timeout = 30)
{
	struct test_run r;

	doctor(true, false, &r);
	cr_assert(strstr(r.out, "\u274c cgroups: no writable cgroup with "
				"memory pids cpu"),
		  "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "\u2705 Capabilities: akios holds none"));
	cr_assert_eq(r.status, 1);
	test_run_free(&r);
	doctor(true, true, &r);
	cr_assert(strstr(r.out, "\"full_enforcement\":false"), "%s", r.out);
	cr_assert_eq(r.status, 1);
	test_run_free(&r);
}

Test(harden_doctor, probe_is_consistent)
{
	struct cage_probe p;
	struct utsname u;

	cr_assert_eq(cage_probe_run(&p), 0);
	cr_assert_eq(uname(&u), 0);
	cr_assert_str_eq(p.kernel_release, u.release);
	cr_assert_gt(p.kernel_major, 0);
	cr_assert_eq(p.is_root, geteuid() == 0);
	/* Kernels with user-notify (5.0+) have the filter too. */
	cr_assert(!p.seccomp_user_notif || p.seccomp_filter);
	/* SYNC_WAKE_UP (6.6) implies WAIT_KILLABLE_RECV (5.19). */
	cr_assert(!p.seccomp_sync_wake_up || p.seccomp_wait_killable_recv);
	cr_assert_eq(cage_probe_full(&p),
		     p.userns && p.seccomp_filter && p.seccomp_user_notif &&
			 p.landlock_abi >= 1 && p.cgroup != CAGE_CGROUP_NONE);
}
