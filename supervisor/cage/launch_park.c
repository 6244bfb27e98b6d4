/* The threads parked for the cage's launch (launch.c): on x86_64 PID 1
 * and the agent share akios's memory and each runs on the TLS of a
 * thread parked here, which blocks in a bare read, touching nothing,
 * until PID 1 has been reaped. For an early launch PID 1's thread (the
 * cloner) clones PID 1 itself before parking. Elsewhere PID 1 is a
 * fork-like copy of akios and nothing is parked. */
#include "shared/common.h"
#include "supervisor/cage/launch_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* The parked threads' stack: they only record, post and block. */
#define PARKED_STACK ((size_t)64 * 1024)

static int pid1_main(void *arg)
{
	cage_child_main(arg);
}

int cage_park_pipe(struct cage_pid1 *b, int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	b->park_fd = p[0];
	*wr = p[1];
	return sem_init(&b->parked, 0, 0) != 0 ? -errno : 0;
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

/* A syscall without errno: the parked threads' TLS is PID 1's (or the
 * agent's) once it is cloned. */
static long bare3(long nr, long a1, long a2, long a3)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Blocks until park_fd's EOF (PID 1 reaped), touching nothing. */
static void park(int fd)
{
	char byte;

	while (bare3(SYS_read, fd, (long)&byte, 1) == -EINTR)
		;
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
	unsigned long none = 0;

	__asm__("movq %%fs:0, %0" : "=r"(tp));
	/* Early, the only one: the agent's (the cloner is PID 1's). Else a
	 * compare-and-swap: the second thread must not overwrite the first's
	 * pointer (PID 1 and the agent would share one TLS). */
	if (!b->early &&
	    __atomic_compare_exchange_n(&b->tls[0], &none, tp, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		b->signals = cage_nondefault_signals();
	else
		b->tls[1] = tp;
	sem_post(&b->parked);
	park(fd);
	return NULL;
}

/* A detached parked thread on a small stack running fn(b), with every
 * signal blocked. 0 or -errno. */
static int spawn_parked(void *(*fn)(void *), struct cage_pid1 *b)
{
	pthread_attr_t attr;
	sigset_t all;
	sigset_t old;
	pthread_t t;
	int rc = -pthread_attr_init(&attr);

	if (rc != 0)
		return rc;
	/* Detached: they end on their own once woken, nobody waits. */
	rc = -pthread_attr_setstacksize(&attr, PARKED_STACK);
	if (rc == 0)
		rc = -pthread_attr_setdetachstate(&attr,
						  PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc == 0)
		rc = -pthread_create(&t, &attr, fn, b);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)pthread_attr_destroy(&attr);
	return rc;
}

static int pid1_early(void *arg)
{
	cage_child_early(arg);
}

/* The status socket and sync pipe (PID 1's ends in its args), made by
 * the cloner: the main thread goes on meanwhile. */
static int early_fds(struct cage_pid1 *b)
{
	int sv[2];
	int sync[2];
	int one = 1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	b->early_fd[0] = sv[0];
	b->early_fd[2] = sv[1];
	if (pipe2(sync, O_CLOEXEC) != 0)
		return -errno;
	b->early_fd[1] = sync[1];
	b->early_fd[3] = sync[0];
	b->args.status_fd = sv[1];
	b->args.sync_fd = sync[0];
	/* (SO_PASSCRED: each message then carries its sender's pid.) */
	return setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))
		   ? -errno
		   : 0;
}

/* The cloner of an early launch: its TLS goes to PID 1, which it clones
 * itself (CLONE_VM without CLONE_SETTLS: the child runs on this thread's
 * TLS), right away, while akios's main thread loads the policy and
 * builds the plan. PID 1's parent is this thread: it must live (parked)
 * until PID 1 is reaped, or PR_SET_PDEATHSIG would fire. After the clone
 * it touches only the block, with bare syscalls. It allocates nothing
 * (a thread's first malloc makes an arena: mmap and munmaps, whose TLB
 * shootdowns would interrupt the main thread). */
static void *cloner(void *arg)
{
	struct cage_pid1 *b = arg;
	unsigned long tp;
	long pid;
	int fd;

	__asm__("movq %%fs:0, %0" : "=r"(tp));
	b->tls[0] = tp;
	b->args.signals = cage_nondefault_signals();
	b->thread_err = early_fds(b);
	fd = b->park_fd; /* b is not read after the release below */
	pid = b->thread_err ? b->thread_err
			    : clone3_call(&b->ca, pid1_early, &b->args);
	b->clone_ret = pid;
	__atomic_store_n(&b->cloned, 1, __ATOMIC_RELEASE);
	(void)bare3(SYS_futex, (long)&b->cloned, FUTEX_WAKE_PRIVATE, 1);
	park(fd);
	return NULL;
}

/* The agent's thread first: it runs at once on the idle core (it only
 * records its TLS and posts), then the cloner. */
int cage_park_early(struct cage_launch *l, struct cage_pid1 *b)
{
	int rc = cage_park_pipe(b, &l->park_wr);

	b->early = true;
	if (rc == 0)
		rc = spawn_parked(parked, b);
	l->n_threads = rc == 0;
	if (rc == 0)
		rc = spawn_parked(cloner, b);
	l->cloner = rc == 0;
	return rc;
}

/* The cloner's outcome (it is quiet from here); 0 before it ran. */
long cage_await_clone(struct cage_pid1 *b)
{
	while (!__atomic_load_n(&b->cloned, __ATOMIC_ACQUIRE))
		(void)syscall(SYS_futex, &b->cloned, FUTEX_WAIT_PRIVATE, 0,
			      NULL, NULL, 0);
	return b->clone_ret;
}

int cage_park_threads(struct cage_launch *l, struct cage_pid1 *b)
{
	int rc = cage_park_pipe(b, &l->park_wr);

	for (unsigned i = 0; i < CAGE_PARKED && rc == 0; i++) {
		rc = spawn_parked(parked, b);
		l->n_threads += rc == 0;
	}
	return rc;
}

/* PID 1 in our memory, on its stack, with a parked thread's TLS; the
 * agent gets the other's. */
long cage_clone_pid1(struct cage_launch *l, struct cage_pid1 *b)
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
int cage_park_early(struct cage_launch *l, struct cage_pid1 *b)
{
	(void)l;
	(void)b;
	return -ENOSYS;
}

long cage_await_clone(struct cage_pid1 *b)
{
	(void)b;
	return -ENOSYS;
}

int cage_park_threads(struct cage_launch *l, struct cage_pid1 *b)
{
	(void)l;
	b->signals = cage_nondefault_signals();
	return 0;
}

/* Elsewhere PID 1 is a plain copy of akios (fork-like clone3). */
long cage_clone_pid1(struct cage_launch *l, struct cage_pid1 *b)
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
