/* Host-side placeholders for control files that do not exist yet: an
 * empty file or directory the view can bind read-only, so the agent can
 * neither create nor replace it. A sentinel process creates them and
 * removes them when its socket to akios closes (the end of the run, or
 * akios's death, SIGKILL included), after the cage's PID 1 is gone.
 * Invariants: created exclusively, never through a symlink; removed only
 * if still the inode made and empty, so nothing of the user's goes.
 *
 * The sentinel shares akios's memory instead of forking it: clone(CLONE_VM)
 * costs no page-table copy and no copy-on-write fault in either process,
 * and it runs at once on the other CPU while akios clones the cage. Why
 * that is safe:
 * - It touches only its own block (one mapping: a guard page, its stack,
 *   the paths and its results, copied in before the clone), which akios
 *   unmaps only after reaping it. Its code (PH_BARE) makes raw syscalls
 *   through inline asm: no libc call, so no errno or other TLS write in
 *   akios's thread, no lock, no malloc; no sanitizer or stack-protector
 *   code either (both would read or write akios's TLS).
 * - Signals: akios blocks every signal around the clone, so the sentinel
 *   starts with all blocked and keeps them so for life: no handler of
 *   akios ever runs on its stack, a Ctrl-C meant for the agent leaves it
 *   alone. Only SIGKILL/SIGSTOP reach it, and they run no code.
 * - akios's exit or death, SIGKILL included, ends only akios's thread
 *   group: the sentinel keeps the address space alive and sees EOF on its
 *   socket once every copy of akios's end is closed (the cage child's copy
 *   included, which dies with akios through PDEATHSIG).
 * - Its own fd table (no CLONE_FILES): it closes every fd but its socket
 *   and the cage's pidfd, which it holds before the cage goes on (with
 *   an early cage, from its clone: a copy of akios's, whose number akios
 *   gives it, and it then sends the cage's go itself, once the
 *   placeholders exist; else akios sends it, SCM_RIGHTS, before it lets
 *   the cage go on), so after akios's death it still waits for the
 *   cage's PID 1 to be gone (pidfd readable: every process of the
 *   namespace killed and reaped) before it removes anything.
 * Architectures without the asm stubs fork() the same routine instead. */
#include "shared/common.h"
#include "supervisor/cage/placeholder_int.h"
#include "supervisor/cage/run.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/stat.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* A directory: a spare one from the pool (placeholder_spare.c), else
 * mkdir + statx (it has no fd to create it by: the same by-name look as
 * before, refused unless still a directory); a file is made O_EXCL and
 * looked at through its fd. */
PH_BARE static long ph_make(struct ph_block *b, struct ph_entry *e,
			    const char *path)
{
	struct statx st;
	long rc;

	if (e->dir) {
		rc = ph_spare_take(b, path, &st);
		if (rc != 0 && rc != -EEXIST) {
			rc = PH_SYS(SYS_mkdirat, AT_FDCWD, path, 0755, 0, 0, 0);
			if (rc == 0)
				rc = ph_statx(AT_FDCWD, path,
					      AT_SYMLINK_NOFOLLOW, &st);
		}
		if (rc == 0 && !S_ISDIR(st.stx_mode))
			rc = -ENOTDIR;
	} else {
		long fd =
		    PH_SYS(SYS_openat, AT_FDCWD, path,
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   0644, 0, 0);

		if (fd < 0)
			return fd;
		rc = ph_statx((int)fd, "", AT_EMPTY_PATH, &st);
		(void)PH_SYS(SYS_close, fd, 0, 0, 0, 0, 0);
	}
	if (rc != 0)
		return rc;
	e->dev_major = st.stx_dev_major;
	e->dev_minor = st.stx_dev_minor;
	e->ino = st.stx_ino;
	e->made = 1;
	return 0;
}

