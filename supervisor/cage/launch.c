/* Starting the cage: clone3 into new user, pid, mount, net, ipc, uts and
 * cgroup namespaces (straight into the run's cgroup when the v2 back-end
 * gives a directory fd). PID 1 writes its own identity map (the caller's
 * uid and gid are the only ids in the cage, the same numbers inside as
 * outside) and builds the view at once; the supervisor attaches it to a
 * v1 cgroup and waits for the placeholders, then sends the go byte that
 * PID 1 waits for before the first placeholder bind and the agent.
 * On x86_64 PID 1 shares akios's memory (CLONE_VM: no page table copied,
 * no copy-on-write fault on either side, nothing to unmap at its exit)
 * and runs on its own stack with the TLS of a launcher thread that only
 * clones it and waits for its end: errno and the rest of glibc's
 * per-thread state are PID 1's (and the vforked agent's) alone. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define CAGE_NS_FLAGS                                                          \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |           \
	 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

#if defined(__x86_64__)
#define CAGE_SHARED_VM 1
#else
#define CAGE_SHARED_VM 0
#endif

/* PID 1's stack: the view build's arrays (a few per mount) and path
 * buffers; the agent gets its own (agent.c). */
#define PID1_STACK     ((size_t)256 * 1024)
#define LAUNCHER_STACK ((size_t)64 * 1024)

/* At the top of PID 1's mapping (a guard page, the stack, this): what
 * PID 1 reads, and the launcher thread's answer. Nothing in it moves or
 * is freed before PID 1 has been reaped. */
struct cage_pid1 {
	struct cage_child_args args;
	struct cage_pty_modes pty;
	struct clone_args ca;
	sem_t ready; /* posted once the clone3 returned */
	long rc;     /* PID 1's pid, or -errno */
	int pidfd;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#if CAGE_SHARED_VM
/* clone3 onto ca->stack, the child calling fn(arg) there and exiting with
 * its result; returns the child's pid or -errno, touching no TLS. */
static long clone3_call(struct clone_args *ca, int (*fn)(void *), void *arg)
{
	register long r8 __asm__("r8") = (long)fn;
	register long r9 __asm__("r9") = (long)arg;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "movq %%r9, %%rdi\n\t"
			 "callq *%%r8\n\t"
			 "movl %%eax, %%edi\n\t"
			 "movl %[exit], %%eax\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(ca), "S"(sizeof(*ca)),
			   "r"(r8), "r"(r9), [exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory");
	return ret;
}

/* ppoll(fd, POLLIN) with no timeout and no errno (PID 1 owns this
 * thread's TLS while it lives). */
static long bare_wait_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_ppoll), "D"(&pfd), "S"(1L), "d"(0L),
			   "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}
#endif

static int pid1_main(void *arg)
{
	cage_child_main(arg);
}

#if CAGE_SHARED_VM
/* The launcher thread: clones PID 1, posts the answer, then waits for
 * PID 1's end without touching its TLS (signals are all blocked here, so
 * nothing interrupts the wait), and only then returns: PID 1's
 * PDEATHSIG fires when this thread ends, and PID 1 uses its TLS. */
static void *launcher(void *arg)
{
	struct cage_pid1 *b = arg;
	long rc = clone3_call(&b->ca, pid1_main, &b->args);
	int pidfd = b->pidfd;

	b->rc = rc;
	sem_post(&b->ready);
	while (rc > 0 && bare_wait_readable(pidfd) == -EINTR)
		;
	return NULL;
}

static int start_pid1(struct cage_launch *l, struct cage_pid1 *b)
{
	pthread_attr_t attr;
	sigset_t all;
	sigset_t old;
	int rc;

	if (sem_init(&b->ready, 0, 0) != 0)
		return -errno;
	rc = -pthread_attr_init(&attr);
	if (rc == 0)
		rc = -pthread_attr_setstacksize(&attr, LAUNCHER_STACK);
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc == 0)
		rc = -pthread_create(&l->thread, &attr, launcher, b);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)pthread_attr_destroy(&attr);
	if (rc != 0)
		return rc;
	l->have_thread = true;
	while (sem_wait(&b->ready) != 0)
		;
	return b->rc < 0 ? (int)b->rc : 0;
}
#else
/* Elsewhere PID 1 is a plain copy of akios (fork-like clone3). */
static int start_pid1(struct cage_launch *l, struct cage_pid1 *b)
{
	struct clone_args ca = b->ca;

	(void)l;
	ca.flags &= ~(uint64_t)CLONE_VM;
	ca.stack = 0;
	ca.stack_size = 0;
	b->rc = syscall(SYS_clone3, &ca, sizeof(ca));
	if (b->rc == 0)
		pid1_main(&b->args);
	return b->rc < 0 ? -errno : 0;
}
#endif

