/* policy/trust.c: loading a policy under a signature requirement. The
 * file is read once and the same bytes are verified and parsed, so the
 * file cannot change between the check and the use. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <errno.h>
#include <stdlib.h>

int policy_trust_init(struct policy_trust *t, bool flag_require_signed,
		      const char *flag_trusted_keys, struct akios_err *err)
{
	const char *env = getenv("AKIOS_REQUIRE_SIGNED");

	t->require_signed = flag_require_signed;
	t->trusted_keys_dir = flag_trusted_keys;
	if (!env || env[0] == '\0' || strcmp(env, "0") == 0)
		return 0;
	if (strcmp(env, "1") != 0)
		return akios_err_set(err, NULL, 0, 0,
				     "AKIOS_REQUIRE_SIGNED must be 1 or 0, "
				     "not '%s'",
				     env);
	t->require_signed = true;
	return 0;
}

static int signature_error(const char *path, const struct akios_err *e,
			   struct policy_errors *errs)
{
	struct akios_err *slot;

	if (errs->n >= POLICY_MAX_ERRORS) {
		errs->dropped++;
		return -EPERM;
	}
	slot = &errs->e[errs->n++];
	*slot = *e;
	if (!slot->file)
		slot->file = path;
	return -EPERM;
}

int policy_load_checked(const char *path, const struct policy_trust *trust,
			struct akios_policy **out, struct policy_errors *errs)
{
	struct akios_buf buf;
	struct akios_err err = {0};
	int rc;

	if (!path)
		return policy_load_default(out, errs);
	if (!trust->require_signed)
		return policy_load_file(path, out, errs);
	akios_buf_init(&buf, AKIOS_MAX_POLICY_BYTES);
	rc = fileio_read_all(path, &buf, &err);
	if (rc) {
		signature_error(path, &err, errs);
		return rc;
	}
	rc = policy_verify_data(path, buf.ptr, buf.len, NULL,
				trust->trusted_keys_dir, NULL, &err);
	if (rc)
		rc = signature_error(path, &err, errs);
	else
		rc = policy_load_buffer(path, buf.ptr ? buf.ptr : "", buf.len,
					out, errs);
	akios_buf_free(&buf);
	return rc;
}
