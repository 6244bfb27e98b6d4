/* cage_try: runs inside the cage in the integration tests and tries one
 * thing the cage must (or must not) allow. Prints "ok" or "fail <errno
 * name>" and exits 0 on success, 1 on failure, 2 on bad usage.
 *   cage_try connect-tcp PORT      connect to 127.0.0.1:PORT
 *   cage_try connect-unix PATH     connect to a pathname unix socket
 *   cage_try connect-abstract NAME connect to an abstract unix socket
 *   cage_try tiocsti FD            push a byte into the tty at FD
 *   cage_try remount-rw PATH       remount a read-only bind read-write
 *   cage_try umount PATH           detach a mount of the view
 *   cage_try fd N                  is fd N open?
 *   cage_try read PATH             read a file
 *   cage_try write PATH            create/write a file
 *   cage_try rename FROM TO        rename(2)
 *   cage_try mkdir PATH            mkdir(2)
 *   cage_try sendmmsg PORT         sendmmsg of two UDP datagrams to a
 *                                  socket of its own on the cage's lo:
 *                                  must work; then with the second one to
 *                                  127.0.0.1:PORT: must fail EACCES and
 *                                  deliver nothing
 *   cage_try creds -               prints what the agent inherited from
 *                                  PID 1: "secbits 0x<hex>", "nnp <0|1>",
 *                                  "bound <caps left in the bounding set>",
 *                                  "ambient <caps raised>", "host <name>"
 *   cage_try denied -              the always-denied syscalls, each with
 *                                  arguments that would fail with EFAULT,
 *                                  EBADF or EINVAL if it were allowed:
 *                                  every one must fail EPERM or ENOSYS */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Prints the outcome and exits at once: in sanitizer builds the leak
 * checker would run at exit and fail inside the cage (no ptrace). */
static int report(int rc)
{
	if (rc == 0)
		printf("ok\n");
	else
		printf("fail %s\n", strerrorname_np(errno));
	fflush(stdout);
	_exit(rc == 0 ? 0 : 1);
}

static int do_connect(int family, const struct sockaddr *sa, socklen_t len)
{
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	return connect(s, sa, len);
}

static int tcp(const char *port)
{
	struct sockaddr_in in = {
	    .sin_family = AF_INET,
	    .sin_port = htons((unsigned short)strtoul(port, NULL, 10)),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	return do_connect(AF_INET, (struct sockaddr *)&in, sizeof(in));
}

static int unix_sock(const char *name, int abstract)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	size_t n = strlen(name);

	if (n + 2 > sizeof(un.sun_path))
		return errno = ENAMETOOLONG, -1;
	memcpy(un.sun_path + (abstract ? 1 : 0), name, n);
	return do_connect(AF_UNIX, (struct sockaddr *)&un,
			  (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      n + (abstract ? 1 : 0)));
}

static int file_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1)
		return -1;
	return close(fd);
}

static int file_read(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	printf("content: %s\n", buf);
	return close(fd);
}

struct probe {
	const char *name;
	long nr;
	long a[6];
};

static const struct probe denied[] = {
    {"io_uring_setup", SYS_io_uring_setup, {1, 0}},
    {"io_uring_enter", SYS_io_uring_enter, {-1}},
    {"io_uring_register", SYS_io_uring_register, {-1}},
    {"bpf", SYS_bpf, {-1, 0, 0}},
    {"userfaultfd", SYS_userfaultfd, {-1}},
    {"perf_event_open", SYS_perf_event_open, {0, 0, -1, -1, 0}},
    {"keyctl", SYS_keyctl, {-1}},
    {"add_key", SYS_add_key, {0}},
    {"request_key", SYS_request_key, {0}},
    {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0}},
    {"pivot_root", SYS_pivot_root, {0, 0}},
    {"chroot", SYS_chroot, {0}},
    {"unshare(NEWUSER)", SYS_unshare, {CLONE_NEWUSER}},
    {"unshare(NEWNS)", SYS_unshare, {CLONE_NEWNS}},
    {"setns", SYS_setns, {-1, 0}},
    {"ptrace(TRACEME)", SYS_ptrace, {PTRACE_TRACEME}},
    {"process_vm_readv", SYS_process_vm_readv, {1, 0, 0, 0, 0, 0}},
    {"personality(change)", SYS_personality, {ADDR_NO_RANDOMIZE}},
    {"fsopen", SYS_fsopen, {0, 0}},
    {"open_tree", SYS_open_tree, {-1, 0, 0}},
    {"move_mount", SYS_move_mount, {-1, 0, -1, 0, 0}},
    {"kexec_load", SYS_kexec_load, {0, 0, 0, 0}},
};

