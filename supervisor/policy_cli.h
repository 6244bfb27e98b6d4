/* What every command that loads a policy shares (policy check/show, run):
 * the --require-signed/--trusted-keys options and one load that honours
 * them and AKIOS_REQUIRE_SIGNED and prints every error it finds. */
#ifndef AKIOS_POLICY_CLI_H
#define AKIOS_POLICY_CLI_H

#include "shared/common.h"
#include "policy/policy.h"
#include "supervisor/cli.h"

/* Put this in a command's cli_opt table (names must stay as they are). */
#define POLICY_CLI_TRUST_OPTS                                                  \
	{"require-signed", 0, NULL,                                            \
	 "refuse a policy without a valid signature (also "                    \
	 "AKIOS_REQUIRE_SIGNED=1)",                                            \
	 0},                                                                   \
	{                                                                      \
		"trusted-keys", 0, "DIR",                                      \
		    "directory of trusted *.pub keys (default: the key "       \
		    "directory)",                                              \
		    0                                                          \
	}

/* Fills t from the trust options parsed into args by spec and from
 * AKIOS_REQUIRE_SIGNED. On a bad value prints it and returns
 * AKIOS_EXIT_USAGE; otherwise 0. t borrows from args. */
int policy_cli_trust(const struct cli_spec *spec, const struct cli_args *args,
		     struct policy_trust *t)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* Loads path (NULL: the embedded default policy) under t, printing each
 * error as "akios: FILE:L:C: msg". Returns 0 with *out set (free with
 * policy_free) or the policy_load_checked error (-EPERM: signature
 * refused); callers map it to their exit code. */
int policy_cli_load(const struct policy_trust *t, const char *path,
		    struct akios_policy **out)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* Prints a load's errors (and how many were dropped). */
void policy_cli_print_errors(const struct policy_errors *errs, const char *file)
    AKIOS_NONNULL(1, 2);

#endif