/* The mapping: a guard page, PID 1's stack, then its block. */
static struct cage_pid1 *map_pid1(struct cage_launch *l)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t block = (sizeof(struct cage_pid1) + page - 1) / page * page;
	char *base;

	l->map_size = page + PID1_STACK + block;
	base = mmap(NULL, l->map_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	l->map = base;
	if (mprotect(base, page, PROT_NONE) != 0)
		return NULL;
	return (struct cage_pid1 *)(base + page + PID1_STACK);
}

static void fill_pid1(struct cage_pid1 *b, const struct cage_launch_opts *o,
		      int status_fd, int sync_fd, char *stack_top)
{
	int cg = o->cgroup ? cage_cgroup_fd(o->cgroup) : -1;

	b->args = (struct cage_child_args){
	    .plan = o->plan,
	    .envp = o->envp,
	    .status_fd = status_fd,
	    .sync_fd = sync_fd,
	    .pty = o->pty ? &b->pty : NULL,
	    .pty_slave = -1,
	    .bpf = o->bpf,
	    .want_listener = o->want_listener,
	    .want_relay = o->want_relay,
	};
	if (o->pty)
		b->pty = *o->pty;
	b->pidfd = -1;
	b->ca = (struct clone_args){
	    .flags = CAGE_NS_FLAGS | CLONE_PIDFD | CLONE_VM,
	    .pidfd = (uint64_t)(uintptr_t)&b->pidfd,
	    .exit_signal = SIGCHLD,
	    .stack = (uint64_t)(uintptr_t)(stack_top - PID1_STACK),
	    .stack_size = PID1_STACK,
	};
	if (cg >= 0) {
		b->ca.flags |= CLONE_INTO_CGROUP;
		b->ca.cgroup = (uint64_t)cg;
	}
}

/* After clone: cgroup, go. On failure the child is killed. */
static int release_child(struct cage_launch *l,
			 const struct cage_launch_opts *o, int go_fd,
			 struct akios_err *err)
{
	int rc = 0;

	if (o->cgroup && cage_cgroup_fd(o->cgroup) < 0 &&
	    cage_cgroup_backend(o->cgroup) != CAGE_CGROUP_NONE) {
		rc = cage_cgroup_attach(o->cgroup, l->pid);
		if (rc != 0)
			akios_err_set(
			    err, NULL, 0, 0,
			    "cannot move the cage into its cgroup: %s",
			    strerror(-rc));
	}
	if (rc == 0 && o->before_go)
		rc = o->before_go(o->go_ctx, l->pidfd, err);
	if (rc == 0 && write(go_fd, "g", 1) != 1) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0, "cannot start the cage: %s",
			      strerror(errno));
	}
	return rc;
}

static int launch_error(int rc, struct akios_err *err)
{
	akios_err_set(err, NULL, 0, 0,
		      "cannot create the cage's namespaces: %s (are user "
		      "namespaces enabled for this user? see "
		      "/proc/sys/user/max_user_namespaces and `akios doctor`)",
		      strerror(-rc));
	return rc;
}

int cage_launch(const struct cage_launch_opts *o, struct cage_launch *l,
		struct akios_err *err)
{
	int sv[2] = {-1, -1};
	int sync[2] = {-1, -1};
	int one = 1;
	struct cage_pid1 *b;
	int rc = 0;

	*l = (struct cage_launch){.pid = -1, .pidfd = -1, .status_fd = -1};
	b = map_pid1(l);
	if (!b || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(sync, O_CLOEXEC) != 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0, "cannot set up the cage: %s",
			      strerror(errno));
		goto out;
	}
	/* (SO_PASSCRED: each message then carries its sender's pid.) */
	fill_pid1(b, o, sv[1], sync[0], (char *)b);
	rc = start_pid1(l, b);
	if (rc != 0) {
		launch_error(rc, err);
		goto out;
	}
	l->pid = (pid_t)b->rc;
	l->pidfd = b->pidfd;
	close_fd(&sv[1]);
	close_fd(&sync[0]);
	rc = release_child(l, o, sync[1], err);
	if (rc != 0) {
		(void)syscall(SYS_pidfd_send_signal, l->pidfd, SIGKILL, NULL,
			      0);
		goto out;
	}
	l->status_fd = sv[0];
	sv[0] = -1;
out:
	close_fd(&sv[0]);
	close_fd(&sv[1]);
	close_fd(&sync[0]);
	close_fd(&sync[1]);
	return rc;
}

void cage_launch_free(struct cage_launch *l)
{
	if (l->have_thread)
		(void)pthread_join(l->thread, NULL);
	l->have_thread = false;
	if (l->map)
		(void)munmap(l->map, l->map_size);
	l->map = NULL;
}
