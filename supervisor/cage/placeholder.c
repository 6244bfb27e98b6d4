/* Host-side placeholders for control files that do not exist yet: an
 * empty file or directory the view can bind read-only, so the agent can
 * neither create nor replace it. A small sentinel process (forked before
 * any is made) creates them and removes them when its socket to akios
 * closes: at the end of the run, or when akios dies, even of SIGKILL; it
 * first waits for the cage's PID 1 to be gone, so no agent process can
 * use the moment. Invariants: created with O_EXCL/mkdir (never following
 * a symlink); removed only if it is still the inode we made and empty, so
 * a file the user made meanwhile is never deleted. */
#include "shared/common.h"
#include "supervisor/cage/run.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The sentinel's one answer: 0, or -errno and the mount that failed. */
struct ph_result {
	int32_t err;
	uint32_t index;
};

struct ph_made {
	dev_t dev;
	ino_t ino;
	bool made;
};

static int create_one(const struct cage_mount *m, struct ph_made *out)
{
	struct stat st;
	int fd;

	if (m->flags & CAGE_MF_DIR) {
		if (mkdir(m->dst, 0755) != 0)
			return -errno;
		fd = open(m->dst,
			  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		fd = open(m->dst,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0644);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0) {
		out->dev = st.st_dev;
		out->ino = st.st_ino;
		out->made = true;
	}
	close(fd);
	return out->made ? 0 : -EIO;
}

static void remove_all(const struct cage_plan *p, const struct ph_made *made)
{
	/* Reverse order: .git/hooks goes before .git. */
	for (unsigned i = p->n_mounts; i-- > 0;) {
		const char *dst = p->mounts[i].dst;
		struct stat st;

		if (!made[i].made || lstat(dst, &st) != 0 ||
		    st.st_dev != made[i].dev || st.st_ino != made[i].ino)
			continue;
		if (S_ISDIR(st.st_mode))
			(void)rmdir(dst); /* only when empty */
		else if (S_ISREG(st.st_mode) && st.st_size == 0)
			(void)unlink(dst);
	}
}

static void create_all(const struct cage_plan *p, struct ph_made *made,
		       struct ph_result *res)
{
	for (unsigned i = 0; i < p->n_mounts; i++) {
		int rc;

		made[i].made = false;
		if (!(p->mounts[i].flags & CAGE_MF_PLACEHOLDER))
			continue;
		rc = create_one(&p->mounts[i], &made[i]);
		if (rc == -EEXIST)
			continue; /* appeared since the plan: bound as it is */
		if (rc != 0) {
			res->err = rc;
			res->index = i;
			return;
		}
	}
}

/* Until akios closes its end (or dies): keeps the cage's pidfd if sent. */
static int wait_for_end(int sock)
{
	int pidfd = -1;

	for (;;) {
		char byte;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {.iov_base = &byte, .iov_len = 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		struct cmsghdr *c;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return pidfd;
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS && pidfd < 0)
			memcpy(&pidfd, CMSG_DATA(c), sizeof(int));
	}
}

/* The sentinel's whole life. Signals are blocked (a Ctrl-C meant for
 * the agent must not take the placeholders' keeper with it); it keeps
 * no fd but its socket, so it holds no pipe of the caller open. */
static _Noreturn void sentinel(const struct cage_plan *p, int sock)
{
	struct ph_made made[CAGE_MAX_MOUNTS];
	struct ph_result res = {0};
	sigset_t all;
	int pidfd;

	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	(void)prctl(PR_SET_NAME, "akios-sentinel");
	if (sock > 0)
		(void)close_range(0, (unsigned)sock - 1, 0);
	(void)close_range((unsigned)sock + 1, ~0u, 0);
	create_all(p, made, &res);
	(void)send(sock, &res, sizeof(res), MSG_NOSIGNAL);
	pidfd = res.err == 0 ? wait_for_end(sock) : -1;
	if (pidfd >= 0) {
		/* The cage's PID 1 signals exit only after the kernel has
		 * killed and reaped everything else in its namespace. */
		struct pollfd pf = {.fd = pidfd, .events = POLLIN};

		while (poll(&pf, 1, -1) < 0 && errno == EINTR)
			;
	}
	remove_all(p, made);
	_exit(0);
}

static bool any_placeholder(const struct cage_plan *p)
{
	for (unsigned i = 0; i < p->n_mounts; i++)
		if (p->mounts[i].flags & CAGE_MF_PLACEHOLDER)
			return true;
	return false;
}

int cage_placeholders_create(const struct cage_plan *p,
			     struct cage_placeholders *ph,
			     struct akios_err *err)
{
	struct ph_result res = {.err = -EPIPE};
	int sv[2];
	ssize_t n;

	ph->pid = -1;
	ph->fd = -1;
	if (!any_placeholder(p))
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return akios_err_set(err, NULL, 0, 0,
				     "cannot start the placeholder sentinel: "
				     "%s",
				     strerror(errno)),
		       -errno;
	ph->pid = fork();
	if (ph->pid == 0) {
		close(sv[0]);
		sentinel(p, sv[1]);
	}
	close(sv[1]);
	ph->fd = sv[0];
	if (ph->pid < 0) {
		res.err = -errno;
		res.index = p->n_mounts;
	} else {
		while ((n = recv(ph->fd, &res, sizeof(res), 0)) < 0 &&
		       errno == EINTR)
			;
		if (n != (ssize_t)sizeof(res))
			res = (struct ph_result){-EPIPE, p->n_mounts};
	}
	if (res.err == 0)
		return 0;
	cage_placeholders_remove(ph);
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
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (ph->fd < 0 || pidfd < 0)
		return;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pidfd, sizeof(int));
	(void)sendmsg(ph->fd, &mh, MSG_NOSIGNAL);
}

void cage_placeholders_remove(struct cage_placeholders *ph)
{
	int st;

	if (ph->fd >= 0)
		close(ph->fd);
	ph->fd = -1;
	if (ph->pid > 0)
		while (waitpid(ph->pid, &st, 0) < 0 && errno == EINTR)
			;
	ph->pid = -1;
}
