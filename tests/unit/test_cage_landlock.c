/* Landlock (supervisor/cage/landlock.c) applied in forked children over a
 * temp dir: reads, writes, exec, cross-directory rename inside writable
 * paths, TCP deny, and the IPC scopes (abstract unix sockets, signals). */
#include "shared/common.h"
#include "supervisor/cage/landlock.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

struct fixture {
	char *root;
	char ro[512], rw[512], secret[512];
};

static void setup_dirs(struct fixture *f)
{
	char p[600];

	f->root = test_tmpdir("akios-ll");
	cr_assert_not_null(f->root);
	snprintf(f->ro, sizeof(f->ro), "%s/ro", f->root);
	snprintf(f->rw, sizeof(f->rw), "%s/rw", f->root);
	snprintf(f->secret, sizeof(f->secret), "%s/secret", f->root);
	cr_assert_eq(mkdir(f->ro, 0755), 0);
	cr_assert_eq(mkdir(f->rw, 0755), 0);
	cr_assert_eq(mkdir(f->secret, 0755), 0);
	snprintf(p, sizeof(p), "%s/a", f->rw);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/b", f->rw);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/file", f->ro);
	cr_assert_eq(test_write_file(p, "ro\n"), 0);
	snprintf(p, sizeof(p), "%s/key", f->secret);
	cr_assert_eq(test_write_file(p, "secret\n"), 0);
	snprintf(p, sizeof(p), "%s/a/f", f->rw);
	cr_assert_eq(test_write_file(p, "moveme\n"), 0);
}

/* The rules every child here uses: the system read+exec, ro, rw. */
static int apply(const struct fixture *f, unsigned flags)
{
	struct cage_landlock_rule r[] = {
	    {"/usr", CAGE_LL_READ | CAGE_LL_EXEC},
	    {"/etc", CAGE_LL_READ},
	    {"/dev/null", CAGE_LL_READ | CAGE_LL_WRITE | CAGE_LL_IOCTL},
	    {f->ro, CAGE_LL_READ},
	    {f->rw, CAGE_LL_READ | CAGE_LL_WRITE},
	};
	struct akios_err err = {0};
	int rc = cage_landlock_apply(r, AKIOS_ARRAY_SIZE(r), flags, &err);

	if (rc != 0)
		fprintf(stderr, "landlock: %s\n", err.msg);
	return rc;
}

static int errno_of_open(const char *dir, const char *name, int flags)
{
	char p[600];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int wait_exit(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "status %#x", st);
	return WEXITSTATUS(st);
}

/* Each check returns 0 or the number of the failed step. */
static int files_child(const struct fixture *f)
{
	char a[600], b[600];

	if (apply(f, 0) != 0)
		return 1;
	if (errno_of_open(f->ro, "file", O_RDONLY) != 0)
		return 2;
	if (errno_of_open(f->ro, "file", O_WRONLY) != EACCES)
		return 3;
	if (errno_of_open(f->ro, "new", O_WRONLY | O_CREAT) != EACCES)
		return 4;
	if (errno_of_open(f->secret, "key", O_RDONLY) != EACCES)
		return 5;
	if (errno_of_open(f->rw, "new", O_WRONLY | O_CREAT) != 0)
		return 6;
	snprintf(a, sizeof(a), "%s/a/f", f->rw);
	snprintf(b, sizeof(b), "%s/b/f", f->rw);
	/* Without REFER granted this is EXDEV. */
	if (rename(a, b) != 0)
		return 7;
	snprintf(a, sizeof(a), "%s/moved", f->ro);
	if (rename(b, a) == 0 || (errno != EACCES && errno != EXDEV))
		return 8;
	snprintf(a, sizeof(a), "%s/file", f->ro);
	if (cage_landlock_abi() >= 3 && truncate(a, 0) != -1)
		return 9;
	return 0;
}

Test(cage_landlock, reads_writes_and_cross_dir_rename)
{
	struct fixture f;
	pid_t pid;

	setup_dirs(&f);
	pid = fork();
	if (pid == 0)
		_exit(files_child(&f));
	cr_assert_eq(wait_exit(pid), 0);
	test_rmtree(f.root);
	free(f.root);
}

static int exec_child(const struct fixture *f, const char *prog)
{
	char *argv[] = {(char *)prog, NULL};

	if (apply(f, 0) != 0)
		return 1;
	execv(prog, argv);
	return errno == EACCES ? 42 : 2;
}

Test(cage_landlock, exec_only_where_granted)
{
	struct fixture f;
	char copy[600];
	pid_t pid;

	setup_dirs(&f);
	snprintf(copy, sizeof(copy), "%s/true", f.rw);
	{
		char *argv[] = {"/bin/cp", "/usr/bin/true", copy, NULL};
		struct test_run r;
		cr_assert_eq(test_run(argv, NULL, 0, NULL, 10, &r), 0);
		cr_assert_eq(r.status, 0, "cp: %s", r.err);
		test_run_free(&r);
	}
	pid = fork();
	if (pid == 0)
		_exit(exec_child(&f, "/usr/bin/true"));
	cr_assert_eq(wait_exit(pid), 0, "exec from /usr must work");
	pid = fork();
	if (pid == 0)
		_exit(exec_child(&f, copy));
	cr_assert_eq(wait_exit(pid), 42, "exec from a writable dir must fail");
	test_rmtree(f.root);
	free(f.root);
}

