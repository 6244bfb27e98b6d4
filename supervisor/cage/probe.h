/* supervisor/cage/probe.h — what the kernel offers this user, detected at
 * run time in one place (STYLE.md: no #ifdef forests). `akios run` uses it
 * to decide what it can enforce; `akios doctor` prints it. */
#ifndef AKIOS_CAGE_PROBE_H
#define AKIOS_CAGE_PROBE_H

#include "shared/common.h"
#include "supervisor/cage/cgroup.h"

#include <stdbool.h>

struct cage_probe {
	unsigned kernel_major, kernel_minor, kernel_patch;
	char kernel_release[65];      /* uname -r */
	bool userns;		      /* unshare(CLONE_NEWUSER) works for us */
	unsigned max_user_namespaces; /* /proc/sys/user/max_user_namespaces */
	bool seccomp_filter;	      /* seccomp-bpf (SECCOMP_RET_ERRNO) */
	bool seccomp_user_notif;      /* SECCOMP_RET_USER_NOTIF */
	bool seccomp_wait_killable_recv; /* FILTER_FLAG_WAIT_KILLABLE_RECV */
	bool seccomp_sync_wake_up;	 /* USER_NOTIF_FD_SYNC_WAKE_UP */
	int landlock_abi;		 /* 0 when unavailable */
	enum cage_cgroup_backend cgroup; /* for limits memory+pids+cpu */
	char cgroup_missing[64];	 /* controllers no back-end offers */
	bool cgroup_v2_mounted;		 /* a cgroup2 hierarchy exists */
	char cgroup_v2_controllers[128]; /* its root cgroup.controllers */
	char cgroup_v1_controllers[128]; /* v1 hierarchies we can write */
	bool tmp_noexec;		 /* host /tmp mounted noexec */
	bool is_root;			 /* euid 0 */
	unsigned caps_effective;	 /* number of effective caps of akios */
	bool no_new_privs;		 /* already set on akios itself */
};

/* Fills out. Never fails hard: what cannot be probed reads as absent.
 * Forks one short-lived child (for userns and the seccomp flags, which
 * can only be tested by using them). Returns 0. */
int cage_probe_run(struct cage_probe *out) AKIOS_NONNULL(1);

/* True when every mechanism the full cage needs is present: userns,
 * seccomp filter + user-notify, Landlock ABI >= 1, and a cgroup back-end
 * with memory, pids and cpu. */
bool cage_probe_full(const struct cage_probe *p) AKIOS_NONNULL(1);

#endif
