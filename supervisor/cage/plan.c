/* The filesystem half of the plan: which host paths appear in the view,
 * in which order and mode, which secrets are masked and which control
 * files stay read-only. Invariants: a parent is always mounted before its
 * children; nothing of the host is in the view unless a line here put it
 * there; building only looks (lstat/readlink), it never changes the host. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

/* System directories: bound read-only when directories, recreated when
 * symlinks (merged /usr). Enough for dynamic binaries, python3 and node. */
static const char *const sys_dirs[] = {
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
};

/* The /etc subset programs need: the loader cache, name service for the
 * synthetic passwd/group, TLS roots, time zone, alternatives (Debian's
 * /usr/bin/awk etc. point there), protocol tables and locale aliases. */
static const char *const etc_names[] = {
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "host.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "locale.alias",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "protocols",
    "python3",
    "python3.11",
    "resolv.conf",
    "services",
    "ssl",
    "timezone",
    "xdg",
};

/* The cage's /etc/hosts is never the host's (which names the host's own
 * services): a file written into the view's private root, read-only
 * there, holding localhost until the broker fills in the names the
 * policy allows (cage_plan_set_file). */
static const char default_hosts[] = "127.0.0.1\tlocalhost\n"
				    "::1\tlocalhost ip6-localhost\n";

static const char *const dev_nodes[] = {
    "null", "zero", "full", "random", "urandom", "tty",
};

int plan_add(struct cage_plan *p, enum cage_mnt kind, unsigned flags,
	     const char *src, const char *dst, const char *why)
{
	struct cage_mount *m;

	if (p->n_mounts >= CAGE_MAX_MOUNTS)
		return -E2BIG;
	m = &p->mounts[p->n_mounts];
	m->src = src ? strdup(src) : NULL;
	m->dst = strdup(dst);
	if ((src && !m->src) || !m->dst) {
		free(m->src);
		free(m->dst);
		return -ENOMEM;
	}
	m->kind = kind;
	m->flags = flags;
	m->why = why;
	p->n_mounts++;
	return 0;
}

int plan_rule(struct cage_plan *p, const char *path, unsigned access)
{
	if (p->n_rules >= CAGE_MAX_MOUNTS)
		return -E2BIG;
	p->rules[p->n_rules].path = strdup(path);
	if (!p->rules[p->n_rules].path)
		return -ENOMEM;
	p->rules[p->n_rules].access = access;
	p->rules[p->n_rules].why = NULL;
	p->n_rules++;
	return 0;
}

bool plan_path_under(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return path[0] == '/';
	return strncmp(path, parent, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

/* Two copies, not snprintf: the plan joins ~60 paths per run. */
int plan_join(char *out, size_t size, const char *a, const char *b)
{
	size_t na = strlen(a);
	size_t nb = strlen(b);
	size_t sep = na && a[na - 1] == '/' ? 0 : 1;

	if (na + sep + nb >= size)
		return -ENAMETOOLONG;
	memcpy(out, a, na + 1);
	out[na] = '/'; /* when sep is 0, b's first byte goes there */
	memcpy(out + na + sep, b, nb + 1);
	return 0;
}

/* A host path as bind, symlink or nothing, depending on what it is. */
static int add_host_entry(struct cage_plan *p, const char *path, unsigned ro,
			  const char *why)
{
	mode_t type = plan_lstat(p, path);
	char link[PATH_MAX];
	ssize_t n;

	if (type == 0)
		return 0; /* absent on this host: nothing to show */
	if (S_ISLNK(type)) {
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			return 0;
		link[n] = '\0';
		return plan_add(p, CAGE_MNT_SYMLINK, 0, link, path, why);
	}
	return plan_add(p, CAGE_MNT_BIND,
			ro | (S_ISDIR(type) ? CAGE_MF_DIR : 0), path, path,
			why);
}

static int add_system(struct cage_plan *p, const struct cage_plan_input *in)
{
	char path[64];
	int rc = 0;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(sys_dirs) && rc == 0; i++) {
		rc = add_host_entry(p, sys_dirs[i], CAGE_MF_RO, "system");
		if (rc == 0 && p->n_mounts &&
		    p->mounts[p->n_mounts - 1].kind == CAGE_MNT_BIND &&
		    strcmp(p->mounts[p->n_mounts - 1].dst, sys_dirs[i]) == 0 &&
		    !p->exec_allowlist) /* else plan_exec.c grants per file */
			rc = plan_rule(p, sys_dirs[i],
				       CAGE_ACC_READ | CAGE_ACC_EXEC);
	}
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(etc_names) && rc == 0; i++) {
		rc = plan_join(path, sizeof(path), "/etc", etc_names[i]);
		if (rc == 0)
			rc = add_host_entry(p, path, CAGE_MF_RO, "system");
	}
	if (rc == 0)
		rc = plan_add(p, CAGE_MNT_FILE, 0, default_hosts, "/etc/hosts",
			      "network");
	if (rc == 0)
		rc = plan_add_identity(p, in);
	if (rc == 0)
		rc = plan_rule(p, "/etc", CAGE_ACC_READ);
	return rc;
}

