/* unixdiag: one NETLINK_SOCK_DIAG dump of the Unix sockets of a network
 * namespace, searched for a bound path's inode. Invariants: the dump is
 * always read to its end (the next query starts clean); a malformed or
 * truncated answer is an error, never a match. */
#include "shared/common.h"

#include "supervisor/broker/unixdiag.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

int unixdiag_open(void)
{
	int fd =
	    socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

static int ask(int fd)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} m = {
	    .nlh = {.nlmsg_len = sizeof(m),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .req = {.sdiag_family = AF_UNIX,
		    .udiag_states = ~0u,
		    .udiag_show = UDIAG_SHOW_VFS},
	};

	return send(fd, &m, sizeof(m), 0) == (ssize_t)sizeof(m) ? 0 : -errno;
}

/* The kernel reports the superblock's raw dev_t (major << 20 | minor),
 * stat the user-space encoding: compare major and minor. */
static bool same_file(const struct unix_diag_vfs *v, dev_t dev, ino_t ino)
{
	return v->udiag_vfs_ino == ino &&
	       (v->udiag_vfs_dev >> 20) == major(dev) &&
	       (v->udiag_vfs_dev & 0xfffffu) == minor(dev);
}

/* One socket's record: 1 when its bound path is (dev, ino). */
static int check_msg(const struct nlmsghdr *h, dev_t dev, ino_t ino)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));

	if (len < 0)
		return -EBADMSG;
	for (const struct rtattr *a = (const void *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		struct unix_diag_vfs v;

		if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(v))
			continue;
		memcpy(&v, RTA_DATA(a), sizeof(v));
		if (same_file(&v, dev, ino))
			return 1;
	}
	return 0;
}

/* Parses one datagram of the dump. 1: done; 0: more to read. The bounds
 * are checked by hand in size_t: NLMSG_OK compares the u32 length with an
 * int, which clang's -Wsign-compare rejects. */
static int parse(const char *buf, size_t n, dev_t dev, ino_t ino, int *found)
{
	size_t off = 0;

	while (n - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const void *)(buf + off);

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n - off)
			break;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR)
			return -EPROTO;
		int rc = check_msg(h, dev, ino);

		if (rc < 0)
			return rc;
		*found |= rc;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (off > n)
			break;
	}
	return 0;
}

int unixdiag_bound(int fd, dev_t dev, ino_t ino)
{
	static const size_t size = 32768;
	char *buf = malloc(size);
	int found = 0;
	int rc = buf ? ask(fd) : -ENOMEM;

	while (rc == 0) {
		ssize_t n = recv(fd, buf, size, 0);

		if (n < 0 && errno == EINTR)
			continue;
		rc = n <= 0 ? (n < 0 ? -errno : -EPROTO)
			    : parse(buf, (size_t)n, dev, ino, &found);
	}
	/* A failed parse leaves the rest of the dump queued: drop it. */
	while (rc < 0 && buf && recv(fd, buf, size, MSG_DONTWAIT) > 0)
		;
	free(buf);
	return rc == 1 ? found : rc;
}
