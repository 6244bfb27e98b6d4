/* The cage child: PID 1 of the new pid namespace. It writes its uid/gid
 * maps, does the agent's set-up that needs no plan (privilege locks, lo,
 * host name, relay sockets: inherited, shared or sent), starts the agent
 * (agent.c: the rest that needs no view meanwhile), builds the view, lets
 * the agent in (its Landlock) and, once the old root is detached and the
 * supervisor says go, on to its exec, and stays as its reaper: when the
 * agent ends it kills and reaps whatever is left in the namespace
 * (double-forked daemons included), reports the status and the usage,
 * and exits. Between clone and execve nothing allocates; any failure is
 * one status line + _exit(125). */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "shared/limits.h"
#include "supervisor/broker/relay.h"
#include "supervisor/cage/caps.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

void cage_status_send(int fd, char kind, const char *a, const char *b,
		      const char *c, const char *d)
{
	char buf[AKIOS_MAX_STATUS_LINE];
	size_t n = 1;
	const char *parts[4] = {a, b, c, d};

	buf[0] = kind;
	for (int i = 0; i < 4; i++) {
		size_t k = parts[i] ? strlen(parts[i]) : 0;

		/* Byte copy: the message carries its length, no NUL. */
		for (size_t j = 0; j < k && n < sizeof(buf); j++)
			buf[n++] = parts[i][j];
	}
	(void)send(fd, buf, n, MSG_NOSIGNAL);
}

_Noreturn void cage_child_fail(int fd, const struct cage_fail *f)
{
	cage_status_send(fd, CAGE_MSG_ERROR, f->what, f->path ? " " : "",
			 f->path ? f->path : "", f->err ? ": " : "");
	if (f->err) /* a second message continues the first */
		cage_status_send(fd, CAGE_MSG_ERROR, "+",
				 strerrordesc_np(f->err), NULL, NULL);
	_exit(AKIOS_EXIT_INTERNAL);
}

static _Noreturn void die(int fd, const char *what, const char *path, int e)
{
	struct cage_fail f = {.what = what, .path = path, .err = e};

	cage_child_fail(fd, &f);
}

