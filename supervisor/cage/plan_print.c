/* Printing a plan: the human text and the JSON of `akios run --dry-run`,
 * and the enforcement report recorded in the audit log at run start.
 * Secret values never appear: a secret is shown by where it comes from. */
#include "shared/common.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/seccomp.h"

#include <cjson/cJSON.h>
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

static cJSON *json_mounts(const struct cage_plan *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (unsigned i = 0; arr && i < p->n_mounts; i++) {
		const struct cage_mount *m = &p->mounts[i];
		cJSON *j = cJSON_CreateObject();

		if (!j || !cJSON_AddItemToArray(arr, j))
			return cJSON_Delete(j), cJSON_Delete(arr), NULL;
		cJSON_AddStringToObject(j, "kind", mnt_names[m->kind]);
		cJSON_AddStringToObject(j, "path", m->dst);
		if (m->kind == CAGE_MNT_BIND || m->kind == CAGE_MNT_SYMLINK)
			cJSON_AddStringToObject(j, "source", m->src);
		if (m->kind == CAGE_MNT_FILE)
			cJSON_AddStringToObject(j, "content", m->src);
		cJSON_AddBoolToObject(j, "read_only", m->flags & CAGE_MF_RO);
		cJSON_AddBoolToObject(j, "noexec", m->flags & CAGE_MF_NOEXEC);
		cJSON_AddBoolToObject(j, "placeholder",
				      m->flags & CAGE_MF_PLACEHOLDER);
		cJSON_AddStringToObject(j, "why", m->why);
	}
	return arr;
}

static cJSON *json_rules(const struct cage_plan *p)
{
	cJSON *arr = cJSON_CreateArray();
	char a[64];

	for (unsigned i = 0; arr && i < p->n_rules; i++) {
		cJSON *j = cJSON_CreateObject();

		if (!j || !cJSON_AddItemToArray(arr, j))
			return cJSON_Delete(j), cJSON_Delete(arr), NULL;
		cJSON_AddStringToObject(j, "path", p->rules[i].path);
		cJSON_AddStringToObject(
		    j, "access", access_str(p->rules[i].access, a, sizeof(a)));
		if (p->rules[i].why)
			cJSON_AddStringToObject(j, "why", p->rules[i].why);
	}
	return arr;
}

static cJSON *json_env(const struct cage_plan *p)
{
	cJSON *arr = cJSON_CreateArray();

	for (unsigned i = 0; arr && i < p->n_env; i++) {
		const struct cage_env *e = &p->env[i];
		cJSON *j = cJSON_CreateObject();

		if (!j || !cJSON_AddItemToArray(arr, j))
			return cJSON_Delete(j), cJSON_Delete(arr), NULL;
		cJSON_AddStringToObject(j, "name", e->name);
		cJSON_AddStringToObject(j, "origin", e->origin);
		if (e->secret_env)
			cJSON_AddStringToObject(j, "secret_from_env",
						e->secret_env);
		else if (e->secret_file)
			cJSON_AddStringToObject(j, "secret_from_file",
						e->secret_file);
		else
			cJSON_AddStringToObject(j, "value",
						e->value ? e->value : "");
	}
	return arr;
}

static cJSON *json_strings(char *const *s, unsigned n)
{
	cJSON *arr = cJSON_CreateArray();

	for (unsigned i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s[i]));
	return arr;
}

cJSON *cage_plan_report_json(const struct cage_plan *p)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *lim = cJSON_CreateObject();
	char deg[64];

	if (!r || !lim || !cJSON_AddItemToObject(r, "limits", lim))
		return cJSON_Delete(lim), cJSON_Delete(r), NULL;
	cJSON_AddBoolToObject(r, "allowed", p->allowed);
	if (!p->allowed)
		cJSON_AddStringToObject(r, "refusal", p->refusal);
	cJSON_AddStringToObject(r, "namespaces",
				"user pid mount net ipc uts cgroup");
	cJSON_AddNumberToObject(r, "uid", (double)p->uid);
	cJSON_AddNumberToObject(r, "landlock_abi",
				p->landlock ? p->landlock_abi : 0);
	cJSON_AddBoolToObject(r, "seccomp", p->seccomp);
	cJSON_AddBoolToObject(r, "exec_allowlist", p->exec_allowlist);
	cJSON_AddStringToObject(
	    r, "degraded", cage_degrade_str(p->degraded, deg, sizeof(deg)));
	cJSON_AddStringToObject(
	    lim, "backend",
	    p->use_cgroup ? cage_cgroup_backend_name(p->cgroup) : "none");
	cJSON_AddNumberToObject(lim, "memory_bytes",
				(double)p->limits.memory_bytes);
	cJSON_AddNumberToObject(lim, "pids", p->limits.pids);
	cJSON_AddNumberToObject(lim, "cpu_percent", p->limits.cpu_percent);
	cJSON_AddNumberToObject(lim, "wall_timeout_sec", p->wall_timeout_sec);
	cJSON_AddItemToObject(r, "notes", json_strings(p->notes, p->n_notes));
	return r;
}

static int json_describe(const struct cage_plan *p, struct akios_buf *o)
{
	cJSON *r = cage_plan_report_json(p);
	char *s;
	int rc;

	if (!r)
		return -ENOMEM;
	cJSON_AddItemToObject(r, "argv", json_strings(p->argv, p->argc));
	cJSON_AddStringToObject(r, "cwd", p->cwd);
	cJSON_AddItemToObject(r, "mounts", json_mounts(p));
	cJSON_AddItemToObject(r, "landlock_rules", json_rules(p));
	cJSON_AddItemToObject(r, "env", json_env(p));
	s = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
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
		return json_describe(p, o);
	rc = text_head(p, o);
	if (rc == 0)
		rc = text_view(p, o);
	if (rc == 0)
		rc = text_rest(p, o);
	if (rc == 0)
		rc = text_seccomp(p, o);
	return rc;
}
