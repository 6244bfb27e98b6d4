/* The exec half of the plan when the policy has tools.allow: Landlock
 * EXECUTE only on the files that may run (the agent command, each allowed
 * tool, the ELF loaders and #! interpreters they need), READ on library
 * and data directories but on executables only per allowed file (so
 * `ld.so /usr/bin/cat` cannot read cat). Invariant: a granted path is a
 * regular file whose real path lies in a read-only, exec-capable system
 * mount of the view, where the host path and the view path are the same
 * file and nothing the agent writes can stand in the way. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

#define EXEC_MAX_DEPTH 4 /* tool -> #! interpreter -> env target -> ld.so */

/* Library and data directories: readable, never executable (a program
 * found there can still be read, which is why the exec directories are
 * not in this list; see README "Tools allowlist" for what remains). */
static const char *const read_dirs[] = {
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libx32",
    "/usr/share",
    "/usr/include",
    "/usr/local/lib",
    "/usr/local/share",
    "/usr/local/include",
    "/usr/local/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
};

static int rule_why(struct cage_plan *p, const char *path, unsigned acc,
		    const char *why)
{
	int rc = plan_rule(p, path, acc);

	if (rc == 0)
		p->rules[p->n_rules - 1].why = why;
	return rc;
}

static int add_read_dirs(struct cage_plan *p)
{
	static const char *const listed[] = {"/usr", "/usr/local"};
	struct stat st;
	int rc = 0;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(read_dirs) && rc == 0; i++)
		if (lstat(read_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = rule_why(p, read_dirs[i], CAGE_ACC_READ,
				      "libraries and data");
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(listed) && rc == 0; i++)
		if (lstat(listed[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = rule_why(p, listed[i], CAGE_ACC_LISTDIR,
				      "list only");
	return rc;
}

/* The mount of the view that holds path (the last one made over it). */
static const struct cage_mount *mount_of(const struct cage_plan *p,
					 const char *path)
{
	const struct cage_mount *m = NULL;

	for (unsigned i = 0; i < p->n_mounts; i++)
		if (p->mounts[i].kind != CAGE_MNT_SYMLINK &&
		    plan_path_under(path, p->mounts[i].dst))
			m = &p->mounts[i];
	return m;
}

/* Only a read-only system bind, or a read-only bind of the file itself
 * from filesystem.allow, can hold a program: the host path is the view
 * path there, and the agent can neither write nor rename in it. */
static bool runnable_here(const struct cage_plan *p, const char *real)
{
	const struct cage_mount *m = mount_of(p, real);

	if (!m || m->kind != CAGE_MNT_BIND || !(m->flags & CAGE_MF_RO) ||
	    (m->flags & CAGE_MF_NOEXEC))
		return false;
	return strcmp(m->why, "system") == 0 ||
	       (strcmp(m->why, "policy") == 0 && !(m->flags & CAGE_MF_DIR));
}

static const char *env_path(const struct cage_plan *p)
{
	for (unsigned i = 0; i < p->n_env; i++)
		if (strcmp(p->env[i].name, "PATH") == 0 && p->env[i].value)
			return p->env[i].value;
	return CAGE_SAFE_PATH;
}

/* name through the cage's PATH (only absolute entries: the cwd of the
 * agent is not trusted), or as given when it has a '/'. */
static int lookup(const struct cage_plan *p, const char *name, char *out,
		  size_t size)
{
	const char *s = env_path(p);
	struct stat st;

	if (strchr(name, '/')) {
		if (name[0] == '/')
			return snprintf(out, size, "%s", name) < (int)size
				   ? 0
				   : -ENAMETOOLONG;
		return plan_join(out, size, p->cwd, name);
	}
	while (*s) {
		size_t n = strcspn(s, ":");
		int k = snprintf(out, size, "%.*s/%s", (int)n, s, name);

		if (s[0] == '/' && k > 0 && (size_t)k < size &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		s += n + (s[n] == ':');
	}
	return -ENOENT;
}

static bool has_exec_rule(const struct cage_plan *p, const char *path)
{
	for (unsigned i = 0; i < p->n_rules; i++)
		if ((p->rules[i].access & CAGE_ACC_EXEC) &&
		    strcmp(p->rules[i].path, path) == 0)
			return true;
	return false;
}

/* PT_INTERP of a 64-bit ELF into out; -ENOENT when it has none. */
static int elf_interp(int fd, char *out, size_t size)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph) || eh.e_phnum > 128)
		return -ENOEXEC;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return -ENOEXEC;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > size ||
		    pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) !=
			(ssize_t)ph.p_filesz ||
		    out[ph.p_filesz - 1] != '\0')
			return -ENOEXEC;
		return 0;
	}
	return -ENOENT;
}

