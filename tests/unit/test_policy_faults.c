/* Fault injection (STYLE.md §33): every allocation of a policy load is
 * made to fail in turn (N = 1, 2, ... until a load succeeds untouched).
 * Each failing load must return an error, leave *out NULL and not crash;
 * the allocator below is this test binary's own, so it also sees the
 * allocations of libyaml and OpenSSL made during a load, and those of
 * shared/json.c made by policy_emit_json. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/limits.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

/* Armed: the countdown-th allocation from now fails (0: disarmed). */
static unsigned long countdown;

static bool fail_now(void)
{
	return countdown && --countdown == 0;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return realloc(p, n * size);
}

void free(void *p)
{
	__libc_free(p);
}

char *strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

char *strdup(const char *s)
{
	return strndup(s, strlen(s));
}

static const char text[] =
    "version: 1\nname: faults\n"
    "security: {network: allowlist, allowed_endpoints: ['a.com:443']}\n"
    "filesystem: {allow: [{path: '${CWD}/w', mode: rw}, {path: /usr}]}\n"
    "http: {allow: ['https://x.com/'], redact_headers: [a]}\n"
    "llm: {provider: openai, model: m, budget_usd: 1.5}\n"
    "tools: {allow: [{name: jq}], working_dir: /w}\n"
    "pii_redaction: {patterns: [email]}\n"
    "limits: {pids: 4, required: [pids]}\n"
    "env: {pass: [TERM], set: {A: b}}\n"
    "secrets: [{env: K, from_env: H}]\n"
    "audit: {dir: /a}\n";

/* One load (and, when it loads, one emission) with the n-th allocation
 * failing. Returns true when nothing failed: n passed the last one. */
static bool load_failing_at(unsigned long n)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	struct akios_buf out;
	int rc;
	int erc = 0;

	akios_buf_init(&out, AKIOS_MAX_POLICY_BYTES);
	countdown = n;
	rc = policy_load_buffer("f.yml", text, sizeof(text) - 1, &p, &errs);
	if (rc == 0)
		erc = policy_emit_json(p, &out);
	bool untouched = countdown != 0;

	countdown = 0;
	if (rc == 0) {
		cr_assert_not_null(p);
		cr_assert(erc == 0 || erc == -ENOMEM);
	} else {
		cr_assert_null(p, "allocation %lu", n);
		cr_assert(rc == -ENOMEM || rc == -EINVAL, "rc %d", rc);
		cr_assert_gt(errs.n, 0, "allocation %lu: no error", n);
	}
	akios_buf_free(&out);
	policy_free(p);
	return untouched;
}

Test(policy_faults, every_allocation_failure_is_an_error)
{
	unsigned long n = 1;

	while (!load_failing_at(n))
		n++;
	cr_assert_gt(n, 50, "only %lu allocations: injection not working", n);
}
