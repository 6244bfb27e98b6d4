/* Kernel feature probe for the cage and `akios doctor`. Invariant: it
 * never fails and never changes the calling process: a feature that can
 * only be tested by using it (user namespaces, seccomp flags) is tried in
 * a short-lived forked child, which reports one bit each in its exit. */
#include "shared/common.h"
#include "supervisor/cage/probe.h"
#include "supervisor/cage/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/* Newer than Debian 12's <linux/seccomp.h> (kernel 6.6). */
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

enum probe_bit {
	PB_USERNS = 1 << 0,
	PB_KILLABLE = 1 << 1,
	PB_SYNC_WAKE = 1 << 2,
};

static void probe_kernel(struct cage_probe *p)
{
	struct utsname u;
	unsigned v[3] = {0, 0, 0};
	const char *s;

	if (uname(&u) != 0)
		return;
	snprintf(p->kernel_release, sizeof(p->kernel_release), "%s", u.release);
	s = u.release;
	for (int i = 0; i < 3 && *s; i++) {
		while (*s >= '0' && *s <= '9' && v[i] < 100000)
			v[i] = v[i] * 10 + (unsigned)(*s++ - '0');
		if (*s != '.')
			break;
		s++;
	}
	p->kernel_major = v[0];
	p->kernel_minor = v[1];
	p->kernel_patch = v[2];
}

static bool action_avail(uint32_t action)
{
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* In the child: loads an allow-all filter with a listener, so the flags
 * are checked by the kernel that would check them for real. */
static int child_seccomp_bits(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = 1, .filter = &allow};
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	long fd;
	int bits = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return 0;
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0)
		return 0;
	bits |= PB_KILLABLE;
	/* The flags travel by value in the ioctl argument, not by pointer. */
	if (ioctl((int)fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
		bits |= PB_SYNC_WAKE;
	return bits;
}

static int probe_child(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 0;
	if (pid == 0) {
		int bits = 0;
		/* userns first: a seccomp filter would not hinder it, but
		 * keep the order obvious. */
		if (unshare(CLONE_NEWUSER) == 0)
			bits |= PB_USERNS;
		bits |= child_seccomp_bits();
		_exit(bits);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 0;
}

static unsigned read_uint_file(const char *path)
{
	char buf[32];
	unsigned v = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (unsigned)(buf[i] - '0');
	return v;
}

static unsigned count_effective_caps(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
	struct {
		uint32_t eff, perm, inh;
	} d[2];
	unsigned n = 0;

	if (syscall(SYS_capget, &hdr, d) != 0)
		return 0;
	for (int i = 0; i < 2; i++)
		n += (unsigned)__builtin_popcount(d[i].eff);
	return n;
}

int cage_probe_run(struct cage_probe *out)
{
	struct cage_limits all = {
	    .memory_bytes = 1, .pids = 1, .cpu_percent = 1};
	struct statvfs sv;
	int bits;

	memset(out, 0, sizeof(*out));
	probe_kernel(out);
	out->is_root = geteuid() == 0;
	out->caps_effective = count_effective_caps();
	out->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	out->max_user_namespaces =
	    read_uint_file("/proc/sys/user/max_user_namespaces");
	out->seccomp_filter = action_avail(SECCOMP_RET_ERRNO);
	out->seccomp_user_notif = action_avail(SECCOMP_RET_USER_NOTIF);
	bits = probe_child();
	out->userns = bits & PB_USERNS;
	out->seccomp_wait_killable_recv = bits & PB_KILLABLE;
	out->seccomp_sync_wake_up = bits & PB_SYNC_WAKE;
	out->landlock_abi = cage_landlock_abi();
	out->cgroup = cage_cgroup_detect(&all, out->cgroup_missing,
					 sizeof(out->cgroup_missing));
	cage_cgroup_hierarchies(
	    out->cgroup_v2_controllers, sizeof(out->cgroup_v2_controllers),
	    &out->cgroup_v2_mounted, out->cgroup_v1_controllers,
	    sizeof(out->cgroup_v1_controllers));
	out->tmp_noexec =
	    statvfs("/tmp", &sv) == 0 && (sv.f_flag & ST_NOEXEC) != 0;
	return 0;
}

bool cage_probe_full(const struct cage_probe *p)
{
	return p->userns && p->seccomp_filter && p->seccomp_user_notif &&
	       p->landlock_abi >= 1 && p->cgroup != CAGE_CGROUP_NONE;
}
