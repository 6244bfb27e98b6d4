/* supervisor/cage/plan.h — the cage as plain data (STYLE.md §4): the
 * policy, the command line and the kernel probe compile into one
 * struct cage_plan (mounts in the order they are made, Landlock rules,
 * rlimits, cgroup limits, environment, cwd, uid/gid map, degradations).
 * Building it has no side effect; --dry-run prints it; the launcher only
 * applies it. Everything in a plan is owned by it: cage_plan_free. */
#ifndef AKIOS_CAGE_PLAN_H
#define AKIOS_CAGE_PLAN_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"
#include "policy/policy.h"
#include "supervisor/cage/caps.h"
#include "supervisor/cage/cgroup.h"
#include "supervisor/cage/probe.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CAGE_MAX_MOUNTS 512
#define CAGE_MAX_ENV	256
#define CAGE_MAX_NOTES	32
#define CAGE_SAFE_PATH	"/usr/local/bin:/usr/bin:/bin"

/* One step of the filesystem view, applied in plan order. dst is the
 * absolute path inside the view. */
enum cage_mnt {
	CAGE_MNT_BIND, /* host src bound at dst (recursive) */
	/* dst made as a directory of the view's own tmpfs root and bound
	 * on itself with its flags: a private /tmp, /dev or /dev/shm (rw
	 * while / is read-only) without a filesystem instance of its own */
	CAGE_MNT_ROOTDIR,
	CAGE_MNT_PROC,	  /* fresh proc of the cage's pid namespace */
	CAGE_MNT_DEVPTS,  /* private devpts instance */
	CAGE_MNT_SYMLINK, /* symlink dst -> src */
	CAGE_MNT_FILE,	  /* regular file dst with content src (0644) */
	CAGE_MNT_REBIND,  /* dst (already in the view) bound on itself */
	CAGE_MNT_MASK,	  /* dst hidden: empty tmpfs, or /dev/null bind */
};

enum cage_mnt_flags {
	CAGE_MF_RO = 1u << 0,	  /* read-only (+nosuid, nodev) */
	CAGE_MF_NOEXEC = 1u << 1, /* noexec */
	CAGE_MF_DIR = 1u << 2,	  /* dst is a directory (else a file) */
	CAGE_MF_DEV = 1u << 3,	  /* device node bind: no nodev */
	/* The supervisor creates the host path before the run (an empty
	 * placeholder so a control file that does not exist yet can be
	 * bound read-only) and removes it afterwards if still empty. */
	CAGE_MF_PLACEHOLDER = 1u << 4,
	CAGE_MF_STICKY = 1u << 5, /* a CAGE_MNT_ROOTDIR of mode 1777 */
};

struct cage_mount {
	enum cage_mnt kind;
	unsigned flags;	 /* enum cage_mnt_flags */
	char *src;	 /* host path, link target or file content */
	char *dst;	 /* absolute, inside the view */
	const char *why; /* static: "system", "policy", "secret", ... */
};

/* Access rights of a Landlock rule, mapped to CAGE_LL_* at apply time. */
enum cage_access {
	CAGE_ACC_READ = 1u << 0,
	CAGE_ACC_WRITE = 1u << 1,
	CAGE_ACC_EXEC = 1u << 2,
	CAGE_ACC_DEV = 1u << 3,	    /* ioctl on device nodes */
	CAGE_ACC_LISTDIR = 1u << 4, /* readdir only */
};

struct cage_rule {
	char *path; /* inside the view */
	unsigned access;
	const char *why; /* static, or NULL: why an exec grant exists */
};

/* What may run weaker with --allow-degraded=WHAT (recorded). */
enum cage_degrade {
	CAGE_DEG_USERNS = 1u << 0,
	CAGE_DEG_SECCOMP = 1u << 1,
	CAGE_DEG_LANDLOCK = 1u << 2,
	CAGE_DEG_CGROUP = 1u << 3,
};

/* An environment entry; a secret's value is resolved only at launch. */
struct cage_env {
	char *name;
	char *value;	    /* NULL for a secret not yet resolved */
	char *secret_env;   /* host variable holding the secret, or NULL */
	char *secret_file;  /* host file holding the secret, or NULL */
	const char *origin; /* static: "host", "env.pass", "env.set", ... */
};

struct cage_plan_input {
	const struct akios_policy *policy; /* borrowed */
	const struct cage_probe *probe;	   /* borrowed */
	char *const *argv;		   /* the agent command, NULL-ended */
	char *const *host_env;		   /* environ */
	const char *host_cwd;
	const char *home;      /* the caller's home ($HOME) */
	const char *user_name; /* for the synthetic /etc/passwd */
	uid_t uid;
	gid_t gid;
	unsigned allow_degraded; /* enum cage_degrade */
	/* Host paths the agent must never see even under an allowed parent
	 * (the audit directory, akios's key directory), and paths that
	 * stay read-only there (the policy file). Borrowed; may be NULL. */
	const char *const *hidden;
	unsigned n_hidden;
	const char *const *protect;
	unsigned n_protect;
};

