/* policy_cli: the shared policy loading of the commands: trust options
 * to struct policy_trust, one checked load, every error printed. Kept out
 * of policy/ because it prints, and the policy module never does. */
#include "shared/common.h"
#include "supervisor/policy_cli.h"
#include "shared/exitcodes.h"

#include <errno.h>

void policy_cli_print_errors(const struct policy_errors *errs, const char *file)
{
	for (unsigned i = 0; i < errs->n; i++)
		cli_error_err(file, &errs->e[i]);
	if (errs->dropped)
		cli_error(file, "%u more errors not shown", errs->dropped);
}

int policy_cli_trust(const struct cli_spec *spec, const struct cli_args *args,
		     struct policy_trust *t)
{
	struct akios_err err = {0};

	if (policy_trust_init(t, cli_has(spec, args, "require-signed"),
			      cli_get(spec, args, "trusted-keys"), &err)) {
		cli_error_err(spec->name, &err);
		return AKIOS_EXIT_USAGE;
	}
	return 0;
}

int policy_cli_load(const struct policy_trust *t, const char *path,
		    struct akios_policy **out)
{
	struct policy_errors errs = {0};
	int rc = policy_load_checked(path, t, out, &errs);

	if (rc)
		policy_cli_print_errors(&errs, path ? path : "<default>");
	return rc;
}
