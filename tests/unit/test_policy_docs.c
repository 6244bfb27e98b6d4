/* Docs drift test (STYLE.md §34): every key that the canonical output of
 * a policy using every feature contains, and the budget alias, has a row
 * in README.md's policy reference. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <criterion/criterion.h>
#include <ctype.h>

static const char every[] =
    "version: 1\nname: n\n"
    "security: {network: allowlist, allowed_endpoints: ['a.com:1']}\n"
    "filesystem: {allow: [{path: /a, mode: rw, allow_control_files: true}]}\n"
    "http: {allow: ['https://a.com/'], redact_headers: [x]}\n"
    "llm: {provider: p, model: m, base_url: 'https://a.com', max_tokens: 1,\n"
    "  budget_usd: 1, redact_prompts: true, redact_responses: true}\n"
    "tools: {allow: [{name: jq}], timeout_sec: 1, working_dir: /w}\n"
    "audit: {merkle: true, pii_redaction: true, export_format: json,\n"
    "  retention_days: 1, dir: /d}\n"
    "pii_redaction: {enabled: true, mode: strict, patterns: [email]}\n"
    "limits: {memory_mb: 1, pids: 1, cpu_percent: 1, wall_timeout_sec: 1,\n"
    "  required: [pids]}\n"
    "env: {pass: [A], set: {B: c}}\n"
    "secrets: [{env: C, from_env: D}, {env: E, from_file: /f}]\n";

static void documented(const char *readme, const char *key, size_t len)
{
	char want[64];

	cr_assert_lt(len + 3, sizeof(want));
	want[0] = '`';
	memcpy(want + 1, key, len);
	want[len + 1] = '`';
	want[len + 2] = '\0';
	if (!strstr(readme, want)) {
		/* rows of list items are written "allow[].path" */
		want[0] = '.';
		cr_assert(strstr(readme, want), "README lacks `%s`", want + 1);
	}
}

Test(policy_docs, every_key_is_in_the_readme)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	struct akios_buf yaml;
	struct akios_buf readme;
	struct akios_err err = {0};
	unsigned keys = 0;

	akios_buf_init(&yaml, AKIOS_MAX_POLICY_BYTES);
	akios_buf_init(&readme, AKIOS_MAX_POLICY_BYTES);
	cr_assert_eq(fileio_read_all("README.md", &readme, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(policy_load_buffer("every.yml", every, sizeof(every) - 1,
					&p, &errs),
		     0, "%s", errs.e[0].msg);
	cr_assert_eq(policy_emit_yaml(p, &yaml), 0);
	for (const char *line = yaml.ptr; line && *line;) {
		const char *k = line + strspn(line, " -");
		size_t n = 0;

		while (islower((unsigned char)k[n]) || k[n] == '_')
			n++;
		if (n && k[n] == ':') {
			documented(readme.ptr, k, n);
			keys++;
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	cr_assert_gt(keys, 50, "only %u keys seen", keys);
	documented(readme.ptr, "max_cost_per_run", 16);
	documented(readme.ptr, "${CWD}", 6);
	documented(readme.ptr, "AKIOS_REQUIRE_SIGNED", 20);
	policy_free(p);
	akios_buf_free(&yaml);
	akios_buf_free(&readme);
}