PH_BARE static void ph_create_all(struct ph_block *b, struct ph_result *res)
{
	for (uint32_t i = 0; i < b->n; i++) {
		long rc = ph_make(b, &b->e[i], (const char *)b + b->e[i].path);

		if (rc == -EEXIST)
			continue; /* appeared since the plan: bound as it is */
		if (rc != 0) {
			res->err = (int32_t)rc;
			res->index = b->e[i].index;
			return;
		}
	}
}

PH_BARE static void ph_remove_all(struct ph_block *b)
{
	/* Reverse order: .git/hooks goes before .git. */
	for (uint32_t i = b->n; i-- > 0;) {
		const struct ph_entry *e = &b->e[i];
		const char *path = (const char *)b + e->path;
		struct statx st;

		if (!e->made ||
		    ph_statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &st) != 0 ||
		    st.stx_dev_major != e->dev_major ||
		    st.stx_dev_minor != e->dev_minor || st.stx_ino != e->ino)
			continue;
		/* A directory goes to the pool, or away, only when empty. */
		if (S_ISDIR(st.stx_mode) && ph_spare_give(b, e, path) != 0)
			(void)PH_SYS(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR,
				     0, 0, 0);
		else if (S_ISREG(st.stx_mode) && st.stx_size == 0)
			(void)PH_SYS(SYS_unlinkat, AT_FDCWD, path, 0, 0, 0, 0);
	}
}

/* Until akios closes its end (or dies): keeps the cage's pidfd (pidfd,
 * or the first one sent). *over: akios said the cage is over (a lone
 * "e"), see ph_sentinel. */
PH_BARE static long ph_wait_for_end(int sock, long pidfd, int *over)
{
	for (;;) {
		char byte;
		int fd;
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cb;
		struct iovec iov = {.iov_base = &byte, .iov_len = 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cb.buf,
				    .msg_controllen = sizeof(cb.buf)};
		long n =
		    PH_SYS(SYS_recvmsg, sock, &mh, MSG_CMSG_CLOEXEC, 0, 0, 0);
		struct cmsghdr *c;

		if (n == -EINTR)
			continue;
		if (n <= 0)
			return pidfd;
		c = CMSG_FIRSTHDR(&mh);
		if (n == 1 && byte == 'e' && !c) {
			*over = 1;
			return pidfd;
		}
		if (!c || c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		__builtin_memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		if (pidfd < 0)
			pidfd = fd;
		else
			(void)PH_SYS(SYS_close, fd, 0, 0, 0, 0, 0);
	}
}

/* Closes every fd but the PH_KEEP in keep (-1 entries ignored; sorted
 * here). */
#define PH_KEEP 4
PH_BARE static void ph_close_but(long keep[PH_KEEP])
{
	long from = 0;

	for (int i = 1; i < PH_KEEP; i++)
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			long t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < PH_KEEP; i++) {
		if (keep[i] < from)
			continue; /* -1, or kept already */
		if (keep[i] > from)
			(void)PH_SYS(SYS_close_range, from, keep[i] - 1, 0, 0,
				     0, 0);
		from = keep[i] + 1;
	}
	(void)PH_SYS(SYS_close_range, from, ~0u, 0, 0, 0, 0);
}

/* The cage's go, once the placeholders exist (and only then: on a
 * failure PID 1 sees the pipe's end, or is killed). A PID 1 gone makes
 * it EPIPE; SIGPIPE stays blocked, as every signal here. */
PH_BARE static void ph_go(long go, const struct ph_result *res)
{
	if (go < 0)
		return;
	if (res->err == 0)
		(void)PH_SYS(SYS_write, go, "g", 1, 0, 0, 0);
	(void)PH_SYS(SYS_close, go, 0, 0, 0, 0, 0);
}

/* Once its start reply is out, nothing the sentinel does is on the run's
 * critical path, while its wake-ups at the end ("e") are: a waking task of
 * the same weight preempts akios's main thread on its CPU (the kernel
 * packs both on one), and the removal then delays the end of the run
 * (run.end, the checkpoint) instead of overlapping it. SCHED_BATCH never
 * preempts on wake-up (only at the tick, or when akios sleeps), yet keeps
 * the normal weight: the sentinel is never starved (akios waits for it),
 * it gets its fair share of the CPU as before. Any thread may choose it
 * for itself; should it fail, the sentinel just runs as before. */
