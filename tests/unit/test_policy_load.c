/* Unit tests of the policy loader on valid input: the seed's example,
 * the embedded default, and every key of the reference filled in. */
#include "shared/common.h"
#include "policy/policy.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <unistd.h>

static struct akios_policy *load_ok(const char *yaml)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	int rc = policy_load_buffer("t.yml", yaml, strlen(yaml), &p, &errs);

	cr_assert_eq(rc, 0, "rc %d, first error %u:%u: %s", rc, errs.e[0].line,
		     errs.e[0].col, errs.e[0].msg);
	cr_assert_eq(errs.n, 0);
	cr_assert_not_null(p);
	return p;
}

Test(policy_load, hardened_production_example)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	int rc = policy_load_file("policy/examples/hardened-production.yml", &p,
				  &errs);

	cr_assert_eq(rc, 0, "%s", errs.e[0].msg);
	cr_assert_str_eq(p->name, "hardened-production");
	cr_assert_eq(p->version, 1);
	cr_assert_eq(p->security.sandbox, POLICY_SANDBOX_STRICT);
	cr_assert_eq(p->security.network, POLICY_NET_ISOLATED);
	cr_assert_eq(p->security.n_allowed_endpoints, 0);
	cr_assert_eq(p->filesystem.n_allow, 2);
	cr_assert_str_eq(p->filesystem.allow[0].path, "/workspace/input");
	cr_assert_eq(p->filesystem.allow[0].mode, POLICY_FS_R);
	cr_assert_eq(p->filesystem.allow[0].loc.line, 12);
	cr_assert_eq(p->filesystem.allow[0].loc.col, 7);
	cr_assert_eq(p->filesystem.allow[1].mode, POLICY_FS_W);
	cr_assert(p->filesystem.deny_writes);
	cr_assert_eq(p->http.allow.n, 0);
	cr_assert_eq(p->http.redact_headers.n, 3);
	cr_assert_str_eq(p->http.redact_headers.items[2], "x-api-key");
	cr_assert_str_eq(p->llm.provider, "openai");
	cr_assert_str_eq(p->llm.model, "gpt-4.1");
	cr_assert_eq(p->llm.max_tokens, 500);
	cr_assert_eq(p->llm.budget_micro_usd, 500000);
	cr_assert_float_eq(p->llm.budget_usd, 0.5, 1e-9);
	cr_assert_eq(p->tools.n_allow, 2);
	cr_assert_str_eq(p->tools.allow[1].name, "grep");
	cr_assert_eq(p->tools.timeout_sec, 20);
	cr_assert_str_eq(p->tools.working_dir, "/workspace");
	cr_assert_eq(p->audit.retention_days, 2555);
	cr_assert_eq(p->audit.export_format, POLICY_EXPORT_JSONL);
	cr_assert_eq(p->pii_redaction.mode, POLICY_PII_AGGRESSIVE);
	cr_assert_eq(p->pii_redaction.patterns.n, 7);
	cr_assert_str_eq(p->pii_redaction.patterns.items[6], "api_key");
	cr_assert_str_eq(p->source, "policy/examples/hardened-production.yml");
	policy_free(p);
}

Test(policy_load, default_policy_expands_cwd)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	char cwd[PATH_MAX];

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(policy_load_default(&p, &errs), 0, "%s", errs.e[0].msg);
	cr_assert_str_eq(p->name, "default");
	cr_assert_eq(p->security.network, POLICY_NET_ISOLATED);
	cr_assert_str_eq(p->filesystem.allow[0].path, cwd);
	cr_assert_eq(p->filesystem.allow[0].mode, POLICY_FS_RW);
	cr_assert_str_eq(p->filesystem.allow[1].path, "/usr");
	cr_assert_eq(p->filesystem.allow[1].mode, POLICY_FS_R);
	cr_assert(p->pii_redaction.enabled);
	cr_assert(p->audit.merkle);
	cr_assert(strstr(policy_default_yaml(), "${CWD}"));
	policy_free(p);
}

