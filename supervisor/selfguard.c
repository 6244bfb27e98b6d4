/* selfguard: the rights-dropping steps of akios's read-only commands.
 * Invariant: each step only narrows; a missing kernel feature is reported
 * to the caller, never papered over with a weaker filter. */
#include "shared/common.h"
#include "supervisor/selfguard.h"

#include <errno.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* Landlock ABI 3's truncate right; older headers lack the name. */
#define SELFGUARD_LL_TRUNCATE (1ULL << 14)

int selfguard_no_fs_writes(void)
{
	uint64_t write_rights =
	    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	struct landlock_ruleset_attr attr = {0};
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	int fd;
	int rc = 0;

	if (abi < 1)
		return -EOPNOTSUPP; // no Landlock: run unconfined
	if (abi >= 2)
		write_rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		write_rights |= SELFGUARD_LL_TRUNCATE;
	// Handled rights with no rule: denied everywhere. Reads stay free.
	attr.handled_access_fs = write_rights;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, fd, 0))
		rc = -errno;
	close(fd);
	return rc;
}

/* STYLE.md §25: once the engine is built and the report file is open,
 * the filter needs only memory and I/O on open descriptors. Anything
 * else fails with EPERM, so a bug in a parser cannot open files, spawn
 * or connect. Sanitizer builds skip it: LeakSanitizer's exit-time scan
 * uses clone and ptrace. */
int selfguard_stdio_only(void)
{
#ifdef __SANITIZE_ADDRESS__
	return 0;
#else
	static const int allowed[] = {
	    SCMP_SYS(read),	    SCMP_SYS(write),
	    SCMP_SYS(close),	    SCMP_SYS(fstat),
	    SCMP_SYS(newfstatat),   SCMP_SYS(lseek),
	    SCMP_SYS(mmap),	    SCMP_SYS(munmap),
	    SCMP_SYS(mremap),	    SCMP_SYS(brk),
	    SCMP_SYS(madvise),	    SCMP_SYS(futex),
	    SCMP_SYS(exit),	    SCMP_SYS(exit_group),
	    SCMP_SYS(rt_sigreturn), SCMP_SYS(clock_gettime),
	    SCMP_SYS(getrandom),
	};
	scmp_filter_ctx ctx;
	int rc = -ENOMEM;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return rc;
	rc = 0;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(allowed) && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
#endif
}
