/* Unit tests of the policy validator's error paths: each bad input is
 * refused with its exact file:line:col and a message naming the fault,
 * and all errors of a file are reported, not just the first. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/limits.h"

#include <criterion/criterion.h>

static struct policy_errors load_bad(const char *yaml, size_t len)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	int rc = policy_load_buffer("t.yml", yaml, len, &p, &errs);

	cr_assert_neq(rc, 0, "accepted: %s", yaml);
	cr_assert_null(p);
	cr_assert_gt(errs.n, 0);
	return errs;
}

/* Asserts that some error sits at line:col and contains needle. */
static void expect(const char *yaml, unsigned line, unsigned col,
		   const char *needle)
{
	struct policy_errors e = load_bad(yaml, strlen(yaml));

	for (unsigned i = 0; i < e.n; i++) {
		if (e.e[i].line == line && e.e[i].col == col &&
		    strstr(e.e[i].msg, needle)) {
			cr_assert_str_eq(e.e[i].file, "t.yml");
			return;
		}
	}
	cr_assert_fail("no error '%s' at %u:%u; first was %u:%u: %s", needle,
		       line, col, e.e[0].line, e.e[0].col, e.e[0].msg);
}

Test(policy_errors, unknown_key_suggests)
{
	expect("version: 1\nsecurity:\n  sandbx: strict\n", 3, 3,
	       "unknown key 'sandbx'; did you mean 'sandbox'?");
	expect("version: 1\nfilesystem:\n  allow: []\n  deny_write: true\n", 4,
	       3, "did you mean 'deny_writes'?");
	expect("version: 1\nzzz: 1\n", 2, 1, "unknown key 'zzz'");
	expect("version: 1\ndeny_writes: true\n", 2, 1,
	       "unknown key 'deny_writes'; it belongs under 'filesystem'");
	expect("version: 1\nllm: {network: isolated}\n", 2, 7,
	       "unknown key 'network'");
	expect("version: 1\nllm: {modle: x}\n", 2, 7, "did you mean 'model'");
}

Test(policy_errors, unknown_key_without_close_match_has_no_hint)
{
	struct policy_errors e = load_bad("version: 1\nwhatever: 1\n", 23);

	cr_assert_eq(e.n, 1);
	cr_assert_null(strstr(e.e[0].msg, "did you mean"));
}

Test(policy_errors, wrong_types)
{
	expect("version: 1\nsecurity: strict\n", 2, 11, "expected a mapping");
	expect("version: 1\nhttp: {allow: x}\n", 2, 15, "expected a list");
	expect("version: 1\naudit: {merkle: yes}\n", 2, 17,
	       "expected true or false");
	expect("version: 1\naudit: {merkle: 'true'}\n", 2, 17,
	       "expected true or false");
	expect("version: \"1\"\n", 1, 10, "quoted string");
	expect("version: 1\nllm: {model: [a]}\n", 2, 14, "expected a single");
	expect("version: 1\nllm: {model: }\n", 2, 14, "empty value");
	expect("[1, 2]\n", 1, 1, "a policy is a mapping");
}

Test(policy_errors, numbers_are_strict_and_ranged)
{
	expect("version: 1\nllm: {max_tokens: -5}\n", 2, 19,
	       "expected a whole number");
	expect("version: 1\nllm: {max_tokens: 0x10}\n", 2, 19,
	       "expected a whole number");
	expect("version: 1\nllm: {max_tokens: 007}\n", 2, 19,
	       "expected a whole number");
	expect("version: 1\nllm: {max_tokens: 10000001}\n", 2, 19,
	       "out of range");
	expect("version: 1\nllm: {max_tokens: 99999999999999999999999}\n", 2,
	       19, "out of range");
	expect("version: 1\naudit: {retention_days: 36501}\n", 2, 25,
	       "out of range (0..36500)");
	expect("version: 1\nlimits: {pids: 4194305}\n", 2, 16, "out of range");
	expect("version: 2\n", 1, 10, "unsupported policy version 2");
}

Test(policy_errors, budget_decimal)
{
	expect("version: 1\nllm: {budget_usd: 1.2345678}\n", 2, 19,
	       "at most 6 decimals");
	expect("version: 1\nllm: {budget_usd: -1}\n", 2, 19, "decimal");
	expect("version: 1\nllm: {budget_usd: 1.}\n", 2, 19, "decimal");
	expect("version: 1\nllm: {budget_usd: .5}\n", 2, 19, "decimal");
	expect("version: 1\nllm: {budget_usd: 1e3}\n", 2, 19, "decimal");
	expect("version: 1\nllm: {budget_usd: 1000000.01}\n", 2, 19,
	       "out of range");
	expect("version: 1\nllm: {budget_usd: 1}\n"
	       "budget: {max_cost_per_run: 2}\n",
	       3, 28, "different values");
	expect("version: 1\nbudget: {max_cost_per_rnu: 2}\n", 2, 10,
	       "did you mean 'max_cost_per_run'");
}