/* "#!interp [arg]": interp into a, the first word of arg into b ("" if
 * none; "-S" of env is skipped). */
static int shebang(int fd, char *a, char *b, size_t size)
{
	char line[256];
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	size_t i = 2;
	size_t k;

	if (n < 3)
		return -ENOEXEC;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	i += strspn(line + i, " \t");
	k = strcspn(line + i, " \t");
	if (k == 0 || k >= size)
		return -ENOEXEC;
	memcpy(a, line + i, k);
	a[k] = '\0';
	i += k;
	i += strspn(line + i, " \t");
	if (strncmp(line + i, "-S", 2) == 0 && strchr(" \t", line[i + 2]))
		i += 2 + strspn(line + i + 2, " \t");
	k = strcspn(line + i, " \t");
	if (k >= size)
		return -ENOEXEC;
	memcpy(b, line + i, k);
	b[k] = '\0';
	return 0;
}

static int allow_file(struct cage_plan *p, const char *path, unsigned depth,
		      const char *why);

/* What the file needs to start: its loader or its interpreter(s). */
static int allow_needs(struct cage_plan *p, const char *real, unsigned depth)
{
	char a[PATH_MAX];
	char b[PATH_MAX];
	char head[2] = {0};
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc = 0;

	if (fd < 0)
		return cage_plan_note(p, "tools.allow: cannot read %s: %s",
				      real, strerror(errno));
	if (pread(fd, head, 2, 0) == 2 && head[0] == '#' && head[1] == '!') {
		if (shebang(fd, a, b, sizeof(a)) == 0) {
			rc = allow_file(p, a, depth + 1, "#! interpreter");
			if (rc == 0 && b[0] && !strchr(b, '/') &&
			    strcmp(strrchr(a, '/') ? strrchr(a, '/') + 1 : a,
				   "env") == 0 &&
			    lookup(p, b, a, sizeof(a)) == 0)
				rc = allow_file(p, a, depth + 1,
						"#! interpreter (env)");
		}
	} else if (elf_interp(fd, a, sizeof(a)) == 0) {
		rc = allow_file(p, a, depth + 1, "ELF loader");
	}
	close(fd);
	return rc;
}

/* Grants READ|EXECUTE on the real file behind path, then what it needs.
 * -EPERM when it cannot run in the view (not in a system mount). */
static int allow_file(struct cage_plan *p, const char *path, unsigned depth,
		      const char *why)
{
	char real[PATH_MAX];
	struct stat st;
	int rc;

	if (depth > EXEC_MAX_DEPTH)
		return cage_plan_note(p,
				      "tools.allow: %s: interpreter chain "
				      "longer than %d, not followed",
				      path, EXEC_MAX_DEPTH);
	if (!realpath(path, real) || stat(real, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return -ENOENT;
	if (!runnable_here(p, real))
		return -EPERM;
	if (has_exec_rule(p, real))
		return 0;
	rc = rule_why(p, real, CAGE_ACC_READ | CAGE_ACC_EXEC, why);
	return rc ? rc : allow_needs(p, real, depth);
}

static int allow_named(struct cage_plan *p, const char *name, const char *why)
{
	char path[PATH_MAX];
	int rc = lookup(p, name, path, sizeof(path));

	if (rc == 0)
		rc = allow_file(p, path, 0, why);
	if (rc == -ENOENT)
		return cage_plan_note(p,
				      "%s %s: not found in the cage's PATH; it "
				      "cannot run",
				      why, name);
	if (rc == -EPERM)
		return cage_plan_note(p,
				      "%s %s: neither in a read-only system "
				      "directory nor a read-only file of "
				      "filesystem.allow; it cannot run",
				      why, name);
	return rc;
}

int plan_build_exec(struct cage_plan *p, const struct cage_plan_input *in)
{
	const struct akios_policy *pol = in->policy;
	char path[PATH_MAX];
	int rc;

	if (!p->exec_allowlist)
		return 0;
	rc = add_read_dirs(p);
	if (rc == 0 && p->argc > 0) {
		rc = lookup(p, p->argv[0], path, sizeof(path));
		if (rc == 0)
			rc = allow_file(p, path, 0, "agent command");
		if (rc == -EPERM)
			return plan_refuse(
			    p,
			    "tools.allow: the agent command %s is neither in "
			    "a read-only system directory nor a read-only "
			    "file of filesystem.allow (policy directories are "
			    "noexec in this mode)",
			    p->argv[0]);
		if (rc == -ENOENT)
			rc = 0; /* the start reports "not found" (127) */
	}
	for (unsigned i = 0; i < pol->tools.n_allow && rc == 0; i++)
		rc = allow_named(p, pol->tools.allow[i].name, "tools.allow");
	/* Last: a directory holding a granted file stays exec-capable. */
	return rc ? rc : plan_noexec_progdirs(p);
}
