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
/* The directory whose cgroup.procs lists every task of the run. */
const struct cg_dir *cg_tracker(const struct cage_cgroup *cg);

#endif
