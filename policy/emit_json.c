/* policy/emit_json.c: the effective policy as a JSON object built with
 * cJSON, keys and order as in the canonical YAML (policy/emit.c). A cJSON
 * allocation failure anywhere yields -ENOMEM, never a partial object. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"

#include <cJSON.h>
#include <errno.h>

/* cJSON_CreateStringArray refuses an empty list with NULL items. */
static cJSON *str_array(const struct policy_string_list *l)
{
	cJSON *a = cJSON_CreateArray();

	for (unsigned i = 0; a && i < l->n; i++) {
		cJSON *s = cJSON_CreateString(l->items[i]);

		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* cJSON_Add* return NULL on failure; one flag collects them all. */
struct jb {
	bool fail;
};

static cJSON *obj(struct jb *j, cJSON *parent, const char *key)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);

	j->fail = j->fail || !o;
	return o;
}

static void add_str(struct jb *j, cJSON *o, const char *key, const char *v)
{
	if (o && v && !cJSON_AddStringToObject(o, key, v))
		j->fail = true;
}

static void add_num(struct jb *j, cJSON *o, const char *key, double v)
{
	if (o && !cJSON_AddNumberToObject(o, key, v))
		j->fail = true;
}

static void add_bool(struct jb *j, cJSON *o, const char *key, bool v)
{
	if (o && !cJSON_AddBoolToObject(o, key, v))
		j->fail = true;
}

static void add_item(struct jb *j, cJSON *o, const char *key, cJSON *item)
{
	if (!o || !item || !cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		j->fail = true;
	}
}

static void json_security(struct jb *j, cJSON *root,
			  const struct akios_policy *p)
{
	cJSON *s = obj(j, root, "security");
	cJSON *eps = cJSON_CreateArray();

	add_str(j, s, "sandbox", policy_sandbox_name(p->security.sandbox));
	add_str(j, s, "network", policy_network_name(p->security.network));
	for (unsigned i = 0; eps && i < p->security.n_allowed_endpoints; i++) {
		const struct policy_endpoint *e =
		    &p->security.allowed_endpoints[i];
		cJSON *x = cJSON_CreateObject();

		add_str(j, x, "host", e->host);
		add_num(j, x, "port", e->port);
		if (!x || !cJSON_AddItemToArray(eps, x)) {
			cJSON_Delete(x);
			j->fail = true;
		}
	}
	add_item(j, s, "allowed_endpoints", eps);
}

static void json_fs_http(struct jb *j, cJSON *root,
			 const struct akios_policy *p)
{
	cJSON *f = obj(j, root, "filesystem");
	cJSON *allow = cJSON_CreateArray();
	cJSON *h;

	for (unsigned i = 0; allow && i < p->filesystem.n_allow; i++) {
		const struct policy_path *x = &p->filesystem.allow[i];
		cJSON *o = cJSON_CreateObject();

		add_str(j, o, "path", x->path);
		add_str(j, o, "mode", policy_fs_mode_name(x->mode));
		add_bool(j, o, "allow_control_files", x->allow_control_files);
		if (!o || !cJSON_AddItemToArray(allow, o)) {
			cJSON_Delete(o);
			j->fail = true;
		}
	}
	add_item(j, f, "allow", allow);
	add_bool(j, f, "deny_writes", p->filesystem.deny_writes);
	h = obj(j, root, "http");
	add_item(j, h, "allow", str_array(&p->http.allow));
	add_item(j, h, "redact_headers", str_array(&p->http.redact_headers));
}

static void json_llm_tools(struct jb *j, cJSON *root,
			   const struct akios_policy *p)
{
	cJSON *l = obj(j, root, "llm");
	cJSON *t;

	add_str(j, l, "provider", p->llm.provider);
	add_str(j, l, "model", p->llm.model);
	add_str(j, l, "base_url", p->llm.base_url);
	add_num(j, l, "max_tokens", p->llm.max_tokens);
	if (p->llm.budget_micro_usd >= 0)
		add_num(j, l, "budget_usd", p->llm.budget_usd);
	add_bool(j, l, "redact_prompts", p->llm.redact_prompts);
	add_bool(j, l, "redact_responses", p->llm.redact_responses);
	t = obj(j, root, "tools");
	if (p->tools.allow_set) {
		cJSON *a = cJSON_CreateArray();

		for (unsigned i = 0; a && i < p->tools.n_allow; i++) {
			cJSON *o = cJSON_CreateObject();

			add_str(j, o, "name", p->tools.allow[i].name);
			if (!o || !cJSON_AddItemToArray(a, o)) {
				cJSON_Delete(o);
				j->fail = true;
			}
		}
		add_item(j, t, "allow", a);
	}
	add_num(j, t, "timeout_sec", p->tools.timeout_sec);
	add_str(j, t, "working_dir", p->tools.working_dir);
}

