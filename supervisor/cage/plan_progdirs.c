/* tools.allow: binds noexec the program directories found inside library
 * directories (git-core, openssh, ...), so `ld.so PROGRAM` cannot map
 * their programs (mmap PROT_EXEC fails on noexec). Invariant: only a
 * directory whose whole subtree was scanned and holds no shared object,
 * and no file the plan grants EXECUTE, is made noexec. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>

/* The scanned roots are the readable library directories, two levels
 * deep (/usr/lib/git-core, /usr/lib/llvm-14/bin), and a third level only
 * for bin, sbin and libexec (/usr/lib/jvm/X/bin, /usr/lib/postgresql/
 * 15/bin): measured on a Debian host with 65,000 files under /usr/lib,
 * 4.6 ms of CPU for two levels, 10 ms for three. A program deeper than
 * that, or past the entry budget, is not found (README "Tools
 * allowlist"). */
#define PROG_MAX_DEPTH	 2
#define PROG_BIN_DEPTH	 3
#define PROG_MAX_ENTRIES 30000u
#define PROG_MAX_MOUNTS	 64u

/* Directory names that hold data, headers or interpreted packages, and
 * are big: not descended (a program in one is not found). */
static const char *const data_dirs[] = {
    "__pycache__", "dist-packages", "site-packages", "node_modules",
    "include",	   "locale",	    "man",	     "doc",
};

static bool data_dir(const char *n)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(data_dirs); i++)
		if (strcmp(n, data_dirs[i]) == 0)
			return true;
	return false;
}

static bool bin_dir(const char *n)
{
	return strcmp(n, "bin") == 0 || strcmp(n, "sbin") == 0 ||
	       strcmp(n, "libexec") == 0;
}

static const char *const prog_roots[] = {
    "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/local/lib",
};

enum { SUB_PROG = 1, SUB_LIB = 2, SUB_UNKNOWN = 4 };

struct scan {
	struct cage_plan *p;
	unsigned entries, mounts, skipped, mixed;
	char path[PATH_MAX];
	char mixed_one[PATH_MAX]; /* the first mixed directory, for a note */
};

/* A shared object by its name: libx.so, libx.so.1.2, addon.node. */
static bool lib_name(const char *n)
{
	const char *so = strstr(n, ".so");
	size_t len = strlen(n);

	if (so && (so[3] == '\0' || so[3] == '.'))
		return true;
	return len > 5 && strcmp(n + len - 5, ".node") == 0;
}

/* SUB_PROG for an ELF program (a static executable, or one with a
 * PT_INTERP), SUB_LIB for another ELF (a shared object), 0 otherwise. */
static unsigned elf_kind(int dfd, const char *name)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned kind = 0;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		goto out;
	kind = eh.e_type == ET_EXEC ? SUB_PROG : SUB_LIB;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph) || eh.e_phnum > 128)
		goto out;
	for (unsigned i = 0; i < eh.e_phnum && kind == SUB_LIB; i++)
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + i * sizeof(ph))) ==
			(ssize_t)sizeof(ph) &&
		    ph.p_type == PT_INTERP)
			kind = SUB_PROG;
out:
	close(fd);
	return kind;
}

/* own: what the directory showed so far. */
static unsigned file_kind(int dfd, const char *name, unsigned own)
{
	struct stat st;

	if (lib_name(name))
		return SUB_LIB;
	/* Programs have no extension (git-daemon, ssh-keysign, cc1): a
	 * dotted name is data or a script, and skipping its stat keeps the
	 * scan cheap over python, perl and node trees. A program directory
	 * is found by any one undotted program in it. */
	if (strchr(name, '.') || (own & SUB_PROG))
		return 0; /* (one program is enough to know the directory) */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return 0; /* ld.so also runs a program without x bits: the
			   * cost of opening every file is not paid */
	return elf_kind(dfd, name);
}

static bool grants_exec_under(const struct cage_plan *p, const char *dir)
{
	for (unsigned i = 0; i < p->n_rules; i++)
		if ((p->rules[i].access & CAGE_ACC_EXEC) &&
		    plan_path_under(p->rules[i].path, dir))
			return true;
	return false;
}

static const char why_noexec[] = "noexec: programs in a library directory";

/* The noexec binds made for subdirectories of s->path (the last ones in
 * the plan: the scan is depth first) are covered by the one made now. */
