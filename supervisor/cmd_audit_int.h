/* Shared pieces of the `akios audit` subcommands (cmd_audit*.c): the
 * handlers, and the helpers every one of them uses (audit directory
 * option, error printing). Not for use outside supervisor/cmd_audit*.c. */
#ifndef AKIOS_CMD_AUDIT_INT_H
#define AKIOS_CMD_AUDIT_INT_H

#include "shared/common.h"
#include "shared/audit/audit.h"
#include "shared/err.h"
#include "supervisor/cli.h"

#include <stdint.h>

#define AUDIT_DIR_OPT                                                          \
	{                                                                      \
		"audit-dir", 0, "DIR",                                         \
		    "audit directory (default ./" AUDIT_DEFAULT_DIR ")", 0     \
	}

int cmd_audit_verify(int argc, char **argv);
int cmd_audit_export(int argc, char **argv);
bool cmd_audit_export_ext(int argc, char *const *argv);
int cmd_audit_proof(int argc, char **argv);
int cmd_audit_verify_proof(int argc, char **argv);
int cmd_audit_append(int argc, char **argv);
int cmd_audit_show(int argc, char **argv);
int cmd_audit_stats(int argc, char **argv);

/* --audit-dir or the default. */
const char *audit_cli_dir(const struct cli_spec *spec,
			  const struct cli_args *args) AKIOS_NONNULL(1, 2);
/* Read-only commands call this before reading the ledger: a Landlock
 * ruleset that denies every filesystem write for the rest of the process
 * (plus NO_NEW_PRIVS). Best effort: -EOPNOTSUPP without Landlock. */
int audit_cli_readonly(void);
/* Parses a decimal u64 option value; 0 or -EINVAL. */
int audit_cli_u64(const char *s, uint64_t *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

#endif