static void json_audit_pii(struct jb *j, cJSON *root,
			   const struct akios_policy *p)
{
	cJSON *a = obj(j, root, "audit");
	cJSON *x;

	add_bool(j, a, "merkle", p->audit.merkle);
	add_bool(j, a, "pii_redaction", p->audit.pii_redaction);
	add_str(j, a, "export_format",
		policy_export_format_name(p->audit.export_format));
	add_num(j, a, "retention_days", p->audit.retention_days);
	add_str(j, a, "dir", p->audit.dir);
	x = obj(j, root, "pii_redaction");
	add_bool(j, x, "enabled", p->pii_redaction.enabled);
	add_str(j, x, "mode", policy_pii_mode_name(p->pii_redaction.mode));
	add_item(j, x, "patterns", str_array(&p->pii_redaction.patterns));
}

static void json_limits_env(struct jb *j, cJSON *root,
			    const struct akios_policy *p)
{
	static const char *const req[] = {"memory_mb", "pids", "cpu_percent"};
	cJSON *l = obj(j, root, "limits");
	cJSON *r = cJSON_CreateArray();
	cJSON *e;
	cJSON *set;

	add_num(j, l, "memory_mb", (double)p->limits.memory_mb);
	add_num(j, l, "pids", p->limits.pids);
	add_num(j, l, "cpu_percent", p->limits.cpu_percent);
	add_num(j, l, "wall_timeout_sec", p->limits.wall_timeout_sec);
	for (unsigned i = 0; r && i < AKIOS_ARRAY_SIZE(req); i++) {
		cJSON *s;

		if (!(p->limits.required & (1u << i)))
			continue;
		s = cJSON_CreateString(req[i]);
		if (!s || !cJSON_AddItemToArray(r, s)) {
			cJSON_Delete(s);
			j->fail = true;
		}
	}
	add_item(j, l, "required", r);
	e = obj(j, root, "env");
	add_item(j, e, "pass", str_array(&p->env.pass));
	set = obj(j, e, "set");
	for (unsigned i = 0; i < p->env.n_set; i++)
		add_str(j, set, p->env.set[i].key, p->env.set[i].value);
}

static void json_secrets(struct jb *j, cJSON *root,
			 const struct akios_policy *p)
{
	cJSON *s = cJSON_CreateArray();

	for (unsigned i = 0; s && i < p->n_secrets; i++) {
		cJSON *o = cJSON_CreateObject();

		add_str(j, o, "env", p->secrets[i].env);
		add_str(j, o, "from_env", p->secrets[i].from_env);
		add_str(j, o, "from_file", p->secrets[i].from_file);
		if (!o || !cJSON_AddItemToArray(s, o)) {
			cJSON_Delete(o);
			j->fail = true;
		}
	}
	add_item(j, root, "secrets", s);
}

int policy_emit_json(const struct akios_policy *p, struct akios_buf *out)
{
	struct jb j = {0};
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;
	int rc = -ENOMEM;

	if (!root)
		return -ENOMEM;
	add_num(&j, root, "version", p->version);
	add_str(&j, root, "name", p->name);
	json_security(&j, root, p);
	json_fs_http(&j, root, p);
	json_llm_tools(&j, root, p);
	json_audit_pii(&j, root, p);
	json_limits_env(&j, root, p);
	json_secrets(&j, root, p);
	if (!j.fail)
		text = cJSON_Print(root);
	if (text)
		rc = akios_buf_appendf(out, "%s\n", text);
	free(text);
	cJSON_Delete(root);
	return rc;
}
