/* The agent's start, from the cage's PID 1, beside PID 1's view build
 * (child.c): with its privilege locks inherited from PID 1 (and lo and
 * the host name set up by it, unless the plan came first), it resets its
 * signals, takes a session, sets its rlimits and loads the seccomp
 * filter; once the view is pivoted into it takes its terminal, marks
 * every fd but 0/1/2 close-on-exec and restricts itself with Landlock;
 * once the old root is detached it chdirs, clears its caps and execs the
 * command along the cage's PATH.
 * Invariant: every layer is on before the ready message, and nothing
 * runs between it and the exec but the PATH search (and the listener's
 * handover when the filter does not trap exec); no allocation, any
 * failure is one status line and _exit(125) (126/127 when the exec
 * fails). */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "supervisor/cage/caps.h"
#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* What the agent starts from, at the top of its stack: PID 1's args
 * (not changed once it runs) and its end of the ready socket. */
struct agent_start {
	const struct cage_child_args *a;
	int ready_fd;
	unsigned todo; /* CAGE_AGENT_* */
};

static _Noreturn void die(int fd, const char *what, const char *path, int e)
{
	struct cage_fail f = {.what = what, .path = path, .err = e};

	cage_child_fail(fd, &f);
}

/* The 16 hex digits after key ("\nSigIgn:\t") in a status text, or every
 * bit when the line is missing or malformed. */
static uint64_t status_mask(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	uint64_t v = 0;

	if (!p)
		return UINT64_MAX;
	p += strlen(key);
	for (int i = 0; i < 16; i++, p++) {
		unsigned d = (unsigned)(*p >= 'a' ? *p - 'a' + 10 : *p - '0');

		if (d > 15)
			return UINT64_MAX;
		v = v << 4 | d;
	}
	return v;
}

uint64_t cage_nondefault_signals(void)
{
	char buf[2048];
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return UINT64_MAX;
	buf[n] = '\0';
	return status_mask(buf, "\nSigIgn:\t") |
	       status_mask(buf, "\nSigCgt:\t");
}

/* An ignored signal stays ignored across execve, and so does the mask:
 * reset those (SIG_IGN inherited from whoever started akios, SIGPIPE of
 * akios itself), and any handler too, so that no code of akios runs
 * here on a signal once the mask is cleared (akios installs none, but a
 * library or a sanitizer may). The set is the kernel's own list, read
 * by a parked thread of the supervisor before the clone (launch.c):
 * nothing changes a disposition on the way here. */