int cage_plan_set_file(struct cage_plan *p, const char *dst,
		       const char *content)
{
	for (unsigned i = 0; i < p->n_mounts; i++) {
		struct cage_mount *m = &p->mounts[i];

		if (m->kind != CAGE_MNT_FILE || strcmp(m->dst, dst) != 0)
			continue;
		char *c = strdup(content);

		if (!c)
			return -ENOMEM;
		free(m->src);
		m->src = c;
		return 0;
	}
	return -ENOENT;
}

/* /proc (fresh, its kernel knobs read-only), /dev (with the host's
 * harmless nodes bound in, a private devpts), a private /tmp. /dev,
 * /dev/shm and /tmp are directories of the view's own tmpfs root, each
 * bound on itself (rw, noexec, nosuid, nodev): a tmpfs instance each
 * would cost its making and, at PID 1's exit, its teardown. The policy
 * sets no size for them: they share the root's tmpfs limit (the default,
 * half of the RAM, which each instance had alone) and the cgroup's
 * memory limit (tmpfs pages are charged to it). */
static int add_kernel_fs(struct cage_plan *p, bool tmp_allowed)
{
	const unsigned private_dir =
	    CAGE_MF_DIR | CAGE_MF_NOEXEC | CAGE_MF_STICKY;
	static const char *const proc_ro[] = {
	    "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"};
	static const char *const links[][2] = {
	    {"/proc/self/fd", "/dev/fd"},
	    {"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"},
	    {"/proc/self/fd/2", "/dev/stderr"},
	    {"pts/ptmx", "/dev/ptmx"},
	};
	char path[64];
	int rc = plan_add(p, CAGE_MNT_PROC, 0, NULL, "/proc", "kernel");

	struct stat st;

	/* The host's proc is the same kernel's: what it lacks, ours lacks. */
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(proc_ro) && rc == 0; i++)
		if (lstat(proc_ro[i], &st) == 0)
			rc = plan_add(
			    p, CAGE_MNT_REBIND,
			    CAGE_MF_RO |
				(S_ISDIR(st.st_mode) ? CAGE_MF_DIR : 0),
			    NULL, proc_ro[i], "kernel");
	if (rc == 0)
		rc = plan_add(p, CAGE_MNT_ROOTDIR, CAGE_MF_DIR | CAGE_MF_NOEXEC,
			      NULL, "/dev", "kernel");
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(dev_nodes) && rc == 0; i++) {
		rc = plan_join(path, sizeof(path), "/dev", dev_nodes[i]);
		if (rc == 0)
			rc = plan_add(p, CAGE_MNT_BIND, CAGE_MF_DEV, path, path,
				      "kernel");
	}
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(links) && rc == 0; i++)
		rc = plan_add(p, CAGE_MNT_SYMLINK, 0, links[i][0], links[i][1],
			      "kernel");
	if (rc == 0)
		rc = plan_add(p, CAGE_MNT_DEVPTS, CAGE_MF_DIR, NULL, "/dev/pts",
			      "kernel");
	if (rc == 0)
		rc = plan_add(p, CAGE_MNT_ROOTDIR, private_dir, NULL,
			      "/dev/shm", "private");
	if (rc == 0 && !tmp_allowed)
		rc = plan_add(p, CAGE_MNT_ROOTDIR, private_dir, NULL, "/tmp",
			      "private");
	if (rc == 0)
		rc = plan_rule(p, "/proc", CAGE_ACC_READ | CAGE_ACC_WRITE);
	if (rc == 0)
		rc = plan_rule(p, "/dev",
			       CAGE_ACC_READ | CAGE_ACC_WRITE | CAGE_ACC_DEV);
	if (rc == 0 && !tmp_allowed)
		rc = plan_rule(p, "/tmp", CAGE_ACC_READ | CAGE_ACC_WRITE);
	return rc;
}

