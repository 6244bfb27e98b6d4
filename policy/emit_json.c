/* policy/emit_json.c: the effective policy as a JSON object built with
 * shared/json.h, keys and order as in the canonical YAML (policy/emit.c).
 * An allocation failure anywhere yields -ENOMEM, never a partial object. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/json.h"

#include <errno.h>

static struct json *str_array(const struct policy_string_list *l)
{
	return json_new_string_array((const char *const *)l->items, l->n);
}

/* json_add* return NULL (and free what they could not attach) on
 * failure, also when the parent is NULL; one flag collects them all. */
struct jb {
	bool fail;
};

static struct json *obj(struct jb *j, struct json *parent, const char *key)
{
	struct json *o = json_add_object(parent, key);

	j->fail = j->fail || !o;
	return o;
}

static void add_str(struct jb *j, struct json *o, const char *key,
		    const char *v)
{
	if (v && !json_add_str(o, key, v))
		j->fail = true;
}

static void add_num(struct jb *j, struct json *o, const char *key, double v)
{
	if (!json_add_num(o, key, v))
		j->fail = true;
}

static void add_bool(struct jb *j, struct json *o, const char *key, bool v)
{
	if (!json_add_bool(o, key, v))
		j->fail = true;
}

static void add_item(struct jb *j, struct json *o, const char *key,
		     struct json *item)
{
	if (!json_add(o, key, item))
		j->fail = true;
}

/* A new object pushed onto arr; NULL (and the flag set) on failure. */
static struct json *push_obj(struct jb *j, struct json *arr)
{
	struct json *o = json_push(arr, json_new_object());

	j->fail = j->fail || !o;
	return o;
}

static void json_security(struct jb *j, struct json *root,
			  const struct akios_policy *p)
{
	struct json *s = obj(j, root, "security");
	struct json *eps;

	add_str(j, s, "sandbox", policy_sandbox_name(p->security.sandbox));
	add_str(j, s, "network", policy_network_name(p->security.network));
	eps = json_add_array(s, "allowed_endpoints");
	j->fail = j->fail || !eps;
	for (unsigned i = 0; eps && i < p->security.n_allowed_endpoints; i++) {
		const struct policy_endpoint *e =
		    &p->security.allowed_endpoints[i];
		struct json *x = push_obj(j, eps);

		add_str(j, x, "host", e->host);
		add_num(j, x, "port", e->port);
	}
}

static void json_fs_http(struct jb *j, struct json *root,
			 const struct akios_policy *p)
{
	struct json *f = obj(j, root, "filesystem");
	struct json *allow = json_add_array(f, "allow");
	struct json *h;

	j->fail = j->fail || !allow;
	for (unsigned i = 0; allow && i < p->filesystem.n_allow; i++) {
		const struct policy_path *x = &p->filesystem.allow[i];
		struct json *o = push_obj(j, allow);

		add_str(j, o, "path", x->path);
		add_str(j, o, "mode", policy_fs_mode_name(x->mode));
		add_bool(j, o, "allow_control_files", x->allow_control_files);
	}
	add_bool(j, f, "deny_writes", p->filesystem.deny_writes);
	h = obj(j, root, "http");
	add_item(j, h, "allow", str_array(&p->http.allow));
	add_item(j, h, "redact_headers", str_array(&p->http.redact_headers));
}

static void json_llm_tools(struct jb *j, struct json *root,
			   const struct akios_policy *p)
{
	struct json *l = obj(j, root, "llm");
	struct json *t;

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
		struct json *a = json_add_array(t, "allow");

		j->fail = j->fail || !a;
		for (unsigned i = 0; a && i < p->tools.n_allow; i++)
			add_str(j, push_obj(j, a), "name",
				p->tools.allow[i].name);
	}
	add_num(j, t, "timeout_sec", p->tools.timeout_sec);
	add_str(j, t, "working_dir", p->tools.working_dir);
}

static void json_audit_pii(struct jb *j, struct json *root,
			   const struct akios_policy *p)
{
	struct json *a = obj(j, root, "audit");
	struct json *x;

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

static void json_limits_env(struct jb *j, struct json *root,
			    const struct akios_policy *p)
{
	static const char *const req[] = {"memory_mb", "pids", "cpu_percent"};
	struct json *l = obj(j, root, "limits");
	struct json *r;
	struct json *e;
	struct json *set;

	add_num(j, l, "memory_mb", (double)p->limits.memory_mb);
	add_num(j, l, "pids", p->limits.pids);
	add_num(j, l, "cpu_percent", p->limits.cpu_percent);
	add_num(j, l, "wall_timeout_sec", p->limits.wall_timeout_sec);
	r = json_add_array(l, "required");
	j->fail = j->fail || !r;
	for (unsigned i = 0; r && i < AKIOS_ARRAY_SIZE(req); i++) {
		if (!(p->limits.required & (1u << i)))
			continue;
		if (!json_push(r, json_new_string(req[i])))
			j->fail = true;
	}
	e = obj(j, root, "env");
	add_item(j, e, "pass", str_array(&p->env.pass));
	set = obj(j, e, "set");
	for (unsigned i = 0; i < p->env.n_set; i++)
		add_str(j, set, p->env.set[i].key, p->env.set[i].value);
}

static void json_secrets(struct jb *j, struct json *root,
			 const struct akios_policy *p)
{
	struct json *s = json_add_array(root, "secrets");

	j->fail = j->fail || !s;
	for (unsigned i = 0; s && i < p->n_secrets; i++) {
		struct json *o = push_obj(j, s);

		add_str(j, o, "env", p->secrets[i].env);
		add_str(j, o, "from_env", p->secrets[i].from_env);
		add_str(j, o, "from_file", p->secrets[i].from_file);
	}
}

/* Two-space indentation (json_print_pretty), one trailing newline. */
int policy_emit_json(const struct akios_policy *p, struct akios_buf *out)
{
	struct jb j = {0};
	struct json *root = json_new_object();
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
		text = json_print_pretty(root);
	if (text)
		rc = akios_buf_appendf(out, "%s\n", text);
	free(text);
	json_free(root);
	return rc;
}
