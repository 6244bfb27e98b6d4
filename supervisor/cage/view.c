/* The filesystem view, made in the cage child (new user + mount
 * namespace) from the plan's mount list: every host source is cloned
 * first (open_tree), then a fresh tmpfs root is filled in plan order (its
 * own directories bound on themselves for /tmp, /dev, /dev/shm) and
 * pivoted into; the old root is detached (cage_view_detach) before the
 * agent may exec, and the placeholders' rebinds that end the plan come
 * after the detach and the go (cage_view_finish). Mount attributes are
 * only ever added (mount_setattr attr_set, mount flags), so flags the
 * host locked stay locked. Every entry is reached by its name in a
 * directory opened with RESOLVE_IN_ROOT: no symlink leads out of the
 * view.
 * Runs between clone and execve: no allocation, errors via cage_fail. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define VIEW_BASE "/tmp" /* where the new root is built, in our ns only */

/* The build's state. Syscalls are what the view costs (each one is
 * dear on a virtualised host), so it keeps what it learnt:
 * - dirfd: an O_PATH fd of the view directory dir (a view path, no
 *   trailing '/'), the parent of the last entry made: the /etc and /dev
 *   entries come one after another, each made and mounted by its name
 *   relative to it. Dropped when a mount covers dir or a parent of it.
 * - defer: the O_PATH and mount fds are left open for the caller's one
 *   close_range (when RLIMIT_NOFILE leaves room for them all) instead of
 *   a close each. Files opened for writing are always closed at once: a
 *   writer would keep the root from going read-only.
 * - mask: a directory mask is an empty read-only tmpfs; the first one is
 *   made, every later one is a bind of it (one instance, not one each:
 *   each costs its making and its teardown at PID 1's exit). */
struct view {
	int root;
	bool defer;
	int dirfd; /* -1: none */
	int mask;  /* the first directory mask's root, -1: none yet */
	size_t dir_len;
	char dir[PATH_MAX];
};

static int fail(struct cage_fail *f, const char *what, const char *path)
{
	f->what = what;
	f->path = path;
	f->err = errno;
	return -f->err;
}

static void vclose(const struct view *v, int fd)
{
	if (!v->defer)
		close(fd);
}

/* Closes fd keeping errno; returns -1 (for error paths). */
static int vclose_err(const struct view *v, int fd)
{
	int e = errno;

	vclose(v, fd);
	errno = e;
	return -1;
}

/* O_PATH fd of path inside the view, resolved as if rootfd were "/". */
static int view_open(int rootfd, const char *dst, unsigned extra)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW | extra,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, dst + 1, &how, sizeof(how));
}

/* Length of the longest run of whole components a and b share: a
 * prefix of both that ends where each has a '/' or ends. */
AKIOS_STATIC size_t cage_view_common_dirs(const char *a, size_t alen,
					  const char *b, size_t blen)
{
	size_t i = 0;

	while (i < alen && i < blen && a[i] == b[i])
		i++;
	if ((i == alen || a[i] == '/') && (i == blen || b[i] == '/'))
		return i;
	while (i > 0 && a[i - 1] != '/')
		i--;
	return i > 0 ? i - 1 : 0;
}

/* O_PATH fd of the directory path names in the view (symlinks on the way
 * followed, inside the view's root). */
static int view_open_dir(int rootfd, const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC | O_DIRECTORY,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path + 1, &how, sizeof(how));
}

/* Where to start making path[0..len): the cached directory when it is
 * on the way (*at: how much of path it covers), else the root. */
static int walk_start(const struct view *v, const char *path, size_t len,
		      size_t *at)
{
	*at = 0;
	if (v->dirfd < 0 ||
	    cage_view_common_dirs(v->dir, v->dir_len, path, len) != v->dir_len)
		return v->root;
	*at = v->dir_len;
	return v->dirfd;
}

