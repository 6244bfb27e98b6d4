/* cagetest: workspace and runner for the cage integration tests (see
 * cagetest.h). Every path the agent needs is under one /tmp directory
 * that teardown removes. */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "tests/lib/cagetest.h"

#include <errno.h>
#include <linux/securebits.h>
#include <limits.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>

int cagetest_user_uid(void)
{
	struct passwd *pw = getpwnam(CAGETEST_USER);
	char *argv[] = {"useradd",	     "-M",	    "-s",
			"/usr/sbin/nologin", CAGETEST_USER, NULL};
	struct test_run r;

	if (pw)
		return (int)pw->pw_uid;
	if (test_run(argv, NULL, 0, NULL, 30, &r) == 0)
		test_run_free(&r);
	pw = getpwnam(CAGETEST_USER);
	return pw ? (int)pw->pw_uid : -1;
}

static int own(const struct cage_ws *w, const char *path)
{
	int uid;

	if (!w->rootless)
		return 0;
	uid = cagetest_user_uid();
	if (uid < 0)
		return -ENOENT;
	return chown(path, (uid_t)uid, (gid_t)uid) == 0 ? 0 : -errno;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n;
	int rc = in < 0 || out < 0 ? -errno : 0;

	while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -EIO;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int cagetest_setup(struct cage_ws *w, bool rootless)
{
	char helper[512];
	char dst[600];
	int rc;

	memset(w, 0, sizeof(*w));
	w->rootless = rootless;
	w->root = test_tmpdir("akios-cage");
	if (!w->root || chmod(w->root, 0755) != 0)
		return -EIO;
	snprintf(w->ws, sizeof(w->ws), "%s/ws", w->root);
	snprintf(w->audit, sizeof(w->audit), "%s/audit", w->root);
	snprintf(w->keys, sizeof(w->keys), "%s/keys", w->root);
	if (mkdir(w->ws, 0755) || mkdir(w->audit, 0700) || mkdir(w->keys, 0700))
		return -errno;
	rc = own(w, w->ws);
	if (rc == 0)
		rc = own(w, w->audit);
	if (rc == 0)
		rc = own(w, w->keys);
	test_build_path("tests/helpers/cage_try", helper, sizeof(helper));
	snprintf(dst, sizeof(dst), "%s/cage_try", w->ws);
	if (rc == 0)
		rc = copy_file(helper, dst, 0755);
	if (rc == 0)
		rc = own(w, dst);
	/* The test user may not be able to reach the build tree (a checkout
	 * under /root): it runs a copy of akios from the 0755 temp root. */
	snprintf(dst, sizeof(dst), "%s/akios", w->root);
	if (rc == 0 && rootless)
		rc = copy_file(test_akios(), dst, 0755);
	return rc;
}

void cagetest_teardown(struct cage_ws *w)
{
	if (w->root)
		test_rmtree(w->root);
	free(w->root);
	w->root = NULL;
}

int cagetest_policy(struct cage_ws *w, const char *yaml)
{
	snprintf(w->policy, sizeof(w->policy), "%s/policy.yml", w->root);
	return test_write_file(w->policy, yaml);
}

int cagetest_file(struct cage_ws *w, const char *rel, const char *data)
{
	char path[700];
	int rc = 0;

	/* Every directory on the way, owned like the file. */
	for (const char *s = strchr(rel, '/'); s && rc == 0;
	     s = strchr(s + 1, '/')) {
		snprintf(path, sizeof(path), "%s/%.*s", w->ws, (int)(s - rel),
			 rel);
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -errno;
		rc = own(w, path);
	}
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", w->ws, rel);
	rc = test_write_file(path, data);
	return rc ? rc : own(w, path);
}

/* Until cage-harden's seccomp filter is in, runs accept its absence. */
static bool seccomp_missing(void)
{
	struct cage_seccomp_opts o = {0};
	struct cage_bpf b = {0};
	int rc = cage_seccomp_build(&o, &b, NULL);

	cage_bpf_free(&b);
	return rc != 0;
}

struct run_bufs {
	char *argv[96];
	char *env[32];
	char home[600];
	char keys[600];
	char audit[600];
	char akios[4096];
};

static int build(struct cage_ws *w, char *const extra_args[], char *const cmd[],
		 char *const extra_env[], struct run_bufs *b)
{
	unsigned n = 0;
	unsigned e = 0;

	if (w->rootless) {
		b->argv[n++] = "setpriv";
		b->argv[n++] = "--reuid=" CAGETEST_USER;
		b->argv[n++] = "--regid=" CAGETEST_USER;
		b->argv[n++] = "--clear-groups";
	}
	/* env -C changes directory first: akios needs an absolute path. */
	if (w->rootless)
		snprintf(b->akios, sizeof(b->akios), "%s/akios", w->root);
	else if (!realpath(test_akios(), b->akios))
		return -errno;
	b->argv[n++] = "env";
	b->argv[n++] = "-C";
	b->argv[n++] = w->ws;
	b->argv[n++] = b->akios;
	b->argv[n++] = "run";
	snprintf(b->audit, sizeof(b->audit), "--audit-dir=%s", w->audit);
	b->argv[n++] = b->audit;
	if (w->policy[0]) {
		b->argv[n++] = "--policy";
		b->argv[n++] = w->policy;
	}
	if (seccomp_missing())
		b->argv[n++] = "--allow-degraded=seccomp";
	for (unsigned i = 0; extra_args && extra_args[i] && n < 80; i++)
		b->argv[n++] = extra_args[i];
	b->argv[n++] = "--";
	for (unsigned i = 0; cmd[i] && n < 94; i++)
		b->argv[n++] = cmd[i];
	b->argv[n] = NULL;
	snprintf(b->home, sizeof(b->home), "HOME=%s", w->ws);
	snprintf(b->keys, sizeof(b->keys), "AKIOS_KEY_DIR=%s", w->keys);
	b->env[e++] = b->home;
	b->env[e++] = b->keys;
	b->env[e++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	for (unsigned i = 0; extra_env && extra_env[i] && e < 30; i++)
		b->env[e++] = extra_env[i];
	b->env[e] = NULL;
	return 0;
}

int cagetest_run(struct cage_ws *w, char *const extra_args[], char *const cmd[],
		 char *const extra_env[], unsigned timeout, struct test_run *r)
{
	struct run_bufs *b = calloc(1, sizeof(*b));
	int rc = b ? build(w, extra_args, cmd, extra_env, b) : -ENOMEM;

	if (rc == 0)
		rc = test_run(b->argv, NULL, 0, b->env, timeout, r);
	free(b);
	return rc;
}

int cagetest_spawn(struct cage_ws *w, char *const cmd[], const int fds[3],
		   pid_t *pid)
{
	struct run_bufs *b = calloc(1, sizeof(*b));
	posix_spawn_file_actions_t fa;
	int rc = b ? build(w, NULL, cmd, NULL, b) : -ENOMEM;

	if (rc != 0) {
		free(b);
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	rc = -posix_spawnp(pid, b->argv[0], &fa, NULL, b->argv, b->env);
	posix_spawn_file_actions_destroy(&fa);
	free(b);
	return rc;
}

char *cagetest_audit_text(const struct cage_ws *w)
{
	const size_t cap = 1u << 20;
	char path[600];
	char *buf = calloc(1, cap);
	size_t len = 0;
	ssize_t n = 1;
	int fd;

	snprintf(path, sizeof(path), "%s/events.log", w->audit);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (len < cap - 1 && n > 0) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n > 0)
			len += (size_t)n;
	}
	close(fd);
	for (size_t i = 0; i < len; i++)
		if (!buf[i])
			buf[i] = ' ';
	return buf;
}

void cagetest_creds_want(char *buf, size_t size)
{
	snprintf(
	    buf, size, "secbits 0x%x\nnnp 1\nbound 0\nambient 0\nhost akios\n",
	    (unsigned)(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		       SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		       SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED));
}
