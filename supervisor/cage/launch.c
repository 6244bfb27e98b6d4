/* Starting the cage: clone3 into new user, pid, mount, net, ipc, uts and
 * cgroup namespaces (straight into the run's cgroup when the v2 back-end
 * gives a directory fd). PID 1 writes its own identity map (the caller's
 * uid and gid are the only ids in the cage, the same numbers inside as
 * outside) and builds the view at once; the supervisor attaches it to a
 * v1 cgroup and waits for the placeholders, then sends the go byte that
 * PID 1 waits for before the first placeholder bind and the agent.
 * On x86_64 PID 1 shares akios's memory (CLONE_VM: no page table copied,
 * no copy-on-write fault on either side, nothing to unmap at its exit)
 * and runs on its own stack with the TLS of a parked thread
 * (CLONE_SETTLS), which blocks, touching nothing, until PID 1 has been
 * reaped: errno and the rest of glibc's per-thread state are PID 1's
 * alone while the main thread runs on. A second one lends the agent its
 * TLS, as PID 1 and the agent's start run side by side (child.c). */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
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
 * buffers; the agent's: Landlock's rule array and a path buffer. */
#define PID1_STACK   ((size_t)256 * 1024)
#define AGENT_STACK  ((size_t)256 * 1024)
#define PARKED_STACK ((size_t)64 * 1024)

/* At the top of PID 1's mapping (a guard page, the agent's stack, a
 * guard page, PID 1's stack, this): what PID 1 reads, and the parked
 * threads' thread pointers. Nothing in it moves or is freed before PID 1
 * has been reaped. */
struct cage_pid1 {
	struct cage_child_args args;
	struct cage_pty_modes pty;
	struct clone_args ca;
	sem_t parked; /* posted by each thread once its TLS is quiet */
	/* Their thread pointers: PID 1's, then the agent's. */
	unsigned long tls[CAGE_PARKED];
	uint64_t signals; /* the non-default dispositions, for the agent */
	int park_fd;	  /* what they block on: EOF once PID 1 is reaped */
	int pidfd;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int pid1_main(void *arg)
{
	cage_child_main(arg);
}

#if CAGE_SHARED_VM
/* clone3 onto ca->stack, the child calling fn(arg) there and exiting with
 * its result; returns the child's pid or -errno. */
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

/* read(fd, 1 byte) without errno: the parked thread's TLS is PID 1's. */
static long bare_read1(int fd)
{
	char byte;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_read), "D"((long)fd), "S"(&byte),
			   "d"(1L)
			 : "rcx", "r11", "memory");
	return ret;
}

/* A parked thread: it lends PID 1 (or the agent) its TLS: glibc's
 * per-thread state, errno first, then belongs to that process alone,
 * while the supervisor's main thread keeps its own. It records its
 * thread pointer (x86_64: the TCB's self pointer at %fs:0) and, the
 * first one, akios's signal dispositions (the same in every thread, and
 * nothing changes them before the clone), says so, and blocks in a bare
 * read, with every signal blocked, until PID 1 has been reaped. */
static void *parked(void *arg)
{
	struct cage_pid1 *b = arg;
	int fd = b->park_fd; /* b is not touched after the post */
	unsigned long tp;

	__asm__("movq %%fs:0, %0" : "=r"(tp));
	if (__atomic_exchange_n(&b->tls[0], tp, __ATOMIC_ACQ_REL) == 0)
		b->signals = cage_nondefault_signals();
	else
		b->tls[1] = tp;
	sem_post(&b->parked);
	while (bare_read1(fd) == -EINTR)
		;
	return NULL;
}

static int park_threads(struct cage_launch *l, struct cage_pid1 *b)
{
	pthread_attr_t attr;
	sigset_t all;
	sigset_t old;
	int p[2];
	int rc;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	b->park_fd = p[0];
	l->park_wr = p[1];
	if (sem_init(&b->parked, 0, 0) != 0)
		return -errno;
	rc = -pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	/* Detached: they end on their own once woken, nobody waits. */
	rc = -pthread_attr_setstacksize(&attr, PARKED_STACK);
	if (rc == 0)
		rc = -pthread_attr_setdetachstate(&attr,
						  PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < CAGE_PARKED && rc == 0; i++) {
		pthread_t t;

		rc = -pthread_create(&t, &attr, parked, b);
		l->n_threads += rc == 0;
	}
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)pthread_attr_destroy(&attr);
	return rc;
}

/* PID 1 in our memory, on its stack, with a parked thread's TLS; the
 * agent gets the other's. */
