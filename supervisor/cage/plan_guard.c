/* What the view hides or freezes inside allowed paths: secret host paths
 * (keys, cloud credentials, host sockets) are masked even under an allowed
 * parent, and control files the host later executes (.git/hooks, .envrc,
 * ...) stay read-only inside writable paths, including ones that do not
 * exist yet (a placeholder is bound read-only). Also the synthetic
 * /etc/passwd and /etc/group that name only the caller. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

/* Absolute secret paths. */
static const char *const secret_abs[] = {
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/dbus",
    "/var/run/dbus",
    "/run/user",
    "/run/containerd",
    "/run/podman",
    "/run/systemd",
    "/var/lib/docker",
};

/* Secrets relative to a home directory. */
static const char *const secret_home[] = {
    ".ssh",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".gnupg",
    ".netrc",
    ".git-credentials",
    ".config/gh",
    ".npmrc",
    ".pypirc",
    ".password-store",
    ".vault-token",
    ".local/share/keyrings",
    ".config/akios",
};

/* Control files: {name, is_dir, placeholder when missing}. Shell rc files
 * get a placeholder only in the home directory, where a shell reads them. */
struct control {
	const char *name;
	bool dir;
	bool create;
};
static const struct control controls[] = {
    {".gitmodules", false, true},  {".envrc", false, true},
    {".vscode", true, true},	   {".idea", true, true},
    {".bashrc", false, false},	   {".bash_profile", false, false},
    {".bash_login", false, false}, {".bash_logout", false, false},
    {".profile", false, false},	   {".zshrc", false, false},
    {".zshenv", false, false},	   {".zprofile", false, false},
};

int plan_refuse(struct cage_plan *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->allowed)
		return 0;
	p->allowed = false;
	va_start(ap, fmt);
	vsnprintf(p->refusal, sizeof(p->refusal), fmt, ap);
	va_end(ap);
	return 0;
}

int cage_plan_note(struct cage_plan *p, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	if (p->n_notes >= CAGE_MAX_NOTES)
		return 0; /* the report keeps the first ones */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->notes[p->n_notes] = strdup(line);
	if (!p->notes[p->n_notes])
		return -ENOMEM;
	p->n_notes++;
	return 0;
}

int plan_copy_argv(struct cage_plan *p, char *const *argv)
{
	unsigned n = 0;

	while (argv[n])
		n++;
	if (n == 0)
		return -EINVAL;
	p->argv = calloc(n + 1, sizeof(*p->argv));
	if (!p->argv)
		return -ENOMEM;
	for (p->argc = 0; p->argc < n; p->argc++) {
		p->argv[p->argc] = strdup(argv[p->argc]);
		if (!p->argv[p->argc])
			return -ENOMEM;
	}
	return 0;
}

static bool sane_name(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (*s == ':' || *s == '\n' || *s == '/')
			return false;
	return true;
}

/* The agent sees itself, root and nobody; no other account of the host. */
int plan_add_identity(struct cage_plan *p, const struct cage_plan_input *in)
{
	const char *name = sane_name(in->user_name) ? in->user_name : "agent";
	const char *home = in->home && !strchr(in->home, ':') ? in->home : "/";
	struct akios_buf pw;
	struct akios_buf gr;
	int rc;

	akios_buf_init(&pw, 4096);
	akios_buf_init(&gr, 4096);
	rc =
	    akios_buf_appendf(&pw, "root:x:0:0:root:/root:/usr/sbin/nologin\n");
	if (rc == 0 && in->uid != 0)
		rc = akios_buf_appendf(&pw, "%s:x:%u:%u::%s:/bin/sh\n", name,
				       (unsigned)in->uid, (unsigned)in->gid,
				       home);
	if (rc == 0)
		rc = akios_buf_appendf(&pw, "nobody:x:65534:65534:nobody:"
					    "/nonexistent:/usr/sbin/nologin\n");
	if (rc == 0)
		rc = akios_buf_appendf(&gr, "root:x:0:\n");
	if (rc == 0 && in->gid != 0)
		rc = akios_buf_appendf(&gr, "%s:x:%u:\n", name,
				       (unsigned)in->gid);
	if (rc == 0)
		rc = akios_buf_appendf(&gr, "nogroup:x:65534:\n");
	if (rc == 0)
		rc = plan_add(p, CAGE_MNT_FILE, 0, pw.ptr, "/etc/passwd",
			      "identity");
	if (rc == 0)
		rc = plan_add(p, CAGE_MNT_FILE, 0, gr.ptr, "/etc/group",
			      "identity");
	akios_buf_free(&pw);
	akios_buf_free(&gr);
	return rc;
}

