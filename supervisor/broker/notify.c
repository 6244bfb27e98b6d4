/* notify: thin, checked wrappers around the seccomp user-notification
 * ioctls, process_vm_readv and pidfd_getfd. Invariant: no byte read from
 * the agent is returned before NOTIF_ID_VALID confirmed the notification
 * is still pending; every reply carries the id it answers. */
#include "shared/common.h"

#include "supervisor/broker/notify.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

int notify_buf_init(struct notify_buf *nb)
{
	struct seccomp_notif_sizes sz = {0};

	memset(nb, 0, sizeof(*nb));
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0)
		return -errno;
	nb->req_size = sz.seccomp_notif > sizeof(*nb->req) ? sz.seccomp_notif
							   : sizeof(*nb->req);
	nb->resp_size = sz.seccomp_notif_resp > sizeof(*nb->resp)
			    ? sz.seccomp_notif_resp
			    : sizeof(*nb->resp);
	nb->req = calloc(1, nb->req_size);
	nb->resp = calloc(1, nb->resp_size);
	if (!nb->req || !nb->resp) {
		notify_buf_free(nb);
		return -ENOMEM;
	}
	return 0;
}

void notify_buf_free(struct notify_buf *nb)
{
	free(nb->req);
	free(nb->resp);
	nb->req = NULL;
	nb->resp = NULL;
}

int notify_recv(int fd, struct notify_buf *nb)
{
	/* The kernel refuses a non-zeroed request buffer. */
	memset(nb->req, 0, nb->req_size);
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, nb->req) != 0)
		return -errno;
	return 0;
}

int notify_id_valid(int fd, uint64_t id)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0)
		return -ENOENT;
	return 0;
}

int notify_read_mem(int fd, uint64_t id, pid_t pid, uint64_t addr, void *buf,
		    size_t len)
{
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr,
			       .iov_len = len};
	ssize_t n;

	if (len == 0)
		return notify_id_valid(fd, id);
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return errno == ESRCH ? -ENOENT : -EFAULT;
	if ((size_t)n != len)
		return -EFAULT;
	/* The pid may have died and been reused between the trap and the
	 * read: only a still-valid id proves we read the right task. */
	return notify_id_valid(fd, id);
}

int notify_read_string(int fd, uint64_t id, pid_t pid, uint64_t addr, char *buf,
		       size_t size)
{
	const uint64_t page = 4096;
	size_t got = 0;

	while (got + 1 < size) {
		uint64_t a = addr + got;
		size_t chunk = (size_t)(page - (a % page));

		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		int rc = notify_read_mem(fd, id, pid, a, buf + got, chunk);

		if (rc != 0)
			return rc;
		char *nul = memchr(buf + got, '\0', chunk);

		if (nul)
			return (int)(nul - buf);
		got += chunk;
	}
	return -ENAMETOOLONG;
}

static int send_resp(int fd, struct notify_buf *nb)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, nb->resp) != 0)
		return -errno;
	return 0;
}

static void resp_init(struct notify_buf *nb)
{
	memset(nb->resp, 0, nb->resp_size);
	nb->resp->id = nb->req->id;
}

int notify_reply_error(int fd, struct notify_buf *nb, int err)
{
	resp_init(nb);
	nb->resp->error = -(err > 0 ? err : EPERM);
	return send_resp(fd, nb);
}

int notify_reply_value(int fd, struct notify_buf *nb, int64_t val)
{
	resp_init(nb);
	nb->resp->val = val;
	return send_resp(fd, nb);
}

int notify_reply_continue(int fd, struct notify_buf *nb)
{
	resp_init(nb);
	nb->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	return send_resp(fd, nb);
}

int notify_set_sync_wakeup(int fd)
{
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;

	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) != 0)
		return -errno;
	return 0;
}

int notify_getfd(int fd, uint64_t id, pid_t pid, int target_fd, int *out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int rc;

	if (pidfd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	/* The pidfd pins the task; a valid id proves it is the one that
	 * trapped and not a reuse of its pid. */
	rc = notify_id_valid(fd, id);
	if (rc != 0)
		goto out;
	int copy = (int)syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);

	if (copy < 0) {
		rc = -errno;
		goto out;
	}
	*out = copy;
out:
	close(pidfd);
	return rc;
}
