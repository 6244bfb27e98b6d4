/* Landlock for the cage child: one ruleset for the highest ABI the kernel
 * offers, every access right that ABI knows handled (deny by default),
 * only the policy's paths granted. Invariant: a right the ABI does not
 * know is never passed (the kernel would reject the ruleset), and a right
 * the policy did not grant is never implied. No malloc: fork-safe. */
#include "shared/common.h"
#include "supervisor/cage/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* Debian 12's header stops at ABI 2; these are the kernel's UAPI values
 * (include/uapi/linux/landlock.h), under our own names so a newer header
 * cannot clash. */
#define LL_FS_TRUNCATE		  (1ull << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV		  (1ull << 15) /* ABI 5 */
#define LL_NET_BIND_TCP		  (1ull << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP	  (1ull << 1)  /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX	  (1ull << 0)  /* ABI 6 */
#define LL_SCOPE_SIGNAL		  (1ull << 1)  /* ABI 6 */
#define LL_CREATE_RULESET_VERSION (1u << 0)

/* The ruleset attribute grew with the ABI: fs (1), net (4), scoped (6).
 * The size passed tells the kernel which fields exist. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_RULE_PATH_BENEATH 1

/* Rights a rule on a non-directory may carry (others: EINVAL). */
#define LL_FILE_RIGHTS                                                         \
	((1ull << 0) | (1ull << 1) | (1ull << 2) | LL_FS_TRUNCATE |            \
	 LL_FS_IOCTL_DEV)

/* Every fs right each ABI knows: 1 has bits 0..12, 2 adds REFER, 3
 * TRUNCATE, 5 IOCTL_DEV; 4, 6 and 7 add nothing to the fs set. */
static uint64_t fs_rights(int abi)
{
	uint64_t m = (1ull << 13) - 1;

	if (abi >= 2)
		m |= 1ull << 13;
	if (abi >= 3)
		m |= LL_FS_TRUNCATE;
	if (abi >= 5)
		m |= LL_FS_IOCTL_DEV;
	return m;
}

int cage_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

static int create_ruleset(int abi, unsigned flags)
{
	struct ll_ruleset_attr a = {.handled_access_fs = fs_rights(abi)};
	size_t size = sizeof(a.handled_access_fs);
	long fd;

	if (abi >= 4) {
		/* Handled but never granted: no TCP bind or connect at all. */
		if (flags & CAGE_LL_NET_DENY)
			a.handled_access_net =
			    LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size += sizeof(a.handled_access_net);
	}
	if (abi >= 6) {
		if (!(flags & CAGE_LL_NO_SCOPE))
			a.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size += sizeof(a.scoped);
	}
	fd = syscall(SYS_landlock_create_ruleset, &a, size, 0);
	return fd < 0 ? -errno : (int)fd;
}

/* O_PATH fd of a rule's path and whether it is a directory. Directories
 * (nearly every rule) are opened with O_DIRECTORY and need no fstat; a
 * symlink fails that open (ENOTDIR) and is refused below. */
static int open_rule_path(const struct cage_landlock_rule *r, bool *dir,
			  struct akios_err *err)
{
	struct stat st;
	int fd = open(r->path, O_PATH | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY);
	int rc;

	*dir = fd >= 0;
	if (fd < 0 && errno == ENOTDIR)
		fd = open(r->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		akios_err_set(err, r->path, 0, 0, "landlock rule: open: %s",
			      strerror(-rc));
		return rc;
	}
	if (*dir)
		return fd;
	rc = fstat(fd, &st) != 0 ? -errno : S_ISLNK(st.st_mode) ? -ELOOP : 0;
	if (rc == 0)
		return fd;
	akios_err_set(err, r->path, 0, 0, "landlock rule: %s",
		      rc == -ELOOP ? "a symlink (give the real path)"
				   : strerror(-rc));
	close(fd);
	return rc;
}

static int add_rule(int ruleset, int abi, const struct cage_landlock_rule *r,
		    unsigned flags, struct akios_err *err)
{
	struct ll_path_beneath_attr pb;
	bool dir;
	int fd = open_rule_path(r, &dir, err);
	int rc = 0;

	if (fd < 0)
		return fd;
	pb.parent_fd = fd;
	pb.allowed_access = r->access & fs_rights(abi);
	if (!dir)
		pb.allowed_access &= LL_FILE_RIGHTS;
	if (pb.allowed_access != 0 &&
	    syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb,
		    0) != 0) {
		rc = -errno;
		akios_err_set(err, r->path, 0, 0, "landlock_add_rule: %s",
			      strerror(-rc));
	}
	if (!(flags & CAGE_LL_KEEP_FDS))
		close(fd);
	return rc;
}

int cage_landlock_restrict(int abi, const struct cage_landlock_rule *rules,
			   unsigned n, unsigned flags, struct akios_err *err)
{
	int ruleset = create_ruleset(abi, flags);
	int rc = ruleset < 0 ? ruleset : 0;

	for (unsigned i = 0; rc == 0 && i < n; i++) {
		rc = add_rule(ruleset, abi, &rules[i], flags, err);
		if (rc < 0)
			goto out;
	}
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = -errno;
	if (rc < 0)
		akios_err_set(err, NULL, 0, 0, "landlock (ABI %d): %s", abi,
			      strerror(-rc));
out:
	if (ruleset >= 0 && !(flags & CAGE_LL_KEEP_FDS))
		close(ruleset);
	return rc;
}

int cage_landlock_apply(const struct cage_landlock_rule *rules, unsigned n,
			unsigned flags, struct akios_err *err)
{
	int abi = cage_landlock_abi();

	if (abi < 1) {
		akios_err_set(err, NULL, 0, 0, "Landlock is not available");
		return -EOPNOTSUPP;
	}
	/* landlock_restrict_self needs no_new_privs (or CAP_SYS_ADMIN). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		int rc = -errno;

		akios_err_set(err, NULL, 0, 0, "landlock (ABI %d): %s", abi,
			      strerror(-rc));
		return rc;
	}
	return cage_landlock_restrict(abi, rules, n, flags, err);
}
