/* Printing a plan: the human text and the JSON of `akios run --dry-run`,
 * and the enforcement report recorded in the audit log at run start.
 * Secret values never appear: a secret is shown by where it comes from. */
#include "shared/common.h"
#include "shared/json.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/seccomp.h"

#include <errno.h>

static const char *const mnt_names[] = {
    [CAGE_MNT_BIND] = "bind",	    [CAGE_MNT_ROOTDIR] = "rootdir",
    [CAGE_MNT_PROC] = "proc",	    [CAGE_MNT_DEVPTS] = "devpts",
    [CAGE_MNT_SYMLINK] = "symlink", [CAGE_MNT_FILE] = "file",
    [CAGE_MNT_REBIND] = "rebind",   [CAGE_MNT_MASK] = "mask",
};

static const char *access_str(unsigned a, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", (a & CAGE_ACC_READ) ? "read " : "",
		 (a & CAGE_ACC_WRITE) ? "write " : "",
		 (a & CAGE_ACC_EXEC) ? "exec " : "",
		 (a & CAGE_ACC_DEV) ? "ioctl " : "",
		 (a & CAGE_ACC_LISTDIR) ? "listdir " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

static const char *limit_str(uint64_t v, char *buf, size_t size)
{
	if (v == CAGE_RLIM_LEAVE)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

static int text_head(const struct cage_plan *p, struct akios_buf *o)
{
	char deg[64];
	int rc = akios_buf_appendf(o, "command:");

	for (unsigned i = 0; i < p->argc && rc == 0; i++)
		rc = akios_buf_appendf(o, " %s", p->argv[i]);
	if (rc == 0)
		rc = akios_buf_appendf(
		    o,
		    "\nverdict: %s%s\n"
		    "identity: uid %u gid %u (same inside; no capabilities)\n"
		    "namespaces: user pid mount net(lo only) ipc uts cgroup\n"
		    "cwd: %s\ndegraded: %s\n",
		    p->allowed ? "allowed" : "REFUSED: ",
		    p->allowed ? "" : p->refusal, (unsigned)p->uid,
		    (unsigned)p->gid, p->cwd,
		    cage_degrade_str(p->degraded, deg, sizeof(deg)));
	return rc;
}

static int text_view(const struct cage_plan *p, struct akios_buf *o)
{
	int rc = akios_buf_appendf(o, "view (in order, on a fresh tmpfs "
				      "root, read-only):\n");

	for (unsigned i = 0; i < p->n_mounts && rc == 0; i++) {
		const struct cage_mount *m = &p->mounts[i];
		bool show_src =
		    m->kind == CAGE_MNT_SYMLINK ||
		    (m->kind == CAGE_MNT_BIND && strcmp(m->src, m->dst) != 0);

		rc = akios_buf_appendf(
		    o, "  %-7s %-3s %s%s%s%s%s  [%s]\n", mnt_names[m->kind],
		    m->kind == CAGE_MNT_SYMLINK || m->kind == CAGE_MNT_FILE
			? "-"
		    : (m->flags & CAGE_MF_RO) ? "ro"
					      : "rw",
		    m->dst, show_src ? " -> " : "", show_src ? m->src : "",
		    (m->flags & CAGE_MF_NOEXEC) ? " noexec" : "",
		    (m->flags & CAGE_MF_PLACEHOLDER) ? " (placeholder)" : "",
		    m->why);
	}
	return rc;
}

static int text_rest(const struct cage_plan *p, struct akios_buf *o)
{
	char a[64];
	char b[4][24];
	int rc = akios_buf_appendf(o, "landlock: %s (ABI %d)\n",
				   p->landlock ? "on" : "OFF", p->landlock_abi);

	if (rc == 0)
		rc = akios_buf_appendf(
		    o, "exec: %s\n",
		    p->exec_allowlist
			? "tools allowlist (execute only where a rule says "
			  "exec; policy paths noexec; memfd_create denied)"
			: "any program in the view (each exec audited)");

	for (unsigned i = 0; i < p->n_rules && rc == 0 && p->landlock; i++)
		rc = akios_buf_appendf(
		    o, "  %-30s %s%s%s%s\n", p->rules[i].path,
		    access_str(p->rules[i].access, a, sizeof(a)),
		    p->rules[i].why ? "  [" : "",
		    p->rules[i].why ? p->rules[i].why : "",
		    p->rules[i].why ? "]" : "");
	if (rc == 0)
		rc = akios_buf_appendf(
		    o,
		    "limits: %s; memory %llu B, pids %u, cpu %u%%; wall "
		    "timeout %u s\nrlimits: core %s, as %s, nproc %s, cpu %s\n",
		    p->use_cgroup ? cage_cgroup_backend_name(p->cgroup)
				  : "no cgroup",
		    (unsigned long long)p->limits.memory_bytes, p->limits.pids,
		    p->limits.cpu_percent, p->wall_timeout_sec,
		    limit_str(p->rlimits.core, b[0], sizeof(b[0])),
		    limit_str(p->rlimits.as, b[1], sizeof(b[1])),
		    limit_str(p->rlimits.nproc, b[2], sizeof(b[2])),
		    limit_str(p->rlimits.cpu_sec, b[3], sizeof(b[3])));
	if (rc == 0)
		rc = akios_buf_appendf(o, "environment:\n");
	for (unsigned i = 0; i < p->n_env && rc == 0; i++) {
		const struct cage_env *e = &p->env[i];

		if (e->secret_env || e->secret_file)
			rc = akios_buf_appendf(
			    o, "  %s=<secret from %s %s>\n", e->name,
			    e->secret_env ? "host variable" : "file",
			    e->secret_env ? e->secret_env : e->secret_file);
		else
			rc = akios_buf_appendf(o, "  %s=%s  [%s]\n", e->name,
					       e->value ? e->value : "",
					       e->origin);
	}
	for (unsigned i = 0; i < p->n_notes && rc == 0; i++)
		rc = akios_buf_appendf(o, "note: %s\n", p->notes[i]);
	return rc;
}

static int text_seccomp(const struct cage_plan *p, struct akios_buf *o)
{
	struct cage_seccomp_opts so = {.deny_memfd = p->exec_allowlist};
	int rc = akios_buf_appendf(o, "seccomp: %s\n",
				   p->seccomp ? "allowlist filter" : "OFF");

	if (rc == 0 && p->seccomp && cage_seccomp_describe(&so, o, false) != 0)
		rc = akios_buf_appendf(o, "  (rules not described)\n");
	return rc;
}

static struct json *mounts_tree(const struct cage_plan *p)
{
	struct json *arr = json_new_array();

	for (unsigned i = 0; arr && i < p->n_mounts; i++) {
		const struct cage_mount *m = &p->mounts[i];
		struct json *j = json_push(arr, json_new_object());

		if (!j)
			return json_free(arr), NULL;
		json_add_str(j, "kind", mnt_names[m->kind]);
		json_add_str(j, "path", m->dst);
		if (m->kind == CAGE_MNT_BIND || m->kind == CAGE_MNT_SYMLINK)
			json_add_str(j, "source", m->src);
		if (m->kind == CAGE_MNT_FILE)
			json_add_str(j, "content", m->src);
		json_add_bool(j, "read_only", m->flags & CAGE_MF_RO);
		json_add_bool(j, "noexec", m->flags & CAGE_MF_NOEXEC);
		json_add_bool(j, "placeholder", m->flags & CAGE_MF_PLACEHOLDER);
		json_add_str(j, "why", m->why);
	}
	return arr;
}

static struct json *rules_tree(const struct cage_plan *p)
{
	struct json *arr = json_new_array();
	char a[64];

	for (unsigned i = 0; arr && i < p->n_rules; i++) {
		struct json *j = json_push(arr, json_new_object());

		if (!j)
			return json_free(arr), NULL;
		json_add_str(j, "path", p->rules[i].path);
		json_add_str(j, "access",
			     access_str(p->rules[i].access, a, sizeof(a)));
		if (p->rules[i].why)
			json_add_str(j, "why", p->rules[i].why);
	}
	return arr;
}

static struct json *env_tree(const struct cage_plan *p)
{
	struct json *arr = json_new_array();

	for (unsigned i = 0; arr && i < p->n_env; i++) {
		const struct cage_env *e = &p->env[i];
		struct json *j = json_push(arr, json_new_object());

		if (!j)
			return json_free(arr), NULL;
		json_add_str(j, "name", e->name);
		json_add_str(j, "origin", e->origin);
		if (e->secret_env)
			json_add_str(j, "secret_from_env", e->secret_env);
		else if (e->secret_file)
			json_add_str(j, "secret_from_file", e->secret_file);
		else
			json_add_str(j, "value", e->value ? e->value : "");
	}
	return arr;
}

/* An array of the n strings; a NULL one is left out. */
static struct json *strings_tree(char *const *s, unsigned n)
{
	struct json *arr = json_new_array();

	for (unsigned i = 0; arr && i < n; i++)
		json_push(arr, json_new_string(s[i]));
	return arr;
}

struct json *cage_plan_report_json(const struct cage_plan *p)
{
	struct json *r = json_new_object();
	struct json *lim = json_add_object(r, "limits");
	char deg[64];

	if (!lim)
		return json_free(r), NULL;
	json_add_bool(r, "allowed", p->allowed);
	if (!p->allowed)
		json_add_str(r, "refusal", p->refusal);
	json_add_str(r, "namespaces", "user pid mount net ipc uts cgroup");
	json_add_num(r, "uid", (double)p->uid);
	json_add_num(r, "landlock_abi", p->landlock ? p->landlock_abi : 0);
	json_add_bool(r, "seccomp", p->seccomp);
	json_add_bool(r, "exec_allowlist", p->exec_allowlist);
	json_add_str(r, "degraded",
		     cage_degrade_str(p->degraded, deg, sizeof(deg)));
	json_add_str(lim, "backend",
		     p->use_cgroup ? cage_cgroup_backend_name(p->cgroup)
				   : "none");
	json_add_num(lim, "memory_bytes", (double)p->limits.memory_bytes);
	json_add_num(lim, "pids", p->limits.pids);
	json_add_num(lim, "cpu_percent", p->limits.cpu_percent);
	json_add_num(lim, "wall_timeout_sec", p->wall_timeout_sec);
	json_add(r, "notes", strings_tree(p->notes, p->n_notes));
	return r;
}

static int describe_as_json(const struct cage_plan *p, struct akios_buf *o)
{
	struct json *r = cage_plan_report_json(p);
	char *s;
	int rc;

	if (!r)
		return -ENOMEM;
	json_add(r, "argv", strings_tree(p->argv, p->argc));
	json_add_str(r, "cwd", p->cwd);
	json_add(r, "mounts", mounts_tree(p));
	json_add(r, "landlock_rules", rules_tree(p));
	json_add(r, "env", env_tree(p));
	s = json_print(r);
	json_free(r);
	if (!s)
		return -ENOMEM;
	rc = akios_buf_appendf(o, "%s\n", s);
	free(s);
	return rc;
}

int cage_plan_describe(const struct cage_plan *p, struct akios_buf *o,
		       bool json)
{
	int rc;

	if (json)
		return describe_as_json(p, o);
	rc = text_head(p, o);
	if (rc == 0)
		rc = text_view(p, o);
	if (rc == 0)
		rc = text_rest(p, o);
	if (rc == 0)
		rc = text_seccomp(p, o);
	return rc;
}
