/* exec_probe: tries, from inside the cage, the ways of running a program
 * that tools.allow must refuse. Each mode execs TARGET with "--version"
 * (so a program that did run says so on stdout) and, when the exec fails,
 * prints "MODE: <error>" and exits 126.
 *   memfd SRC           copy SRC into a memfd, fexecve it
 *   tmpfile DIR SRC     copy SRC into an O_TMPFILE in DIR, fexecve it
 *   copy SRC DST        copy SRC to DST (0755), execve DST
 *   emptypath PATH      execveat(O_PATH fd, "", AT_EMPTY_PATH)
 *   race OK BAD N       N children each execve a path that a second
 *                       thread flips between OK and BAD meanwhile */
#include "shared/common.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

static int fail(const char *mode)
{
	printf("%s: %s\n", mode, strerror(errno));
	fflush(stdout);
	return 126;
}

/* Copies src into the open fd dst; 0 or -1 with errno. */
static int copy_into(const char *src, int dst)
{
	char buf[65536];
	ssize_t n;
	int in = open(src, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(dst, buf, (size_t)n) != n)
			break;
	close(in);
	return n == 0 ? 0 : -1;
}

static int run_fd(const char *mode, int fd)
{
	char *argv[] = {"probe", "--version", NULL};

	fexecve(fd, argv, environ);
	return fail(mode);
}

static int mode_memfd(const char *src)
{
	int fd = (int)syscall(SYS_memfd_create, "probe", 0u);

	if (fd < 0)
		return fail("memfd_create");
	if (copy_into(src, fd) != 0)
		return fail("memfd copy");
	return run_fd("memfd exec", fd);
}

static int mode_tmpfile(const char *dir, const char *src)
{
	int fd = open(dir, O_TMPFILE | O_RDWR, 0755);

	if (fd < 0)
		return fail("tmpfile open");
	if (copy_into(src, fd) != 0)
		return fail("tmpfile copy");
	return run_fd("tmpfile exec", fd);
}

static int mode_copy(const char *src, const char *dst)
{
	char *argv[] = {(char *)dst, "--version", NULL};
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	if (fd < 0)
		return fail("copy open");
	if (copy_into(src, fd) != 0)
		return fail("copy");
	close(fd);
	execve(dst, argv, environ);
	return fail("copy exec");
}

static int mode_emptypath(const char *path)
{
	char *argv[] = {"probe", "--version", NULL};
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return fail("emptypath open");
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return fail("emptypath exec");
}

struct race {
	char path[2][64];
	char buf[64];
	atomic_bool stop;
};

static void *flipper(void *arg)
{
	struct race *r = arg;

	for (unsigned i = 0; !atomic_load(&r->stop); i++)
		memcpy(r->buf, r->path[i & 1], sizeof(r->buf));
	return NULL;
}

/* In a fresh child: the flipping thread runs while this one execs. */
static _Noreturn void race_child(struct race *r)
{
	char *argv[] = {"probe", "--version", NULL};
	pthread_t t;

	if (pthread_create(&t, NULL, flipper, r) != 0)
		_exit(125);
	for (int i = 0; i < 20; i++)
		execve(r->buf, argv, environ);
	_exit(126);
}

static int mode_race(const char *ok, const char *bad, int n)
{
	static struct race r;
	int ran = 0;
	int status;

	snprintf(r.path[0], sizeof(r.path[0]), "%s", ok);
	snprintf(r.path[1], sizeof(r.path[1]), "%s", bad);
	memcpy(r.buf, r.path[0], sizeof(r.buf));
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			race_child(&r);
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return fail("race");
		ran += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	printf("race: %d of %d ran\n", ran, n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "memfd") == 0)
		return mode_memfd(argv[2]);
	if (argc == 4 && strcmp(argv[1], "tmpfile") == 0)
		return mode_tmpfile(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "copy") == 0)
		return mode_copy(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "emptypath") == 0)
		return mode_emptypath(argv[2]);
	if (argc == 5 && strcmp(argv[1], "race") == 0)
		return mode_race(argv[2], argv[3], (int)strtol(argv[4], 0, 10));
	fprintf(stderr, "usage: exec_probe memfd|tmpfile|copy|emptypath|race"
			" ...\n");
	return 2;
}