bool plan_has_mount(const struct cage_plan *p, const char *dst)
{
	for (unsigned i = 0; i < p->n_mounts; i++)
		if (strcmp(p->mounts[i].dst, dst) == 0)
			return true;
	return false;
}

/* Masks S when it exists under allowed path P; refuses P inside S. */
static int guard_one(struct cage_plan *p, const char *s, const char *allow,
		     const char *why)
{
	mode_t type;

	if (plan_path_under(allow, s) && strcmp(allow, s) != 0)
		return plan_refuse(p,
				   "filesystem.allow %s lies inside %s, which "
				   "the cage never shows",
				   allow, s);
	if (strcmp(allow, s) == 0)
		return plan_refuse(p,
				   "filesystem.allow %s is a path the cage "
				   "never shows",
				   allow);
	if (!plan_path_under(s, allow) || plan_has_mount(p, s))
		return 0;
	type = plan_lstat(p, s);
	if (type == 0)
		return 0;
	return plan_add(p, CAGE_MNT_MASK,
			CAGE_MF_RO | (S_ISDIR(type) ? CAGE_MF_DIR : 0), NULL, s,
			why);
}

static int guard_home(struct cage_plan *p, const char *home, const char *allow)
{
	char path[PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(secret_home) && rc == 0; i++) {
		rc = plan_join(path, sizeof(path), home, secret_home[i]);
		if (rc == 0)
			rc = guard_one(p, path, allow, "secret");
	}
	return rc;
}

/* Every home directory under /home when an allowed path contains it. */
static int guard_all_homes(struct cage_plan *p, const char *allow)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];
	int rc = 0;

	if (!plan_path_under("/home", allow))
		return 0;
	d = opendir("/home");
	if (!d)
		return 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		rc = plan_join(path, sizeof(path), "/home", e->d_name);
		if (rc == 0)
			rc = guard_home(p, path, allow);
	}
	closedir(d);
	return rc;
}

int plan_add_masks(struct cage_plan *p, const struct cage_plan_input *in,
		   const struct policy_path **allow, unsigned n)
{
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0 && p->allowed; i++) {
		const char *a = allow[i]->path;

		/* Its 16 secret names, and for a writable one its 15 control
		 * names (plan_add_controls) and the walk's top, are looked up
		 * in it: reading a small directory once (~8 us) costs less
		 * than 16 lstats (1.5-3 us each). A directory larger than one
		 * read is not listed (plan_fs.c). */
		if (S_ISDIR(plan_lstat(p, a)))
			plan_fs_list(p, a);
		for (size_t k = 0; k < AKIOS_ARRAY_SIZE(secret_abs) && !rc; k++)
			rc = guard_one(p, secret_abs[k], a, "secret");
		for (unsigned k = 0; k < in->n_hidden && rc == 0; k++)
			rc = guard_one(p, in->hidden[k], a, "akios");
		if (rc == 0 && in->home && in->home[0] == '/')
			rc = guard_home(p, in->home, a);
		if (rc == 0)
			rc = guard_home(p, "/root", a);
		if (rc == 0)
			rc = guard_home(p, a, a);
		if (rc == 0)
			rc = guard_all_homes(p, a);
	}
	return rc;
}

/* One control path under a writable base: frozen if present, else a
 * placeholder is created (when `create`) and frozen. */