static void reset_signals(uint64_t set)
{
	/* The kernel's struct sigaction, all zero: SIG_DFL, no flags, an
	 * empty mask, in every architecture's layout. The raw call, since
	 * glibc refuses 32 and 33 (its own), which may come ignored too. */
	const uint64_t dfl[4] = {0};
	sigset_t none;

	for (int s = 1; s <= 64; s++)
		if (set & (1ull << (s - 1)))
			(void)syscall(SYS_rt_sigaction, s, dfl, NULL, 8);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The cage's PATH (from the planned environment) or the safe default. */
static const char *cage_path(char *const *envp)
{
	for (; *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return CAGE_SAFE_PATH;
}

/* execvpe with the cage's PATH (glibc's would search the host's). Returns
 * the exit code for the failure: 126 found but not runnable, 127 not
 * found. */
static int exec_search(char *const *argv, char *const *envp, int *err)
{
	const char *p = cage_path(envp);
	char buf[PATH_MAX];
	int code = AKIOS_EXIT_NOTFOUND;

	*err = ENOENT;
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		*err = errno;
		return errno == ENOENT ? AKIOS_EXIT_NOTFOUND
				       : AKIOS_EXIT_NOEXEC;
	}
	while (*p) {
		size_t d = strcspn(p, ":");
		size_t a = strlen(argv[0]);

		if (d && d + a + 2 <= sizeof(buf)) {
			memcpy(buf, p, d);
			buf[d] = '/';
			memcpy(buf + d + 1, argv[0], a + 1);
			execve(buf, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR) {
				*err = errno;
				code = AKIOS_EXIT_NOEXEC;
			}
		}
		p += d + (p[d] == ':');
	}
	return code;
}

/* The listener goes to the supervisor as a NUMBER, which it copies with
 * pidfd_getfd: sendmsg(SCM_RIGHTS) is itself trapped once the filter is
 * in place, with nobody listening yet. The fd must stay open here until
 * the supervisor has its copy. Two ways to make sure:
 * - wait (the filter does not trap exec), after the ready message: the
 *   supervisor answers one byte once it has the copy; EOF means it is
 *   gone, and the cage with it. The listener may then be closed.
 * - no wait (the filter traps execve and execveat: akios run), right
 *   after the filter's load: the supervisor copies it and attaches its
 *   broker while PID 1 builds the view and detaches the old root, not
 *   between the ready message and the exec's answer. This process
 *   execs only by exec_search's execve, which waits in a notification
 *   on this very listener until the supervisor answers it, and the
 *   supervisor can only read the notification from its copy. So the fd
 *   (CLOEXEC, never closed here: close_range only marks it, dup2 writes
 *   0-2 only, every fd opened since takes a new number) is still in the
 *   table, with the same number, whenever the supervisor asks for it:
 *   before the execve, or while it waits. Should the rest of the set-up
 *   fail, this process says why and exits: the supervisor's copy then
 *   finds it gone (or its fds closed) and the run ends as that failure;
 *   the supervisor also refuses a ready message without its copy (the
 *   exec would wait forever). A failed exec (ENOENT along PATH, a
 *   refusal) returns here with the listener still open; each further
 *   execve waits the same way, and the NOEXEC report and _exit come only
 *   after answers the supervisor gave from its copy. If the supervisor
 *   cannot copy the fd (or its broker fails) it stops the run and kills
 *   the cage: the trapped execve ends with the process (SIGKILL is
 *   fatal even under WAIT_KILLABLE_RECV), nothing hangs. A fatal signal
 *   forwarded before the copy kills the agent the same way (the run
 *   then ends as an akios error, 125, as it did with the byte). The
 *   broker sees the first exec like any other (audit, tools.allow,
 *   tools.timeout_sec). cage_run refuses this mode without a listener
 *   hook, which would leave the execve unanswered.
 * Without a filter (seccomp off or degraded) there is no listener and
 * nothing to hand over. A failed send is fatal: the supervisor could
 * never take the listener. */
static void hand_over_listener(int fd, int listener, bool wait)
{
	char msg[16] = {CAGE_MSG_LISTEN};
	size_t n;
	char ack;

	cage_fmt_uint(msg + 1, (unsigned)listener);
	n = strlen(msg);
	if (wait)
		msg[n++] = 'w';
	if (send(fd, msg, n, MSG_NOSIGNAL) != (ssize_t)n)
		die(fd, "seccomp listener", "handover", errno);
	while (wait && recv(fd, &ack, 1, 0) < 0 && errno == EINTR)
		;
}

/* The ABI the supervisor probed, and no_new_privs set before (by
 * before_view): only the ruleset's own syscalls here. Its fds are CLOEXEC
 * and left to the execve that follows. */
static void landlock(const struct cage_child_args *a)
{
	struct cage_landlock_rule r[CAGE_MAX_MOUNTS];
	const struct cage_plan *p = a->plan;
	struct akios_err err;

	for (unsigned i = 0; i < p->n_rules; i++) {
		unsigned acc = p->rules[i].access;

		r[i].path = p->rules[i].path;
		r[i].access = ((acc & CAGE_ACC_READ) ? CAGE_LL_READ : 0) |
			      ((acc & CAGE_ACC_WRITE) ? CAGE_LL_WRITE : 0) |
			      ((acc & CAGE_ACC_EXEC) ? CAGE_LL_EXEC : 0) |
			      ((acc & CAGE_ACC_DEV) ? CAGE_LL_IOCTL : 0) |
			      ((acc & CAGE_ACC_LISTDIR) ? (1ull << 3) : 0);
	}
	if (cage_landlock_restrict(p->landlock_abi, r, p->n_rules,
				   CAGE_LL_KEEP_FDS, &err) != 0)
		die(a->status_fd, "landlock:", err.msg, 0);
}

/* The namespaces' set-up that PID 1 left (child.c: pre_steps, when the
 * plan came first): done here, where the wait for the view leaves time,
 * rather than on PID 1's way to it. */
static void set_up_namespaces(const struct agent_start *s)
{
	struct cage_fail f = {0};

	if ((s->todo & CAGE_AGENT_LO) && cage_net_lo_up(&f) != 0)
		cage_child_fail(s->a->status_fd, &f);
	if ((s->todo & CAGE_AGENT_HOST) && sethostname("akios", 5) != 0)
		die(s->a->status_fd, "sethostname", NULL, errno);
}

/* What needs no view, while PID 1 builds it: signals, a session of its
 * own, what PID 1 left of lo and the host name, rlimits, then the seccomp
 * filter, which allows everything the rest does (chdir, Landlock's calls,
 * capset, the tty ioctl, dup2, close_range, recvmsg, send) and traps none
 * of it. no_new_privs (which the filter's load and Landlock need), the
 * locked securebits and the empty bounding and ambient sets came with the
 * clone (child.c: lock_privileges). Returns the listener, handed over at
 * once when the filter traps exec. */
static int before_view(const struct agent_start *s)
{
	const struct cage_child_args *a = s->a;
	struct akios_err err;
	int listener = -1;
	int rc;

	reset_signals(a->signals);
	if (setsid() < 0)
		die(a->status_fd, "setsid", NULL, errno);
	set_up_namespaces(s);
	if (cage_apply_rlimits(&a->plan->rlimits, &err) != 0)
		die(a->status_fd, "rlimits:", err.msg, 0);
	if (a->plan->seccomp && a->bpf) {
		rc = cage_seccomp_load(a->bpf, a->want_listener, &listener);
		if (rc != 0)
			die(a->status_fd, "seccomp", NULL, -rc);
	}
	if (listener >= 0 && a->bpf->traps_exec)
		hand_over_listener(a->status_fd, listener, false);
	return listener;
}

/* PID 1's first message: the view is pivoted into (and the pty's slave,
 * if any). EOF: PID 1 failed (it said why) or is gone. */
static int await_view(const struct agent_start *s)
{
	char byte;
	int fd = -1;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cb.buf,
			    .msg_controllen = sizeof(cb.buf)};
	ssize_t n;
	struct cmsghdr *c;

	while ((n = recvmsg(s->ready_fd, &mh, MSG_CMSG_CLOEXEC)) < 0 &&
	       errno == EINTR)
		;
	if (n != 1)
		_exit(AKIOS_EXIT_INTERNAL);
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

static void take_pty(int status_fd, int slave)
{
	if (ioctl(slave, TIOCSCTTY, 0) != 0)
		die(status_fd, "TIOCSCTTY", NULL, errno);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			die(status_fd, "dup2", "pty", errno);
}

/* PID 1's second byte: the old root is detached and the go came. EOF:
 * PID 1 failed (it said why) or is gone. */
static void await_detach(const struct agent_start *s)
{
	char byte;
	ssize_t n;

	while ((n = read(s->ready_fd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(AKIOS_EXIT_INTERNAL);
}

/* In the view: its terminal, the fds and Landlock while PID 1 detaches
 * the old root (an RCU grace period); then the cwd, the caps and ready
 * (every layer is on), right before the listener when it waits for the
 * supervisor's copy (it went at the filter's load otherwise): the
 * supervisor wakes once for both. Until the detach the old root is stacked on "/": only
 * Landlock's rule paths resolve here, absolute and normal (no "..", which
 * would climb into it from the root; policy/check.c refuses one in a
 * policy path), and starting at the root, which crosses no mount on it.
 * The cwd, a path the agent keeps, is taken only after. */
static void in_view(const struct agent_start *s, int listener)
{
	const struct cage_child_args *a = s->a;
	const struct cage_plan *p = a->plan;
	struct akios_err err;
	int slave = await_view(s);

	if (slave >= 0)
		take_pty(a->status_fd, slave);
	/* Every inherited fd but 0/1/2 is gone at exec. */
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
		die(a->status_fd, "close_range", NULL, errno);
	if (p->landlock)
		landlock(a);
	await_detach(s);
	if (chdir(p->cwd) != 0)
		die(a->status_fd, "chdir", p->cwd, errno);
	if (cage_clear_caps(&err) != 0)
		die(a->status_fd, "drop capabilities:", err.msg, 0);
	cage_status_send(a->status_fd, CAGE_MSG_READY, NULL, NULL, NULL, NULL);
	if (listener >= 0 && !a->bpf->traps_exec) {
		hand_over_listener(a->status_fd, listener, true);
		close(listener);
	}
}

static int agent_main(void *arg)
{
	const struct agent_start *s = arg;
	const struct cage_plan *p = s->a->plan;
	char code[8];
	int err = 0;
	int c;

	in_view(s, before_view(s));
	c = exec_search(p->argv, s->a->envp, &err);
	code[0] = (char)('0' + c / 100);
	code[1] = (char)('0' + c / 10 % 10);
	code[2] = (char)('0' + c % 10);
	code[3] = ' ';
	code[4] = '\0';
	cage_status_send(s->a->status_fd, CAGE_MSG_NOEXEC, code, p->argv[0],
			 ": ", strerrordesc_np(err));
	_exit(c);
}

/* The agent shares our memory (no page table copied) on its own stack
 * with a parked thread's TLS (launch.c), and runs beside PID 1 until its
 * exec. Without one (not x86_64, where PID 1 is itself a copy of akios)
 * it is a copy of PID 1. */
pid_t cage_spawn_agent(const struct cage_child_args *a, int ready_fd,
		       unsigned todo)
{
	struct agent_start *s;
	pid_t pid;

	if (!a->agent_tls) {
		struct agent_start local = {
		    .a = a, .ready_fd = ready_fd, .todo = todo};

		pid = fork();
		if (pid == 0)
			agent_main(&local);
		return pid;
	}
	/* Its start block at the top, the stack below. */
	s = (struct agent_start *)a->agent_stack - 1;
	*s = (struct agent_start){.a = a, .ready_fd = ready_fd, .todo = todo};
	return clone(agent_main, s, CLONE_VM | CLONE_SETTLS | SIGCHLD, s, NULL,
		     a->agent_tls, NULL);
}
