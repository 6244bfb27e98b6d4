/* The acting half of `akios run`: the audit log, the plan inputs taken
 * from the host (probe, cwd, identity, paths to hide), the cgroup, the
 * seccomp program, the run itself and its audit events (run.start,
 * cage.degraded, cage.error, kill.*, limit.*, run.end), and --no-sandbox.
 * Invariant: every path out of run_cage closes the audit log with a
 * run.end event when a run.start was written. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/exitcodes.h"
#include "shared/json.h"
#include "shared/keys.h"
#include "supervisor/cage/landlock.h"
#include "supervisor/cli.h"
#include "supervisor/cmd_run_broker.h"
#include "supervisor/cmd_run_int.h"
#include "supervisor/ext.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

/* The log, opened now if it was left for later (run_audit_setup); a
 * no-op for a run without one (--dry-run). Tried once: a failure was
 * reported where it happened, later events fail quietly. */
static int open_log(struct run_state *s, struct akios_err *err)
{
	struct audit_opts opts = {.run_id = s->run_id};
	int rc;

	if (s->log || !s->audit_dir[0])
		return 0;
	if (s->open_failed)
		return -EIO;
	rc = audit_open(s->audit_dir, &opts, &s->log, err);
	s->open_failed = rc != 0;
	return rc;
}

int run_event(struct run_state *s, const char *type, const char *decision,
	      struct json *fields)
{
	struct akios_err err = {0};
	int rc = open_log(s, &err);

	if (rc == 0 && s->log)
		rc = audit_append(s->log, type, decision, fields, &err);
	if (rc == 0 && s->log)
		rc = audit_commit(s->log, &err);
	if (rc != 0 && err.msg[0])
		cli_error_err("run: audit", &err);
	json_free(fields);
	return rc;
}

static int append(struct run_state *s, const char *type, const char *decision,
		  struct json *fields, struct akios_err *err)
{
	int rc = s->log ? audit_append(s->log, type, decision, fields, err) : 0;

	json_free(fields);
	return rc;
}

int run_log_start(struct run_state *s, struct akios_err *err)
{
	char deg[64];
	struct json *f = NULL;
	int rc = open_log(s, err);

	s->start_tried = true;
	if (rc == 0)
		rc = append(s, "run.start", "allow", run_start_fields(s), err);
	if (rc == 0 && s->plan.degraded) {
		f = json_new_object();
		json_add_str(
		    f, "what",
		    cage_degrade_str(s->plan.degraded, deg, sizeof(deg)));
		json_add_str(f, "flag", "--allow-degraded");
		rc = append(s, "cage.degraded", "allow", f, err);
	}
	if (rc == 0 && s->log)
		rc = audit_commit(s->log, err);
	return rc;
}

static int abs_path(const char *p, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (p[0] == '/')
		n = snprintf(out, size, "%s", p);
	else if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	else
		n = snprintf(out, size, "%s/%s", cwd, p);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The log can wait for the cage's build when opening it creates nothing
 * the plan must hide: the audit directory and the key directory exist
 * (the plan masks them when they lie in the view, and then whatever is
 * made inside them later, a first key included, stays hidden). */
static bool can_wait(const struct run_state *s)
{
	char keydir[PATH_MAX];

	return is_dir(s->audit_dir) &&
	       keys_default_dir(keydir, sizeof(keydir)) == 0 && is_dir(keydir);
}

int run_audit_setup(struct run_state *s, bool may_wait)
{
	const char *d = s->audit_dir_opt       ? s->audit_dir_opt
			: s->policy->audit.dir ? s->policy->audit.dir
					       : AUDIT_DEFAULT_DIR;
	uint8_t id[16];
	struct akios_err err = {0};

	if (abs_path(d, s->audit_dir, sizeof(s->audit_dir)) != 0) {
		cli_error("run", "audit directory %s: path too long", d);
		return AKIOS_EXIT_INTERNAL;
	}
	if (crypto_random(id, sizeof(id)) != 0) {
		cli_error("run", "cannot make a run id: no randomness");
		return AKIOS_EXIT_INTERNAL;
	}
	crypto_hex_encode(id, sizeof(id), s->run_id);
	if (may_wait && can_wait(s))
		return 0;
	if (open_log(s, &err) != 0) {
		cli_error_err("run: audit", &err);
		return AKIOS_EXIT_INTERNAL;
	}
	return 0;
}

/* A real run skips the probe's slow part (a forked child trying
 * unshare(CLONE_NEWUSER) and the seccomp flags): the cage's own clone3 is
 * that test, and its failure is reported with the cause. The rest is a
 * few cheap syscalls. --dry-run runs the full probe. */
static void quick_probe(struct run_state *s)
{
	struct cage_probe *p = &s->probe;
	uint32_t errno_act = SECCOMP_RET_ERRNO;
	uint32_t notif_act = SECCOMP_RET_USER_NOTIF;
	struct cage_limits l = {
	    .memory_bytes = s->policy->limits.memory_mb * 1024 * 1024,
	    .pids = s->policy->limits.pids,
	    .cpu_percent = s->policy->limits.cpu_percent,
	};

	memset(p, 0, sizeof(*p));
	p->userns = true;
	p->seccomp_filter =
	    syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &errno_act) == 0;
	p->seccomp_user_notif =
	    syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &notif_act) == 0;
	p->landlock_abi = cage_landlock_abi();
	if (l.memory_bytes || l.pids || l.cpu_percent)
		p->cgroup = cage_cgroup_detect(&l, p->cgroup_missing,
					       sizeof(p->cgroup_missing));
}

