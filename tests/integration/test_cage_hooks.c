/* The extension points the broker (issue 6) builds on, driven through the
 * library rather than the binary: the cage's PID 1 makes the relay's
 * sockets in the cage's netns and passes them up (on_relay) before the
 * agent is ready, and never to the agent; the agent hands the seccomp
 * listener fd number over the status socket, the supervisor copies it
 * with pidfd_getfd (on_listener); on_start sees the agent's pid before it
 * execs. With exec trapped there is no acknowledgement: the agent's
 * first execve waits in a notification until the supervisor answers. */
#include "shared/common.h"
#include "policy/policy.h"
#include "supervisor/broker/notify.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/probe.h"
#include "supervisor/cage/run.h"
#include "supervisor/cage/seccomp.h"
#include "tests/lib/cagetest.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct seen {
	int listener_ok;
	pid_t start_pid;
	unsigned relays;   /* on_relay calls */
	int family[3];	   /* SO_DOMAIN of relay4, relay6, diag */
	ino_t sock_ino[3]; /* their socket inodes */
	ino_t ns_ino[3];   /* their network namespaces */
	ino_t agent_ns;	   /* the agent's, seen in on_start */
	unsigned execs;	   /* trapped execve seen */
	unsigned leaked;   /* relay sockets found in the agent's fd table */
	unsigned listener_in_agent; /* ... and the listener, at each exec */
	int listener;		    /* our copy, when the test answers it */
	struct notify_buf nb;
	int fail_listener; /* on_listener returns this */
	/* The order of the hooks' first calls (1, 2, 3; 0: never). */
	unsigned calls, relay_at, listener_at, start_at;
};

static ino_t sock_netns(int fd)
{
	struct stat st;
	int ns = ioctl(fd, SIOCGSKNS);

	cr_assert_geq(ns, 0, "SIOCGSKNS: %s", strerror(errno));
	cr_assert_eq(fstat(ns, &st), 0);
	close(ns);
	return st.st_ino;
}

static int on_relay(void *ctx, struct cage_loop *loop,
		    const struct cage_relay_fds *f)
{
	struct seen *s = ctx;
	const int fds[3] = {f->relay4, f->relay6, f->diag};

	(void)loop;
	s->relays++;
	s->relay_at = ++s->calls;
	for (int i = 0; i < 3; i++) {
		struct stat st;
		socklen_t l = sizeof(s->family[i]);

		if (fds[i] < 0)
			continue;
		cr_assert_eq(getsockopt(fds[i], SOL_SOCKET, SO_DOMAIN,
					&s->family[i], &l),
			     0);
		cr_assert_eq(fstat(fds[i], &st), 0);
		s->sock_ino[i] = st.st_ino;
		s->ns_ino[i] = sock_netns(fds[i]);
		cr_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		close(fds[i]);
	}
	return 0;
}

static int on_start(void *ctx, struct cage_loop *loop, pid_t pid)
{
	struct seen *s = ctx;
	char path[64];
	struct stat st;

	(void)loop;
	s->start_pid = pid;
	s->start_at = ++s->calls;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	cr_assert_eq(stat(path, &st), 0);
	s->agent_ns = st.st_ino;
	return 0;
}

/* While the agent's execve waits: what its fd table holds. */
static void inspect_agent(struct seen *s, pid_t pid)
{
	char path[64], link[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	while ((e = readdir(d))) {
		char p[600];
		ssize_t n;

		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "seccomp"))
			s->listener_in_agent++;
		for (int i = 0; i < 3; i++) {
			char want[40];

			snprintf(want, sizeof(want), "socket:[%lu]",
				 (unsigned long)s->sock_ino[i]);
			if (s->sock_ino[i] && strcmp(link, want) == 0)
				s->leaked++;
		}
	}
	closedir(d);
}

/* Our stand-in broker: every trapped exec is let through. */
static int on_notify(struct cage_loop *loop, int fd, uint32_t ev, void *ctx)
{
	struct seen *s = ctx;
	int rc;

	if (!(ev & EPOLLIN)) {
		cage_loop_del(loop, fd);
		return 0;
	}
	rc = notify_recv(fd, &s->nb);
	if (rc == -ENOENT)
		return 0;
	cr_assert_eq(rc, 0);
	if (s->nb.req->data.nr == SYS_execve) {
		s->execs++;
		inspect_agent(s, (pid_t)s->nb.req->pid);
	}
	rc = notify_reply_continue(fd, &s->nb);
	return rc == -ENOENT ? 0 : rc;
}

