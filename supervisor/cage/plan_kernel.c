/* The kernel layers of the plan: what the probe says this user can have
 * (seccomp, Landlock, a cgroup back-end), what the policy needs, and what
 * happens when they differ: refuse with a precise reason, run weaker only
 * when --allow-degraded names the missing part, and approximate limits
 * with rlimits (said in the report) unless the policy marks them required.
 * Never pretends: each fallback is a note in the enforcement report. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <errno.h>

#define MIB (1024ull * 1024ull)

static const struct {
	const char *name;
	unsigned bit;
} degrade_words[] = {
    {"seccomp", CAGE_DEG_SECCOMP},
    {"landlock", CAGE_DEG_LANDLOCK},
};

int cage_degrade_parse(const char *s, unsigned *out, struct akios_err *err)
{
	const char *p = s;

	*out = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < AKIOS_ARRAY_SIZE(degrade_words); i++)
			if (strlen(degrade_words[i].name) == n &&
			    strncmp(p, degrade_words[i].name, n) == 0) {
				*out |= degrade_words[i].bit;
				found = true;
			}
		if (!found)
			return akios_err_set(
			    err, NULL, 0, 0,
			    "--allow-degraded: unknown part "
			    "'%.*s' (known: seccomp, landlock)",
			    (int)n, p);
		p += n + (p[n] == ',');
	}
	return 0;
}

const char *cage_degrade_str(unsigned bits, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(degrade_words); i++) {
		int n;

		if (!(bits & degrade_words[i].bit))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? "," : "",
			     degrade_words[i].name);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, size, "none");
	return buf;
}

/* A layer the probe lacks: degrade when allowed, else refuse. */
static int need(struct cage_plan *p, const struct cage_plan_input *in,
		bool have, unsigned bit, const char *what)
{
	if (have)
		return 0;
	if (in->allow_degraded & bit) {
		p->degraded |= bit;
		return cage_plan_note(p,
				      "DEGRADED: %s is not available; running "
				      "without it (--allow-degraded)",
				      what);
	}
	return plan_refuse(p,
			   "%s is not available on this kernel for this user; "
			   "refusing to run (--allow-degraded=%s accepts it)",
			   what,
			   bit == CAGE_DEG_SECCOMP ? "seccomp" : "landlock");
}

static bool controller_missing(const struct cage_probe *pr, const char *c)
{
	const char *m = pr->cgroup_missing;
	size_t n = strlen(c);

	if (pr->cgroup == CAGE_CGROUP_NONE)
		return true;
	while ((m = strstr(m, c)) != NULL) {
		bool start = m == pr->cgroup_missing || m[-1] == ' ';

		if (start && (m[n] == '\0' || m[n] == ' '))
			return true;
		m += n;
	}
	return false;
}

/* One limit without a cgroup controller: refuse when required, else the
 * rlimit fallback (or nothing) with a note saying which. */
static int fallback(struct cage_plan *p, const struct akios_policy *pol,
		    unsigned flag, const char *name, const char *how)
{
	if (pol->limits.required & flag)
		return plan_refuse(p,
				   "limits.%s is required but no cgroup "
				   "back-end can enforce it for this user",
				   name);
	return cage_plan_note(p, "limits.%s: no cgroup controller; %s", name,
			      how);
}

static int plan_limits(struct cage_plan *p, const struct cage_plan_input *in)
{
	const struct akios_policy *pol = in->policy;
	const struct cage_probe *pr = in->probe;
	struct cage_limits *l = &p->limits;
	int rc = 0;

	l->memory_bytes = pol->limits.memory_mb * MIB;
	l->pids = pol->limits.pids;
	l->cpu_percent = pol->limits.cpu_percent;
	p->wall_timeout_sec = pol->limits.wall_timeout_sec;
	if (l->memory_bytes && controller_missing(pr, "memory")) {
		p->rlimits.as = l->memory_bytes;
		l->memory_bytes = 0;
		rc = fallback(p, pol, POLICY_LIMIT_MEMORY, "memory",
			      "approximated by RLIMIT_AS (address space, "
			      "per process)");
	}
	if (rc == 0 && l->pids && controller_missing(pr, "pids")) {
		p->rlimits.nproc = l->pids;
		l->pids = 0;
		rc = fallback(p, pol, POLICY_LIMIT_PIDS, "pids",
			      p->uid == 0 ? "RLIMIT_NPROC does not bind root: "
					    "NOT enforced"
					  : "approximated by RLIMIT_NPROC");
	}
	if (rc == 0 && l->cpu_percent && controller_missing(pr, "cpu")) {
		unsigned w = p->wall_timeout_sec;

		if (w)
			p->rlimits.cpu_sec =
			    ((uint64_t)l->cpu_percent * w + 99) / 100;
		l->cpu_percent = 0;
		rc = fallback(p, pol, POLICY_LIMIT_CPU, "cpu",
			      w ? "approximated by RLIMIT_CPU (total CPU "
				  "seconds over the wall-clock timeout)"
				: "NOT enforced (no wall timeout to derive "
				  "RLIMIT_CPU from)");
	}
	p->use_cgroup = l->memory_bytes || l->pids || l->cpu_percent;
	p->cgroup = p->use_cgroup ? pr->cgroup : CAGE_CGROUP_NONE;
	if (rc == 0 && p->use_cgroup)
		rc = cage_plan_note(p, "limits enforced by cgroup %s",
				    cage_cgroup_backend_name(p->cgroup));
	return rc;
}

int plan_build_kernel(struct cage_plan *p, const struct cage_plan_input *in)
{
	const struct cage_probe *pr = in->probe;
	int rc = 0;

	p->rlimits = (struct cage_rlimits){
	    .core = 0,
	    .nofile = CAGE_RLIM_LEAVE,
	    .fsize = CAGE_RLIM_LEAVE,
	    .nproc = CAGE_RLIM_LEAVE,
	    .as = CAGE_RLIM_LEAVE,
	    .cpu_sec = CAGE_RLIM_LEAVE,
	};
	if (!pr->userns)
		rc = plan_refuse(p,
				 "user namespaces are not available to "
				 "this user (max_user_namespaces=%u): no "
				 "cage can be built",
				 pr->max_user_namespaces);
	p->seccomp = pr->seccomp_filter;
	if (rc == 0)
		rc = need(p, in, pr->seccomp_filter, CAGE_DEG_SECCOMP,
			  "seccomp filtering");
	p->landlock_abi = pr->landlock_abi;
	p->landlock = pr->landlock_abi > 0;
	if (rc == 0)
		rc = need(p, in, p->landlock, CAGE_DEG_LANDLOCK, "Landlock");
	if (rc == 0 && p->landlock && pr->landlock_abi < 6)
		rc = cage_plan_note(p,
				    "Landlock ABI %d: no abstract-socket or "
				    "signal scoping (needs ABI 6); the network "
				    "and IPC namespaces still isolate them",
				    pr->landlock_abi);
	p->net_deny = in->policy->security.network == POLICY_NET_ISOLATED;
	if (rc == 0 && !p->net_deny)
		rc = cage_plan_note(p, "security.network: allowlist: each "
				       "connect is decided by the broker and "
				       "relayed; nothing else leaves the cage");
	return rc ? rc : plan_limits(p, in);
}
