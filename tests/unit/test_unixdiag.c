/* unixdiag: a bound Unix socket is found by its file's inode in the
 * namespace that made it, and only there (a socket bound in another
 * network namespace, a plain file, a path nobody binds: not found). */
#include "shared/common.h"

#include "supervisor/broker/unixdiag.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

static int bind_at(const char *path)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(un.sun_path));
	memcpy(un.sun_path, path, strlen(path));
	cr_assert_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	return fd;
}

static int bound(int diag, const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return unixdiag_bound(diag, st.st_dev, st.st_ino);
}

Test(unixdiag, finds_sockets_of_its_own_namespace_only, .timeout = 20)
{
	char *dir = test_tmpdir("akios-udiag");
	char mine[600], other[600], file[600];
	int diag = unixdiag_open();
	int up[2], down[2], st;
	char c;

	cr_assert_not_null(dir);
	cr_assert_geq(diag, 0, "%s", strerror(-diag));
	snprintf(mine, sizeof(mine), "%s/mine.sock", dir);
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	int fd = bind_at(mine);

	cr_assert_eq(test_write_file(file, "x"), 0);
	cr_assert_eq(pipe2(up, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(down, O_CLOEXEC), 0);
	pid_t pid = fork();

	if (pid == 0) {
		if (unshare(CLONE_NEWNET) != 0)
			_exit(2);
		(void)bind_at(other);
		(void)!write(up[1], "b", 1);
		(void)!read(down[0], &c, 1); /* until the parent is done */
		_exit(0);
	}
	cr_assert_eq(read(up[0], &c, 1), 1);
	cr_assert_eq(bound(diag, mine), 1);
	cr_assert_eq(bound(diag, other), 0, "another namespace's socket");
	cr_assert_eq(bound(diag, file), 0);
	cr_assert_eq(bound(diag, mine), 1, "the next query starts clean");
	cr_assert_eq(write(down[1], "e", 1), 1);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%#x", st);
	close(fd);
	close(diag);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}
	test_rmtree(dir);
	free(dir);
}
