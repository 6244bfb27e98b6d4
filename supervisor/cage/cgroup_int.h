/* Internals shared by cgroup.c (detection, creation) and cgroup_run.c
 * (attach, stats, kill, destroy). No file outside the cgroup module
 * includes this. */
#ifndef AKIOS_CAGE_CGROUP_INT_H
#define AKIOS_CAGE_CGROUP_INT_H

#include "shared/common.h"
#include "shared/limits.h"
#include "supervisor/cage/cgroup.h"

enum cg_ctrl { CG_MEMORY, CG_PIDS, CG_CPU, CG_FREEZER, CG_CPUACCT, CG_N };

/* One directory of the run: the v2 cgroup, or one v1 hierarchy's. */
struct cg_dir {
	int fd; /* O_DIRECTORY|O_CLOEXEC; -1 when unused */
	char path[AKIOS_MAX_PATH_BYTES];
};

struct cage_cgroup {
	enum cage_cgroup_backend backend;
	struct cg_dir v2;
	struct cg_dir v1[CG_N]; /* indexed by enum cg_ctrl */
};

extern const char *const cg_ctrl_names[CG_N];

/* Reads a small control file into buf (NUL-terminated). Returns the
 * length or -errno. */
int cg_read(int dirfd, const char *file, char *buf, size_t size);
/* Writes s to a control file. 0 or -errno. */
int cg_write(int dirfd, const char *file, const char *s);
/* Value of "key N" in a flat-keyed file (memory.events, pids.events,
 * cpu.stat, memory.oom_control), or 0. */
uint64_t cg_keyed(int dirfd, const char *file, const char *key);
/* The kill without cgroup.kill: freeze, SIGKILL each listed pid, thaw,
 * until empty (v1 always; v2 on kernels before 5.14). 0 or -ETIMEDOUT. */
int cg_kill_loop(const struct cage_cgroup *cg);
/* Pure parsers (unit-tested with fixture text): the mount point of the
 * v1 hierarchy holding ctrl, or of cgroup2 when ctrl is NULL, from the
 * text of /proc/self/mounts; this process's path in that hierarchy from
 * the text of /proc/self/cgroup ("0::/path" for v2). false when absent or
 * when it does not fit in out. */
bool cg_parse_mounts(const char *text, const char *ctrl, char *out,
		     size_t size);
bool cg_parse_own(const char *text, const char *ctrl, char *out, size_t size);
/* Bits (1 << enum cg_ctrl) of the controllers the limits need. */
unsigned cg_required(const struct cage_limits *l);
/* The delegation check: the deepest directory from mnt+own up to mnt that
 * this user can create the run's cgroup in, move the cage into, and whose
 * cgroup.subtree_control has every controller in need. */
bool cg_v2_base_at(const char *mnt, const char *own, unsigned need, char *out,
		   size_t size);
/* The controllers of need (bits) that one such directory offers together
 * (chosen greedily in enum order), or -1 when no v2 cgroup can be made. */
int cg_v2_have_at(const char *mnt, const char *own, unsigned need);
/* Writes the limits into a v2 cgroup directory. 0 or -errno. */
int cg_limits_v2(int fd, const struct cage_limits *l);
/* The directory whose cgroup.procs lists every task of the run. */
const struct cg_dir *cg_tracker(const struct cage_cgroup *cg);

#endif
