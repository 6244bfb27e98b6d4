/* Privilege drop (supervisor/cage/caps.c) in forked children: every set
 * empty, securebits locked so uid 0 regains nothing across execve, a
 * remount that works before the drop fails after it, and rlimits. */
#include "shared/common.h"
#include "supervisor/cage/caps.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int wait_exit(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "status %#x", st);
	return WEXITSTATUS(st);
}

static int drop(void)
{
	struct akios_err err = {0};
	int rc = cage_drop_all_caps(&err);

	if (rc != 0)
		fprintf(stderr, "drop: %s\n", err.msg);
	return rc;
}

static int sets_child(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	int want = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		   SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		   SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		   SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (drop() != 0)
		return 1;
	if (syscall(SYS_capget, &h, d) != 0)
		return 2;
	for (int i = 0; i < 2; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return 3;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r == 1)
			return 4;
		if (r == 0 &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			return 5;
	}
	if (prctl(PR_GET_SECUREBITS) != want)
		return 6;
	/* Locked: even clearing them must fail now. */
	if (prctl(PR_SET_SECUREBITS, 0) == 0)
		return 7;
	return 0;
}

Test(cage_caps, all_sets_empty_and_securebits_locked)
{
	pid_t pid;

	cr_assert_eq(geteuid(), 0, "this test needs root (it drops caps)");
	pid = fork();
	if (pid == 0)
		_exit(sets_child());
	cr_assert_eq(wait_exit(pid), 0);
}

/* uid 0 execs /bin/cat: with SECBIT_NOROOT it gains no capability. */
Test(cage_caps, uid0_exec_regains_nothing)
{
	char *argv[] = {"/bin/grep", "^Cap", "/proc/self/status", NULL};
	int fds[2];
	char out[1024];
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		if (drop() != 0)
			_exit(1);
		execv(argv[0], argv);
		_exit(2);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert_eq(wait_exit(pid), 0);
	cr_assert(strstr(out, "CapEff:\t0000000000000000"), "%s", out);
	cr_assert(strstr(out, "CapPrm:\t0000000000000000"), "%s", out);
	cr_assert(strstr(out, "CapBnd:\t0000000000000000"), "%s", out);
	cr_assert(strstr(out, "CapAmb:\t0000000000000000"), "%s", out);
	close(fds[0]);
}

/* In a private mount namespace: a read-only tmpfs, then a remount to
 * read-write, before (works: the test can fail) and after the drop. */
static int remount_child(const char *dir, bool do_drop)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 10;
	if (mount("tmpfs", dir, "tmpfs", MS_RDONLY, "size=64k") != 0)
		return 11;
	if (do_drop && drop() != 0)
		return 12;
	if (mount(NULL, dir, NULL, MS_REMOUNT, "size=64k") == 0)
		return 0;
	return errno == EPERM ? 1 : 13;
}

Test(cage_caps, remount_fails_after_drop)
{
	char *dir = test_tmpdir("akios-caps");
	pid_t pid;

	cr_assert_not_null(dir);
	pid = fork();
	if (pid == 0)
		_exit(remount_child(dir, false));
	cr_assert_eq(wait_exit(pid), 0, "control: remount works with caps");
	pid = fork();
	if (pid == 0)
		_exit(remount_child(dir, true));
	cr_assert_eq(wait_exit(pid), 1, "remount must be EPERM after drop");
	test_rmtree(dir);
	free(dir);
}

Test(cage_caps, no_new_privs)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(cage_set_no_new_privs() == 0 &&
			      prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1
			  ? 0
			  : 1);
	cr_assert_eq(wait_exit(pid), 0);
}

static int rlimit_child(void)
{
	struct cage_rlimits r = cage_rlimits_leave();
	struct rlimit cur, nproc_before, nproc_after;
	struct akios_err err = {0};

	getrlimit(RLIMIT_NPROC, &nproc_before);
	r.core = 0;
	r.nofile = 64;
	r.fsize = 4096;
	r.cpu_sec = 30;
	if (cage_apply_rlimits(&r, &err) != 0)
		return 1;
	getrlimit(RLIMIT_CORE, &cur);
	if (cur.rlim_cur != 0 || cur.rlim_max != 0)
		return 2;
	getrlimit(RLIMIT_NOFILE, &cur);
	if (cur.rlim_cur != 64 || cur.rlim_max != 64)
		return 3;
	getrlimit(RLIMIT_NPROC, &nproc_after);
	if (nproc_after.rlim_cur != nproc_before.rlim_cur)
		return 4; /* LEAVE left it */
	/* Never raised: asking for more than the hard limit keeps it. */
	r = cage_rlimits_leave();
	r.nofile = 1000;
	if (cage_apply_rlimits(&r, &err) != 0)
		return 5;
	getrlimit(RLIMIT_NOFILE, &cur);
	return cur.rlim_max == 64 ? 0 : 6;
}

Test(cage_caps, rlimits_set_and_never_raised)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(rlimit_child());
	cr_assert_eq(wait_exit(pid), 0);
}

static int fsize_child(const char *path)
{
	struct cage_rlimits r = cage_rlimits_leave();
	struct akios_err err = {0};
	char block[8192];
	int fd;

	signal(SIGXFSZ, SIG_IGN);
	r.fsize = 4096;
	if (cage_apply_rlimits(&r, &err) != 0)
		return 1;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	memset(block, 'x', sizeof(block));
	if (write(fd, block, sizeof(block)) != 4096)
		return 2;
	return write(fd, block, 1) == -1 && errno == EFBIG ? 0 : 3;
}

Test(cage_caps, fsize_limit_stops_writes)
{
	char *dir = test_tmpdir("akios-caps");
	char path[600];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/big", dir);
	pid = fork();
	if (pid == 0)
		_exit(fsize_child(path));
	cr_assert_eq(wait_exit(pid), 0);
	test_rmtree(dir);
	free(dir);
}