Test(policy_load, every_key)
{
	struct akios_policy *p = load_ok(
	    "version: 1\n"
	    "name: all\n"
	    "security: {sandbox: standard, network: allowlist,\n"
	    "  allowed_endpoints: ['api.OpenAI.com:443', '[::0001]:8080',\n"
	    "  '127.0.0.1:11434']}\n"
	    "filesystem:\n"
	    "  allow:\n"
	    "    - {path: /data, mode: rw, allow_control_files: true}\n"
	    "    - {path: '${CWD}/out'}\n"
	    "  deny_writes: false\n"
	    "http: {allow: ['https://example.com/api/'], redact_headers: "
	    "[X-Token]}\n"
	    "llm: {provider: anthropic, model: m, base_url: "
	    "'http://127.0.0.1:8080/v1',\n"
	    "  max_tokens: 0, redact_prompts: false, redact_responses: "
	    "false}\n"
	    "budget: {max_cost_per_run: 2.125}\n"
	    "tools: {allow: [{name: /usr/bin/jq}], timeout_sec: 0}\n"
	    "audit: {merkle: false, pii_redaction: false, export_format: csv,\n"
	    "  retention_days: 0, dir: /var/log/akios}\n"
	    "pii_redaction: {enabled: false, mode: strict, patterns: []}\n"
	    "limits: {memory_mb: 512, pids: 64, cpu_percent: 150,\n"
	    "  wall_timeout_sec: 60, required: [memory_mb, pids]}\n"
	    "env: {pass: [TERM, LANG], set: {MODE: '1'}}\n"
	    "secrets:\n"
	    "  - {env: OPENAI_API_KEY, from_env: HOST_OPENAI_KEY}\n"
	    "  - {env: TOKEN, from_file: /run/secrets/token}\n");
	char cwd[PATH_MAX];
	char want[PATH_MAX + 8];

	cr_assert_eq(p->security.sandbox, POLICY_SANDBOX_STANDARD);
	cr_assert_eq(p->security.n_allowed_endpoints, 3);
	cr_assert_str_eq(p->security.allowed_endpoints[0].host,
			 "api.openai.com");
	cr_assert_eq(p->security.allowed_endpoints[0].port, 443);
	cr_assert_str_eq(p->security.allowed_endpoints[1].host, "::1");
	cr_assert_eq(p->security.allowed_endpoints[1].port, 8080);
	cr_assert(p->filesystem.allow[0].allow_control_files);
	cr_assert_not(p->filesystem.allow[1].allow_control_files);
	cr_assert_eq(p->filesystem.allow[1].mode, POLICY_FS_R);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/out", cwd);
	cr_assert_str_eq(p->filesystem.allow[1].path, want);
	cr_assert_not(p->filesystem.deny_writes);
	cr_assert_str_eq(p->http.redact_headers.items[0], "x-token");
	cr_assert_str_eq(p->llm.base_url, "http://127.0.0.1:8080/v1");
	cr_assert_eq(p->llm.budget_micro_usd, 2125000);
	cr_assert_eq(p->tools.n_allow, 1);
	cr_assert(p->tools.allow_set);
	cr_assert_eq(p->audit.export_format, POLICY_EXPORT_CSV);
	cr_assert_str_eq(p->audit.dir, "/var/log/akios");
	cr_assert_eq(p->pii_redaction.mode, POLICY_PII_STRICT);
	cr_assert_eq(p->limits.memory_mb, 512);
	cr_assert_eq(p->limits.cpu_percent, 150);
	cr_assert_eq(p->limits.required,
		     POLICY_LIMIT_MEMORY | POLICY_LIMIT_PIDS);
	cr_assert_eq(p->env.pass.n, 2);
	cr_assert_str_eq(p->env.set[0].key, "MODE");
	cr_assert_str_eq(p->env.set[0].value, "1");
	cr_assert_eq(p->n_secrets, 2);
	cr_assert_str_eq(p->secrets[0].from_env, "HOST_OPENAI_KEY");
	cr_assert_null(p->secrets[0].from_file);
	cr_assert_str_eq(p->secrets[1].from_file, "/run/secrets/token");
	policy_free(p);
}

Test(policy_load, defaults_when_keys_absent)
{
	struct akios_policy *p = load_ok("version: 1\n");

	cr_assert_null(p->name);
	cr_assert_eq(p->security.sandbox, POLICY_SANDBOX_STRICT);
	cr_assert(p->filesystem.deny_writes);
	cr_assert(p->llm.redact_prompts);
	cr_assert_lt(p->llm.budget_usd, 0);
	cr_assert_eq(p->llm.budget_micro_usd, -1);
	cr_assert_eq(p->http.redact_headers.n, 4);
	cr_assert_not(p->tools.allow_set);
	cr_assert_eq(p->pii_redaction.mode, POLICY_PII_BALANCED);
	policy_free(p);
}

Test(policy_load, budget_alias_same_value_is_fine)
{
	struct akios_policy *p = load_ok("version: 1\nllm: {budget_usd: 1.5}\n"
					 "budget: {max_cost_per_run: 1.50}\n");

	cr_assert_eq(p->llm.budget_micro_usd, 1500000);
	policy_free(p);
}
