/* supervisor/cage/cgroup.h — the policy's limits{} through a cgroup created
 * before the agent starts. Two back-ends, chosen at run time for the
 * calling user: a delegated, writable cgroup v2 subtree (clone3 with
 * CLONE_INTO_CGROUP, cgroup.kill) or cgroup v1 controllers (memory, pids,
 * cpu, plus freezer/cpuacct when mounted). NONE is reported as such: a
 * limit that no back-end can enforce is refused, never silently dropped. */
#ifndef AKIOS_CAGE_CGROUP_H
#define AKIOS_CAGE_CGROUP_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cage_cgroup_backend { CAGE_CGROUP_NONE, CAGE_CGROUP_V2, CAGE_CGROUP_V1 };

/* A zero field means "no limit" (and no controller is needed for it). */
struct cage_limits {
	uint64_t memory_bytes; /* memory (and swap) ceiling */
	unsigned pids;	       /* max tasks in the cgroup */
	unsigned cpu_percent;  /* of one CPU: 50 = half a core, 200 = two */
};

struct cage_cgroup; /* opaque */

/* "none", "v2", "v1". Static storage. */
const char *cage_cgroup_backend_name(enum cage_cgroup_backend b);

/* What cage_cgroup_create would use for the calling user given limits l
 * (a zero struct asks for any cgroup that can hold and kill the run).
 * Pure detection: reads /proc/self/cgroup, the mounts and access(2) bits,
 * creates nothing. *missing (may be NULL) gets the controllers no
 * back-end offers, as a space-separated list ("" when none). */
enum cage_cgroup_backend cage_cgroup_detect(const struct cage_limits *l,
					    char *missing, size_t size)
    AKIOS_NONNULL(1);

/* Creates the per-run cgroup "akios-<run_id>" (v1: below this process's
 * own cgroup in each hierarchy used; v2: below the deepest writable
 * ancestor whose subtree_control has the controllers) and writes the limits. run_id: [A-Za-z0-9._-]{1,64}.
 * When no back-end can enforce a non-zero limit: -EOPNOTSUPP with err
 * naming the missing controllers (the caller may then fall back to
 * rlimits, and must say so). With all limits zero and no back-end, it
 * succeeds with a NONE handle whose kill/stats are no-ops returning
 * -EOPNOTSUPP. Caller frees with cage_cgroup_destroy. */
int cage_cgroup_create(const struct cage_limits *l, const char *run_id,
		       struct cage_cgroup **out, struct akios_err *err)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* For doctor: the v2 root's cgroup.controllers (space-separated, "" when
 * no cgroup2 is mounted) and the v1 controllers this user can create
 * cgroups in. Never fails; unknown reads as empty. */
void cage_cgroup_hierarchies(char *v2, size_t v2_size, bool *v2_mounted,
			     char *v1, size_t v1_size) AKIOS_NONNULL(1, 3, 4);

enum cage_cgroup_backend cage_cgroup_backend(const struct cage_cgroup *cg)
    AKIOS_NONNULL(1);

/* The v2 cgroup directory fd (O_RDONLY|O_DIRECTORY|O_CLOEXEC, borrowed) for
 * clone3(CLONE_INTO_CGROUP); -1 on v1 and NONE. */
int cage_cgroup_fd(const struct cage_cgroup *cg) AKIOS_NONNULL(1);

/* Moves pid (and its threads) into the cgroup: every v1 hierarchy used,
 * or the v2 cgroup when clone3 was not used. 0 or -errno. */
int cage_cgroup_attach(struct cage_cgroup *cg, pid_t pid)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

struct cage_cgroup_stats {
	uint64_t memory_peak; /* bytes; 0 when not measured */
	bool oom_killed;      /* the kernel OOM-killed a task of the run */
	bool pids_max_hit;    /* a fork failed at the pids limit */
	uint64_t cpu_usec;    /* CPU time of the run (0 without cpuacct) */
};

/* Reads the counters for the run report. 0, -EOPNOTSUPP (NONE), -errno. */
int cage_cgroup_stats(const struct cage_cgroup *cg,
		      struct cage_cgroup_stats *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Kills every task of the run: cgroup.kill on v2 (5.14+), else freeze (v1
 * freezer when mounted) and SIGKILL each pid in a loop until the cgroup is
 * empty. Returns 0 once empty, -ETIMEDOUT after ~2 s, -EOPNOTSUPP on NONE. */
int cage_cgroup_kill(struct cage_cgroup *cg) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* Number of tasks in the cgroup now (>= 0), or -errno. */
int cage_cgroup_count(const struct cage_cgroup *cg) AKIOS_NONNULL(1);

/* Kills, waits until empty, removes the directories, frees. NULL is ok. */
void cage_cgroup_destroy(struct cage_cgroup *cg);

/* Describes what limits l become on the detected back-end (--dry-run). */
int cage_cgroup_describe(const struct cage_limits *l, struct akios_buf *out,
			 bool json) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

#endif