static int try_denied(void)
{
	int allowed = 0;

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		const struct probe *p = &denied[i];
		long rc = syscall(p->nr, p->a[0], p->a[1], p->a[2], p->a[3],
				  p->a[4], p->a[5]);
		int e = errno;

		if (rc >= 0 || (e != EPERM && e != ENOSYS)) {
			printf("ALLOWED %s: rc %ld %s\n", p->name, rc,
			       rc < 0 ? strerrorname_np(e) : "");
			allowed++;
		}
	}
	printf("%s\n", allowed ? "fail" : "ok");
	fflush(stdout);
	_exit(allowed ? 1 : 0);
}

static int try_sendmmsg(const char *port)
{
	struct sockaddr_in own = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in host = own;
	socklen_t len = sizeof(own);
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char b = 'm';
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct mmsghdr m[2] = {0};

	host.sin_port = htons((uint16_t)strtol(port, NULL, 10));
	if (bind(r, (struct sockaddr *)&own, len) != 0 ||
	    getsockname(r, (struct sockaddr *)&own, &len) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &own;
		m[i].msg_hdr.msg_namelen = len;
	}
	if (sendmmsg(s, m, 2, 0) != 2 || recv(r, &b, 1, 0) != 1 ||
	    recv(r, &b, 1, 0) != 1)
		return -1;
	m[1].msg_hdr.msg_name = &host;
	errno = 0;
	if (sendmmsg(s, m, 2, 0) != -1 || errno != EACCES)
		return (errno = errno ? errno : EPROTO, -1);
	if (recv(r, &b, 1, 0) != -1) /* nothing at all was sent */
		return (errno = EEXIST, -1);
	return 0;
}

/* The credentials' inherited parts, by the kernel's own answers (prctl,
 * uname), not by /proc. */
static int creds(void)
{
	struct utsname u;
	int bound = 0, ambient = 0;

	for (int c = 0; c < 64; c++) {
		bound += prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1;
		ambient +=
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1;
	}
	if (uname(&u) != 0)
		return report(-1);
	printf("secbits 0x%x\nnnp %d\nbound %d\nambient %d\nhost %s\n",
	       (unsigned)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0),
	       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), bound, ambient,
	       u.nodename);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 2 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "";
	char ch = 'x';

	if (!strcmp(c, "creds"))
		return creds();
	if (!strcmp(c, "denied"))
		return try_denied();
	if (!strcmp(c, "connect-tcp"))
		return report(tcp(a));
	if (!strcmp(c, "connect-unix"))
		return report(unix_sock(a, 0));
	if (!strcmp(c, "connect-abstract"))
		return report(unix_sock(a, 1));
	if (!strcmp(c, "sendmmsg"))
		return report(try_sendmmsg(a));
	if (!strcmp(c, "tiocsti"))
		return report(ioctl((int)strtol(a, NULL, 10), TIOCSTI, &ch));
	if (!strcmp(c, "remount-rw"))
		return report(mount(NULL, a, NULL, MS_REMOUNT | MS_BIND, NULL));
	if (!strcmp(c, "umount"))
		return report(umount2(a, MNT_DETACH));
	if (!strcmp(c, "fd"))
		return report(fcntl((int)strtol(a, NULL, 10), F_GETFD) < 0 ? -1
									   : 0);
	if (!strcmp(c, "read"))
		return report(file_read(a));
	if (!strcmp(c, "write"))
		return report(file_write(a));
	if (!strcmp(c, "mkdir"))
		return report(mkdir(a, 0755));
	if (!strcmp(c, "rename") && argc > 3)
		return report(rename(a, argv[3]));
	fprintf(stderr, "usage: cage_try WHAT ARG\n");
	return 2;
}