static int on_listener(void *ctx, struct cage_loop *loop, int fd)
{
	struct seen *s = ctx;

	s->listener_at = ++s->calls;
	s->listener_ok =
	    fcntl(fd, F_GETFD) >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	if (s->fail_listener) {
		close(fd);
		return s->fail_listener;
	}
	if (s->nb.req) { /* answer the traps */
		s->listener = fd;
		return cage_loop_add(loop, fd, EPOLLIN, on_notify, s);
	}
	close(fd); /* no broker: trapped calls now fail with ENOSYS */
	return 0;
}

struct fixture {
	char *dir;
	struct akios_policy *pol;
	struct cage_plan plan;
	struct cage_bpf bpf;
};

static void setup(struct fixture *f, char **argv, const int *traps,
		  unsigned n_traps)
{
	char *env[] = {NULL};
	struct policy_errors errs = {0};
	struct cage_probe probe;
	struct cage_seccomp_opts so = {.notify_syscalls = traps,
				       .n_notify = n_traps};
	struct akios_err err = {0};
	struct cage_plan_input in = {0};

	memset(f, 0, sizeof(*f));
	f->dir = test_tmpdir("akios-hooks");
	cr_assert_not_null(f->dir);
	cr_assert_eq(chdir(f->dir), 0);
	cr_assert_eq(policy_load_default(&f->pol, &errs), 0);
	cr_assert_eq(cage_probe_run(&probe), 0);
	cr_assert(probe.seccomp_user_notif, "the kernel lacks user notif");
	in = (struct cage_plan_input){.policy = f->pol,
				      .probe = &probe,
				      .argv = argv,
				      .host_env = env,
				      .host_cwd = f->dir,
				      .uid = getuid(),
				      .gid = getgid()};
	cr_assert_eq(cage_plan_build(&in, &f->plan, &err), 0, "%s", err.msg);
	cr_assert(f->plan.allowed, "%s", f->plan.refusal);
	cr_assert_eq(cage_seccomp_build(&so, &f->bpf, &err), 0, "%s", err.msg);
}

static void teardown(struct fixture *f)
{
	cage_bpf_free(&f->bpf);
	cage_plan_free(&f->plan);
	policy_free(f->pol);
	test_rmtree(f->dir);
	free(f->dir);
}

static int run(struct fixture *f, struct seen *s, struct cage_result *r)
{
	struct akios_err err = {0};
	struct cage_run_opts o = {.plan = &f->plan,
				  .bpf = &f->bpf,
				  .want_listener = true,
				  .hook_ctx = s,
				  .on_listener = on_listener,
				  .on_start = on_start,
				  .on_relay = on_relay};

	return cage_run(&o, r, &err);
}

static void relays_are_the_cages(const struct seen *s)
{
	struct stat own;

	cr_assert_eq(stat("/proc/self/ns/net", &own), 0);
	cr_assert_eq(s->relays, 1);
	cr_assert_eq(s->family[0], AF_INET);
	cr_assert_eq(s->family[2], AF_NETLINK);
	for (int i = 0; i < 3; i++) {
		if (!s->sock_ino[i])
			continue;
		cr_assert_eq(s->ns_ino[i], s->agent_ns, "fd %d", i);
		cr_assert_neq(s->ns_ino[i], own.st_ino, "fd %d", i);
	}
}

/* A filter that does not trap exec: the agent waits for our byte. */
Test(cage_hooks, listener_fd_reaches_the_supervisor)
{
	static const int trapped[] = {SYS_uname};
	char *argv[] = {"/bin/true", NULL};
	struct fixture f;
	struct cage_result r;
	struct seen seen = {0};

	setup(&f, argv, trapped, 1);
	cr_assert(!f.bpf.traps_exec);
	cr_assert_eq(run(&f, &seen, &r), 0);
	cr_assert_eq(r.exit_code, 0, "%s", r.reason);
	cr_assert(seen.listener_ok);
	cr_assert_gt(seen.start_pid, 0);
	cr_assert_eq(seen.start_pid, r.agent_pid);
	relays_are_the_cages(&seen);
	/* The listener comes after the ready message here. */
	cr_assert_eq(seen.relay_at, 1);
	cr_assert_eq(seen.start_at, 2);
	cr_assert_eq(seen.listener_at, 3);
	teardown(&f);
}

