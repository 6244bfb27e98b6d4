/* libFuzzer harness of the policy loader: arbitrary bytes through
 * policy_load_buffer must give a policy or errors, never a crash, a leak
 * or undefined behaviour; a loaded policy must also emit cleanly, and its
 * canonical YAML must reload to the same canonical YAML. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/limits.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The canonical YAML must load again and print the same bytes. */
static void round_trip(const struct akios_buf *yaml)
{
	struct policy_errors errs = {0};
	struct akios_policy *q = NULL;
	struct akios_buf again;

	if (policy_load_buffer("canonical.yml", yaml->ptr, yaml->len, &q,
			       &errs) != 0)
		__builtin_trap();
	akios_buf_init(&again, AKIOS_MAX_POLICY_BYTES * 4);
	if (policy_emit_yaml(q, &again) != 0 || again.len != yaml->len ||
	    memcmp(again.ptr, yaml->ptr, yaml->len) != 0)
		__builtin_trap();
	akios_buf_free(&again);
	policy_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	struct akios_buf out;

	if (policy_load_buffer("fuzz.yml", (const char *)data, size, &p,
			       &errs) != 0) {
		if (errs.n == 0 && errs.dropped == 0)
			__builtin_trap(); /* a failure must say why */
		return 0;
	}
	akios_buf_init(&out, AKIOS_MAX_POLICY_BYTES * 4);
	if (policy_emit_yaml(p, &out) != 0)
		__builtin_trap();
	round_trip(&out);
	akios_buf_reset(&out);
	if (policy_emit_json(p, &out) != 0)
		__builtin_trap();
	akios_buf_free(&out);
	policy_free(p);
	return 0;
}