/* The view directory path[0..len), made if missing (mkdir -p) and cached.
 * Every mkdirat makes one name in a directory opened in the view's root,
 * so no symlink (one the agent left in a writable bind, say) leads it
 * out of the view. Returns a borrowed fd (the cache's or the root). */
static int view_dir(struct view *v, const char *path, size_t len)
{
	char buf[PATH_MAX];
	size_t i;
	int cur = walk_start(v, path, len, &i);
	bool own = false;

	if (len >= sizeof(buf))
		return (errno = ENAMETOOLONG, -1);
	if (i == len)
		return cur; /* the root, or the cached directory itself */
	memcpy(buf, path, len);
	buf[len] = '\0';
	while (i < len) { /* buf[i] is the '/' before the next name */
		size_t j = i + 1;
		int next;

		while (j < len && buf[j] != '/')
			j++;
		buf[j] = '\0';
		next = mkdirat(cur, buf + i + 1, 0755) == 0 || errno == EEXIST
			   ? view_open_dir(v->root, buf)
			   : -1;
		if (own)
			(void)vclose_err(v, cur);
		if (next < 0)
			return -1;
		cur = next;
		own = true;
		buf[j] = j < len ? '/' : '\0';
		i = j;
	}
	if (v->dirfd >= 0)
		vclose(v, v->dirfd);
	v->dirfd = cur;
	memcpy(v->dir, path, len);
	v->dir_len = len;
	return cur;
}

static size_t parent_len(const char *dst)
{
	return (size_t)(strrchr(dst, '/') - dst);
}

/* dst's last name; NULL (EINVAL) for one a lookup would not take as is. */
static const char *leaf_of(const char *dst)
{
	const char *leaf = dst[0] == '/' ? strrchr(dst, '/') + 1 : NULL;

	if (!leaf || !*leaf || !strcmp(leaf, ".") || !strcmp(leaf, ".."))
		return (errno = EINVAL, NULL);
	return leaf;
}

/* Makes dst's parents and dst itself (a directory, or an empty file by
 * mknod: no fd to open and close); existing entries are fine. Returns
 * the borrowed fd of dst's directory, *leaf dst's name in it. */
static int view_make(struct view *v, const char *dst, bool dir,
		     const char **leaf)
{
	int pfd;

	*leaf = leaf_of(dst);
	pfd = *leaf ? view_dir(v, dst, parent_len(dst)) : -1;
	if (pfd < 0)
		return -1;
	if ((dir ? mkdirat(pfd, *leaf, 0755)
		 : mknodat(pfd, *leaf, S_IFREG | 0644, 0)) != 0 &&
	    errno != EEXIST)
		return -1;
	return pfd;
}

/* view_make, then the O_PATH fd of dst (one name below a directory
 * opened in the root: as safe as RESOLVE_IN_ROOT on the whole path). */
static int view_mkpath(struct view *v, const char *dst, bool dir)
{
	const char *leaf;
	int pfd = view_make(v, dst, dir, &leaf);

	if (pfd < 0)
		return -1;
	return openat(pfd, leaf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

/* A mount now covers dst: the cached directory, if dst or below it, is
 * gone from the view. */
static void covered(struct view *v, const char *dst)
{
	size_t len = strlen(dst);

	if (v->dirfd < 0 ||
	    cage_view_common_dirs(dst, len, v->dir, v->dir_len) < len)
		return;
	vclose(v, v->dirfd);
	v->dirfd = -1;
}

static uint64_t bind_attrs(unsigned flags)
{
	uint64_t a = MOUNT_ATTR_NOSUID;

	if (!(flags & CAGE_MF_DEV))
		a |= MOUNT_ATTR_NODEV;
	if (flags & CAGE_MF_RO)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & CAGE_MF_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467 /* Linux 6.15, the same on every arch */
#endif

/* A detached recursive clone of what is at (dfd, path), attributes set:
 * one open_tree_attr where the kernel has it (6.15), else open_tree and
 * mount_setattr. */
static int clone_tree(const struct view *v, int dfd, const char *path,
		      unsigned flags)
{
	struct mount_attr attr = {.attr_set = bind_attrs(flags)};
	unsigned of = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
		      AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH);
	int fd = (int)syscall(SYS_open_tree_attr, dfd, path, of, &attr,
			      sizeof(attr));

	if (fd >= 0 || errno != ENOSYS)
		return fd;
	fd = open_tree(dfd, path, of);
	if (fd < 0)
		return -1;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			  sizeof(attr)) != 0)
		return vclose_err(v, fd);
	return fd;
}