/* exec trapped, no acknowledgement: each execve along PATH (true is not
 * in /usr/local/bin) waits until we answer it from our copy; the
 * listener is still in the agent's table then, the relay sockets never
 * were. */
Test(cage_hooks, first_exec_waits_for_the_supervisor, .timeout = 30)
{
	static const int trapped[] = {SYS_execve, SYS_execveat};
	char *argv[] = {"true", NULL};
	struct fixture f;
	struct cage_result r;
	struct seen seen = {.listener = -1};

	setup(&f, argv, trapped, 2);
	cr_assert(f.bpf.traps_exec);
	cr_assert_eq(notify_buf_init(&seen.nb), 0);
	cr_assert_eq(run(&f, &seen, &r), 0);
	cr_assert_eq(r.exit_code, 0, "%s", r.reason);
	cr_assert_geq(seen.execs, 2, "%u", seen.execs);
	cr_assert_eq(seen.listener_in_agent, seen.execs);
	cr_assert_eq(seen.leaked, 0);
	relays_are_the_cages(&seen);
	/* The listener went at the filter's load (agent.c): taken before the
	 * ready message, after the relay's sockets all the same. */
	cr_assert_eq(seen.relay_at, 1);
	cr_assert_eq(seen.listener_at, 2);
	cr_assert_eq(seen.start_at, 3);
	notify_buf_free(&seen.nb);
	close(seen.listener);
	teardown(&f);
}

/* The launch without an early PID 1 (cage_child_main): PID 1 does the
 * agent's plan-independent set-up before it clones it all the same, and
 * the agent inherits it (the host name, no_new_privs, the locked
 * securebits, the empty bounding and ambient sets), by the kernel's
 * answers inside the cage (tests/helpers/cage_try creds). */
Test(cage_hooks, agent_inherits_pid1s_set_up, .timeout = 30)
{
	static const int trapped[] = {SYS_execve, SYS_execveat};
	char *argv[] = {"/bin/sh", "-c", "./cage_try creds - > creds.out",
			NULL};
	char rel[512], helper[PATH_MAX], want[128];
	struct fixture f;
	struct cage_result r;
	struct seen seen = {.listener = -1};
	struct test_run cp;

	/* Its path in the build tree, before setup changes the cwd. */
	cr_assert_not_null(realpath(
	    test_build_path("tests/helpers/cage_try", rel, sizeof(rel)),
	    helper));
	setup(&f, argv, trapped, 2);
	cr_assert_eq(test_run((char *[]){"cp", helper, "cage_try", NULL}, NULL,
			      0, NULL, 10, &cp),
		     0);
	cr_assert_eq(cp.status, 0, "%s", cp.err);
	test_run_free(&cp);
	cr_assert_eq(notify_buf_init(&seen.nb), 0);
	cr_assert_eq(run(&f, &seen, &r), 0);
	cr_assert_eq(r.exit_code, 0, "%s", r.reason);
	relays_are_the_cages(&seen);
	cr_assert_eq(seen.leaked, 0);
	cagetest_creds_want(want, sizeof(want));
	cr_assert_eq(test_run((char *[]){"cat", "creds.out", NULL}, NULL, 0,
			      NULL, 10, &cp),
		     0);
	cr_assert_str_eq(cp.out, want);
	test_run_free(&cp);
	notify_buf_free(&seen.nb);
	close(seen.listener);
	teardown(&f);
}

/* A failed exec still reports 127 after the supervisor's answers. */
Test(cage_hooks, failed_exec_is_reported_without_ack, .timeout = 30)
{
	static const int trapped[] = {SYS_execve, SYS_execveat};
	char *argv[] = {"/nonexistent/prog", NULL};
	struct fixture f;
	struct cage_result r;
	struct seen seen = {.listener = -1};

	setup(&f, argv, trapped, 2);
	cr_assert_eq(notify_buf_init(&seen.nb), 0);
	cr_assert_eq(run(&f, &seen, &r), 0);
	cr_assert_eq(r.end, CAGE_END_NOEXEC);
	cr_assert_eq(r.exit_code, 127, "%s", r.reason);
	cr_assert_eq(seen.execs, 1);
	notify_buf_free(&seen.nb);
	close(seen.listener);
	teardown(&f);
}