int plan_freeze(struct cage_plan *p, const char *path, bool dir, bool create)
{
	mode_t type;
	unsigned f = CAGE_MF_RO;

	if (plan_has_mount(p, path))
		return 0;
	type = plan_lstat(p, path);
	if (type != 0)
		f |= S_ISDIR(type) ? CAGE_MF_DIR : 0;
	else if (create)
		f |= CAGE_MF_PLACEHOLDER | (dir ? CAGE_MF_DIR : 0);
	else
		return 0;
	return plan_add(p, CAGE_MNT_REBIND, f, NULL, path, "control");
}

/* A git directory's config and hooks, read-only (placeholders when
 * missing), then the submodules' git directories in its modules/. */
int plan_freeze_gitdir(struct cage_plan *p, const char *gitdir, unsigned depth)
{
	char sub[PATH_MAX];
	int rc = plan_join(sub, sizeof(sub), gitdir, "config");

	if (rc == 0)
		rc = plan_freeze(p, sub, false, true);
	if (rc == 0)
		rc = plan_join(sub, sizeof(sub), gitdir, "hooks");
	if (rc == 0)
		rc = plan_freeze(p, sub, true, true);
	return rc ? rc : plan_freeze_modules(p, gitdir, depth);
}

/* .git: the directory itself becomes a (writable) mount point so it can
 * be neither renamed nor replaced; its config and hooks are read-only. A
 * missing .git is created empty and read-only: no repository (and so no
 * hooks) can appear in the workspace. A .git file (a worktree or a
 * submodule's "gitdir:" link) is frozen as it is. */
int plan_freeze_git(struct cage_plan *p, const char *base)
{
	char git[PATH_MAX];
	int rc = plan_join(git, sizeof(git), base, ".git");

	if (rc != 0)
		return rc;
	if (!S_ISDIR(plan_lstat(p, git)))
		return plan_freeze(p, git, true, true);
	if (plan_has_mount(p, git))
		return 0;
	rc = plan_add(p, CAGE_MNT_REBIND, CAGE_MF_DIR, NULL, git, "control");
	return rc ? rc : plan_freeze_gitdir(p, git, 0);
}

static int freeze_base(struct cage_plan *p, const char *base, bool is_home)
{
	char path[PATH_MAX];
	int rc;

	rc = plan_freeze_git(p, base);

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(controls) && rc == 0; i++) {
		rc = plan_join(path, sizeof(path), base, controls[i].name);
		if (rc == 0)
			rc = plan_freeze(p, path, controls[i].dir,
					 controls[i].create || is_home);
	}
	return rc;
}

/* The writable allowed path that holds path, or NULL. */
static const struct policy_path *
writable_parent(const struct policy_path **allow, unsigned n, const char *path)
{
	const struct policy_path *best = NULL;

	for (unsigned i = 0; i < n; i++)
		if (plan_path_under(path, allow[i]->path))
			best = allow[i]; /* sorted: the last match is deepest */
	return best && (best->mode & POLICY_FS_W) ? best : NULL;
}

int plan_add_controls(struct cage_plan *p, const struct cage_plan_input *in,
		      const struct policy_path **allow, unsigned n)
{
	const struct policy_path *w;
	struct plan_walk_total t = {0};
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0; i++) {
		if (!(allow[i]->mode & POLICY_FS_W) ||
		    allow[i]->allow_control_files ||
		    !S_ISDIR(plan_lstat(p, allow[i]->path)))
			continue;
		rc = freeze_base(p, allow[i]->path,
				 in->home &&
				     strcmp(in->home, allow[i]->path) == 0);
		if (rc == 0)
			rc = plan_walk_controls(p, allow[i]->path, &t);
	}
	/* The working directory, unless it is that allowed path itself
	 * (frozen above already: a second pass would only lstat again what
	 * the first found missing). */
	w = writable_parent(allow, n, p->cwd);
	if (rc == 0 && w && !w->allow_control_files &&
	    strcmp(w->path, p->cwd) != 0)
		rc = freeze_base(p, p->cwd, false);
	for (unsigned i = 0; i < in->n_protect && rc == 0; i++) {
		w = writable_parent(allow, n, in->protect[i]);
		if (w)
			rc = plan_freeze(p, in->protect[i], false, false);
	}
	return rc;
}
