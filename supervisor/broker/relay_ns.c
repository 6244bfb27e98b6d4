/* relay_ns: the relay's listeners on loopback. `akios run` has the cage
 * child make them in its own network namespace (relay_listen_here, before
 * any untrusted code runs) and pass them up; the test harnesses, whose
 * cage is a plain process, use a short-lived thread that setns()es into
 * the namespace (root only). The supervisor itself never changes
 * namespace, and a socket keeps the namespace it was created in. */
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

struct listen_job {
	int netns, family, fd, err;
};

int relay_listen_here(int family)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1;
	int fd;

	if (family == AF_NETLINK) /* the Unix socket census, not a listener */
		return unixdiag_open();
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
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
	j->fd = relay_listen_here(j->family);
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
