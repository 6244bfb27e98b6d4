/* broker_unix: connect() to a pathname Unix socket. A host service's
 * socket inside a writable allowed path would otherwise be reachable
 * from the cage (abstract sockets are scoped by Landlock), so the rule
 * is fail-closed: only a socket bound inside the cage (one of the cage's
 * network namespace, unixdiag.h) may be reached. The broker resolves the
 * path itself in the agent's root (openat2 RESOLVE_IN_ROOT from
 * /proc/PID/root, or beneath its cwd), checks that very inode, and
 * connects the agent's own socket (a pidfd_getfd copy) through
 * /proc/self/fd/N of its O_PATH fd: a racing rename changes nothing. */
#include "shared/common.h"

#include "supervisor/broker/broker_int.h"
#include "supervisor/broker/unixdiag.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

bool broker_unix_pathname(const struct sockaddr_storage *ss, size_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)ss;

	return ss->ss_family == AF_UNIX &&
	       len > offsetof(struct sockaddr_un, sun_path) &&
	       un->sun_path[0] != '\0';
}

static void emit_unix(struct broker *b, const char *decision, const char *rule,
		      int error, const char *path)
{
	struct broker_event ev = {.kind = BROKER_EV_CONNECT,
				  .decision = decision,
				  .rule = rule,
				  .pid = (pid_t)b->nb.req->pid,
				  .error = error,
				  .dest = "unix",
				  .path = path};

	broker_emit(b, &ev);
}

/* The file the agent named, as the agent would find it: absolute paths
 * in its root, relative ones beneath its cwd (a ".." out of the cwd is
 * refused rather than guessed). Returns an O_PATH fd or -errno. */
static int open_in_agent(struct broker *b, const char *path)
{
	const struct seccomp_notif *n = b->nb.req;
	bool abs = path[0] == '/';
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve =
				   RESOLVE_NO_MAGICLINKS |
				   (abs ? RESOLVE_IN_ROOT : RESOLVE_BENEATH)};
	char dir[64];
	int dfd, fd;

	snprintf(dir, sizeof(dir), "/proc/%u/%s", n->pid, abs ? "root" : "cwd");
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	fd = fd >= 0 ? fd : errno == EXDEV ? -EACCES : -errno; /* BENEATH */
	close(dfd);
	/* The pid is the task that trapped only while the call is pending. */
	if (fd >= 0 && notify_id_valid(b->nfd, n->id) != 0) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* 0 when the file is a socket bound inside the cage, else the errno. */
static int cage_socket(struct broker *b, int fd)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st) != 0)
		return errno;
	if (!S_ISSOCK(st.st_mode))
		return ECONNREFUSED; /* what connect says for a plain file */
	rc = unixdiag_bound(b->udiag, st.st_dev, st.st_ino);
	return rc == 1 ? 0 : rc == 0 ? EACCES : -rc;
}

/* connect(sock, that inode), never blocking the supervisor: a full
 * backlog gives EAGAIN even to a blocking socket (documented). */
static int connect_fd(int sock, int fd)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fl = fcntl(sock, F_GETFL);
	int err = 0;

	snprintf(un.sun_path, sizeof(un.sun_path), "/proc/self/fd/%d", fd);
	if (fl < 0)
		return errno;
	if (!(fl & O_NONBLOCK))
		(void)fcntl(sock, F_SETFL, fl | O_NONBLOCK);
	if (connect(sock, (struct sockaddr *)&un, sizeof(un)) != 0)
		err = errno;
	if (!(fl & O_NONBLOCK))
		(void)fcntl(sock, F_SETFL, fl);
	return err;
}

int broker_connect_unix(struct broker *b, const struct sockaddr_storage *ss,
			size_t len)
{
	const struct seccomp_notif *n = b->nb.req;
	const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
	size_t plen = len - offsetof(struct sockaddr_un, sun_path);
	char path[sizeof(un->sun_path) + 1];
	int fd, sock = -1, err;

	if (len > sizeof(*un)) /* the kernel's own limit */
		return broker_reply(b, EINVAL);
	memcpy(path, un->sun_path, plen);
	path[plen] = '\0';
	if (b->udiag <= 0) {
		emit_unix(b, "deny", "broker.unix-no-census", EACCES, path);
		return broker_reply(b, EACCES);
	}
	fd = open_in_agent(b, path);
	if (fd == -ENOENT && notify_id_valid(b->nfd, n->id) != 0)
		return 0; /* the task is gone */
	err = fd < 0 ? -fd : cage_socket(b, fd);
	if (err == 0) {
		int rc = notify_getfd(b->nfd, n->id, (pid_t)n->pid,
				      (int)n->data.args[0], &sock);

		if (rc == -ENOENT) {
			close(fd);
			return 0;
		}
		err = rc < 0 ? -rc : connect_fd(sock, fd);
	}
	if (fd >= 0)
		close(fd);
	if (sock >= 0)
		close(sock);
	emit_unix(b, err == 0 ? "allow" : "deny",
		  err == EACCES ? "broker.unix-outside-cage" : "broker.unix",
		  err, path);
	return broker_reply(b, err);
}
