/* The agent's syscall table: every x86_64 syscall the cage allows, always
 * denies or narrows by argument, in groups, each with the reason it is in
 * the table. Invariant: a syscall absent from the table gets the default
 * action (ENOSYS, so a newer libc falls back), and a name here that
 * neither libseccomp nor sc_resolve() knows fails the build of the filter
 * (tests/unit/test_cage_seccomp.c checks every name).
 *
 * group         action  why
 * ------------  ------  --------------------------------------------------
 * files         allow   I/O on descriptors and paths (and Linux AIO, not
 *                       io_uring); the mount view and Landlock decide
 *                       WHICH paths, not seccomp
 * memory        allow   allocation, mappings, NUMA hints of a normal
 *                       runtime (python3, node, JITs use mprotect/madvise)
 * process       allow   fork/exec/wait/exit and identity queries; clone
 *                       and unshare narrowed by the argument rules
 * threads       allow   futexes, robust lists, rseq, TLS: every threaded
 *                       runtime (node's libuv pool, python threads)
 * signals       allow   signal handling within the cage's pid namespace
 * time          allow   clocks, sleeps and timers (read only: setting
 *                       the clock is denied)
 * events        allow   poll/select/epoll/eventfd/inotify event loops
 * ipc           allow   pipes, SysV and POSIX IPC (private ipc namespace)
 * network       allow   sockets in the cage's own net namespace (only lo;
 *                       socket() narrowed to unix/inet/inet6/netlink; the
 *                       broker, issue 6, traps connect, sendmsg, sendmmsg
 *                       and sendto with an address or MSG_FASTOPEN)
 * sched         allow   priorities, affinities, rlimits of itself
 * restrict      allow   seccomp/landlock/prctl/capget: a process may only
 *                       narrow itself further (no_new_privs is set)
 * info          allow   uname, sysinfo, getrandom, getcpu
 * kernel-attack deny    large attack surface rarely needed by agents:
 *                       io_uring, bpf, userfaultfd, perf, keyrings
 * mounts        deny    mount, the new mount API, pivot_root, chroot,
 *                       setns: the view is fixed before execve
 * inspection    deny    ptrace, process_vm_*, kcmp, pidfd_getfd: reading
 *                       or steering other processes
 * handles       deny    open_by_handle_at (the "shocker" escape)
 * host-admin    deny    modules, kexec, swap, reboot, clock, quotas,
 *                       syslog, iopl/ioperm, acct, hostname
 * clone3        ENOSYS  its flags live in memory BPF cannot read: ENOSYS
 *                       makes glibc fall back to clone(), whose flags are
 *                       checked
 */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cage/seccomp_int.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define CALLS(...) ((const char *const[]){__VA_ARGS__, NULL})