/* The supervisor fails to take the listener: the run stops with the
 * error and the cage is killed, its execve never answered, nothing
 * hangs or survives. The listener comes at the filter's load, and goes
 * to the hook after the relay's, before the agent's ready message; the
 * cage's PID 1 (our child) is reaped, its pid namespace with every
 * process in it gone. */
Test(cage_hooks, listener_failure_kills_the_cage, .timeout = 30)
{
	static const int trapped[] = {SYS_execve, SYS_execveat};
	char *argv[] = {"/bin/true", NULL};
	struct fixture f;
	struct cage_result r;
	struct seen seen = {.listener = -1, .fail_listener = -EIO};

	setup(&f, argv, trapped, 2);
	cr_assert_eq(run(&f, &seen, &r), -EIO);
	cr_assert_eq(seen.listener_at, 2);
	/* (Its ready message may come before the cage is killed: no hook
	 * sees it once the run has failed.) */
	cr_assert_eq(seen.start_at, 0, "on_start after the failure");
	cr_assert_neq(r.exit_code, 0);
	cr_assert_lt(r.wall_ms, 10000.0);
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	teardown(&f);
}

/* exec trapped with nobody to answer: refused before any clone. */
Test(cage_hooks, exec_trap_without_hook_refused, .timeout = 30)
{
	static const int trapped[] = {SYS_execve, SYS_execveat};
	char *argv[] = {"/bin/true", NULL};
	struct fixture f;
	struct cage_result r;
	struct akios_err err = {0};
	struct cage_run_opts o = {0};

	setup(&f, argv, trapped, 2);
	o = (struct cage_run_opts){
	    .plan = &f.plan, .bpf = &f.bpf, .want_listener = true};
	cr_assert_eq(cage_run(&o, &r, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "traps exec"), "%s", err.msg);
	cr_assert(!r.started);
	cr_assert_eq(r.agent_pid, 0);
	teardown(&f);
}

/* Until the cage's PID 1 (our only child that ends on its own) has
 * exited, left unreaped: the agent is gone by then. */
static int until_cage_ended(void *ctx, struct akios_err *err)
{
	siginfo_t si;

	(void)ctx;
	(void)err;
	while (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | __WALL) != 0 &&
	       errno == EINTR)
		;
	return 0;
}

/* exec trapped, the agent's set-up fails after its listener went (the
 * cwd is missing from the view) and before the supervisor reads it (its
 * on_launched waits for the cage's end): the copy then finds the agent
 * gone, no error of the supervisor's own; the run ends as that set-up
 * failure, said as such, and no hook saw a listener or a start. */
Test(cage_hooks, setup_failure_after_listener_reported, .timeout = 30)
{
	static const int trapped[] = {SYS_execve, SYS_execveat};
	char *argv[] = {"/bin/true", NULL};
	char gone[] = "/akios-no-such-dir";
	struct fixture f;
	struct cage_result r;
	struct seen seen = {.listener = -1};
	struct akios_err err = {0};
	struct cage_run_opts o;
	char *cwd;

	setup(&f, argv, trapped, 2);
	cwd = f.plan.cwd;
	f.plan.cwd = gone;
	o = (struct cage_run_opts){.plan = &f.plan,
				   .bpf = &f.bpf,
				   .want_listener = true,
				   .hook_ctx = &seen,
				   .on_listener = on_listener,
				   .on_start = on_start,
				   .on_relay = on_relay,
				   .on_launched = until_cage_ended};
	cr_assert_eq(cage_run(&o, &r, &err), 0, "%s", err.msg);
	f.plan.cwd = cwd;
	cr_assert_eq(r.end, CAGE_END_SETUP, "%d: %s", r.end, r.reason);
	cr_assert_not_null(strstr(r.reason, "chdir"), "%s", r.reason);
	cr_assert_eq(r.exit_code, 125);
	cr_assert_eq(seen.listener_at, 0);
	cr_assert_eq(seen.start_at, 0);
	teardown(&f);
}
