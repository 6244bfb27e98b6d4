/* notify: the seccomp user-notification primitives the broker is built
 * on. Every read of the agent's memory is followed by
 * SECCOMP_IOCTL_NOTIF_ID_VALID, so a value is used only if the task that
 * trapped is still the one waiting (the pid was not reused and the call
 * not abandoned). What was read can still be changed by another thread
 * of the agent right after: callers must act on their own copy (connect
 * the relay themselves, never CONTINUE a host connect) or rely on a
 * kernel boundary for what CONTINUE lets through. */
#ifndef AKIOS_BROKER_NOTIFY_H
#define AKIOS_BROKER_NOTIFY_H

#include "shared/common.h"

#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/types.h>

/* Debian 12's headers predate these (kernel 6.6 / 5.19). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* A received notification, sized by the kernel's own seccomp_notif_sizes
 * (a newer kernel may write a larger struct than these headers know). */
struct notify_buf {
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
};

/* Allocates the buffers with SECCOMP_GET_NOTIF_SIZES, never smaller than
 * this build's structs. 0 or -errno. Free with notify_buf_free. */
int notify_buf_init(struct notify_buf *nb) AKIOS_NONNULL(1) AKIOS_NODISCARD;
void notify_buf_free(struct notify_buf *nb) AKIOS_NONNULL(1);

/* SECCOMP_IOCTL_NOTIF_RECV into nb->req. Returns 0, -ENOENT when the
 * notification vanished (the task was killed) or -errno. */
int notify_recv(int fd, struct notify_buf *nb) AKIOS_NONNULL(2) AKIOS_NODISCARD;

/* 0 while the notification `id` is still pending, else -ENOENT. */
int notify_id_valid(int fd, uint64_t id) AKIOS_NODISCARD;

/* Copies len bytes at addr in the task pid, then checks id is still
 * valid. Returns 0, -EFAULT for unreadable memory (a short read included),
 * -ENOENT when the notification is gone, or -errno. */
int notify_read_mem(int fd, uint64_t id, pid_t pid, uint64_t addr, void *buf,
		    size_t len) AKIOS_NONNULL(5) AKIOS_NODISCARD;

/* Reads a NUL-terminated string of at most size-1 bytes, a page at a
 * time so an unmapped page after the string does not fail the read.
 * Returns its length, -ENAMETOOLONG, -EFAULT or -ENOENT. */
int notify_read_string(int fd, uint64_t id, pid_t pid, uint64_t addr, char *buf,
		       size_t size) AKIOS_NONNULL(5) AKIOS_NODISCARD;

/* Replies: the call fails with -err (err > 0), or returns val. */
int notify_reply_error(int fd, struct notify_buf *nb, int err)
    AKIOS_NONNULL(2) AKIOS_NODISCARD;
int notify_reply_value(int fd, struct notify_buf *nb, int64_t val)
    AKIOS_NONNULL(2) AKIOS_NODISCARD;
/* WARNING: lets the kernel run the call with whatever arguments the
 * agent's memory holds when it does, which a racing thread may have
 * changed since they were read. Only for calls where a kernel boundary
 * decides what happens (the cage's netns for loopback, Landlock EXECUTE
 * for exec), never for a connect to a host endpoint. */
int notify_reply_continue(int fd, struct notify_buf *nb)
    AKIOS_NONNULL(2) AKIOS_NODISCARD;

/* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+): the kernel wakes the
 * supervisor on the agent's CPU, ~10x cheaper across CPUs. 0, or -EINVAL
 * on kernels without it. */
int notify_set_sync_wakeup(int fd) AKIOS_NODISCARD;

/* A copy of the task's fd target_fd (pidfd_open + pidfd_getfd, with an
 * id check between them so the pid is the one that trapped). The copy
 * shares the open file description: status flags, socket options and
 * epoll registrations are the agent's own. Returns 0 and *out (CLOEXEC),
 * or -errno. */
int notify_getfd(int fd, uint64_t id, pid_t pid, int target_fd, int *out)
    AKIOS_NONNULL(5) AKIOS_NODISCARD;

#endif
