/* The cage child: PID 1 of the new pid namespace. It waits for its uid/gid
 * maps, builds the view, brings up lo, then forks the agent and stays as
 * its reaper; when the agent ends it kills and reaps whatever is left in
 * the namespace (double-forked daemons included), reports the status and
 * the usage, and exits. The agent drops every privilege and execs. Between clone and
 * execve nothing allocates; any failure is one status line + _exit(125). */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "shared/limits.h"
#include "supervisor/broker/relay.h"
#include "supervisor/cage/caps.h"
#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/mman.h>
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

/* The signals whose disposition is not the default, as the kernel lists
 * them (SigIgn and SigCgt of /proc/thread-self/status, bit s-1 for
 * signal s), or every bit when that cannot be read (no /proc in the
 * view): the caller then resets all. */
static uint64_t non_default_signals(void)
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
 * library or a sanitizer may). The kernel's own list costs three
 * syscalls where a sigaction per signal cost 64; unreadable, every
 * signal is reset. */
static void reset_signals(void)
{
	/* The kernel's struct sigaction, all zero: SIG_DFL, no flags, an
	 * empty mask, in every architecture's layout. The raw call, since
	 * glibc refuses 32 and 33 (its own), which may come ignored too. */
	const uint64_t dfl[4] = {0};
	uint64_t set = non_default_signals();
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

static void fmt_uint(char *buf, unsigned long long v)
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

/* The listener goes to the supervisor as a NUMBER, which it copies with
 * pidfd_getfd: sendmsg(SCM_RIGHTS) is itself trapped once the filter is
 * in place, with nobody listening yet. The fd must stay open here until
 * the supervisor has its copy. Two ways to make sure:
 * - wait (the filter does not trap exec): the supervisor answers one
 *   byte once it has the copy; EOF means it is gone, and the cage with
 *   it. The listener may then be closed.
 * - no wait (the filter traps execve and execveat: akios run): the next
 *   thing this process does is exec_search's execve, which waits in a
 *   notification on this very listener until the supervisor answers it,
 *   and the supervisor can only read the notification from its copy. So
 *   the fd (CLOEXEC, never closed here) is still in the table, with the
 *   same number, whenever the supervisor asks for it: before the
 *   execve, or while it waits. A failed exec (ENOENT along PATH, a
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

	fmt_uint(msg + 1, (unsigned)listener);
	n = strlen(msg);
	if (wait)
		msg[n++] = 'w';
	if (send(fd, msg, n, MSG_NOSIGNAL) != (ssize_t)n)
		die(fd, "seccomp listener", "handover", errno);
	while (wait && recv(fd, &ack, 1, 0) < 0 && errno == EINTR)
		;
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
 * here: PID 1 is in the cage's network namespace with lo up, and no
 * untrusted code has run yet, so the supervisor needs no setns thread
 * (root) or user-namespace helper (rootless). A missing one is not fatal
 * (the broker then refuses what it would have needed). They are closed
 * before the agent is cloned: it gets a copy of the fd table taken at
 * clone time (no CLONE_FILES), so it never holds them, not even before
 * its exec. The reaper keeps none either. */
static void hand_over_relay(int status_fd)
{
	static const int fam[CAGE_RELAY_FDS] = {AF_INET, AF_INET6, AF_NETLINK};
	char msg[4 + 12] = {CAGE_MSG_RELAY};
	int fds[CAGE_RELAY_FDS];
	unsigned n = 0;
	int e4 = 0;
	int rc;

	for (unsigned i = 0; i < CAGE_RELAY_FDS; i++) {
		int fd = relay_listen_here(fam[i]);

		msg[1 + i] = fd >= 0 ? '1' : '0';
		if (fd >= 0)
			fds[n++] = fd;
		else if (i == 0)
			e4 = -fd;
	}
	fmt_uint(msg + 4, (unsigned)e4);
	rc = send_fds(status_fd, msg, strlen(msg), fds, n);
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
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

/* The ABI the supervisor probed, and no_new_privs set by PID 1 before
 * the clone: only the ruleset's own syscalls here. Its fds are CLOEXEC
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

/* The privilege steps, in the only order that works: rlimits and
 * Landlock need no capability, and the seccomp filter comes last because
 * it denies what the others use. no_new_privs, the locked securebits and
 * the empty bounding and ambient sets come from PID 1 (lock_privileges,
 * before the clone); what is left is the caps this thread holds. */
static void harden(const struct cage_child_args *a)
{
	const struct cage_plan *p = a->plan;
	struct akios_err err;
	int listener = -1;
	int rc;

	if (cage_apply_rlimits(&p->rlimits, &err) != 0)
		die(a->status_fd, "rlimits:", err.msg, 0);
	if (p->landlock)
		landlock(a);
	if (cage_clear_caps(&err) != 0)
		die(a->status_fd, "drop capabilities:", err.msg, 0);
	if (p->seccomp && a->bpf) {
		rc = cage_seccomp_load(a->bpf, a->want_listener, &listener);
		if (rc != 0)
			die(a->status_fd, "seccomp", NULL, -rc);
	}
	/* Ready once every layer is on (a filter that fails to load is a
	 * setup failure), right before the listener: the supervisor wakes
	 * once for both. */
	cage_status_send(a->status_fd, CAGE_MSG_READY, NULL, NULL, NULL, NULL);
	if (listener >= 0) {
		bool wait = !a->bpf->traps_exec;

		hand_over_listener(a->status_fd, listener, wait);
		if (wait)
			close(listener);
	}
}

static _Noreturn void agent_main(const struct cage_child_args *a)
{
	const struct cage_plan *p = a->plan;
	char code[8];
	int err = 0;
	int c;

	reset_signals();
	if (setsid() < 0)
		die(a->status_fd, "setsid", NULL, errno);
	if (a->pty_slave >= 0) {
		if (ioctl(a->pty_slave, TIOCSCTTY, 0) != 0)
			die(a->status_fd, "TIOCSCTTY", NULL, errno);
		for (int fd = 0; fd < 3; fd++)
			if (dup2(a->pty_slave, fd) < 0)
				die(a->status_fd, "dup2", "pty", errno);
	}
	/* Every inherited fd but 0/1/2 is gone at exec. */
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
		die(a->status_fd, "close_range", NULL, errno);
	if (chdir(p->cwd) != 0)
		die(a->status_fd, "chdir", p->cwd, errno);
	harden(a);
	c = exec_search(p->argv, a->envp, &err);
	code[0] = (char)('0' + c / 100);
	code[1] = (char)('0' + c / 10 % 10);
	code[2] = (char)('0' + c % 10);
	code[3] = ' ';
	code[4] = '\0';
	cage_status_send(a->status_fd, CAGE_MSG_NOEXEC, code, p->argv[0], ": ",
			 strerrordesc_np(err));
	_exit(c);
}

static int agent_entry(void *arg)
{
	agent_main(arg);
}

/* The agent starts like posix_spawn does: CLONE_VM|CLONE_VFORK on its own
 * stack, so no page table is copied and it runs at once on this CPU while
 * PID 1 waits for its exec. Its code only makes syscalls and writes its
 * own stack (errno aside, which PID 1 does not read until the clone
 * returns). */
static pid_t spawn_agent(const struct cage_child_args *a)
{
	size_t size = 512ul * 1024ul;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;

	if (stack == MAP_FAILED)
		return -1;
	pid = clone(agent_entry, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD,
		    (void *)a);
	(void)munmap(stack, size);
	return pid;
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
		fmt_uint(buf + n, v[i]);
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

	for (;;) {
		pid_t w = waitpid(-1, &st, __WALL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == ECHILD && agent_done)
			break;
		if (w < 0)
			die(status_fd, "waitpid", NULL, errno);
		if (w == agent) {
			agent_st = st;
			agent_done = true;
			/* Only as a namespace's init (always, CLONE_NEWPID):
			 * elsewhere -1 would reach all of the user's. */
			if (getpid() == 1)
				(void)kill(-1, SIGKILL);
		}
	}
	fmt_uint(num, WIFEXITED(agent_st) ? (unsigned)WEXITSTATUS(agent_st)
					  : (unsigned)WTERMSIG(agent_st));
	fmt_usage(usage, sizeof(usage));
	cage_status_send(status_fd, CAGE_MSG_EXIT,
			 WIFEXITED(agent_st) ? "e" : "s", num, usage, NULL);
	_exit(0);
}

static void close_all_but(int keep)
{
	if (keep > 3)
		(void)close_range(3, (unsigned)keep - 1, 0);
	(void)close_range((unsigned)keep + 1, ~0u, 0);
}

/* What every process cloned from here on inherits: no_new_privs, the
 * securebits locked, the bounding and ambient sets empty. Done once here
 * for PID 1 and the agent both (dropping the bounding set takes a prctl
 * per capability); each then clears the caps it holds. */
static void lock_privileges(int status_fd)
{
	struct akios_err err;
	int rc = cage_set_no_new_privs();

	if (rc != 0)
		die(status_fd, "no_new_privs", NULL, -rc);
	if (cage_lock_caps(&err) != 0)
		die(status_fd, "drop capabilities:", err.msg, 0);
}

_Noreturn void cage_child_main(const struct cage_child_args *args)
{
	struct cage_child_args b = *args;
	const struct cage_child_args *a = &b;
	struct cage_fail f = {0};
	char go;
	pid_t agent;

	/* If akios dies, so does the cage (the kernel delivers this even
	 * to a pid-namespace init: it comes from an ancestor namespace). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		die(a->status_fd, "PR_SET_PDEATHSIG", NULL, errno);
	if (read(a->sync_fd, &go, 1) != 1)
		_exit(AKIOS_EXIT_INTERNAL); /* the supervisor is gone */
	/* Nothing of akios's fd table is needed here (the sync pipe goes
	 * too). The view build then leaves the fds it opens for one
	 * close_range: between the two, fds 3+ but the status socket are
	 * its own. */
	close_all_but(a->status_fd);
	if (cage_view_build(a->plan, &f) != 0)
		cage_child_fail(a->status_fd, &f);
	close_all_but(a->status_fd);
	if (cage_net_lo_up(&f) != 0)
		cage_child_fail(a->status_fd, &f);
	if (sethostname("akios", 5) != 0)
		die(a->status_fd, "sethostname", NULL, errno);
	b.pty_slave = a->pty ? open_pty(a) : -1;
	if (a->want_relay)
		hand_over_relay(a->status_fd);
	lock_privileges(a->status_fd);
	agent = spawn_agent(a);
	if (agent < 0)
		die(a->status_fd, "clone", NULL, errno);
	close_all_but(a->status_fd);
	/* The reaper needs no privilege and no secret: it only waits and
	 * reports. Not dumpable, so the agent cannot open /proc/1/mem or
	 * /proc/1/fd (that would take CAP_SYS_PTRACE in our namespace). */
	for (char *const *e = a->envp; *e; e++)
		explicit_bzero(*e, strlen(*e));
	if (prctl(PR_SET_DUMPABLE, 0) != 0 || cage_clear_caps(NULL) != 0)
		die(a->status_fd, "reaper: drop privileges", NULL, EPERM);
	reaper(a->status_fd, agent);
}
