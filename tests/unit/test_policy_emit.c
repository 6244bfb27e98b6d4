/* Unit tests of policy output: the canonical YAML of the example, the
 * default and a policy using every key loads back to the same policy
 * (and prints the same bytes), and the JSON form parses with cJSON. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/limits.h"

#include <cJSON.h>
#include <criterion/criterion.h>

static const char full[] =
    "version: 1\n"
    "name: \"quote\\\" and \\\\ back\"\n"
    "security: {sandbox: standard, network: allowlist,\n"
    "  allowed_endpoints: ['api.openai.com:443', '[::1]:8080', "
    "'10.0.0.1:1']}\n"
    "filesystem: {allow: [{path: /data, mode: rw, allow_control_files: "
    "true},\n  {path: /ro}], deny_writes: false}\n"
    "http: {allow: ['https://example.com/api/'], redact_headers: []}\n"
    "llm: {provider: anthropic, model: m, base_url: 'http://127.0.0.1:8/v1',\n"
    "  max_tokens: 7, budget_usd: 0.000001, redact_prompts: false}\n"
    "tools: {allow: [], timeout_sec: 5, working_dir: /w}\n"
    "audit: {merkle: false, export_format: csv, retention_days: 9, dir: /a}\n"
    "pii_redaction: {enabled: false, mode: strict, patterns: [ssn, "
    "financial]}\n"
    "limits: {memory_mb: 512, pids: 64, cpu_percent: 150,\n"
    "  wall_timeout_sec: 60, required: [cpu_percent, memory_mb]}\n"
    "env: {pass: [TERM], set: {MODE: 'a b', EMPTY: ''}}\n"
    "secrets: [{env: K, from_env: HOST_K}, {env: T, from_file: /run/t}]\n";

static struct akios_policy *load(const char *name, const char *y, size_t n)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;

	cr_assert_eq(policy_load_buffer(name, y, n, &p, &errs), 0, "%u:%u: %s",
		     errs.e[0].line, errs.e[0].col, errs.e[0].msg);
	return p;
}

/* Emits p, reloads the text, emits again: both texts must be equal. */
static void round_trip(struct akios_policy *p)
{
	struct akios_buf a;
	struct akios_buf b;
	struct akios_policy *q;

	akios_buf_init(&a, AKIOS_MAX_POLICY_BYTES);
	akios_buf_init(&b, AKIOS_MAX_POLICY_BYTES);
	cr_assert_eq(policy_emit_yaml(p, &a), 0);
	q = load("canonical.yml", a.ptr, a.len);
	cr_assert_eq(policy_emit_yaml(q, &b), 0);
	cr_assert_eq(a.len, b.len);
	cr_assert_str_eq(a.ptr, b.ptr);
	cr_assert_eq(q->llm.budget_micro_usd, p->llm.budget_micro_usd);
	cr_assert_eq(q->filesystem.n_allow, p->filesystem.n_allow);
	cr_assert_eq(q->n_secrets, p->n_secrets);
	cr_assert_eq(q->tools.allow_set, p->tools.allow_set);
	policy_free(q);
	akios_buf_free(&a);
	akios_buf_free(&b);
}

Test(policy_emit, example_round_trip)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;

	cr_assert_eq(policy_load_file("policy/examples/hardened-production.yml",
				      &p, &errs),
		     0);
	round_trip(p);
	policy_free(p);
}

Test(policy_emit, default_round_trip)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;

	cr_assert_eq(policy_load_default(&p, &errs), 0);
	round_trip(p);
	policy_free(p);
}

Test(policy_emit, every_key_round_trip)
{
	struct akios_policy *p = load("full.yml", full, sizeof(full) - 1);
	struct akios_buf a;

	cr_assert_str_eq(p->name, "quote\" and \\ back");
	round_trip(p);
	akios_buf_init(&a, AKIOS_MAX_POLICY_BYTES);
	cr_assert_eq(policy_emit_yaml(p, &a), 0);
	cr_assert(strstr(a.ptr, "  budget_usd: 0.000001\n"));
	cr_assert(strstr(a.ptr, "\"[::1]:8080\""));
	cr_assert(strstr(a.ptr, "  required: [memory_mb, cpu_percent]\n"));
	cr_assert(strstr(a.ptr, "  redact_headers: []\n"));
	akios_buf_free(&a);
	policy_free(p);
}

Test(policy_emit, json_is_valid_and_complete)
{
	struct akios_policy *p = load("full.yml", full, sizeof(full) - 1);
	struct akios_buf a;
	cJSON *j;
	const cJSON *eps;

	akios_buf_init(&a, AKIOS_MAX_POLICY_BYTES);
	cr_assert_eq(policy_emit_json(p, &a), 0);
	j = cJSON_Parse(a.ptr);
	cr_assert_not_null(j);
	cr_assert_eq(cJSON_GetObjectItem(j, "version")->valueint, 1);
	eps = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "security"),
				  "allowed_endpoints");
	cr_assert_eq(cJSON_GetArraySize(eps), 3);
	cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(eps, 1), "host")
			     ->valuestring,
			 "::1");
	cr_assert_float_eq(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "llm"), "budget_usd")
		->valuedouble,
	    0.000001, 1e-12);
	cr_assert_str_eq(
	    cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(j, "env"), "set"),
		"MODE")
		->valuestring,
	    "a b");
	cJSON_Delete(j);
	akios_buf_free(&a);
	policy_free(p);
}

Test(policy_emit, enum_names)
{
	cr_assert_str_eq(policy_fs_mode_name(POLICY_FS_RW), "rw");
	cr_assert_str_eq(policy_network_name(POLICY_NET_ALLOWLIST),
			 "allowlist");
	cr_assert_str_eq(policy_pii_mode_name(POLICY_PII_AGGRESSIVE),
			 "aggressive");
	cr_assert_str_eq(policy_export_format_name(POLICY_EXPORT_CSV), "csv");
	cr_assert_str_eq(policy_sandbox_name(POLICY_SANDBOX_STANDARD),
			 "standard");
}
