/* Unit tests of supervisor/selfguard.c: after each step the rights it
 * drops are really gone. Each check runs in a forked child, so the
 * restrictions never reach Criterion's own runner. */
#include "shared/common.h"
#include "supervisor/selfguard.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>

/* Runs fn in a child and returns its exit code (or 100+signal). */
static int in_child(int (*fn)(const char *), const char *dir)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(dir));
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int write_after_guard(const char *dir)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/after", dir);
	if (selfguard_no_fs_writes() != 0)
		return 2;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		return 3; /* the write right survived */
	if (errno != EACCES)
		return 4;
	snprintf(path, sizeof(path), "%s/before", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC); /* reads stay possible */
	return fd >= 0 ? 0 : 5;
}

Test(selfguard, no_fs_writes_blocks_creation_but_not_reads)
{
	char dir[] = "/tmp/akios-selfguard-XXXXXX";
	char before[300];
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(before, sizeof(before), "%s/before", dir);
	fd = open(before, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(in_child(write_after_guard, dir), 0);
	cr_assert_eq(access(before, F_OK), 0);
	unlink(before);
	rmdir(dir);
}

#ifndef __SANITIZE_ADDRESS__
static int open_after_stdio_only(const char *unused)
{
	(void)unused;
	if (selfguard_stdio_only() != 0)
		return 2;
	if (write(STDOUT_FILENO, "", 0) != 0)
		return 3; /* I/O on open fds must still work */
	return open("/etc/hostname", O_RDONLY | O_CLOEXEC) < 0 && errno == EPERM
		   ? 0
		   : 4;
}
#endif

Test(selfguard, stdio_only_refuses_open)
{
#ifdef __SANITIZE_ADDRESS__
	cr_assert_eq(selfguard_stdio_only(), 0); /* documented no-op */
#else
	cr_assert_eq(in_child(open_after_stdio_only, NULL), 0);
#endif
}
