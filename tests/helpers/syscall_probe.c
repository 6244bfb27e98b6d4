/* syscall_probe NAME...: tries each named syscall with harmless arguments
 * (-1 for every argument: a bad fd gives EBADF, a bad pointer EFAULT, a
 * bad flag EINVAL when the call is allowed) and prints "NAME=RESULT", one
 * a line, where RESULT is "ok" or the errno name (EPERM/ENOSYS when a
 * seccomp filter said no). Names starting with "x:" are special probes
 * with chosen arguments (see the table). Stands for an unmodified agent:
 * it links nothing of akios. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long x_tiocsti(void)
{
	return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI, 0);
}

/* The kernel reads only the low 32 bits of the command: a filter that
 * compares 64 bits would let this one through. */
static long x_tiocsti_hi(void)
{
	return syscall(SYS_ioctl, -1, (1ul << 32) | TIOCSTI, 0);
}

static long x_tioclinux(void)
{
	return syscall(SYS_ioctl, -1, 0x541Cul, 0);
}

static long x_tcgets(void)
{
	return syscall(SYS_ioctl, -1, (unsigned long)TCGETS, 0);
}

/* CLONE_NEWUSER|CLONE_THREAD is invalid: EINVAL when allowed. */
static long x_clone_newuser(void)
{
	return syscall(SYS_clone, CLONE_NEWUSER | CLONE_THREAD, 0, 0, 0, 0);
}

static long x_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}

static long x_fork(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -1;
	return waitpid(pid, &st, 0) == pid ? 0 : -1;
}

static long x_unshare_user(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}

static long x_personality_query(void)
{
	return syscall(SYS_personality, 0xffffffffu) < 0 ? -1 : 0;
}

static long x_personality_set(void)
{
	return syscall(SYS_personality, READ_IMPLIES_EXEC) < 0 ? -1 : 0;
}

static long x_socket_packet(void)
{
	long fd = syscall(SYS_socket, 17 /* AF_PACKET */, SOCK_RAW, 0);
	return fd < 0 ? -1 : close((int)fd);
}

static long x_socket_unix(void)
{
	long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	return fd < 0 ? -1 : close((int)fd);
}

static long x_memfd(void)
{
	long fd = syscall(SYS_memfd_create, "probe", 0);
	return fd < 0 ? -1 : close((int)fd);
}

/* getpid through the x32 ABI (syscall number | 0x40000000). */
static long x_x32(void)
{
	return syscall(0x40000000L | SYS_getpid);
}

/* getpid (20) through the i386 entry point. */
static long x_int80(void)
{
	long ret = 20;

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	long (*fn)(void);
} specials[] = {
    {"x:tiocsti", x_tiocsti},
    {"x:tiocsti_hi", x_tiocsti_hi},
    {"x:tioclinux", x_tioclinux},
    {"x:tcgets", x_tcgets},
    {"x:clone_newuser", x_clone_newuser},
    {"x:clone3", x_clone3},
    {"x:fork", x_fork},
    {"x:unshare_user", x_unshare_user},
    {"x:personality_query", x_personality_query},
    {"x:personality_set", x_personality_set},
    {"x:socket_packet", x_socket_packet},
    {"x:socket_unix", x_socket_unix},
    {"x:memfd", x_memfd},
    {"x:x32", x_x32},
    {"x:int80", x_int80},
};

#define S(x)                                                                   \
	{                                                                      \
#x, SYS_##x                                                    \
	}
/* x86_64 numbers; the last few are newer than Debian 12's headers. */
static const struct {
	const char *name;
	long nr;
} numbers[] = {
    S(io_uring_setup),
    S(io_uring_enter),
    S(io_uring_register),
    S(bpf),
    S(userfaultfd),
    S(perf_event_open),
    S(keyctl),
    S(add_key),
    S(request_key),
    S(kexec_load),
    S(kexec_file_load),
    S(mount),
    S(umount2),
    S(fsopen),
    S(fsconfig),
    S(fsmount),
    S(fspick),
    S(move_mount),
    S(open_tree),
    S(mount_setattr),
    S(pivot_root),
    S(chroot),
    S(setns),
    S(ptrace),
    S(process_vm_readv),
    S(process_vm_writev),
    S(process_madvise),
    S(kcmp),
    S(pidfd_getfd),
    S(open_by_handle_at),
    S(name_to_handle_at),
    S(init_module),
    S(finit_module),
    S(delete_module),
    S(swapon),
    S(swapoff),
    S(reboot),
    S(acct),
    S(settimeofday),
    S(clock_settime),
    S(clock_adjtime),
    S(adjtimex),
    S(syslog),
    S(quotactl),
    S(quotactl_fd),
    S(iopl),
    S(ioperm),
    S(sethostname),
    S(setdomainname),
    S(fanotify_init),
    S(memfd_secret),
    S(move_pages),
    S(migrate_pages),
    S(uselib),
    S(getpid),
    S(read),
    S(write),
    S(close),
    S(fstat),
    S(dup),
    S(setuid),
    S(getcwd),
    S(futex),
    S(epoll_ctl),
    S(timerfd_settime),
    S(statx),
    S(openat2),
    S(close_range),
    S(faccessat2),
    S(epoll_pwait2),
    S(sched_setaffinity),
    S(prctl),
    S(getrandom),
    S(rseq),
    {"statmount", 457},
    {"listmount", 458},
    {"lsm_set_self_attr", 460},
    {"mseal", 462},
    {"open_tree_attr", 467},
    {"map_shadow_stack", 453},
};

static long run_generic(const char *name)
{
	long nr = -1;

	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (strcmp(numbers[i].name, name) == 0)
			nr = numbers[i].nr;
	if (nr < 0) {
		errno = ENOENT;
		return -2;
	}
	return syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L) < 0 ? -1 : 0;
}

static long run_one(const char *name)
{
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (strcmp(specials[i].name, name) == 0)
			return specials[i].fn();
	return run_generic(name);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		long r;
		errno = 0;
		r = run_one(argv[i]);
		if (r == -2)
			printf("%s=unknown\n", argv[i]);
		else if (r < 0)
			printf("%s=%s\n", argv[i], strerrorname_np(errno));
		else
			printf("%s=ok\n", argv[i]);
		fflush(stdout);
	}
	return 0;
}
