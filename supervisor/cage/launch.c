/* Starting the cage: clone3 into new user, pid, mount, net, ipc, uts and
 * cgroup namespaces (straight into the run's cgroup when the v2 back-end
 * gives a directory fd), then, from the supervisor, the uid/gid maps and
 * the v1 cgroup attach, and only then the go byte. Identity map: the
 * caller's uid and gid are the only ids in the cage, the same numbers
 * inside as outside; the agent ends with no capability at all. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define CAGE_NS_FLAGS                                                          \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |           \
	 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

static int write_proc(pid_t pid, const char *file, const char *data)
{
	char path[64];
	int fd;
	ssize_t n;
	int e;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, data, strlen(data));
	e = errno;
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -(n < 0 ? e : EIO);
}

static int write_maps(pid_t pid, uid_t uid, gid_t gid, struct akios_err *err)
{
	char map[64];
	int rc = write_proc(pid, "setgroups", "deny");

	if (rc == 0) {
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid,
			 (unsigned)uid);
		rc = write_proc(pid, "uid_map", map);
	}
	if (rc == 0) {
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid,
			 (unsigned)gid);
		rc = write_proc(pid, "gid_map", map);
	}
	if (rc != 0)
		akios_err_set(err, NULL, 0, 0,
			      "cannot write the uid/gid map: %s",
			      strerror(-rc));
	return rc;
}

static pid_t do_clone3(int cgroup_fd, int *pidfd)
{
	struct clone_args ca = {
	    .flags = CAGE_NS_FLAGS | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};

	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* After clone: maps, cgroup, go. On failure the child is killed. */
static int release_child(struct cage_launch *l,
			 const struct cage_launch_opts *o, int go_fd,
			 struct akios_err *err)
{
	int rc = write_maps(l->pid, o->plan->uid, o->plan->gid, err);

	if (rc == 0 && o->cgroup && cage_cgroup_fd(o->cgroup) < 0 &&
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

int cage_launch(const struct cage_launch_opts *o, struct cage_launch *l,
		struct akios_err *err)
{
	int sv[2] = {-1, -1};
	int sync[2] = {-1, -1};
	int one = 1;
	int rc = 0;

	l->pid = -1;
	l->pidfd = -1;
	l->status_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(sync, O_CLOEXEC) != 0) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0, "cannot set up the cage: %s",
			      strerror(errno));
		goto out;
	}
	/* Each message then carries its sender's pid in our namespace. */
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		rc = -errno;
		goto out;
	}
	l->pid =
	    do_clone3(o->cgroup ? cage_cgroup_fd(o->cgroup) : -1, &l->pidfd);
	if (l->pid == 0) {
		struct cage_child_args a = {
		    .plan = o->plan,
		    .envp = o->envp,
		    .status_fd = sv[1],
		    .sync_fd = sync[0],
		    .pty = o->pty,
		    .pty_slave = -1,
		    .bpf = o->bpf,
		    .want_listener = o->want_listener,
		    .want_relay = o->want_relay,
		};

		close(sv[0]);
		close(sync[1]);
		cage_child_main(&a);
	}
	if (l->pid < 0) {
		rc = -errno;
		akios_err_set(err, NULL, 0, 0,
			      "cannot create the cage's namespaces: %s (are "
			      "user namespaces enabled for this user? see "
			      "/proc/sys/user/max_user_namespaces and "
			      "`akios doctor`)",
			      strerror(errno));
		goto out;
	}
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
