/* The cage's filesystem view and hygiene, as root and as an unprivileged
 * user: interpreters work; secrets under an allowed home are masked (by
 * binds of one empty read-only tmpfs);
 * control files stay read-only (even ones that did not exist) and .git
 * cannot be renamed; read-only binds cannot be remounted; inherited fds
 * and host environment variables do not reach the agent; /tmp and
 * /dev/shm are writable but noexec, nosuid and nodev while / stays
 * read-only. */
#include "shared/common.h"
#include "tests/lib/cagetest.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>

static struct cage_ws W;

static void run_ok(char *const cmd[], struct test_run *r)
{
	cr_assert_eq(cagetest_run(&W, NULL, cmd, NULL, 30, r), 0);
	cr_assert(!r->timed_out);
}

static void interpreters(bool rootless)
{
	char *py[] = {"python3", "-c", "import os; print(1 + 0)", NULL};
	char *node[] = {"node", "-e", "console.log(6 * 7)", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	run_ok(py, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "1\n");
	test_run_free(&r);
	run_ok(node, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "42\n");
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_view, python_and_node_root)
{
	interpreters(false);
}
Test(cage_view, python_and_node_rootless)
{
	interpreters(true);
}

/* Both masks: empty read-only tmpfs, noexec, of one instance (the
 * second is a bind of the first). */
static const char masks_awk[] =
    "$5 ~ /\\/\\.(ssh|aws)$/ {n++; d[$3]; o = o $4 \" \" $6 \" \" "
    "$(NF-2) \"\\n\"} END {for (k in d) u++; "
    "printf \"%s%d masks, %d instance\\n\", o, n, u}";

static void secrets(bool rootless)
{
	char *cmd[] = {"./cage_try", "read", ".ssh/id_rsa", NULL};
	char *cat[] = {"sh", "-c", "ls -a .ssh; cat .aws/credentials", NULL};
	char *mnt[] = {"awk", (char *)masks_awk, "/proc/self/mountinfo", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_file(&W, ".ssh/id_rsa", "PRIVATE-KEY-XYZ"), 0);
	cr_assert_eq(cagetest_file(&W, ".aws/credentials", "AWS-SECRET"), 0);
	cr_assert_eq(cagetest_file(&W, "notes.txt", "fine"), 0);
	run_ok(cmd, &r);
	cr_assert_eq(r.status, 1, "out: %s err: %s", r.out, r.err);
	cr_assert_null(strstr(r.out, "PRIVATE-KEY-XYZ"));
	test_run_free(&r);
	run_ok(cat, &r);
	cr_assert_null(strstr(r.out, "AWS-SECRET"));
	cr_assert_null(strstr(r.out, "id_rsa"));
	test_run_free(&r);
	run_ok(mnt, &r);
	cr_assert_str_eq(r.out,
			 "/ ro,nosuid,nodev,noexec,relatime tmpfs\n"
			 "/ ro,nosuid,nodev,noexec,relatime tmpfs\n"
			 "2 masks, 1 instance\n",
			 "%s", r.err);
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_view, home_secrets_masked_root)
{
	secrets(false);
}
Test(cage_view, home_secrets_masked_rootless)
{
	secrets(true);
}

static void expect_fail_env(char *const cmd[], const char *why,
			    char *const env[])
{
	struct test_run r;

	cr_assert_eq(cagetest_run(&W, NULL, cmd, env, 30, &r), 0);
	cr_assert(!r.timed_out);
	cr_assert_eq(r.status, 1, "%s: %s %s: out %s err %s", why, cmd[1],
		     cmd[2], r.out, r.err);
	cr_assert(strncmp(r.out, "fail ", 5) == 0, "%s", r.out);
	test_run_free(&r);
}

static void expect_fail(char *const cmd[], const char *why)
{
	expect_fail_env(cmd, why, NULL);
}

static void controls(bool rootless)
{
	char *hook[] = {"./cage_try", "write", ".git/hooks/post-checkout",
			NULL};
	char *cfg[] = {"./cage_try", "write", ".git/config", NULL};
	char *vs[] = {"./cage_try", "mkdir", ".vscode/x", NULL};
	char *vsf[] = {"./cage_try", "write", ".vscode/settings.json", NULL};
	char *env[] = {"./cage_try", "write", ".envrc", NULL};
	char *mv[] = {"./cage_try", "rename", ".git", "git-away", NULL};
	char *ok[] = {"./cage_try", "write", ".git/objects-ok", NULL};
	char path[700];
	struct stat st;
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	cr_assert_eq(cagetest_file(&W, ".git/config", "[core]\n"), 0);
	expect_fail(hook, "hooks");
	expect_fail(cfg, "config");
	expect_fail(vs, "vscode dir");
	expect_fail(vsf, "vscode file");
	expect_fail(env, "envrc");
	expect_fail(mv, "rename .git");
	run_ok(ok, &r); /* the rest of .git stays writable */
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	test_run_free(&r);
	/* Placeholders are gone after the run; the real config is intact. */
	snprintf(path, sizeof(path), "%s/.vscode", W.ws);
	cr_assert_neq(lstat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/.envrc", W.ws);
	cr_assert_neq(lstat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/.git/config", W.ws);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 7);
	cagetest_teardown(&W);
}

Test(cage_view, control_files_read_only_root)
{
	controls(false);
}
Test(cage_view, control_files_read_only_rootless)
{
	controls(true);
}

static void remount(bool rootless)
{
	char *rw[] = {"./cage_try", "remount-rw", "/usr", NULL};
	char *um[] = {"./cage_try", "umount", "/usr", NULL};
	char *wr[] = {"./cage_try", "write", "/usr/akios-test", NULL};

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	expect_fail(rw, "remount");
	expect_fail(um, "umount");
	expect_fail(wr, "write /usr");
	cagetest_teardown(&W);
}

Test(cage_view, read_only_cannot_be_remounted_root)
{
	remount(false);
}
Test(cage_view, read_only_cannot_be_remounted_rootless)
{
	remount(true);
}

Test(cage_view, inherited_fd_and_host_env_absent)
{
	char *fd[] = {"./cage_try", "fd", "9", NULL};
	char *env[] = {"sh", "-c", "env", NULL};
	char *extra[] = {"AKIOS_TEST_SECRET=hunter2-host-secret", NULL};
	struct test_run r;
	int keep;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	/* fd 9 without CLOEXEC: akios inherits it, the agent must not. */
	keep = open("/etc/hostname", O_RDONLY);
	cr_assert_geq(keep, 0);
	cr_assert_eq(dup2(keep, 9), 9);
	expect_fail(fd, "inherited fd");
	close(9);
	close(keep);
	cr_assert_eq(cagetest_run(&W, NULL, env, extra, 30, &r), 0);
	cr_assert_eq(r.status, 0);
	cr_assert_null(strstr(r.out, "hunter2"));
	cr_assert_not_null(strstr(r.out, "PATH=/usr/local/bin:/usr/bin:/bin"));
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_view, only_the_view_is_visible)
{
	char *ls[] = {"sh", "-c", "ls /; ls ..; cat /etc/passwd", NULL};
	char sib[700];
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	/* A host file beside the workspace: the view shows only ws/. */
	snprintf(sib, sizeof(sib), "%s/sibling-secret", W.root);
	cr_assert_eq(test_write_file(sib, "x"), 0);
	run_ok(ls, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "home\n"));
	cr_assert_null(strstr(r.out, "root\n"));
	cr_assert_null(strstr(r.out, "sys\n"));
	cr_assert_null(strstr(r.out, "sibling-secret"));
	cr_assert_null(strstr(r.out, "audit\n"));
	cr_assert_not_null(strstr(r.out, "usr\n"));
	cr_assert_null(strstr(r.out, "daemon:")); /* synthetic passwd */
	test_run_free(&r);
	cagetest_teardown(&W);
}

/* PID 1 of the cage (the reaper, which shares akios's memory) holds the
 * status socket and once held the secrets: the agent can reach neither. */
Test(cage_view, reaper_out_of_reach)
{
	char *env[] = {"./cage_try", "read", "/proc/1/environ", NULL};
	char *mem[] = {"./cage_try", "read", "/proc/1/mem", NULL};
	char *fd[] = {"./cage_try", "read", "/proc/1/fd/3", NULL};
	char *show[] = {"sh", "-c", "echo key=$API_KEY", NULL};
	char *extra[] = {"HOST_TOKEN=tok-123-secret", NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, false), 0);
	cr_assert_eq(cagetest_policy(&W, "version: 1\nname: s\nfilesystem:\n"
					 "  allow:\n    - path: \"${CWD}\"\n"
					 "      mode: rw\nsecrets:\n"
					 "  - env: API_KEY\n"
					 "    from_env: HOST_TOKEN\n"),
		     0);
	cr_assert_eq(cagetest_run(&W, NULL, show, extra, 30, &r), 0);
	cr_assert_str_eq(r.out, "key=tok-123-secret\n", "%s", r.err);
	test_run_free(&r);
	expect_fail_env(env, "/proc/1/environ", extra);
	expect_fail_env(mem, "/proc/1/mem", extra);
	expect_fail_env(fd, "/proc/1/fd/3", extra);
	cagetest_teardown(&W);
}

/* /tmp, /dev/shm and /dev are directories of the view's own root tmpfs,
 * each bound on itself: writable, noexec, nosuid, nodev (the mount's
 * flags, as statvfs reports them), /tmp and /dev/shm sticky and open to
 * all, a program copied there does not run; / stays read-only; and each
 * bind's root is its own mount point, so nothing written there is
 * reachable through / (which allows exec). */
static const char private_dirs_py[] =
    "import os, shutil, subprocess\n"
    "def flags(p):\n"
    "    f = os.statvfs(p).f_flag\n"
    "    return ' '.join(n for n, b in (('ro', os.ST_RDONLY),\n"
    "        ('noexec', os.ST_NOEXEC), ('nosuid', os.ST_NOSUID),\n"
    "        ('nodev', os.ST_NODEV)) if f & b)\n"
    "roots = {}\n"
    "for l in open('/proc/self/mountinfo'):\n"
    "    x = l.split()\n"
    "    roots[x[4]] = x[3]\n"
    "for p in ('/tmp', '/dev/shm', '/dev'):\n"
    "    print(p, flags(p) or 'rw', oct(os.stat(p).st_mode & 0o7777),\n"
    "          'root=' + roots[p], end=' ')\n"
    "    if p == '/dev':\n"
    "        print()\n"
    "        continue\n"
    "    shutil.copy('/usr/bin/true', p + '/t')\n"
    "    os.chmod(p + '/t', 0o755)\n"
    "    try:\n"
    "        subprocess.run([p + '/t'])\n"
    "        print('ran')\n"
    "    except PermissionError:\n"
    "        print('written, exec denied')\n"
    "try:\n"
    "    open('/w', 'w')\n"
    "except OSError as e:\n"
    "    print('/', flags('/'), os.strerror(e.errno))\n";

static void private_dirs(bool rootless)
{
	char *py[] = {"python3", "-c", (char *)private_dirs_py, NULL};
	struct test_run r;

	cr_assert_eq(cagetest_setup(&W, rootless), 0);
	run_ok(py, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out,
			 "/tmp noexec nosuid nodev 0o1777 root=/tmp written, "
			 "exec denied\n"
			 "/dev/shm noexec nosuid nodev 0o1777 root=/dev/shm "
			 "written, exec denied\n"
			 "/dev noexec nosuid nodev 0o755 root=/dev \n"
			 "/ ro nosuid nodev Read-only file system\n");
	test_run_free(&r);
	cagetest_teardown(&W);
}

Test(cage_view, private_dirs_writable_noexec_root_read_only_root)
{
	private_dirs(false);
}
Test(cage_view, private_dirs_writable_noexec_root_read_only_rootless)
{
	private_dirs(true);
}