void cage_fmt_uint(char *buf, unsigned long long v)
{
	char tmp[21];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* One status message (text) carrying n fds (SCM_RIGHTS); only before the
 * filter is loaded (sendmsg traps after that). 0 or -errno. */
static int send_fds(int sock, const char *text, size_t len, const int *fds,
		    unsigned n)
{
	char cbuf[CMSG_SPACE(CAGE_RELAY_FDS * sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)text, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (n > CAGE_RELAY_FDS)
		return -EINVAL;
	if (n) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

/* The broker's relay listeners (IPv4, IPv6) and Unix socket census, made
 * by PID 1 in the cage's network namespace with lo up, and sent and
 * closed before it clones the agent or made after that clone, so the
 * agent never holds them: the supervisor needs no setns thread (root) or
 * user-namespace helper (rootless). An early PID 1 makes them before it
 * has a plan, on the otherwise idle core, and closes them unsent if the
 * plan wants no relay. A missing one is not fatal (the broker then
 * refuses what it would have needed). */
struct pid1_relay {
	int fds[CAGE_RELAY_FDS];
	unsigned n;
	char msg[4 + 12]; /* CAGE_MSG_RELAY's text; "" when none was made */
};

static void relay_make(struct pid1_relay *r)
{
	static const int fam[CAGE_RELAY_FDS] = {AF_INET, AF_INET6, AF_NETLINK};
	int e4 = 0;

	r->n = 0;
	r->msg[0] = CAGE_MSG_RELAY;
	for (unsigned i = 0; i < CAGE_RELAY_FDS; i++) {
		int fd = relay_listen_here(fam[i]);

		r->msg[1 + i] = fd >= 0 ? '1' : '0';
		if (fd >= 0)
			r->fds[r->n++] = fd;
		else if (i == 0)
			e4 = -fd;
	}
	cage_fmt_uint(r->msg + 4, (unsigned)e4);
}

/* To the supervisor (which takes them only from PID 1, before the
 * agent's ready message) when wanted, then closed either way. */
static void relay_pass(struct pid1_relay *r, bool want, int status_fd)
{
	int rc = 0;

	if (want && r->msg[0])
		rc = send_fds(status_fd, r->msg, strlen(r->msg), r->fds, r->n);
	for (unsigned i = 0; i < r->n; i++)
		close(r->fds[i]);
	r->n = 0;
	r->msg[0] = '\0';
	if (rc != 0)
		die(status_fd, "relay", "handover", -rc);
}

/* The agent's pty, opened in the view's own devpts (after pivot_root),
 * so its slave is /dev/pts/N there and ttyname() finds it. The master
 * goes to the supervisor, which relays it; the slave is returned. */
static int open_pty(const struct cage_child_args *a)
{
	const struct cage_pty_modes *m = a->pty;
	int unlock = 0;
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int slave;

	if (master < 0)
		die(a->status_fd, "pty", "/dev/pts/ptmx", errno);
	if (ioctl(master, TIOCSPTLCK, &unlock) != 0)
		die(a->status_fd, "pty", "unlock", errno);
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die(a->status_fd, "pty", "TIOCGPTPEER", errno);
	if (m->have_t && tcsetattr(slave, TCSANOW, &m->t) != 0)
		die(a->status_fd, "pty", "modes", errno);
	if (m->have_ws && ioctl(slave, TIOCSWINSZ, &m->ws) != 0)
		die(a->status_fd, "pty", "window size", errno);
	(void)send_fds(a->status_fd, (const char[]){CAGE_MSG_PTY}, 1, &master,
		       1);
	close(master);
	return slave;
}

static unsigned long long tv_us(struct timeval a, struct timeval b)
{
	return (unsigned long long)(a.tv_sec + b.tv_sec) * 1000000ull +
	       (unsigned long long)(a.tv_usec + b.tv_usec);
}

/* " <user_us> <sys_us> <maxrss_kb>": the usage of every process of the
 * cage, all reaped (RUSAGE_CHILDREN), and of PID 1 itself. */
static void fmt_usage(char *buf, size_t size)
{
	struct rusage me;
	struct rusage kids;
	unsigned long long v[3];
	size_t n = 0;

	(void)getrusage(RUSAGE_SELF, &me);
	(void)getrusage(RUSAGE_CHILDREN, &kids);
	v[0] = tv_us(me.ru_utime, kids.ru_utime);
	v[1] = tv_us(me.ru_stime, kids.ru_stime);
	v[2] =
	    (unsigned long long)(kids.ru_maxrss > me.ru_maxrss ? kids.ru_maxrss
							       : me.ru_maxrss);
	for (int i = 0; i < 3 && n + 22 < size; i++) {
		buf[n++] = ' ';
		cage_fmt_uint(buf + n, v[i]);
		n += strlen(buf + n);
	}
	buf[n] = '\0';
}

/* PID 1: reap everything. Once the agent has ended, kill what is left
 * (kill(-1) from a namespace's init: every other process in it) and reap
 * it all, so that when the status goes out nothing of the cage runs any
 * more and the usage covers every process; then exit. */
static _Noreturn void reaper(int status_fd, pid_t agent)
{
	char num[24];
	char usage[80];
	int st;
	int agent_st = 0;
	bool agent_done = false;
	bool killed = false;

	for (;;) {
		/* Once the agent is reaped, whatever it left is our child
		 * (reparented to the namespace's init): when none is, there
		 * is nothing to kill (kill(-1) walks every task of the
		 * host); else kill them all, once. */
		bool poll = agent_done && !killed;
		pid_t w = waitpid(-1, &st, __WALL | (poll ? WNOHANG : 0));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == ECHILD && agent_done)
			break;
		if (w < 0)
			die(status_fd, "waitpid", NULL, errno);
		if (w == 0) {
			/* Only as a namespace's init (always, CLONE_NEWPID):
			 * elsewhere -1 would reach all of the user's. */
			if (getpid() == 1)
				(void)kill(-1, SIGKILL);
			killed = true;
		}
		if (w == agent) {
			agent_st = st;
			agent_done = true;
		}
	}
	cage_fmt_uint(num, WIFEXITED(agent_st) ? (unsigned)WEXITSTATUS(agent_st)
					       : (unsigned)WTERMSIG(agent_st));
	fmt_usage(usage, sizeof(usage));
	cage_status_send(status_fd, CAGE_MSG_EXIT,
			 WIFEXITED(agent_st) ? "e" : "s", num, usage, NULL);
	_exit(0);
}

/* Closes every fd from 3 up but the n in keep (-1 entries ignored). */
static void close_except(const int *keep, unsigned n)
{
	unsigned from = 3;

	for (;;) {
		int next = -1; /* the lowest kept fd >= from */

		for (unsigned i = 0; i < n; i++)
			if (keep[i] >= (int)from &&
			    (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0)
			break;
		if ((unsigned)next > from)
			(void)close_range(from, (unsigned)next - 1, 0);
		from = (unsigned)next + 1;
	}
	(void)close_range(from, ~0u, 0);
}

static int write_proc_self(const char *file, const char *data, size_t len)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	e = errno;
	close(fd);
	return n == (ssize_t)len ? 0 : -(n < 0 ? e : EIO);
}

/* "<id> <id> 1\n" into buf (room for two 10-digit ids); its length. */
static size_t fmt_map(char *buf, unsigned id)
{
	size_t n;

	cage_fmt_uint(buf, id);
	n = strlen(buf);
	buf[n++] = ' ';
	cage_fmt_uint(buf + n, id);
	n += strlen(buf + n);
	memcpy(buf + n, " 1\n", 4);
	return n + 3;
}

/* The identity map, written by PID 1 itself: the one mapping a process
 * may write for the user namespace it has just made, its own uid (and
 * gid once setgroups is denied), so the view build starts at once
 * instead of waiting for the supervisor. /proc is still the host's. */
static void write_own_maps(const struct cage_child_args *a)
{
	char map[32];
	size_t n;
	int rc = write_proc_self("/proc/self/setgroups", "deny", 4);

	if (rc == 0) {
		n = fmt_map(map, (unsigned)a->uid);
		rc = write_proc_self("/proc/self/uid_map", map, n);
	}
	if (rc == 0) {
		n = fmt_map(map, (unsigned)a->gid);
		rc = write_proc_self("/proc/self/gid_map", map, n);
	}
	if (rc != 0)
		die(a->status_fd, "uid/gid map", NULL, -rc);
}

/* What no process of the cage gives up afterwards: no_new_privs, the
 * securebits locked, the bounding and ambient sets empty. PID 1 does it
 * before it clones the agent, which inherits all four (creds are copied
 * at clone, CLONE_VM or not); PID 1 keeps its permitted and effective
 * caps for the view (mounts check those, never the bounding set; it
 * never execs), and each clears them later (cage_clear_caps). */
static void lock_privileges(int status_fd)
{
	struct akios_err err;
	int rc = cage_set_no_new_privs();

	if (rc != 0)
		die(status_fd, "no_new_privs", NULL, -rc);
	if (cage_lock_caps(&err) != 0)
		die(status_fd, "drop capabilities:", err.msg, 0);
}

/* The view is pivoted into: the agent's first message (with the pty's
 * slave, opened in the new root's devpts). A failed send means the agent
 * is gone: its reaping tells the rest. */
static void let_agent_in(const struct cage_child_args *a, int ready)
{
	int slave = a->pty ? open_pty(a) : -1;

	(void)send_fds(ready, "r", 1, &slave, slave >= 0);
	if (slave >= 0)
		close(slave);
}

/* Until the agent's exec (or its end): its end of the ready socket is
 * CLOEXEC. */
static void await_exec(int ready)
{
	char c;

	for (;;) {
		ssize_t n = read(ready, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			return;
	}
}

/* What PID 1 does before it needs a plan: dies with akios, writes its
 * identity map, keeps only the status socket and the sync pipe. */
static void pid1_begin(const struct cage_child_args *a)
{
	/* If akios dies, so does the cage (the kernel delivers this even
	 * to a pid-namespace init: it comes from an ancestor namespace).
	 * Tied to the thread that cloned PID 1: launch.c keeps it alive
	 * until PID 1 is reaped. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		die(a->status_fd, "PR_SET_PDEATHSIG", NULL, errno);
	write_own_maps(a);
	/* Nothing of akios's fd table is needed here but the status socket
	 * and the go pipe. The view build then leaves the fds it opens for
	 * one close_range: between the two, fds 3+ but those are its own. */
	close_except((const int[]){a->status_fd, a->sync_fd}, 2);
}

/* The agent's set-up that PID 1 does for it, as far as it needs no plan
 * (an early PID 1's idle time while akios builds it): the privilege locks
 * (lock_privileges, before the clone: inherited), then these steps, which
 * may come before or after the agent's clone (its net and UTS namespaces
 * are PID 1's): after it, lo and the host name are the agent's start's
 * (agent.c, before its filter: it waits for the view anyway, PID 1 is
 * on the way to it), the relay's sockets PID 1's (the supervisor takes
 * them from PID 1 only; made after the clone, they are not in the
 * agent's fd table). */
enum { PRE_LO = CAGE_AGENT_LO, PRE_HOST = CAGE_AGENT_HOST, PRE_RELAY = 4 };

struct pid1_pre {
	struct pid1_relay relay;
	unsigned done; /* PRE_* */
};

static void pre_step(const struct cage_child_args *a, struct pid1_pre *p,
		     unsigned step)
{
	struct cage_fail f = {0};

	if (step == PRE_LO && cage_net_lo_up(&f) != 0)
		cage_child_fail(a->status_fd, &f);
	if (step == PRE_HOST && sethostname("akios", 5) != 0)
		die(a->status_fd, "sethostname", NULL, errno);
	if (step == PRE_RELAY)
		relay_make(&p->relay);
	p->done |= step;
}

/* With until_plan, only while the plan is not published (what is left
 * then waits for the agent's clone, which goes first); else what is left
 * (after that clone: the relay's sockets), those only when wanted. */
static void pre_steps(const struct cage_child_args *a, struct pid1_pre *p,
		      bool until_plan)
{
	for (unsigned step = PRE_LO; step <= PRE_RELAY; step <<= 1) {
		if (p->done & step)
			continue;
		if (until_plan &&
		    __atomic_load_n(&a->published, __ATOMIC_ACQUIRE))
			return;
		if (!until_plan && step == PRE_RELAY && !a->want_relay)
			continue;
		pre_step(a, p, step);
	}
}

/* PID 1 and the agent's start run side by side: while PID 1 builds the
 * view, the agent resets its signals, takes a session, sets its rlimits
 * and loads the seccomp filter (agent.c); the rest of its start waits
 * for the view. */
static _Noreturn void pid1_go_on(const struct cage_child_args *args,
				 struct pid1_pre *pre)
{
	const struct cage_child_args b = *args; /* the agent reads it too */
	const struct cage_child_args *a = &b;
	struct cage_fail f = {0};
	struct cage_view_rest rest;
	int go = a->sync_fd;
	int ready[2];
	pid_t agent;

	/* Those made before the plan, before the clone: the agent never
	 * holds them. */
	relay_pass(&pre->relay, a->want_relay, a->status_fd);
	/* With a v1 cgroup the agent must be cloned into it. */
	if (a->go_before_agent && cage_view_await_go(&go, &f) != 0)
		cage_child_fail(a->status_fd, &f);
	/* Moved into the run's cgroup after the clone: the cgroup namespace
	 * made then is rooted at akios's own cgroup. A fresh one rooted at
	 * the run's shows the agent, cloned after, its cgroup as "/", as
	 * with CLONE_INTO_CGROUP. */
	if (a->new_cgroupns && unshare(CLONE_NEWCGROUP) != 0)
		die(a->status_fd, "cgroup namespace", NULL, errno);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ready) != 0)
		die(a->status_fd, "socketpair", NULL, errno);
	/* What the plan came too early for: lo and the host name to the
	 * agent's start, which waits for the view anyway; the relay's
	 * sockets here (the supervisor takes them only from PID 1). */
	agent = cage_spawn_agent(a, ready[1], ~pre->done & (PRE_LO | PRE_HOST));
	if (agent < 0)
		die(a->status_fd, "clone", NULL, errno);
	close(ready[1]);
	pre->done |= PRE_LO | PRE_HOST;
	pre_steps(a, pre, false);
	relay_pass(&pre->relay, a->want_relay, a->status_fd);
	if (cage_view_build(a->plan, &go, &rest, &f) != 0)
		cage_child_fail(a->status_fd, &f);
	close_except((const int[]){a->status_fd, go, ready[0], rest.root}, 4);
	/* The agent's first message goes before the old root's detach,
	 * which sleeps out an RCU grace period: meanwhile the agent sets up
	 * Landlock (agent.c: in_view). */
	let_agent_in(a, ready[0]);
	if (cage_view_detach(&f) != 0)
		cage_child_fail(a->status_fd, &f);
	/* The placeholders' rebinds, after the go (so the detach's RCU grace
	 * period overlaps the sentinel making them and the supervisor's
	 * run.start), before the agent may go on. */
	if (cage_view_finish(a->plan, &rest, &go, &f) != 0)
		cage_child_fail(a->status_fd, &f);
	/* The go byte, if nothing took it: the agent execs after. */
	if (cage_view_await_go(&go, &f) != 0)
		cage_child_fail(a->status_fd, &f);
	/* The second: the agent may chdir, drop its caps and exec. A failed
	 * send means the agent is gone: its reaping tells the rest. */
	(void)send(ready[0], "d", 1, MSG_NOSIGNAL);
	await_exec(ready[0]);
	close_except(&a->status_fd, 1);
	/* The reaper needs no privilege and no secret: it only waits and
	 * reports (its locks are on since before the agent's clone). Its
	 * memory is akios's (launch.c: CLONE_VM), so the
	 * environment wiped here is the supervisor's one copy, which the
	 * agent's exec has copied by now. Not dumpable (the supervisor
	 * with it, as they share one mm), so the agent cannot open
	 * /proc/1/mem or /proc/1/fd: that would take CAP_SYS_PTRACE in the
	 * user namespace akios runs in. */
	for (char *const *e = a->envp; *e; e++)
		explicit_bzero(*e, strlen(*e));
	/* In this order: until the caps go, PID 1's full permitted set is
	 * what keeps the capless agent, already running, out of it
	 * (commoncap's ptrace check); from here on, not being dumpable. */
	if (prctl(PR_SET_DUMPABLE, 0) != 0 || cage_clear_caps(NULL) != 0)
		die(a->status_fd, "reaper: drop privileges", NULL, EPERM);
	reaper(a->status_fd, agent);
}

_Noreturn void cage_child_main(const struct cage_child_args *args)
{
	struct pid1_pre pre = {0};

	pid1_begin(args);
	lock_privileges(args->status_fd);
	pid1_go_on(args, &pre);
}

/* Cloned early (launch.c: cage_launch_early), before akios has a plan:
 * the namespaces, the identity map, the fd cleanup, the privilege locks
 * and as much of the rest of the agent's set-up as comes before the plan
 * (pre_steps; the relay's sockets then too, whether the plan wants them
 * or not) are done while akios loads the policy and builds the plan;
 * then one byte on the sync pipe says the rest of args is published (and
 * PID 1 is in the run's cgroup when there is one). EOF: akios gave up or
 * died; nothing to say. */
_Noreturn void cage_child_early(const struct cage_child_args *args)
{
	struct pid1_pre pre = {0};
	char c;
	ssize_t n;

	pid1_begin(args);
	lock_privileges(args->status_fd);
	pre_steps(args, &pre, true);
	while ((n = read(args->sync_fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1 || !__atomic_load_n(&args->published, __ATOMIC_ACQUIRE))
		_exit(AKIOS_EXIT_INTERNAL);
	pid1_go_on(args, &pre);
}