static void drop_covered(struct scan *s)
{
	struct cage_plan *p = s->p;

	while (p->n_mounts > 0) {
		struct cage_mount *m = &p->mounts[p->n_mounts - 1];

		if (m->why != why_noexec || !plan_path_under(m->dst, s->path))
			return;
		free(m->src);
		free(m->dst);
		memset(m, 0, sizeof(*m));
		p->n_mounts--;
		s->mounts--;
	}
}

static int mount_noexec(struct scan *s)
{
	if (grants_exec_under(s->p, s->path))
		return 0;
	drop_covered(s);
	if (s->mounts >= PROG_MAX_MOUNTS) {
		s->skipped++;
		return 0;
	}
	s->mounts++;
	return plan_add(s->p, CAGE_MNT_BIND,
			CAGE_MF_RO | CAGE_MF_NOEXEC | CAGE_MF_DIR, s->path,
			s->path, why_noexec);
}

static int scan_dir(struct scan *s, int dfd, unsigned depth, unsigned *sub);

/* One entry of the directory at s->path (dfd). */
static int scan_entry(struct scan *s, int dfd, const struct dirent *de,
		      unsigned depth, unsigned *own, unsigned *sub)
{
	size_t len = strlen(s->path);
	unsigned kids = 0;
	int rc = 0;

	if (++s->entries > PROG_MAX_ENTRIES) {
		*sub |= SUB_UNKNOWN;
		return 0;
	}
	if (de->d_type == DT_REG || de->d_type == DT_UNKNOWN)
		*own |= file_kind(dfd, de->d_name, *own);
	if (de->d_type != DT_DIR)
		return 0;
	if ((depth >= PROG_MAX_DEPTH &&
	     !(depth < PROG_BIN_DEPTH && bin_dir(de->d_name))) ||
	    data_dir(de->d_name) ||
	    len + 1 + strlen(de->d_name) >= sizeof(s->path)) {
		*sub |= SUB_UNKNOWN;
		return 0;
	}
	snprintf(s->path + len, sizeof(s->path) - len, "/%s", de->d_name);
	int cfd = openat(dfd, de->d_name,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (cfd >= 0)
		rc = scan_dir(s, cfd, depth + 1, &kids);
	else
		kids = SUB_UNKNOWN;
	s->path[len] = '\0';
	*sub |= kids;
	return rc;
}

/* Scans the directory at s->path (takes dfd); *sub gets what its
 * subtree holds. A directory holding programs itself, in a subtree with
 * no shared object, is made noexec. */
static int scan_dir(struct scan *s, int dfd, unsigned depth, unsigned *sub)
{
	DIR *d = fdopendir(dfd);
	const struct dirent *de;
	unsigned own = 0, below = 0;
	int rc = 0;

	if (!d) {
		close(dfd);
		*sub = SUB_UNKNOWN;
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			rc = scan_entry(s, dirfd(d), de, depth, &own, &below);
	closedir(d);
	*sub = own | below;
	if (rc != 0 || depth == 0 || !(own & SUB_PROG))
		return rc;
	if (!(*sub & (SUB_LIB | SUB_UNKNOWN)))
		return mount_noexec(s);
	if (s->mixed++ == 0)
		snprintf(s->mixed_one, sizeof(s->mixed_one), "%s", s->path);
	return 0;
}

int plan_noexec_progdirs_in(struct cage_plan *p, const char *const *roots,
			    size_t n_roots)
{
	struct scan *s = calloc(1, sizeof(*s));
	char real[PATH_MAX];
	unsigned sub;
	int rc = s ? 0 : -ENOMEM;

	for (size_t i = 0; i < n_roots && rc == 0; i++) {
		/* /usr/lib64 may be a link into /usr/lib: scanned once. */
		if (!realpath(roots[i], real) || strcmp(real, roots[i]) != 0)
			continue;
		int fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue;
		s->p = p;
		snprintf(s->path, sizeof(s->path), "%s", real);
		rc = scan_dir(s, fd, 0, &sub);
	}
	if (rc == 0 && s->skipped)
		rc = cage_plan_note(p,
				    "tools.allow: %u more program directories "
				    "in library directories stay readable "
				    "(over %u): ld.so can run their programs",
				    s->skipped, PROG_MAX_MOUNTS);
	if (rc == 0 && s->mixed)
		rc =
		    cage_plan_note(p,
				   "tools.allow: %u program directories hold "
				   "shared objects too (e.g. %s) and stay "
				   "exec-capable: ld.so can run their programs",
				   s->mixed, s->mixed_one);
	free(s);
	return rc;
}

int plan_noexec_progdirs(struct cage_plan *p)
{
	return plan_noexec_progdirs_in(p, prog_roots,
				       AKIOS_ARRAY_SIZE(prog_roots));
}
