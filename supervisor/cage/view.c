/* The filesystem view, made in the cage child (new user + mount
 * namespace) from the plan's mount list: every host source is cloned
 * first (open_tree), then a fresh tmpfs root is filled in plan order and
 * pivoted into; the old root is detached. Mount attributes are only ever
 * added (mount_setattr attr_set), so flags the host locked stay locked.
 * Runs between clone and execve: no allocation, errors via cage_fail. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define VIEW_BASE "/tmp" /* where the new root is built, in our ns only */

static int fail(struct cage_fail *f, const char *what, const char *path)
{
	f->what = what;
	f->path = path;
	f->err = errno;
	return -f->err;
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

/* mkdir -p of dst's parents (and dst itself when dir), or an empty file
 * at dst. Existing entries are fine. Returns the O_PATH fd of dst. */
static int view_mkpath(int rootfd, const char *dst, bool dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dst);
	int fd;

	if (n >= sizeof(buf))
		return (errno = ENAMETOOLONG, -1);
	memcpy(buf, dst + 1, n); /* includes the NUL */
	for (char *s = strchr(buf, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(rootfd, buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (dir && mkdirat(rootfd, buf, 0755) != 0 && errno != EEXIST)
		return -1;
	if (!dir) {
		fd = openat(rootfd, buf,
			    O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 && errno != ELOOP && errno != EISDIR)
			return -1;
		if (fd >= 0)
			close(fd);
	}
	return view_open(rootfd, dst, 0);
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

/* A detached recursive clone of what is at (dfd, path), attributes set. */
static int clone_tree(int dfd, const char *path, unsigned flags)
{
	struct mount_attr attr = {.attr_set = bind_attrs(flags)};
	int fd =
	    open_tree(dfd, path,
		      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
			  AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH));

	if (fd < 0)
		return -1;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			  sizeof(attr)) != 0) {
		int e = errno;

		close(fd);
		return (errno = e, -1);
	}
	return fd;
}

/* Attaches the detached mount mfd on the O_PATH target tfd; closes both. */
static int attach(int mfd, int tfd)
{
	int rc = move_mount(mfd, "", tfd, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;

	close(mfd);
	close(tfd);
	errno = e;
	return rc;
}

/* A new filesystem instance (tmpfs, proc, devpts) as a detached mount. */
static int new_fs(const char *type, const char *const *opts, uint64_t attrs)
{
	int fs = fsopen(type, FSOPEN_CLOEXEC);
	int m = -1;
	int e;

	if (fs < 0)
		return -1;
	for (; opts && opts[0]; opts += 2)
		if (fsconfig(fs, FSCONFIG_SET_STRING, opts[0], opts[1], 0) != 0)
			goto out;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0)
		goto out;
	m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
out:
	e = errno;
	close(fs);
	errno = e;
	return m;
}

static int mount_fs(int rootfd, const struct cage_mount *m)
{
	static const char *const tmp_opts[] = {"mode", "1777", NULL};
	static const char *const dir_opts[] = {"mode", "0755", NULL};
	static const char *const mask_opts[] = {"mode", "0000", "size", "4k",
						NULL};
	static const char *const pts_opts[] = {"ptmxmode", "0666", "mode",
					       "0620", NULL};
	const char *const *opts = dir_opts;
	const char *type = "tmpfs";
	uint64_t a = bind_attrs(m->flags) | MOUNT_ATTR_NOSUID;
	int tfd;
	int mfd;

	if (m->kind == CAGE_MNT_PROC) {
		type = "proc";
		opts = NULL;
		a |= MOUNT_ATTR_NOEXEC;
	} else if (m->kind == CAGE_MNT_DEVPTS) {
		type = "devpts";
		opts = pts_opts;
		a = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
	} else if (m->kind == CAGE_MNT_MASK) {
		opts = mask_opts;
		a |= MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC;
	} else if (strcmp(m->dst, "/tmp") == 0 ||
		   strcmp(m->dst, "/dev/shm") == 0) {
		opts = tmp_opts;
	}
	tfd = m->kind == CAGE_MNT_MASK ? view_open(rootfd, m->dst, 0)
				       : view_mkpath(rootfd, m->dst, true);
	if (tfd < 0)
		return -1;
	mfd = new_fs(type, opts, a);
	if (mfd < 0) {
		int e = errno;

		close(tfd);
		return (errno = e, -1);
	}
	return attach(mfd, tfd);
}

static int write_file(int rootfd, const struct cage_mount *m)
{
	int tfd = view_mkpath(rootfd, m->dst, false);
	size_t len = strlen(m->src);
	ssize_t n;
	int fd;

	if (tfd < 0)
		return -1;
	close(tfd);
	fd = openat(rootfd, m->dst + 1,
		    O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = write(fd, m->src, len);
	close(fd);
	return n == (ssize_t)len ? 0 : (errno = EIO, -1);
}

static int make_symlink(int rootfd, const struct cage_mount *m)
{
	const char *leaf = strrchr(m->dst, '/');
	char parent[PATH_MAX];
	int pfd;
	int rc;

	if ((size_t)(leaf - m->dst) >= sizeof(parent))
		return (errno = ENAMETOOLONG, -1);
	memcpy(parent, m->dst, (size_t)(leaf - m->dst));
	parent[leaf - m->dst] = '\0';
	pfd = parent[0] ? view_mkpath(rootfd, parent, true) : dup(rootfd);
	if (pfd < 0)
		return -1;
	close(pfd);
	pfd = parent[0] ? view_open(rootfd, parent, O_DIRECTORY) : dup(rootfd);
	if (pfd < 0)
		return -1;
	/* O_PATH directory fds are valid dirfds for symlinkat. */
	rc = symlinkat(m->src, pfd, leaf + 1);
	if (rc != 0 && errno == EEXIST)
		rc = 0;
	close(pfd);
	return rc;
}

/* A path already in the view, bound on itself with added attributes (a
 * mount point cannot be renamed or unlinked: EBUSY). */
static int rebind(int rootfd, const struct cage_mount *m)
{
	int tfd = view_open(rootfd, m->dst, 0);
	int mfd;

	if (tfd < 0)
		return -1;
	mfd = clone_tree(tfd, "", m->flags);
	if (mfd < 0) {
		int e = errno;

		close(tfd);
		return (errno = e, -1);
	}
	return attach(mfd, tfd);
}

static int mask_file(int rootfd, const struct cage_mount *m)
{
	int tfd = view_open(rootfd, m->dst, 0);
	int nfd;
	int mfd;

	if (tfd < 0)
		return -1;
	nfd = view_open(rootfd, "/dev/null", 0);
	mfd = nfd < 0 ? -1 : clone_tree(nfd, "", CAGE_MF_RO | CAGE_MF_DEV);
	if (nfd >= 0)
		close(nfd);
	if (mfd < 0) {
		int e = errno;

		close(tfd);
		return (errno = e, -1);
	}
	return attach(mfd, tfd);
}

static int apply_one(int rootfd, const struct cage_mount *m, int tree)
{
	int tfd;

	switch (m->kind) {
	case CAGE_MNT_BIND:
		tfd = view_mkpath(rootfd, m->dst, m->flags & CAGE_MF_DIR);
		return tfd < 0 ? -1 : attach(tree, tfd);
	case CAGE_MNT_TMPFS:
	case CAGE_MNT_PROC:
	case CAGE_MNT_DEVPTS:
		return mount_fs(rootfd, m);
	case CAGE_MNT_MASK:
		return (m->flags & CAGE_MF_DIR) ? mount_fs(rootfd, m)
						: mask_file(rootfd, m);
	case CAGE_MNT_SYMLINK:
		return make_symlink(rootfd, m);
	case CAGE_MNT_FILE:
		return write_file(rootfd, m);
	case CAGE_MNT_REBIND:
		return rebind(rootfd, m);
	}
	return (errno = EINVAL, -1);
}

/* Phase 1: clone every host source before anything covers it. */
static int clone_sources(const struct cage_plan *p, int *trees,
			 struct cage_fail *f)
{
	for (unsigned i = 0; i < p->n_mounts; i++) {
		trees[i] = -1;
		if (p->mounts[i].kind != CAGE_MNT_BIND)
			continue;
		trees[i] =
		    clone_tree(AT_FDCWD, p->mounts[i].src, p->mounts[i].flags);
		if (trees[i] < 0)
			return fail(f, "bind", p->mounts[i].src);
	}
	return 0;
}

static int new_root(struct cage_fail *f)
{
	static const char *const opts[] = {"mode", "0755", NULL};
	int mfd = new_fs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	int tfd;

	if (mfd < 0)
		return fail(f, "tmpfs root", NULL);
	if (move_mount(mfd, "", AT_FDCWD, VIEW_BASE, MOVE_MOUNT_F_EMPTY_PATH)) {
		close(mfd);
		return fail(f, "tmpfs root", VIEW_BASE);
	}
	close(mfd);
	tfd = open(VIEW_BASE, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return tfd < 0 ? fail(f, "tmpfs root", VIEW_BASE) : tfd;
}

static int pivot(int rootfd, struct cage_fail *f)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};

	if (fchdir(rootfd) != 0)
		return fail(f, "chdir", "new root");
	/* pivot_root(".", "."): the old root ends up stacked on "/" and is
	 * detached at once, so no path of the host stays reachable. */
	if (syscall(SYS_pivot_root, ".", ".") != 0)
		return fail(f, "pivot_root", NULL);
	if (umount2(".", MNT_DETACH) != 0)
		return fail(f, "detach old root", NULL);
	if (chdir("/") != 0)
		return fail(f, "chdir", "/");
	if (mount_setattr(AT_FDCWD, "/", 0, &ro, sizeof(ro)) != 0)
		return fail(f, "read-only root", "/");
	return 0;
}

int cage_view_build(const struct cage_plan *p, struct cage_fail *f)
{
	int trees[CAGE_MAX_MOUNTS];
	int rootfd = -1;
	int rc;

	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)
		return fail(f, "make / a slave", NULL);
	rc = clone_sources(p, trees, f);
	if (rc == 0) {
		rootfd = new_root(f);
		rc = rootfd < 0 ? rootfd : 0;
	}
	for (unsigned i = 0; i < p->n_mounts && rc == 0; i++) {
		if (apply_one(rootfd, &p->mounts[i], trees[i]) != 0)
			rc = fail(f, p->mounts[i].why, p->mounts[i].dst);
		trees[i] = -1; /* attach() closed it, even on failure */
	}
	if (rc == 0)
		rc = pivot(rootfd, f);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

int cage_net_lo_up(struct cage_fail *f)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (s < 0)
		return fail(f, "socket", "lo");
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		rc = fail(f, "SIOCGIFFLAGS", "lo");
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		rc = fail(f, "SIOCSIFFLAGS", "lo");
	close(s);
	return rc;
}