const struct sc_group sc_groups[] = {
    {"files",
     "I/O on descriptors and paths; the view and Landlock decide "
     "which paths",
     SC_ALLOW,
     CALLS("read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	   "pwritev", "preadv2", "pwritev2", "lseek", "close", "close_range",
	   "dup", "dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync",
	   "sync", "syncfs", "sync_file_range", "truncate", "ftruncate",
	   "fallocate", "fadvise64", "sendfile", "copy_file_range", "splice",
	   "tee", "vmsplice", "readahead", "open", "openat", "openat2", "creat",
	   "stat", "fstat", "lstat", "newfstatat", "statx", "access",
	   "faccessat", "faccessat2", "readlink", "readlinkat", "getdents",
	   "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat",
	   "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	   "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod",
	   "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
	   "umask", "utime", "utimes", "utimensat", "futimesat", "statfs",
	   "fstatfs", "mknod", "mknodat", "getxattr", "lgetxattr", "fgetxattr",
	   "listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr",
	   "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
	   "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
	   "io_pgetevents", "ioctl")},
    {"memory", "allocation and mappings of a normal runtime (JITs too)",
     SC_ALLOW,
     CALLS("brk", "mmap", "munmap", "mprotect", "mremap", "msync", "mincore",
	   "madvise", "mlock", "mlock2", "munlock", "mlockall", "munlockall",
	   "membarrier", "pkey_alloc", "pkey_free", "pkey_mprotect",
	   "get_mempolicy", "set_mempolicy", "mbind", "mseal",
	   "map_shadow_stack", "memfd_create")},
    {"process", "fork/exec/wait/exit and identity; clone narrowed", SC_ALLOW,
     CALLS("clone", "fork", "vfork", "execve", "execveat", "exit", "exit_group",
	   "wait4", "waitid", "getpid", "getppid", "gettid", "getpgid",
	   "setpgid", "getpgrp", "getsid", "setsid", "getuid", "geteuid",
	   "getgid", "getegid", "getgroups", "getresuid", "getresgid", "setuid",
	   "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	   "setgroups", "setfsuid", "setfsgid", "personality", "unshare",
	   "pidfd_open", "pidfd_send_signal", "restart_syscall")},
    {"threads", "futexes, robust lists, rseq, TLS of threaded runtimes",
     SC_ALLOW,
     CALLS("futex", "futex_waitv", "set_tid_address", "set_robust_list",
	   "get_robust_list", "rseq", "arch_prctl")},
    {"signals", "signal handling inside the cage's pid namespace", SC_ALLOW,
     CALLS("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	   "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	   "rt_sigsuspend", "sigaltstack", "pause", "alarm", "kill", "tkill",
	   "tgkill", "signalfd", "signalfd4")},
    {"time", "clocks, sleeps and timers (setting the clock is denied)",
     SC_ALLOW,
     CALLS("clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
	   "gettimeofday", "time", "getitimer", "setitimer", "timer_create",
	   "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	   "timerfd_create", "timerfd_settime", "timerfd_gettime", "times")},
    {"events", "poll/select/epoll/eventfd/inotify event loops", SC_ALLOW,
     CALLS("poll", "ppoll", "select", "pselect6", "epoll_create",
	   "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	   "epoll_pwait2", "eventfd", "eventfd2", "inotify_init",
	   "inotify_init1", "inotify_add_watch", "inotify_rm_watch")},
    {"ipc", "pipes, SysV and POSIX IPC (private ipc namespace)", SC_ALLOW,
     CALLS("pipe", "pipe2", "shmget", "shmat", "shmdt", "shmctl", "semget",
	   "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv",
	   "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
	   "mq_notify", "mq_getsetattr")},
    {"network",
     "sockets in the cage's own net namespace; socket() "
     "narrowed",
     SC_ALLOW,
     CALLS("socket", "socketpair", "bind", "listen", "accept", "accept4",
	   "connect", "getsockname", "getpeername", "sendto", "recvfrom",
	   "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
	   "setsockopt", "getsockopt")},
    {"sched", "priorities, affinities and rlimits of itself", SC_ALLOW,
     CALLS("sched_yield", "sched_getaffinity", "sched_setaffinity",
	   "sched_getparam", "sched_setparam", "sched_getscheduler",
	   "sched_setscheduler", "sched_get_priority_max",
	   "sched_get_priority_min", "sched_rr_get_interval", "sched_getattr",
	   "sched_setattr", "getpriority", "setpriority", "getrlimit",
	   "setrlimit", "prlimit64", "getrusage", "ioprio_get", "ioprio_set")},
    {"restrict", "a process may only narrow itself further", SC_ALLOW,
     CALLS("seccomp", "landlock_create_ruleset", "landlock_add_rule",
	   "landlock_restrict_self", "prctl", "capget", "capset")},
    {"info", "system facts every runtime reads", SC_ALLOW,
     CALLS("uname", "sysinfo", "getrandom", "getcpu")},
    {"kernel-attack", "large kernel attack surface agents do not need",
     SC_EPERM,
     CALLS("io_uring_setup", "io_uring_enter", "io_uring_register", "bpf",
	   "userfaultfd", "perf_event_open", "keyctl", "add_key", "request_key",
	   "fanotify_init", "memfd_secret")},
    {"mounts", "the view is fixed before execve", SC_EPERM,
     CALLS("mount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick",
	   "move_mount", "open_tree", "open_tree_attr", "mount_setattr",
	   "pivot_root", "chroot", "setns", "statmount", "listmount")},
    {"inspection", "reading or steering other processes", SC_EPERM,
     CALLS("ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
	   "kcmp", "pidfd_getfd", "move_pages", "migrate_pages")},
    {"handles", "open_by_handle_at escapes a mount view (\"shocker\")",
     SC_EPERM, CALLS("open_by_handle_at", "name_to_handle_at")},
    {"host-admin",
     "host administration: modules, kexec, swap, reboot, "
     "clock, quotas, syslog, ports, accounting",
     SC_EPERM,
     CALLS("init_module", "finit_module", "delete_module", "kexec_load",
	   "kexec_file_load", "swapon", "swapoff", "reboot", "acct",
	   "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	   "syslog", "quotactl", "quotactl_fd", "lookup_dcookie", "iopl",
	   "ioperm", "vhangup", "uselib", "_sysctl", "sysfs", "ustat",
	   "sethostname", "setdomainname", "nfsservctl", "lsm_set_self_attr")},
    {"clone3",
     "flags in memory BPF cannot read; glibc falls back to "
     "clone()",
     SC_ENOSYS, CALLS("clone3")},
};
const unsigned sc_n_groups = AKIOS_ARRAY_SIZE(sc_groups);

/* All namespace flags. CLONE_NEWTIME (0x80) is left out for clone():
 * there those bits are the exit signal (CSIGNAL), and clone() cannot
 * create a time namespace anyway; unshare() gets it. */
#define NS_FLAGS                                                               \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |         \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define LINUX_TIOCLINUX 0x541C

const struct sc_arg_rule sc_arg_rules[] = {
    {"ioctl",
     1,
     SC_ARG_DENY_SET,
     {TIOCSTI, LINUX_TIOCLINUX},
     2,
     EPERM,
     "TIOCSTI/TIOCLINUX inject input into a terminal (all 32 bits of the "
     "command compared)"},
    {"clone",
     0,
     SC_ARG_DENY_MASK,
     {NS_FLAGS},
     1,
     EPERM,
     "no new namespaces (a fresh user namespace would give back caps)"},
    {"unshare",
     0,
     SC_ARG_DENY_MASK,
     {NS_FLAGS | 0x80 /* NEWTIME */},
     1,
     EPERM,
     "no new namespaces"},
    {"personality",
     0,
     SC_ARG_ALLOW_SET,
     {0xffffffffu, 0 /* PER_LINUX */},
     2,
     EPERM,
     "only the query, PER_LINUX and the supervisor's own persona (no "
     "READ_IMPLIES_EXEC, no ADDR_NO_RANDOMIZE unless akios runs so)"},
    {"socket",
     0,
     SC_ARG_ALLOW_SET,
     {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK},
     4,
     EAFNOSUPPORT,
     "unix, inet, inet6 and netlink only"},
};
const unsigned sc_n_arg_rules = AKIOS_ARRAY_SIZE(sc_arg_rules);

/* sendto is every send() and write()-like call of a socket program: it
 * reaches the broker only with a destination or MSG_FASTOPEN (sendmsg's
 * destination lives in memory BPF cannot read: it always traps). */
const struct sc_notify_rule sc_notify_rules[] = {
    {"sendto", 4, 3, MSG_FASTOPEN,
     "only with a destination address (arg 4) or MSG_FASTOPEN: send() on a "
     "connected socket stays in the kernel"},
};
const unsigned sc_n_notify_rules = AKIOS_ARRAY_SIZE(sc_notify_rules);

/* The calls `akios run` traps for the broker (issue 6) with
 * SECCOMP_RET_USER_NOTIF. sendto traps only as sc_notify_rules says;
 * sendmsg/sendmmsg carry their address in memory, so they always trap.
 * The cage child hands its listener over by number, not with sendmsg, so
 * nothing needs the broker before it listens. tools/seccomp_gen.c
 * precompiles the program with and without exactly this list, so a
 * change here is picked up by the next build. */
const int sc_broker_traps[] = {SYS_connect,  SYS_sendto, SYS_sendmsg,
			       SYS_sendmmsg, SYS_execve, SYS_execveat};
const unsigned sc_n_broker_traps = AKIOS_ARRAY_SIZE(sc_broker_traps);

const int *cage_seccomp_broker_traps(unsigned *n)
{
	*n = sc_n_broker_traps;
	return sc_broker_traps;
}

/* Newer than libseccomp 2.5.4's table (uapi asm/unistd_64.h numbers). */
static const struct {
	const char *name;
	int nr;
} newer[] = {
    {"map_shadow_stack", 453},	{"statmount", 457}, {"listmount", 458},
    {"lsm_set_self_attr", 460}, {"mseal", 462},	    {"open_tree_attr", 467},
};

int sc_resolve(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr >= 0)
		return nr;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(newer); i++)
		if (strcmp(newer[i].name, name) == 0)
			return newer[i].nr;
	return -1;
}
