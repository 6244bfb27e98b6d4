/* The extension points the broker (issue 6) builds on, driven through the
 * library rather than the binary: the cage child hands the seccomp
 * listener fd number to the supervisor over the status socket, which
 * copies it with pidfd_getfd; the on_listener hook receives it, and
 * on_start sees the agent's pid before it execs. */
#include "shared/common.h"
#include "policy/policy.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/probe.h"
#include "supervisor/cage/run.h"
#include "supervisor/cage/seccomp.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/syscall.h>

struct seen {
	int listener_ok;
	pid_t start_pid;
};

static int on_listener(void *ctx, struct cage_loop *loop, int fd)
{
	struct seen *s = ctx;

	(void)loop;
	s->listener_ok =
	    fcntl(fd, F_GETFD) >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd); /* no broker: trapped calls now fail with ENOSYS */
	return 0;
}

static int on_start(void *ctx, struct cage_loop *loop, pid_t pid)
{
	struct seen *s = ctx;

	(void)loop;
	s->start_pid = pid;
	return 0;
}

Test(cage_hooks, listener_fd_reaches_the_supervisor)
{
	static const int trapped[] = {SYS_uname};
	char *dir = test_tmpdir("akios-hooks");
	char *argv[] = {"/bin/true", NULL};
	char *env[] = {NULL};
	struct akios_policy *pol = NULL;
	struct policy_errors errs = {0};
	struct cage_probe probe;
	struct cage_plan plan;
	struct cage_seccomp_opts so = {.notify_syscalls = trapped,
				       .n_notify = 1};
	struct cage_bpf bpf = {0};
	struct akios_err err = {0};
	struct cage_result r;
	struct seen seen = {0};
	struct cage_plan_input in = {0};
	struct cage_run_opts o = {0};

	cr_assert_not_null(dir);
	cr_assert_eq(chdir(dir), 0);
	cr_assert_eq(policy_load_default(&pol, &errs), 0);
	cr_assert_eq(cage_probe_run(&probe), 0);
	cr_assert(probe.seccomp_user_notif, "the kernel lacks user notif");
	in = (struct cage_plan_input){.policy = pol,
				      .probe = &probe,
				      .argv = argv,
				      .host_env = env,
				      .host_cwd = dir,
				      .uid = getuid(),
				      .gid = getgid()};
	cr_assert_eq(cage_plan_build(&in, &plan, &err), 0, "%s", err.msg);
	cr_assert(plan.allowed, "%s", plan.refusal);
	cr_assert_eq(cage_seccomp_build(&so, &bpf, &err), 0, "%s", err.msg);
	o = (struct cage_run_opts){.plan = &plan,
				   .bpf = &bpf,
				   .want_listener = true,
				   .hook_ctx = &seen,
				   .on_listener = on_listener,
				   .on_start = on_start};
	cr_assert_eq(cage_run(&o, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.exit_code, 0, "%s", r.reason);
	cr_assert(seen.listener_ok);
	cr_assert_gt(seen.start_pid, 0);
	cr_assert_eq(seen.start_pid, r.agent_pid);
	cage_bpf_free(&bpf);
	cage_plan_free(&plan);
	policy_free(pol);
	test_rmtree(dir);
	free(dir);
}
