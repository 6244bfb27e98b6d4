/* relay_ns: the relay's listeners, created inside the cage's network
 * namespace. Two ways: a short-lived thread that setns()es into the
 * namespace (needs CAP_SYS_ADMIN over it and in the caller's own user
 * namespace: root), or a forked helper that first joins the cage's user
 * namespace, where the user who created it holds every capability
 * (rootless). Either way the supervisor itself never changes namespace,
 * and a socket keeps the namespace it was created in. */
#include "shared/common.h"

#include "supervisor/broker/relay.h"
#include "supervisor/broker/unixdiag.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

struct listen_job {
	int netns, family, fd, err;
};

static int listen_loopback(int family)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1;
	int fd;

	if (family == AF_NETLINK) /* the Unix socket census, not a listener */
		return unixdiag_open();
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				 sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* A new network namespace starts with lo down and so without 127.0.0.1
 * or ::1; bringing it up is idempotent. */
static int lo_up(void)
{
	struct ifreq ifr = {0};
	int rc = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		rc = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

/* Runs in its own thread: setns() changes only the calling thread's
 * network namespace, and the thread ends right after. */
static void *listen_thread(void *arg)
{
	struct listen_job *j = arg;

	if (j->netns >= 0 && setns(j->netns, CLONE_NEWNET) != 0) {
		j->err = -errno;
		return NULL;
	}
	if (j->netns >= 0) {
		j->err = lo_up();
		if (j->err != 0)
			return NULL;
	}
	j->fd = listen_loopback(j->family);
	if (j->fd < 0)
		j->err = j->fd;
	return NULL;
}

int relay_listen_in_netns(int netns_fd, int family, int *fd_out)
{
	struct listen_job j = {.netns = netns_fd, .family = family, .fd = -1};
	pthread_t t;
	int rc;

	if (family != AF_INET && family != AF_INET6 && family != AF_NETLINK)
		return -EAFNOSUPPORT;
	rc = pthread_create(&t, NULL, listen_thread, &j);
	if (rc != 0)
		return -rc;
	rc = pthread_join(t, NULL);
	if (rc != 0)
		return -rc;
	if (j.err != 0)
		return j.err;
	*fd_out = j.fd;
	return 0;
}

/* The forked helper: async-signal-safe calls only, _exit at the end.
 * Sends the listener (or nothing, with the errno as data) on ctl. */
static _Noreturn void helper(int ctl, int userns, int netns, int family)
{
	int err = 0;
	int fd = -1;
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof(err)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (setns(userns, CLONE_NEWUSER) != 0 ||
	    setns(netns, CLONE_NEWNET) != 0)
		err = errno;
	if (err == 0)
		err = -lo_up();
	if (err == 0) {
		fd = listen_loopback(family);
		err = fd < 0 ? -fd : 0;
	}
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	_exit(sendmsg(ctl, &mh, MSG_NOSIGNAL) < 0 ? 1 : 0);
}

static int recv_listener(int ctl, int *fd_out)
{
	int err = EIO;
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof(err)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	if (recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(err))
		return -EIO;
	c = CMSG_FIRSTHDR(&mh);
	if (err != 0 || !c || c->cmsg_type != SCM_RIGHTS)
		return -(err ? err : EIO);
	memcpy(fd_out, CMSG_DATA(c), sizeof(int));
	return 0;
}

int relay_listen_via_userns(int userns_fd, int netns_fd, int family,
			    int *fd_out)
{
	int sv[2];
	int rc;
	pid_t pid;

	if (family != AF_INET && family != AF_INET6 && family != AF_NETLINK)
		return -EAFNOSUPPORT;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		helper(sv[1], userns_fd, netns_fd, family);
	close(sv[1]);
	rc = pid < 0 ? -errno : recv_listener(sv[0], fd_out);
	close(sv[0]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return rc;
}
