/* Unit tests of secret detection in policy text: every credential shape
 * is refused wherever it appears (value, key, list item, inside a longer
 * string) with a pointer to secrets:, and look-alikes are not. */
#include "shared/common.h"
#include "policy/policy.h"

#include <criterion/criterion.h>
#include <stdio.h>

static const char *first_error(const char *yaml, struct policy_errors *e)
{
	struct akios_policy *p = NULL;

	*e = (struct policy_errors){0};
	if (policy_load_buffer("s.yml", yaml, strlen(yaml), &p, e) == 0) {
		policy_free(p);
		return NULL;
	}
	return e->e[0].msg;
}

static void refused(const char *secret, const char *kind)
{
	char y[512];
	struct policy_errors e;
	const char *msg;

	snprintf(y, sizeof(y), "version: 1\nllm:\n  model: \"x %s\"\n", secret);
	msg = first_error(y, &e);
	cr_assert_not_null(msg, "accepted %s", secret);
	cr_assert(strstr(msg, kind), "%s: %s", secret, msg);
	cr_assert(strstr(msg, "secrets:"), "%s", msg);
	cr_assert_eq(e.e[0].line, 3);
	cr_assert_eq(e.e[0].col, 13, "the secret's own column");
	cr_assert_eq(e.n, 1, "reported once");
}

Test(policy_secrets, every_shape_is_refused)
{
	refused("sk-abcdefghijklmnopqrstuvwxyz012345", "OpenAI");
	refused("sk-proj-abcdefghijklmnopqrstuvwxyz_-0123", "OpenAI");
	refused("sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "Anthropic");
	refused("AKIAIOSFODNN7EXAMPLE", "AWS");
	refused("ASIAIOSFODNN7EXAMPLE", "AWS");
	refused("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "GitHub");
	refused("gho_abcdefghijklmnopqrstuvwxyz0123456789", "GitHub");
	refused("ghs_abcdefghijklmnopqrstuvwxyz0123456789", "GitHub");
	refused("github_pat_11ABCDEFG0123456789_abcdefghijkl", "GitHub");
	refused("xoxb-1234567890-abcdefghij", "Slack");
	refused("xoxp-1234567890-abcdefghij", "Slack");
	refused("glpat-abcdefghijklmnopqrst", "GitLab");
	refused("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "Google");
	refused("sk_live_abcdefghijklmnop", "Stripe");
	refused("-----BEGIN OPENSSH PRIVATE KEY-----", "PEM private key");
	refused("-----BEGIN PRIVATE KEY-----", "PEM private key");
}

Test(policy_secrets, anywhere_in_the_file)
{
	struct policy_errors e;

	cr_assert_not_null(
	    first_error("version: 1\nenv:\n  set:\n    TOKEN: "
			"ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
			&e));
	cr_assert_eq(e.e[0].line, 4);
	cr_assert_eq(e.e[0].col, 12);
	cr_assert_not_null(first_error(
	    "version: 1\nhttp:\n  allow: "
	    "['https://x.com/?key=sk-abcdefghijklmnopqrstuvwxyz0123']\n",
	    &e));
	cr_assert_eq(e.e[0].line, 3);
	cr_assert_not_null(
	    first_error("version: 1\nAKIAIOSFODNN7EXAMPLE: 1\n", &e));
	cr_assert_eq(e.e[0].line, 2);
	cr_assert_eq(e.e[0].col, 1);
	cr_assert_not_null(first_error(
	    "version: 1\nname: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIE\n",
	    &e));
	cr_assert(strstr(e.e[0].msg, "PEM"));
	cr_assert_eq(e.e[0].line, 3);
	cr_assert_eq(e.e[0].col, 3);
}

Test(policy_secrets, in_a_comment)
{
	struct policy_errors e;

	cr_assert_not_null(first_error(
	    "version: 1\n# old key: AKIAIOSFODNN7EXAMPLE\nname: x\n", &e));
	cr_assert_eq(e.e[0].line, 2);
	cr_assert_eq(e.e[0].col, 12);
	cr_assert(strstr(e.e[0].msg, "AWS"));
}

Test(policy_secrets, hidden_by_escapes)
{
	struct policy_errors e;

	/* "\x73k-" decodes to "sk-": only the decoded scalar shows it. */
	cr_assert_not_null(first_error(
	    "version: 1\nname: \"\\x73k-abcdefghijklmnopqrstuvwxyz0123\"\n",
	    &e));
	cr_assert_eq(e.e[0].line, 2);
	cr_assert_eq(e.e[0].col, 7);
	cr_assert(strstr(e.e[0].msg, "OpenAI"));
}

Test(policy_secrets, many_secrets_stay_bounded)
{
	size_t per = 40;
	size_t lines = 20000;
	char *y = malloc(per * lines + 16);
	struct akios_policy *p = NULL;
	struct policy_errors e = {0};
	size_t n = 0;

	cr_assert_not_null(y);
	for (size_t i = 0; i < lines; i++)
		n += (size_t)snprintf(y + n, per + 1,
				      "# AKIAIOSFODNN7EXAMPLE %015zu\n", i);
	cr_assert_neq(policy_load_buffer("big.yml", y, n, &p, &e), 0);
	cr_assert_eq(e.n, POLICY_MAX_ERRORS);
	free(y);
}

Test(policy_secrets, look_alikes_pass)
{
	struct policy_errors e;

	/* Pattern names, short prefixes, prefixes inside words, and public
	 * PEM blocks are not secrets. */
	cr_assert_null(first_error(
	    "version: 1\nname: task-abcdefghijklmnopqrstuvwxyz0123\n"
	    "llm: {model: sk-short}\n"
	    "tools: {allow: [{name: ghp_x}]}\n"
	    "env: {set: {K: '-----BEGIN PUBLIC KEY-----'}}\n"
	    "pii_redaction: {patterns: [api_key, private_key, github_token]}\n",
	    &e));
	cr_assert_eq(e.n, 0);
}
