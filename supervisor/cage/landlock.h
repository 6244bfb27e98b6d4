/* supervisor/cage/landlock.h — Landlock as the second filesystem layer
 * (matching the mount view) plus IPC scoping. Uses the highest ABI the
 * kernel offers; the ABI 3..7 constants Debian's header lacks are defined
 * in landlock.c. */
#ifndef AKIOS_CAGE_LANDLOCK_H
#define AKIOS_CAGE_LANDLOCK_H

#include "shared/common.h"
#include "shared/err.h"

#include <stdint.h>

/* Access sets for rules, in Landlock's own bit numbering (they are masked
 * to what the running ABI knows before use). */
#define CAGE_LL_EXEC	(1ull << 0) /* EXECUTE */
#define CAGE_LL_READDIR (1ull << 3) /* READ_DIR only: list, no file reads */
#define CAGE_LL_READ	((1ull << 2) | CAGE_LL_READDIR) /* + READ_FILE */
/* WRITE_FILE, REMOVE_DIR/FILE, MAKE_DIR/REG/SOCK/FIFO/SYM, REFER (so a
 * rename across directories inside writable paths is not EXDEV),
 * TRUNCATE (ABI 3). Never MAKE_CHAR/MAKE_BLOCK: no device nodes. */
#define CAGE_LL_WRITE                                                          \
	((1ull << 1) | (1ull << 4) | (1ull << 5) | (1ull << 7) | (1ull << 8) | \
	 (1ull << 9) | (1ull << 10) | (1ull << 12) | (1ull << 13) |            \
	 (1ull << 14))
#define CAGE_LL_IOCTL (1ull << 15) /* IOCTL_DEV (ABI 5): ttys, /dev/null */

/* path: as seen INSIDE the view (borrowed). access: CAGE_LL_* or'ed. */
struct cage_landlock_rule {
	const char *path;
	uint64_t access;
};

enum cage_landlock_flags {
	/* The policy denies networking: handle TCP bind and connect (ABI 4)
	 * and grant neither. Without it TCP is left to the connect broker
	 * (issue 6), which owns connect decisions. */
	CAGE_LL_NET_DENY = 1u << 0,
	/* Do not scope abstract unix sockets and signals (ABI 6). Weakens
	 * the cage: only for tests and --allow-degraded. */
	CAGE_LL_NO_SCOPE = 1u << 1,
	/* Leave the rules' O_PATH fds and the ruleset fd open (all
	 * CLOEXEC) instead of a close each: for the cage's agent, which
	 * execs right after and has no other use for its fd table. */
	CAGE_LL_KEEP_FDS = 1u << 2,
};

/* Highest ABI the kernel offers, 0 when Landlock is unavailable. */
int cage_landlock_abi(void);

/* In the child after pivot_root: sets no_new_privs, builds the ruleset
 * for the highest ABI (handled access = every right the ABI knows; on
 * ABI >= 6 abstract-unix and signal scoping), adds one rule per entry
 * (path opened O_PATH|O_NOFOLLOW|O_CLOEXEC; on a non-directory only the
 * file rights apply; a symlink is refused with -ELOOP, since a rule on
 * the link itself would grant nothing) and restricts the calling
 * thread. No allocation. Returns 0, -EOPNOTSUPP when Landlock is
 * unavailable, or -errno, with err naming the path at fault.
 * flags: enum cage_landlock_flags. */
int cage_landlock_apply(const struct cage_landlock_rule *rules, unsigned n,
			unsigned flags, struct akios_err *err) AKIOS_NODISCARD;

/* cage_landlock_apply's ruleset and restriction alone, for a caller that
 * knows the ABI (abi >= 1, as cage_landlock_abi gave it) and has set
 * no_new_privs already: the cage's agent, whose PID 1 set it before the
 * clone. Two syscalls fewer on the way to execve. */
int cage_landlock_restrict(int abi, const struct cage_landlock_rule *rules,
			   unsigned n, unsigned flags,
			   struct akios_err *err) AKIOS_NODISCARD;

#endif