PH_BARE static void ph_step_aside(void)
{
	struct sched_param sp = {.sched_priority = 0};

	(void)PH_SYS(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp, 0, 0, 0);
}

/* The sentinel's whole life (signals blocked since the clone). */
PH_BARE static int ph_sentinel(void *arg)
{
	struct ph_block *b = arg;
	struct ph_result res = {0, 0};
	long sock = b->sock;
	long keep[PH_KEEP] = {sock, b->spare, b->pidfd, b->go};
	long pidfd;
	int over = 0;

	(void)PH_SYS(SYS_prctl, PR_SET_NAME, "akios-sentinel", 0, 0, 0, 0);
	ph_close_but(keep);
	ph_create_all(b, &res);
	ph_go(b->go, &res);
	(void)PH_SYS(SYS_sendto, sock, &res, sizeof(res), MSG_NOSIGNAL, 0, 0);
	ph_step_aside();
	pidfd = res.err == 0 ? ph_wait_for_end((int)sock, b->pidfd, &over) : -1;
	/* "e": the cage's PID 1 reported the agent's end after it had
	 * killed and reaped every other process of its namespace, so no
	 * process of the agent is left to use a placeholder; they go now,
	 * while the kernel tears the cage's namespaces down (their mounts
	 * there are detached with them). Otherwise (akios died, or the cage
	 * ended without that report) only once PID 1 itself is gone. */
	if (pidfd >= 0 && !over) {
		/* The cage's PID 1 exits only after the kernel has killed
		 * and reaped everything else in its namespace. */
		struct pollfd pf = {.fd = (int)pidfd, .events = POLLIN};

		while (PH_SYS(SYS_ppoll, &pf, 1, 0, 0, 0, 0) == -EINTR)
			;
	}
	ph_remove_all(b);
	for (;;)
		(void)PH_SYS(SYS_exit_group, 0, 0, 0, 0, 0, 0);
	return 0;
}

/* The block's size for the plan's placeholders (0: none). */
static size_t block_size(const struct cage_plan *p, uint32_t *n)
{
	size_t size = sizeof(struct ph_block);

	*n = 0;
	for (unsigned i = 0; i < p->n_mounts; i++) {
		if (!(p->mounts[i].flags & CAGE_MF_PLACEHOLDER))
			continue;
		size += sizeof(struct ph_entry) + strlen(p->mounts[i].dst) + 1;
		(*n)++;
	}
	return *n ? size : 0;
}

static void fill_block(const struct cage_plan *p, struct ph_block *b,
		       uint32_t n, int sock)
{
	size_t off = sizeof(*b) + n * sizeof(b->e[0]);

	b->sock = sock;
	b->n = 0;
	b->spare = -1;
	b->pidfd = -1;
	b->go = -1;
	for (unsigned i = 0; i < p->n_mounts; i++) {
		const struct cage_mount *m = &p->mounts[i];
		size_t len;

		if (!(m->flags & CAGE_MF_PLACEHOLDER))
			continue;
		len = strlen(m->dst) + 1;
		b->e[b->n] = (struct ph_entry){
		    .index = i,
		    .dir = (m->flags & CAGE_MF_DIR) != 0,
		    .path = (uint32_t)off,
		};
		memcpy((char *)b + off, m->dst, len);
		off += len;
		b->n++;
	}
}

/* The mapping: a guard page, the stack, then the block (page-aligned, so
 * the stack's top is aligned for any ABI). */
static int map_block(struct cage_placeholders *ph, size_t data)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *base;

	ph->size = page + PH_STACK + (data + page - 1) / page * page;
	base = mmap(NULL, ph->size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	ph->map = base;
	if (mprotect(base, page, PROT_NONE) != 0)
		return -errno;
#if PH_SHARED_VM
	/* Not copied into the cage's clone: the sentinel's writes to its
	 * stack and results then cost no copy-on-write fault. */
	(void)madvise(base, ph->size, MADV_DONTFORK);
#endif
	ph->block = (struct ph_block *)(base + page + PH_STACK);
	return 0;
}