static int abstract_listener(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    strlen(name));

	cr_assert_geq(s, 0);
	memcpy(a.sun_path + 1, name, strlen(name));
	cr_assert_eq(bind(s, (struct sockaddr *)&a, len), 0);
	cr_assert_eq(listen(s, 4), 0);
	return s;
}

static int connect_abstract(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    strlen(name));
	int rc;

	memcpy(a.sun_path + 1, name, strlen(name));
	rc = connect(s, (struct sockaddr *)&a, len) == 0 ? 0 : errno;
	close(s);
	return rc;
}

static int ipc_child(const struct fixture *f, unsigned flags, const char *name,
		     pid_t outside)
{
	if (apply(f, flags) != 0)
		return 100;
	return (connect_abstract(name) == 0 ? 0 : 1) |
	       (kill(outside, SIGUSR1) == 0 ? 0 : 2);
}

static int ipc_case(const struct fixture *f, unsigned flags)
{
	char name[64];
	int s;
	pid_t outside, pid;
	int rc;

	snprintf(name, sizeof(name), "akios-ll-test-%d", (int)getpid());
	s = abstract_listener(name);
	outside = fork();
	if (outside == 0) {
		signal(SIGUSR1, SIG_IGN);
		pause();
		_exit(0);
	}
	pid = fork();
	if (pid == 0)
		_exit(ipc_child(f, flags, name, outside));
	rc = wait_exit(pid);
	kill(outside, SIGKILL);
	waitpid(outside, NULL, 0);
	close(s);
	return rc;
}

Test(cage_landlock, ipc_scoping_on_abi6)
{
	struct fixture f;

	setup_dirs(&f);
	/* Control: without the scopes both reach outside the domain. */
	cr_assert_eq(ipc_case(&f, CAGE_LL_NO_SCOPE), 0);
	if (cage_landlock_abi() >= 6)
		cr_assert_eq(ipc_case(&f, 0), 3, "connect and kill blocked");
	else
		cr_assert_eq(ipc_case(&f, 0), 0, "no scoping before ABI 6");
	test_rmtree(f.root);
	free(f.root);
}

static int tcp_listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 4), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static int tcp_child(const struct fixture *f, unsigned flags, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s;

	if (apply(f, flags) != 0)
		return 100;
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		return 0;
	return errno == EACCES ? 1 : 2;
}

Test(cage_landlock, tcp_denied_with_net_deny)
{
	struct fixture f;
	uint16_t port;
	int s;
	pid_t pid;

	setup_dirs(&f);
	s = tcp_listener(&port);
	pid = fork();
	if (pid == 0)
		_exit(tcp_child(&f, CAGE_LL_NO_SCOPE, port));
	cr_assert_eq(wait_exit(pid), 0, "TCP is the broker's without the flag");
	pid = fork();
	if (pid == 0)
		_exit(tcp_child(&f, CAGE_LL_NET_DENY, port));
	cr_assert_eq(wait_exit(pid), cage_landlock_abi() >= 4 ? 1 : 0);
	close(s);
	test_rmtree(f.root);
	free(f.root);
}

static int missing_child(void)
{
	struct cage_landlock_rule r[] = {{"/nonexistent/akios", CAGE_LL_READ}};
	struct akios_err err = {0};
	int rc = cage_landlock_apply(r, 1, 0, &err);

	if (rc != -ENOENT || !err.file ||
	    strcmp(err.file, "/nonexistent/akios") != 0)
		return 1;
	/* The failed apply restricted nothing. */
	return open("/etc/hostname", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 2;
}

Test(cage_landlock, missing_path_is_a_precise_error)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(missing_child());
	cr_assert_eq(wait_exit(pid), 0);
	cr_assert_geq(cage_landlock_abi(), 1, "this host offers Landlock");
}

/* IOCTL_DEV (ABI 5): TCGETS on /dev/null is ENOTTY when ioctls on the
 * device are granted, EACCES from Landlock when they are not. */
static int ioctl_child(uint64_t access)
{
	struct cage_landlock_rule r[] = {{"/dev/null", access}};
	struct akios_err err = {0};
	struct termios t;
	int fd;

	if (cage_landlock_apply(r, 1, CAGE_LL_NO_SCOPE, &err) != 0)
		return 100;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 101;
	if (ioctl(fd, TCGETS, &t) == 0)
		return 102;
	return errno == ENOTTY ? 0 : errno == EACCES ? 1 : 103;
}

Test(cage_landlock, device_ioctl_only_where_granted)
{
	uint64_t rw = CAGE_LL_READ | CAGE_LL_WRITE;
	pid_t pid = fork();

	if (pid == 0)
		_exit(ioctl_child(rw | CAGE_LL_IOCTL));
	cr_assert_eq(wait_exit(pid), 0);
	pid = fork();
	if (pid == 0)
		_exit(ioctl_child(rw));
	cr_assert_eq(wait_exit(pid), cage_landlock_abi() >= 5 ? 1 : 0);
}