Test(policy_errors, bad_enums)
{
	expect("version: 1\nsecurity: {sandbox: lax}\n", 2, 21,
	       "'lax' is not one of: strict, standard");
	expect("version: 1\nsecurity: {network: open}\n", 2, 21,
	       "isolated, allowlist");
	expect("version: 1\nfilesystem: {allow: [{path: /a, mode: x}]}\n", 2,
	       39, "r, w, rw");
	expect("version: 1\npii_redaction: {mode: lenient}\n", 2, 23,
	       "strict, balanced, aggressive");
	expect("version: 1\naudit: {export_format: xml}\n", 2, 24,
	       "jsonl, json, csv");
	expect("version: 1\nlimits: {memory_mb: 1, required: [memory]}\n", 2,
	       35, "memory_mb, pids, cpu_percent");
}

Test(policy_errors, pii_pattern_names)
{
	expect("version: 1\npii_redaction: {patterns: [ssn, emial]}\n", 2, 33,
	       "unknown PII pattern 'emial'; did you mean 'email'?");
	expect("version: 1\npii_redaction: {patterns: [qqqqqqqq]}\n", 2, 28,
	       "unknown PII pattern 'qqqqqqqq'");
	expect("version: 1\npii_redaction: {patterns: [ssn, ssn]}\n", 2, 33,
	       "listed twice");
}

Test(policy_errors, paths)
{
	const char *y = "version: 1\nfilesystem:\n  allow:\n"
			"    - {path: relative}\n"
			"    - {path: /a/../b}\n"
			"    - {path: \"/a//b\"}\n"
			"    - {path: /a/}\n"
			"    - {path: /a/./b}\n"
			"    - {path: \"${HOME}/x\"}\n"
			"    - {path: \"${CWD}x\"}\n"
			"    - {mode: r}\n";

	expect(y, 4, 14, "must be absolute");
	expect(y, 5, 14, "must not contain '..'");
	expect(y, 6, 14, "contains '//'");
	expect(y, 7, 14, "trailing '/'");
	expect(y, 8, 14, "contains '/./'");
	expect(y, 9, 14, "only ${CWD} is expanded");
	expect(y, 10, 14, "${CWD} must be followed by '/'");
	expect(y, 11, 7, "needs a 'path'");
	cr_assert_eq(load_bad(y, strlen(y)).n, 8, "all errors reported");
	expect("version: 1\ntools: {working_dir: work}\n", 2, 22,
	       "must be absolute");
	expect("version: 1\naudit: {dir: ../x}\n", 2, 14, "must be absolute");
}

Test(policy_errors, nul_byte_in_value)
{
	expect("version: 1\nname: \"a\\0b\"\n", 2, 7, "NUL byte");
}

Test(policy_errors, invisible_characters_in_values)
{
	expect("version: 1\nname: \"a\\x85b\"\n", 2, 7, "control characters");
	expect("version: 1\nname: \"a\\u2028b\"\n", 2, 7, "control characters");
	expect("version: 1\nname: \"a\\u0080b\"\n", 2, 7, "control characters");
	expect("version: 1\nname: \"a\\tb\"\n", 2, 7, "control characters");
	expect("version: 1\nname: \"\\uFEFFb\"\n", 2, 7, "control characters");
}

Test(policy_errors, path_duplicates_and_contradictions)
{
	const char *y = "version: 1\nfilesystem:\n  allow:\n"
			"    - {path: /x, mode: r}\n"
			"    - {path: /x, mode: w}\n"
			"    - {path: /y}\n"
			"    - {path: /y, mode: r}\n";

	expect(y, 5, 7, "listed twice with different settings (first at 4:7)");
	expect(y, 7, 7, "path '/y' is listed twice");
}

Test(policy_errors, contradictions)
{
	expect("version: 1\nsecurity: {network: isolated, allowed_endpoints: "
	       "['a.com:443']}\n",
	       2, 50, "use network: allowlist");
	expect("version: 1\nlimits: {required: [pids]}\n", 2, 20,
	       "names 'pids' but that limit is not set");
	expect("version: 1\nenv: {pass: [A], set: {A: b}}\n", 2, 13,
	       "both in env.pass and env.set");
	expect("version: 1\nenv: {pass: [A]}\nsecrets: [{env: A, from_env: "
	       "B}]\n",
	       3, 11, "secret 'A' is also set");
}

Test(policy_errors, endpoints)
{
	const char *y = "version: 1\nsecurity:\n  network: allowlist\n"
			"  allowed_endpoints:\n"
			"    - https://a.com\n"
			"    - \"::1:80\"\n"
			"    - a.com:0\n"
			"    - a.com\n"
			"    - \"[::1]:x\"\n"
			"    - 300.1.1.1:1\n"
			"    - -bad-.com:1\n"
			"    - A.com:443\n"
			"    - a.com:443\n"
			"    - \"[fe80::zz]:1\"\n";

	expect(y, 5, 7, "not a URL");
	expect(y, 6, 7, "write it as [addr]:port");
	expect(y, 7, 7, "1..65535");
	expect(y, 8, 7, "expected host:port");
	expect(y, 9, 7, "1..65535");
	expect(y, 10, 7, "not a valid IPv4 address");
	expect(y, 11, 7, "not a valid host name");
	expect(y, 13, 7, "'a.com' port 443 is listed twice");
	expect(y, 14, 7, "not a valid IPv6 address");
}

