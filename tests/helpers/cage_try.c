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
 *   cage_try mkdir PATH            mkdir(2) */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int report(int rc)
{
	if (rc == 0) {
		printf("ok\n");
		return 0;
	}
	printf("fail %s\n", strerrorname_np(errno));
	return 1;
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

int main(int argc, char **argv)
{
	const char *c = argc > 2 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : "";
	char ch = 'x';

	if (!strcmp(c, "connect-tcp"))
		return report(tcp(a));
	if (!strcmp(c, "connect-unix"))
		return report(unix_sock(a, 0));
	if (!strcmp(c, "connect-abstract"))
		return report(unix_sock(a, 1));
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