static int cmp_allow(const void *a, const void *b)
{
	const struct policy_path *x = *(const struct policy_path *const *)a;
	const struct policy_path *y = *(const struct policy_path *const *)b;

	return strcmp(x->path, y->path);
}

/* Paths the view must never contain, whatever the policy says. */
static int check_forbidden(struct cage_plan *p, const struct policy_path *a)
{
	static const char *const never[] = {"/proc", "/dev", "/sys"};

	if (strcmp(a->path, "/") == 0)
		return plan_refuse(p,
				   "filesystem.allow (line %u): \"/\" would "
				   "put the whole host in the cage",
				   a->loc.line);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(never); i++)
		if (plan_path_under(a->path, never[i]))
			return plan_refuse(p,
					   "filesystem.allow (line %u): %s: "
					   "the cage has its own %s",
					   a->loc.line, a->path, never[i]);
	return 0;
}

static bool already_ro(const struct cage_plan *p, const char *path)
{
	for (unsigned i = 0; i < p->n_mounts; i++)
		if (p->mounts[i].kind == CAGE_MNT_BIND &&
		    (p->mounts[i].flags & CAGE_MF_RO) &&
		    strcmp(p->mounts[i].dst, path) == 0)
			return true;
	return false;
}

static int add_one_allow(struct cage_plan *p, const struct policy_path *a)
{
	mode_t type;
	bool w = a->mode & POLICY_FS_W;
	bool x = !p->exec_allowlist;
	unsigned acc;
	int rc = check_forbidden(p, a);

	if (rc != 0 || !p->allowed)
		return rc;
	type = plan_lstat(p, a->path);
	if (type == 0)
		return cage_plan_note(p,
				      "filesystem.allow %s: absent on this "
				      "host, not in the view",
				      a->path);
	if (S_ISLNK(type))
		return plan_refuse(p,
				   "filesystem.allow (line %u): %s is a "
				   "symlink; name its target",
				   a->loc.line, a->path);
	if (!w && already_ro(p, a->path))
		return 0; /* a system directory the view has already */
	/* tools.allow: programs run only from read-only system directories
	 * or a read-only single-file bind (nothing else to read there), so
	 * directories and writable paths are noexec (plan_exec.c). */
	acc =
	    CAGE_ACC_READ | (x ? CAGE_ACC_EXEC : 0) | (w ? CAGE_ACC_WRITE : 0);
	x = x || (!w && !S_ISDIR(type));
	rc = plan_add(p, CAGE_MNT_BIND,
		      (w ? 0 : CAGE_MF_RO) | (x ? 0 : CAGE_MF_NOEXEC) |
			  (S_ISDIR(type) ? CAGE_MF_DIR : 0),
		      a->path, a->path, "policy");
	return rc ? rc : plan_rule(p, a->path, acc);
}

static int add_allow(struct cage_plan *p, const struct akios_policy *pol,
		     const struct policy_path **sorted)
{
	int rc = 0;

	for (unsigned i = 0; i < pol->filesystem.n_allow; i++)
		sorted[i] = &pol->filesystem.allow[i];
	qsort((void *)sorted, pol->filesystem.n_allow,
	      sizeof(const struct policy_path *), cmp_allow);
	for (unsigned i = 0; i < pol->filesystem.n_allow && rc == 0; i++)
		rc = add_one_allow(p, sorted[i]);
	return rc;
}

static bool tmp_is_allowed(const struct akios_policy *pol)
{
	for (unsigned i = 0; i < pol->filesystem.n_allow; i++)
		if (strcmp(pol->filesystem.allow[i].path, "/tmp") == 0)
			return true;
	return false;
}

/* The cwd must exist in the view: inside a bound path, or one of the
 * directories the view creates on the way to one. */