/* The user's passwd entry, looked up only through the NSS services a
 * static akios can use (supervisor/ext.h). */
static struct passwd *run_getpwuid(void)
{
	ext_nss_builtin();
	return getpwuid(getuid());
}

int run_build_plan(struct run_state *s, bool full_probe)
{
	char cwd[PATH_MAX];
	char keydir[PATH_MAX];
	char policy_abs[PATH_MAX];
	const char *hidden[2];
	const char *protect[1];
	/* The name goes into the cage's /etc/passwd and /etc/group only
	 * beside root's own lines (plan_add_identity): root with gid 0 needs
	 * no NSS lookup (~0.2 ms: nsswitch.conf, nscd, /etc/passwd). */
	struct passwd *pw = getuid() || getgid() ? run_getpwuid() : NULL;
	struct cage_plan_input in = {
	    .policy = s->policy,
	    .probe = &s->probe,
	    .argv = s->argv,
	    .host_env = environ,
	    .host_cwd = cwd,
	    .home = getenv("HOME"),
	    .user_name = pw ? pw->pw_name : NULL,
	    .uid = getuid(),
	    .gid = getgid(),
	    .allow_degraded = s->degrade,
	    .hidden = hidden,
	    .protect = protect,
	};
	struct akios_err err = {0};

	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error("run", "cannot read the current directory: %s",
			  strerror(errno));
		return AKIOS_EXIT_INTERNAL;
	}
	if (s->audit_dir[0])
		hidden[in.n_hidden++] = s->audit_dir;
	if (keys_default_dir(keydir, sizeof(keydir)) == 0)
		hidden[in.n_hidden++] = keydir;
	if (s->policy_path &&
	    abs_path(s->policy_path, policy_abs, sizeof(policy_abs)) == 0)
		protect[in.n_protect++] = policy_abs;
	if (full_probe)
		(void)cage_probe_run(&s->probe);
	else
		quick_probe(s);
	if (cage_plan_build(&in, &s->plan, &err) != 0) {
		cli_error_err("run", &err);
		return AKIOS_EXIT_INTERNAL;
	}
	s->have_plan = true;
	return 0;
}

struct json *run_start_fields(struct run_state *s)
{
	struct json *f = json_new_object();
	struct json *argv = json_add_array(f, "argv");
	struct json *pol;
	char hex[65];

	for (unsigned i = 0; argv && s->argv[i]; i++)
		json_push(argv, json_new_string(s->argv[i]));
	pol = json_add_object(f, "policy");
	crypto_hex_encode(s->policy->sha256, sizeof(s->policy->sha256), hex);
	json_add_str(pol, "name", s->policy->name ? s->policy->name : "");
	json_add_str(pol, "source", s->policy->source ? s->policy->source : "");
	json_add_str(pol, "sha256", hex);
	if (s->have_plan) {
		json_add_str(f, "cwd", s->plan.cwd);
		json_add(f, "enforcement", cage_plan_report_json(&s->plan));
	}
	return f;
}

void run_audit_refusal(struct run_state *s)
{
	struct json *f = run_start_fields(s);

	json_add_str(f, "reason", s->plan.refusal);
	(void)!run_event(s, "run.refused", "deny", f);
}

/* The seccomp program; a build failure is a missing layer like any other:
 * refused unless --allow-degraded=seccomp. */
static int build_seccomp(struct run_state *s)
{
	struct cage_seccomp_opts o = {.deny_memfd = s->policy->tools.allow_set};
	struct akios_err e = {0};

	if (!s->plan.seccomp)
		return 0;
	/* A copy of the program precompiled at build time (microseconds). */
	o.notify_syscalls = run_broker_notify_syscalls(&o.n_notify);
	if (cage_seccomp_build(&o, &s->bpf, &e) == 0 && s->bpf.insns)
		return 0;
	if (!(s->degrade & CAGE_DEG_SECCOMP)) {
		cli_error("run",
			  "refused: the seccomp filter cannot be built (%s); "
			  "--allow-degraded=seccomp runs without it",
			  e.msg);
		return AKIOS_EXIT_INTERNAL;
	}
	s->plan.seccomp = false;
	s->plan.degraded |= CAGE_DEG_SECCOMP;
	return cage_plan_note(&s->plan, "DEGRADED: no seccomp filter: %s",
			      e.msg)
		   ? AKIOS_EXIT_INTERNAL
		   : 0;
}

static int make_cgroup(struct run_state *s)
{
	struct akios_err err = {0};

	if (!s->plan.use_cgroup)
		return 0;
	if (cage_cgroup_create(&s->plan.limits, s->run_id, &s->cgroup, &err) ==
	    0)
		return 0;
	cli_error("run", "refused: the policy's limits need a cgroup: %s",
		  err.msg);
	return AKIOS_EXIT_INTERNAL;
}

int run_prepare(struct run_state *s)
{
	int rc = build_seccomp(s);

	return rc == 0 ? make_cgroup(s) : rc;
}
