/* policy/emit.c: the effective policy as canonical YAML (what `akios
 * policy show` prints and what reloads to the same policy); the JSON
 * form is policy/emit_json.c. Invariant: every value emitted passes the
 * validator, and the key order is fixed, so two equal policies print the
 * same bytes. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"

#include <errno.h>
#include <inttypes.h>

const char *policy_sandbox_name(enum policy_sandbox v)
{
	return v == POLICY_SANDBOX_STANDARD ? "standard" : "strict";
}

const char *policy_network_name(enum policy_network v)
{
	return v == POLICY_NET_ALLOWLIST ? "allowlist" : "isolated";
}

const char *policy_fs_mode_name(enum policy_fs_mode v)
{
	return v == POLICY_FS_RW ? "rw" : v == POLICY_FS_W ? "w" : "r";
}

const char *policy_pii_mode_name(enum policy_pii_mode v)
{
	static const char *const names[] = {"strict", "balanced", "aggressive"};

	return (unsigned)v < AKIOS_ARRAY_SIZE(names) ? names[v] : "balanced";
}

const char *policy_export_format_name(enum policy_export_format v)
{
	static const char *const names[] = {"jsonl", "json", "csv"};

	return (unsigned)v < AKIOS_ARRAY_SIZE(names) ? names[v] : "jsonl";
}

/* "0.5", "2", "0.000001": the exact decimal of a micro-dollar amount. */
static void format_micros(int64_t micros, char out[32])
{
	int n = snprintf(out, 32, "%" PRId64 ".%06" PRId64, micros / 1000000,
			 micros % 1000000);

	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

static int quoted(struct akios_buf *b, const char *s)
{
	int rc = akios_buf_append(b, "\"", 1);

	for (; rc == 0 && *s; s++) {
		if (*s == '"' || *s == '\\')
			rc = akios_buf_append(b, "\\", 1);
		if (rc == 0)
			rc = akios_buf_append(b, s, 1);
	}
	return rc ? rc : akios_buf_append(b, "\"", 1);
}

static int kv_str(struct akios_buf *b, const char *indent, const char *key,
		  const char *val)
{
	int rc;

	if (!val)
		return 0;
	rc = akios_buf_appendf(b, "%s%s: ", indent, key);
	if (rc == 0)
		rc = quoted(b, val);
	return rc ? rc : akios_buf_append(b, "\n", 1);
}

static int str_list(struct akios_buf *b, const char *key,
		    const struct policy_string_list *l)
{
	int rc = akios_buf_appendf(b, "  %s: [", key);

	for (unsigned i = 0; rc == 0 && i < l->n; i++) {
		if (i)
			rc = akios_buf_append(b, ", ", 2);
		if (rc == 0)
			rc = quoted(b, l->items[i]);
	}
	return rc ? rc : akios_buf_append(b, "]\n", 2);
}

static const char *tf(bool v)
{
	return v ? "true" : "false";
}

static int yaml_security(const struct akios_policy *p, struct akios_buf *b)
{
	int rc = akios_buf_appendf(
	    b,
	    "security:\n  sandbox: %s\n  network: %s\n  allowed_endpoints: [",
	    policy_sandbox_name(p->security.sandbox),
	    policy_network_name(p->security.network));

	for (unsigned i = 0; rc == 0 && i < p->security.n_allowed_endpoints;
	     i++) {
		const struct policy_endpoint *e =
		    &p->security.allowed_endpoints[i];
		bool v6 = strchr(e->host, ':') != NULL;

		rc = akios_buf_appendf(b, "%s\"%s%s%s:%u\"", i ? ", " : "",
				       v6 ? "[" : "", e->host, v6 ? "]" : "",
				       e->port);
	}
	return rc ? rc : akios_buf_append(b, "]\n", 2);
}

static int yaml_fs_http(const struct akios_policy *p, struct akios_buf *b)
{
	int rc = akios_buf_appendf(b, "filesystem:\n  allow:%s\n",
				   p->filesystem.n_allow ? "" : " []");

	for (unsigned i = 0; rc == 0 && i < p->filesystem.n_allow; i++) {
		const struct policy_path *x = &p->filesystem.allow[i];

		rc = kv_str(b, "    - ", "path", x->path);
		if (rc == 0)
			rc = akios_buf_appendf(
			    b,
			    "      mode: %s\n      allow_control_files: %s\n",
			    policy_fs_mode_name(x->mode),
			    tf(x->allow_control_files));
	}
	if (rc == 0)
		rc = akios_buf_appendf(b, "  deny_writes: %s\nhttp:\n",
				       tf(p->filesystem.deny_writes));
	if (rc == 0)
		rc = str_list(b, "allow", &p->http.allow);
	return rc ? rc : str_list(b, "redact_headers", &p->http.redact_headers);
}

static int yaml_llm(const struct akios_policy *p, struct akios_buf *b)
{
	char budget[32];
	int rc = akios_buf_appendf(b, "llm:\n");

	if (rc == 0)
		rc = kv_str(b, "  ", "provider", p->llm.provider);
	if (rc == 0)
		rc = kv_str(b, "  ", "model", p->llm.model);
	if (rc == 0)
		rc = kv_str(b, "  ", "base_url", p->llm.base_url);
	if (rc == 0)
		rc = akios_buf_appendf(b, "  max_tokens: %u\n",
				       p->llm.max_tokens);
	if (rc == 0 && p->llm.budget_micro_usd >= 0) {
		format_micros(p->llm.budget_micro_usd, budget);
		rc = akios_buf_appendf(b, "  budget_usd: %s\n", budget);
	}
	if (rc == 0)
		rc = akios_buf_appendf(
		    b, "  redact_prompts: %s\n  redact_responses: %s\n",
		    tf(p->llm.redact_prompts), tf(p->llm.redact_responses));
	return rc;
}

static int yaml_tools_audit(const struct akios_policy *p, struct akios_buf *b)
{
	int rc = akios_buf_appendf(b, "tools:\n");

	if (p->tools.allow_set)
		rc = akios_buf_appendf(b, "  allow:%s\n",
				       p->tools.n_allow ? "" : " []");
	for (unsigned i = 0; rc == 0 && i < p->tools.n_allow; i++)
		rc = kv_str(b, "    - ", "name", p->tools.allow[i].name);
	if (rc == 0)
		rc = akios_buf_appendf(b, "  timeout_sec: %u\n",
				       p->tools.timeout_sec);
	if (rc == 0)
		rc = kv_str(b, "  ", "working_dir", p->tools.working_dir);
	if (rc == 0)
		rc = akios_buf_appendf(
		    b,
		    "audit:\n  merkle: %s\n  pii_redaction: %s\n"
		    "  export_format: %s\n  retention_days: %u\n",
		    tf(p->audit.merkle), tf(p->audit.pii_redaction),
		    policy_export_format_name(p->audit.export_format),
		    p->audit.retention_days);
	if (rc == 0)
		rc = kv_str(b, "  ", "dir", p->audit.dir);
	return rc;
}

static int yaml_pii_limits(const struct akios_policy *p, struct akios_buf *b)
{
	static const char *const req[] = {"memory_mb", "pids", "cpu_percent"};
	int rc = akios_buf_appendf(b,
				   "pii_redaction:\n  enabled: %s\n"
				   "  mode: %s\n",
				   tf(p->pii_redaction.enabled),
				   policy_pii_mode_name(p->pii_redaction.mode));
	bool first = true;

	if (rc == 0)
		rc = str_list(b, "patterns", &p->pii_redaction.patterns);
	if (rc == 0)
		rc = akios_buf_appendf(
		    b,
		    "limits:\n  memory_mb: %" PRIu64 "\n  pids: %u\n"
		    "  cpu_percent: %u\n  wall_timeout_sec: %u\n  required: [",
		    p->limits.memory_mb, p->limits.pids, p->limits.cpu_percent,
		    p->limits.wall_timeout_sec);
	for (unsigned i = 0; rc == 0 && i < AKIOS_ARRAY_SIZE(req); i++) {
		if (!(p->limits.required & (1u << i)))
			continue;
		rc = akios_buf_appendf(b, "%s%s", first ? "" : ", ", req[i]);
		first = false;
	}
	return rc ? rc : akios_buf_append(b, "]\n", 2);
}

static int yaml_env_secrets(const struct akios_policy *p, struct akios_buf *b)
{
	int rc = akios_buf_appendf(b, "env:\n");

	if (rc == 0)
		rc = str_list(b, "pass", &p->env.pass);
	if (rc == 0)
		rc = akios_buf_appendf(b, "  set:%s\n",
				       p->env.n_set ? "" : " {}");
	for (unsigned i = 0; rc == 0 && i < p->env.n_set; i++) {
		rc = akios_buf_append(b, "    ", 4);
		if (rc == 0)
			rc = quoted(b, p->env.set[i].key);
		if (rc == 0)
			rc = akios_buf_append(b, ": ", 2);
		if (rc == 0)
			rc = quoted(b, p->env.set[i].value);
		if (rc == 0)
			rc = akios_buf_append(b, "\n", 1);
	}
	if (rc == 0)
		rc = akios_buf_appendf(b, "secrets:%s\n",
				       p->n_secrets ? "" : " []");
	for (unsigned i = 0; rc == 0 && i < p->n_secrets; i++) {
		rc = kv_str(b, "  - ", "env", p->secrets[i].env);
		if (rc == 0)
			rc = kv_str(b, "    ", "from_env",
				    p->secrets[i].from_env);
		if (rc == 0)
			rc = kv_str(b, "    ", "from_file",
				    p->secrets[i].from_file);
	}
	return rc;
}

int policy_emit_yaml(const struct akios_policy *p, struct akios_buf *b)
{
	int rc = akios_buf_appendf(b, "version: %u\n", p->version);

	if (rc == 0)
		rc = kv_str(b, "", "name", p->name);
	if (rc == 0)
		rc = yaml_security(p, b);
	if (rc == 0)
		rc = yaml_fs_http(p, b);
	if (rc == 0)
		rc = yaml_llm(p, b);
	if (rc == 0)
		rc = yaml_tools_audit(p, b);
	if (rc == 0)
		rc = yaml_pii_limits(p, b);
	if (rc == 0)
		rc = yaml_env_secrets(p, b);
	return rc;
}