static pid_t clone_sentinel(struct ph_block *b)
{
	sigset_t all;
	sigset_t old;
	pid_t pid;
	int e;

	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
#if PH_SHARED_VM
	pid = clone(ph_sentinel, b, CLONE_VM | SIGCHLD, b);
#else
	pid = fork();
	if (pid == 0)
		ph_sentinel(b);
#endif
	e = errno;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

int cage_placeholders_start(const struct cage_plan *p,
			    const char *const *spare_dirs,
			    unsigned n_spare_dirs, int pidfd, int go_fd,
			    struct cage_placeholders *ph, struct akios_err *err)
{
	int sv[2] = {-1, -1};
	uint32_t n;
	size_t data = block_size(p, &n);
	int rc = 0;

	*ph = (struct cage_placeholders){.pid = -1, .fd = -1};
	if (data == 0)
		return 0;
	rc = map_block(ph, data);
	if (rc == 0 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		rc = -errno;
	if (rc == 0) {
		int spare = ph_spare_open(p, spare_dirs, n_spare_dirs,
					  &ph->block->spare_seen);

		fill_block(p, ph->block, n, sv[1]);
		ph->block->spare = spare;
		ph->block->pidfd = pidfd;
		ph->block->go = go_fd;
		ph->pid = clone_sentinel(ph->block);
		if (ph->pid < 0)
			rc = -errno;
		if (spare >= 0) /* the sentinel has its own copy */
			close(spare);
	}
	if (sv[1] >= 0)
		close(sv[1]);
	ph->fd = sv[0];
	if (rc == 0)
		return 0;
	cage_placeholders_remove(ph);
	return akios_err_set(err, NULL, 0, 0,
			     "cannot start the placeholder sentinel: %s",
			     strerror(-rc)),
	       rc;
}

int cage_placeholders_wait(struct cage_placeholders *ph,
			   const struct cage_plan *p, struct akios_err *err)
{
	struct ph_result res = {.err = -EPIPE, .index = p->n_mounts};
	ssize_t n;

	if (ph->fd < 0)
		return 0;
	while ((n = recv(ph->fd, &res, sizeof(res), 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		res = (struct ph_result){-EPIPE, p->n_mounts};
	if (res.err == 0)
		return 0;
	return akios_err_set(err, NULL, 0, 0,
			     "cannot create the read-only placeholder %s: %s",
			     res.index < p->n_mounts ? p->mounts[res.index].dst
						     : "(sentinel)",
			     strerror(-res.err)),
	       res.err;
}

void cage_placeholders_watch(const struct cage_placeholders *ph, int pidfd)
{
	char byte = 'p';
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cb = {{0}};
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cb.buf,
			    .msg_controllen = sizeof(cb.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (ph->fd < 0 || pidfd < 0)
		return;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
	(void)sendmsg(ph->fd, &mh, MSG_NOSIGNAL);
}

void cage_placeholders_release(struct cage_placeholders *ph)
{
	if (ph->fd >= 0)
		close(ph->fd);
	ph->fd = -1;
}

void cage_placeholders_over(struct cage_placeholders *ph)
{
	if (ph->fd >= 0)
		(void)send(ph->fd, "e", 1, MSG_NOSIGNAL);
	cage_placeholders_release(ph);
}

void cage_placeholders_reap(struct cage_placeholders *ph)
{
	int st;

	cage_placeholders_release(ph);
	if (ph->pid > 0)
		while (waitpid(ph->pid, &st, 0) < 0 && errno == EINTR)
			;
	ph->pid = -1;
}

void cage_placeholders_remove(struct cage_placeholders *ph)
{
	cage_placeholders_reap(ph);
	/* Only now: the sentinel ran on this memory until it exited. */
	if (ph->map)
		(void)munmap(ph->map, ph->size);
	ph->map = NULL;
	ph->block = NULL;
}