Test(policy_errors, env_and_secrets)
{
	const char *y = "version: 1\n"
			"env: {pass: [LD_PRELOAD, 1X, AKIOS_X]}\n"
			"secrets:\n"
			"  - {env: C}\n"
			"  - {env: D, from_env: E, from_file: /f}\n"
			"  - {from_env: E}\n"
			"  - {env: F, from_file: rel}\n"
			"  - {env: G, from_env: H}\n"
			"  - {env: G, from_env: I}\n";

	expect(y, 2, 14, "'LD_PRELOAD' is reserved");
	expect(y, 2, 26, "not a valid environment variable name");
	expect(y, 2, 30, "'AKIOS_X' is reserved");
	expect(y, 4, 5, "exactly one of from_env and from_file");
	expect(y, 5, 5, "exactly one of from_env and from_file");
	expect(y, 6, 5, "needs 'env'");
	expect(y, 7, 25, "must be absolute");
	expect(y, 9, 5, "secret 'G' is listed twice");
}

Test(policy_errors, urls_headers_tools)
{
	expect("version: 1\nhttp: {allow: ['ftp://x']}\n", 2, 16,
	       "not an http:// or https:// URL");
	expect("version: 1\nllm: {base_url: 'localhost:8080'}\n", 2, 17,
	       "not an http:// or https:// URL");
	expect("version: 1\nhttp: {redact_headers: ['bad header']}\n", 2, 25,
	       "not an HTTP header name");
	expect("version: 1\ntools: {allow: [{name: 'a/b'}]}\n", 2, 24,
	       "not a program name");
	expect("version: 1\ntools: {allow: [{name: jq}, {name: jq}]}\n", 2, 29,
	       "tool 'jq' is listed twice");
	expect("version: 1\ntools: {allow: [{nme: jq}]}\n", 2, 18,
	       "did you mean 'name'");
}

Test(policy_errors, missing_version_and_empty)
{
	expect("name: x\n", 1, 1, "missing required key 'version'");
	struct policy_errors e = load_bad("", 0);

	cr_assert(strstr(e.e[0].msg, "empty policy"));
	e = load_bad("# only a comment\n", 17);
	cr_assert(strstr(e.e[0].msg, "empty policy"));
}

Test(policy_errors, yaml_features_refused)
{
	expect("version: 1\nname: &n x\n", 2, 7, "anchors are not allowed");
	expect("version: 1\nllm: {model: &m x, provider: *m}\n", 2, 30,
	       "aliases are not allowed");
	expect("version: !!int 1\n", 1, 10, "tags are not allowed");
	expect("version: 1\n---\nversion: 1\n", 2, 1, "one YAML document");
	expect("version: 1\nversion: 1\n", 2, 1,
	       "duplicate key 'version' (first at 1:1)");
	expect("version: 1\n? [a]\n: b\n", 2, 3, "mapping key");
}

Test(policy_errors, libyaml_errors_have_location)
{
	expect("version: 1\n  bad: [\n", 2, 6, "YAML: mapping values");
	expect("version: 1\nname: \"unterminated\n", 3, 1, "YAML:");
	expect("version: 1\nname: \t\x01\n", 2, 8, "YAML:");
}

Test(policy_errors, deep_nesting_refused)
{
	char y[256] = "version: 1\nname: ";
	size_t n = strlen(y);

	for (int i = 0; i < 40; i++)
		y[n++] = '[';
	y[n] = '\0';
	expect(y, 2, 39, "nesting deeper than 32");
}

Test(policy_errors, oversized_policy_refused)
{
	size_t len = AKIOS_MAX_POLICY_BYTES + 1;
	char *big = malloc(len);
	struct policy_errors e;

	cr_assert_not_null(big);
	memset(big, '#', len);
	e = load_bad(big, len);
	cr_assert(strstr(e.e[0].msg, "larger than 1048576 bytes"));
	free(big);
}

Test(policy_errors, error_cap_counts_the_rest)
{
	char y[4096] = "version: 1\n";
	size_t n = strlen(y);
	struct policy_errors e;

	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(y + n, sizeof(y) - n, "k%d: 1\n", i);
	e = load_bad(y, n);
	cr_assert_eq(e.n, POLICY_MAX_ERRORS);
	cr_assert_eq(e.dropped, 40 - POLICY_MAX_ERRORS);
}

Test(policy_errors, missing_file_and_symlink)
{
	struct policy_errors e = {0};
	struct akios_policy *p = NULL;

	cr_assert_neq(policy_load_file("/nonexistent/p.yml", &p, &e), 0);
	cr_assert_null(p);
	cr_assert_eq(e.n, 1);
	cr_assert_str_eq(e.e[0].file, "/nonexistent/p.yml");
}
