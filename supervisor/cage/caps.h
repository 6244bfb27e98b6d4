/* supervisor/cage/caps.h — the last privilege steps in the cage child
 * before execve: no_new_privs, every capability set emptied with the
 * securebits locked so none comes back, and rlimits. Fork-safe: libcap's
 * prctl wrappers and raw syscalls only, no allocation (the child may be
 * forked from a threaded parent). */
#ifndef AKIOS_CAGE_CAPS_H
#define AKIOS_CAGE_CAPS_H

#include "shared/common.h"
#include "shared/err.h"

#include <stdint.h>

/* prctl(PR_SET_NO_NEW_PRIVS). 0 or -errno. */
int cage_set_no_new_privs(void) AKIOS_NODISCARD;

/* Locks the securebits (NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off,
 * NO_CAP_AMBIENT_RAISE, each with its _LOCKED bit), drops the whole
 * bounding set and clears the ambient set: what a clone inherits, so the
 * cage's PID 1 does it once for itself and the agent it clones next (the
 * bounding set takes one prctl per capability). The caller keeps its
 * permitted and effective caps until cage_clear_caps. Needs CAP_SETPCAP
 * (the cage child has it in its own user namespace). 0 or -errno with err
 * set (err may be NULL). */
int cage_lock_caps(struct akios_err *err) AKIOS_NODISCARD;

/* Empties inheritable, permitted and effective (one capset). After
 * cage_lock_caps, in this process or an ancestor it was cloned from
 * after that call, no capability is left or can come back. */
int cage_clear_caps(struct akios_err *err) AKIOS_NODISCARD;

/* cage_lock_caps, then cage_clear_caps. */
int cage_drop_all_caps(struct akios_err *err) AKIOS_NODISCARD;

#define CAGE_RLIM_LEAVE UINT64_MAX /* leave this limit as it is */

/* Each field: CAGE_RLIM_LEAVE or the value for both soft and hard limit
 * (clamped to the current hard limit: never raised). core 0 turns off
 * core dumps; nproc/as/cpu_sec are the rootless fallback for the cgroup
 * limits. Weaker than a cgroup: RLIMIT_NPROC counts every process of the
 * real uid (not only the run's), RLIMIT_AS is per process and counts
 * address space, not memory, and RLIMIT_CPU is per process. */
struct cage_rlimits {
	uint64_t core, nofile, fsize, nproc, as, cpu_sec;
};

/* A struct with every field CAGE_RLIM_LEAVE. */
struct cage_rlimits cage_rlimits_leave(void);

int cage_apply_rlimits(const struct cage_rlimits *r, struct akios_err *err)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

#endif