static long clone_pid1(struct cage_launch *l, struct cage_pid1 *b)
{
	for (; l->n_parked < l->n_threads; l->n_parked++)
		while (sem_wait(&b->parked) != 0)
			;
	b->ca.flags |= CLONE_VM | CLONE_SETTLS;
	b->ca.tls = b->tls[0];
	b->args.agent_tls = b->tls[1];
	b->args.signals = b->signals;
	return clone3_call(&b->ca, pid1_main, &b->args);
}
#else
static int park_threads(struct cage_launch *l, struct cage_pid1 *b)
{
	(void)l;
	b->signals = cage_nondefault_signals();
	return 0;
}

/* Elsewhere PID 1 is a plain copy of akios (fork-like clone3). */
static long clone_pid1(struct cage_launch *l, struct cage_pid1 *b)
{
	long rc;

	(void)l;
	b->ca.stack = 0;
	b->ca.stack_size = 0;
	b->args.signals = b->signals;
	rc = syscall(SYS_clone3, &b->ca, sizeof(b->ca));
	if (rc == 0)
		pid1_main(&b->args);
	return rc < 0 ? -errno : rc;
}
#endif

/* The mapping: a guard page, the agent's stack, a guard page, PID 1's
 * stack, then its block (page-aligned: each stack's top is aligned for
 * any ABI). One mapping, unmapped once, after PID 1 is reaped. */
static struct cage_pid1 *map_pid1(struct cage_launch *l)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *base;
	struct cage_pid1 *b;

	l->block = (sizeof(struct cage_pid1) + page - 1) / page * page;
	l->map_size = page + AGENT_STACK + page + PID1_STACK + l->block;
	base = mmap(NULL, l->map_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	l->map = base;
	b = (struct cage_pid1 *)(base + l->map_size - l->block);
	b->park_fd = -1; /* cage_launch_free reads it, whatever fails next */
	b->args.agent_stack = base + page + AGENT_STACK;
	if (mprotect(base, page, PROT_NONE) != 0 ||
	    mprotect(base + page + AGENT_STACK, page, PROT_NONE) != 0)
		return NULL;
	return b;
}

static void fill_pid1(struct cage_pid1 *b, const struct cage_launch_opts *o,
		      int status_fd, int sync_fd, char *stack_top)
{
	int cg = o->cgroup ? cage_cgroup_fd(o->cgroup) : -1;

	b->args = (struct cage_child_args){
	    .agent_stack = b->args.agent_stack,
	    .plan = o->plan,
	    .envp = o->envp,
	    .status_fd = status_fd,
	    .sync_fd = sync_fd,
	    .pty = o->pty ? &b->pty : NULL,
	    .bpf = o->bpf,
	    .want_listener = o->want_listener,
	    .want_relay = o->want_relay,
	    .go_before_agent =
		o->cgroup && cg < 0 &&
		cage_cgroup_backend(o->cgroup) != CAGE_CGROUP_NONE,
	};
	if (o->pty)
		b->pty = *o->pty;
	b->pidfd = -1;
	b->ca = (struct clone_args){
	    .flags = CAGE_NS_FLAGS | CLONE_PIDFD,
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

int cage_launch_prepare(struct cage_launch *l)
{
	struct cage_pid1 *b;

	*l = (struct cage_launch){
	    .pid = -1, .pidfd = -1, .status_fd = -1, .park_wr = -1};
	b = map_pid1(l);
	l->prep_err = b ? park_threads(l, b) : -errno;
	return l->prep_err;
}

int cage_launch(const struct cage_launch_opts *o, struct cage_launch *l,
		struct akios_err *err)
{
	int sv[2] = {-1, -1};
	int sync[2] = {-1, -1};
	int one = 1;
	struct cage_pid1 *b;
	long pid;
	int rc = l->map ? l->prep_err : -ENOMEM;

	if (rc != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(sync, O_CLOEXEC) != 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		rc = rc ? rc : -errno;
		akios_err_set(err, NULL, 0, 0, "cannot set up the cage: %s",
			      strerror(-rc));
		goto out;
	}
	/* (SO_PASSCRED: each message then carries its sender's pid.) */
	b = (struct cage_pid1 *)((char *)l->map + l->map_size - l->block);
	fill_pid1(b, o, sv[1], sync[0], (char *)b);
	pid = clone_pid1(l, b);
	if (pid < 0) {
		rc = launch_error((int)pid, err);
		goto out;
	}
	l->pid = (pid_t)pid;
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
	struct cage_pid1 *b =
	    l->map
		? (struct cage_pid1 *)((char *)l->map + l->map_size - l->block)
		: NULL;

	/* Each parked thread reads the block until it posts. */
	for (; b && l->n_parked < l->n_threads; l->n_parked++)
		while (sem_wait(&b->parked) != 0)
			;
	close_fd(&l->park_wr); /* their EOF: they end on their own */
	if (b && b->park_fd >= 0)
		close(b->park_fd);
	if (l->map)
		(void)munmap(l->map, l->map_size);
	l->map = NULL;
}