/* Attaches the detached mount mfd on the O_PATH target tfd (both are
 * then the caller's to close, or the final close_range's). */
static int attach(struct view *v, int mfd, int tfd, const struct cage_mount *m)
{
	int rc = move_mount(mfd, "", tfd, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;

	vclose(v, mfd);
	vclose(v, tfd);
	covered(v, m->dst);
	errno = e;
	return rc;
}

/* A new filesystem instance (tmpfs, proc, devpts) on the directory the
 * O_PATH fd tfd names: mount(2) on "." after fchdir to it, two syscalls
 * where fsopen, fsconfig, fsmount and move_mount took six or more. The
 * target was resolved in the view's root; "." follows nothing. */
static int mount_new_fs(const char *type, const char *data, unsigned long flags,
			int tfd)
{
	if (fchdir(tfd) != 0)
		return -1;
	return mount("none", ".", type, flags, data);
}

/* A fresh proc, devpts, or mask (an empty read-only tmpfs, mode 0000). */
static int mount_fs(struct view *v, const struct cage_mount *m)
{
	static const char *const fs[][2] = {
	    {"tmpfs", "mode=0000,size=4k"},
	    {"proc", NULL},
	    {"devpts", "ptmxmode=0666,mode=0620"},
	};
	unsigned k = m->kind == CAGE_MNT_PROC	  ? 1
		     : m->kind == CAGE_MNT_DEVPTS ? 2
						  : 0;
	unsigned long a = MS_NOSUID | MS_NOEXEC | (k == 2 ? 0 : MS_NODEV) |
			  (k ? 0 : MS_RDONLY);
	int tfd =
	    k ? view_mkpath(v, m->dst, true) : view_open(v->root, m->dst, 0);

	if (tfd < 0 || mount_new_fs(fs[k][0], fs[k][1], a, tfd) != 0)
		return tfd < 0 ? -1 : vclose_err(v, tfd);
	vclose(v, tfd);
	covered(v, m->dst);
	return 0;
}

/* /tmp, /dev or /dev/shm: a directory of the root's tmpfs, bound on
 * itself with its flags (rw while / goes read-only). The bind covers it:
 * what is written there is reached only through the bind, never through
 * / (which may exec). mkdirat must make it: nothing may stand there. */
static int root_dir(struct view *v, const struct cage_mount *m)
{
	const char *leaf = leaf_of(m->dst);
	int pfd = leaf ? view_dir(v, m->dst, parent_len(m->dst)) : -1;
	int mfd;

	if (pfd < 0 || mkdirat(pfd, leaf, 0755) != 0)
		return -1;
	/* Not by mkdirat's mode: the umask would take the bits off. */
	if ((m->flags & CAGE_MF_STICKY) && fchmodat(pfd, leaf, 01777, 0) != 0)
		return -1;
	mfd = clone_tree(v, pfd, leaf, m->flags);
	if (mfd < 0)
		return -1;
	if (move_mount(mfd, "", pfd, leaf, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		return vclose_err(v, mfd);
	vclose(v, mfd);
	covered(v, m->dst);
	return 0;
}

static int write_file(struct view *v, const struct cage_mount *m)
{
	const char *leaf = leaf_of(m->dst);
	int pfd = leaf ? view_dir(v, m->dst, parent_len(m->dst)) : -1;
	size_t len = strlen(m->src);
	ssize_t n;
	int fd;

	if (pfd < 0)
		return -1;
	fd =
	    openat(pfd, leaf,
		   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	n = write(fd, m->src, len);
	close(fd); /* now: a writer keeps the root from going read-only */
	return n == (ssize_t)len ? 0 : (errno = EIO, -1);
}

static int make_symlink(struct view *v, const struct cage_mount *m)
{
	const char *leaf = leaf_of(m->dst);
	int pfd = leaf ? view_dir(v, m->dst, parent_len(m->dst)) : -1;

	if (pfd < 0)
		return -1;
	/* O_PATH directory fds are valid dirfds for symlinkat. */
	if (symlinkat(m->src, pfd, leaf) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* A path already in the view, bound on itself with added attributes (a
 * mount point cannot be renamed or unlinked: EBUSY). */
static int rebind(struct view *v, const struct cage_mount *m)
{
	int tfd = view_open(v->root, m->dst, 0);
	int mfd;

	if (tfd < 0)
		return -1;
	mfd = clone_tree(v, tfd, "", m->flags);
	if (mfd < 0)
		return vclose_err(v, tfd);
	return attach(v, mfd, tfd, m);
}

/* A directory hidden under the first directory mask's empty tmpfs (made
 * here if none yet), a file or socket under /dev/null; both read-only. */
static int mask(struct view *v, const struct cage_mount *m)
{
	bool dir = m->flags & CAGE_MF_DIR;
	int tfd;
	int nfd;
	int mfd;

	if (dir && v->mask < 0) {
		if (mount_fs(v, m) != 0)
			return -1;
		v->mask = view_open(v->root, m->dst, 0);
		return v->mask < 0 ? -1 : 0;
	}
	tfd = view_open(v->root, m->dst, 0);
	if (tfd < 0)
		return -1;
	nfd = dir ? v->mask : view_open(v->root, "/dev/null", 0);
	mfd = nfd < 0 ? -1
		      : clone_tree(v, nfd, "",
				   dir ? m->flags | CAGE_MF_NOEXEC
				       : CAGE_MF_RO | CAGE_MF_DEV);
	if (nfd >= 0 && !dir)
		(void)vclose_err(v, nfd);
	if (mfd < 0)
		return vclose_err(v, tfd);
	return attach(v, mfd, tfd, m);
}

/* A cloned host tree on dst, made by name in its directory. */
static int bind_tree(struct view *v, const struct cage_mount *m, int tree)
{
	const char *leaf;
	int pfd = view_make(v, m->dst, m->flags & CAGE_MF_DIR, &leaf);
	int rc;

	if (pfd < 0)
		return vclose_err(v, tree);
	rc = move_mount(tree, "", pfd, leaf, MOVE_MOUNT_F_EMPTY_PATH);
	(void)vclose_err(v, tree);
	covered(v, m->dst);
	return rc;
}

static int apply_one(struct view *v, const struct cage_mount *m, int tree)
{
	switch (m->kind) {
	case CAGE_MNT_BIND:
		return bind_tree(v, m, tree);
	case CAGE_MNT_ROOTDIR:
		return root_dir(v, m);
	case CAGE_MNT_PROC:
	case CAGE_MNT_DEVPTS:
		return mount_fs(v, m);
	case CAGE_MNT_MASK:
		return mask(v, m);
	case CAGE_MNT_SYMLINK:
		return make_symlink(v, m);
	case CAGE_MNT_FILE:
		return write_file(v, m);
	case CAGE_MNT_REBIND:
		return rebind(v, m);
	}
	return (errno = EINVAL, -1);
}

/* Phase 1: clone every host source before anything covers it. */
static int clone_sources(const struct view *v, const struct cage_plan *p,
			 int *trees, struct cage_fail *f)
{
	for (unsigned i = 0; i < p->n_mounts; i++) {
		trees[i] = -1;
		if (p->mounts[i].kind != CAGE_MNT_BIND)
			continue;
		trees[i] = clone_tree(v, AT_FDCWD, p->mounts[i].src,
				      p->mounts[i].flags);
		if (trees[i] < 0)
			return fail(f, "bind", p->mounts[i].src);
	}
	return 0;
}

static int new_root(struct cage_fail *f)
{
	int tfd;

	if (mount("none", VIEW_BASE, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755") != 0)
		return fail(f, "tmpfs root", VIEW_BASE);
	tfd = open(VIEW_BASE, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return tfd < 0 ? fail(f, "tmpfs root", VIEW_BASE) : tfd;
}

/* pivot_root(".", "."): the old root ends up stacked on "/" until
 * cage_view_detach; the view's absolute paths already resolve in the new
 * root (a walk starts at the root without crossing what is mounted on
 * it). */
static int pivot(int rootfd, struct cage_fail *f)
{
	if (fchdir(rootfd) != 0)
		return fail(f, "chdir", "new root");
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		return fail(f, "pivot_root", NULL);
	return 0;
}

int cage_view_detach(struct cage_fail *f)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	/* Our cwd is still the new root, where the old one is stacked:
	 * detached, no path of the host stays reachable. */
	if (umount2(".", MNT_DETACH) != 0)
		return fail(f, "detach old root", NULL);
	if (chdir("/") != 0)
		return fail(f, "chdir", "/");
	if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) != 0)
		return fail(f, "read-only root", "/");
	return 0;
}

/* Room for every fd the build would leave open (a tree, a target and a
 * spare per step, and what was open before)? One getrlimit. */
static bool can_defer(const struct cage_plan *p)
{
	struct rlimit nofile;

	return getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
	       nofile.rlim_cur >= 3ull * p->n_mounts + 64;
}

int cage_view_build(const struct cage_plan *p, int *go_fd,
		    struct cage_view_rest *rest, struct cage_fail *f)
{
	int trees[CAGE_MAX_MOUNTS];
	struct view v = {
	    .root = -1, .dirfd = -1, .mask = -1, .defer = can_defer(p)};
	unsigned end = cage_view_late_from(p);
	int rc;

	*rest = (struct cage_view_rest){.root = -1, .from = p->n_mounts};
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
		return fail(f, "make / a slave", NULL);
	rc = clone_sources(&v, p, trees, f);
	if (rc == 0) {
		v.root = new_root(f);
		rc = v.root < 0 ? v.root : 0;
	}
	for (unsigned i = 0; i < end && rc == 0; i++) {
		const struct cage_mount *m = &p->mounts[i];

		/* A placeholder exists once the supervisor says go. */
		if (m->flags & CAGE_MF_PLACEHOLDER)
			rc = cage_view_await_go(go_fd, f);
		if (rc == 0 && apply_one(&v, m, trees[i]) != 0)
			rc = fail(f, m->why, m->dst);
		trees[i] = -1; /* apply_one closed it, even on failure */
	}
	if (rc == 0)
		rc = pivot(v.root, f);
	if (v.dirfd >= 0)
		vclose(&v, v.dirfd);
	if (v.mask >= 0)
		vclose(&v, v.mask);
	if (rc == 0 && end < p->n_mounts) {
		/* Kept (not deferred): the caller's close_range spares it. */
		rest->root = v.root;
		rest->from = end;
	} else if (v.root >= 0) {
		vclose(&v, v.root);
	}
	return rc;
}

int cage_view_finish(const struct cage_plan *p, struct cage_view_rest *rest,
		     int *go_fd, struct cage_fail *f)
{
	struct view v = {.root = rest->root, .dirfd = -1, .mask = -1};
	int rc = 0;

	if (rest->root < 0)
		return 0;
	rc = cage_view_await_go(go_fd, f);
	for (unsigned i = rest->from; i < p->n_mounts && rc == 0; i++)
		if (rebind(&v, &p->mounts[i]) != 0)
			rc = fail(f, p->mounts[i].why, p->mounts[i].dst);
	close(rest->root);
	rest->root = -1;
	return rc;
}