static int check_cwd(struct cage_plan *p)
{
	mode_t type = plan_lstat(p, p->cwd);

	if (type != 0 && !S_ISDIR(type))
		return plan_refuse(p, "working directory %s is not a directory",
				   p->cwd);
	for (unsigned i = 0; i < p->n_mounts; i++) {
		const struct cage_mount *m = &p->mounts[i];

		if (m->kind == CAGE_MNT_BIND && (m->flags & CAGE_MF_DIR) &&
		    plan_path_under(p->cwd, m->dst))
			return 0;
		if (m->kind != CAGE_MNT_SYMLINK &&
		    plan_path_under(m->dst, p->cwd))
			return 0;
	}
	return plan_refuse(p,
			   "working directory %s is not in the cage's view "
			   "(add it to filesystem.allow or set "
			   "tools.working_dir)",
			   p->cwd);
}

static int build_view(struct cage_plan *p, const struct cage_plan_input *in)
{
	const struct akios_policy *pol = in->policy;
	const struct policy_path **sorted = NULL;
	int rc;

	sorted = calloc(pol->filesystem.n_allow + 1,
			sizeof(const struct policy_path *));
	if (!sorted)
		return -ENOMEM;
	rc = plan_rule(p, "/", CAGE_ACC_LISTDIR);
	if (rc == 0)
		rc = add_system(p, in);
	if (rc == 0)
		rc = add_kernel_fs(p, tmp_is_allowed(pol));
	if (rc == 0)
		rc = add_allow(p, pol, sorted);
	if (rc == 0 && p->allowed)
		rc = plan_add_masks(p, in, sorted, pol->filesystem.n_allow);
	if (rc == 0 && p->allowed)
		rc = check_cwd(p);
	if (rc == 0 && p->allowed)
		rc = plan_add_controls(p, in, sorted, pol->filesystem.n_allow);
	free(sorted);
	return rc;
}

/* Zeroes all but the entry tables (mounts, rules, env): each slot is
 * filled whole when added and nothing reads past the counts. The whole
 * 40 KB memset faulted in ten pages, most never used, each copied again
 * on write after the cage's clone. */
static void plan_reset(struct cage_plan *p)
{
	memset(p, 0, offsetof(struct cage_plan, mounts));
	p->n_mounts = p->n_rules = p->n_env = 0;
	memset(&p->landlock, 0,
	       sizeof(*p) - offsetof(struct cage_plan, landlock));
}

int cage_plan_build(const struct cage_plan_input *in, struct cage_plan *p,
		    struct akios_err *err)
{
	int rc;

	plan_reset(p);
	rc = plan_fs_new(&p->fs);
	p->allowed = true;
	p->uid = in->uid;
	p->gid = in->gid;
	p->exec_allowlist = in->policy->tools.allow_set;
	if (rc == 0)
		rc = plan_copy_argv(p, in->argv);
	if (rc == 0) {
		p->cwd = strdup(in->policy->tools.working_dir
				    ? in->policy->tools.working_dir
				    : in->host_cwd);
		rc = p->cwd ? 0 : -ENOMEM;
	}
	if (rc == 0)
		rc = build_view(p, in);
	if (rc == 0)
		rc = plan_build_env(p, in);
	if (rc == 0 && p->allowed)
		rc = plan_build_exec(p, in);
	if (rc == 0)
		rc = plan_build_kernel(p, in);
	plan_fs_free(p->fs);
	p->fs = NULL;
	if (rc != 0) {
		akios_err_set(err, NULL, 0, 0, "cannot build the cage plan: %s",
			      strerror(-rc));
		cage_plan_free(p);
	}
	return rc;
}

void cage_plan_free(struct cage_plan *p)
{
	for (unsigned i = 0; i < p->n_mounts; i++) {
		free(p->mounts[i].src);
		free(p->mounts[i].dst);
	}
	for (unsigned i = 0; i < p->n_rules; i++)
		free(p->rules[i].path);
	plan_free_env(p);
	for (unsigned i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	for (unsigned i = 0; i < p->n_walked; i++)
		free(p->walked[i]);
	for (unsigned i = 0; p->argv && i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->cwd);
	/* Counts and owned pointers only, not all 40 KB: every reader stops
	 * at the counts and cage_plan_build starts with plan_reset. After the
	 * cage's clone each page written costs a copy-on-write fault: the
	 * whole memset took 0.24 ms at the end of a run. */
	p->argv = NULL;
	p->argc = 0;
	p->cwd = NULL;
	p->n_mounts = p->n_rules = p->n_env = p->n_notes = p->n_walked = 0;
}