struct cage_plan {
	char **argv; /* owned copy */
	unsigned argc;
	char *cwd; /* inside the view */
	uid_t uid; /* identity map: the caller's uid and gid, one each */
	gid_t gid;

	struct cage_mount mounts[CAGE_MAX_MOUNTS];
	unsigned n_mounts;
	struct cage_rule rules[CAGE_MAX_MOUNTS];
	unsigned n_rules;
	struct cage_env env[CAGE_MAX_ENV];
	unsigned n_env;

	bool landlock;	  /* apply Landlock (ABI > 0) */
	int landlock_abi; /* as probed */
	bool seccomp;	  /* load the allowlist filter */
	bool net_deny;	  /* security.network: isolated */
	/* tools.allow is set: EXECUTE only on the files plan_exec.c lists,
	 * executables readable only per allowed file, policy directories
	 * noexec, memfd_create denied (README "Tools allowlist"). */
	bool exec_allowlist;
	bool use_cgroup; /* limits through a cgroup */
	enum cage_cgroup_backend cgroup;
	struct cage_limits limits; /* for the cgroup */
	struct cage_rlimits rlimits;
	unsigned wall_timeout_sec; /* 0: none */

	unsigned degraded;	     /* enum cage_degrade in force */
	bool allowed;		     /* false: the run must be refused */
	char refusal[256];	     /* why, when !allowed */
	char *notes[CAGE_MAX_NOTES]; /* enforcement report lines */
	unsigned n_notes;
	/* Writable paths whose subdirectories the control-file walk
	 * covered (plan_walk.c), for cage_plan_unfrozen_controls. */
	char *walked[CAGE_MAX_NOTES];
	unsigned n_walked;
	/* During cage_plan_build only (plan_fs.c): its looks at the host,
	 * each answered once. NULL otherwise. */
	struct plan_fs *fs;
};

/* Builds the plan. Looks at the host (lstat of paths named by the policy,
 * which secrets and control files exist) but changes nothing. A run the
 * plan cannot allow is not an error: plan->allowed is false with the
 * reason in plan->refusal. Returns 0, -ENOMEM, or -EINVAL with err set
 * (e.g. a path that cannot be represented). plan must be zeroed or freed;
 * on error it is freed. */
int cage_plan_build(const struct cage_plan_input *in, struct cage_plan *plan,
		    struct akios_err *err) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

void cage_plan_free(struct cage_plan *plan);

/* After the run: control paths below the walked writable paths that were
 * not read-only during it (created by the agent, or beyond the walk's
 * bounds), one "path\n" each appended to out for the first
 * CAGE_UNFROZEN_LISTED. Same walk and bounds as at plan time; only looks.
 * Returns how many in all, or -errno. */
#define CAGE_UNFROZEN_LISTED 50
int cage_plan_unfrozen_controls(const struct cage_plan *plan,
				struct akios_buf *out) AKIOS_NONNULL(1, 2);

/* Parses "userns,seccomp,landlock,cgroup" (comma-separated, any order)
 * into enum cage_degrade bits. -EINVAL with err naming the bad word. */
int cage_degrade_parse(const char *s, unsigned *out, struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
/* "userns,landlock" for bits; "none" when 0. Writes into buf. */
const char *cage_degrade_str(unsigned bits, char *buf, size_t size)
    AKIOS_NONNULL(2);

/* Appends a human (json=false) or JSON description of the plan. */
int cage_plan_describe(const struct cage_plan *plan, struct akios_buf *out,
		       bool json) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* The enforcement report as a JSON object (for the audit "run_start"
 * event). NULL on allocation failure. Caller frees with json_free. */
struct json *cage_plan_report_json(const struct cage_plan *plan)
    AKIOS_NONNULL(1);

/* Replaces the content of the planned file dst (a CAGE_MNT_FILE the plan
 * writes into the view's private root, e.g. "/etc/hosts"): the broker
 * serves its resolved names this way. Never touches the host. 0, -ENOENT
 * when the plan has no such file, or -ENOMEM. */
int cage_plan_set_file(struct cage_plan *plan, const char *dst,
		       const char *content)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* Resolves the secrets and builds "K=V" strings into envp (size max,
 * NULL-terminated). Returns 0 or -errno with err set. The caller wipes
 * and frees with cage_plan_env_wipe as soon as the child has its copy. */
int cage_plan_env_materialize(const struct cage_plan *plan, char **envp,
			      unsigned max, struct akios_err *err)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
void cage_plan_env_wipe(char **envp);

/* Internal to plan*.c (not a public API): adds a note. */
int cage_plan_note(struct cage_plan *plan, const char *fmt, ...)
    AKIOS_PRINTF(2, 3);

#endif
