/* The command table: one line per top-level command, sorted by name.
 * Each handler lives in its own supervisor/cmd_<name>.c. */
#include "shared/common.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"

#include <stddef.h>

const struct cli_command cli_commands[] = {
    {.name = "audit", .summary = "the audit ledger", .subs = cmd_audit_subs},
    {.name = "doctor", .summary = "check the host", .run = cmd_doctor},
    {.name = "keygen",
     .summary = "create an Ed25519 key pair",
     .run = cmd_keygen},
    {.name = "policy", .summary = "policy commands", .subs = cmd_policy_subs},
    {.name = "redact",
     .summary = "redact PII and secrets (filter)",
     .run = cmd_redact,
     .ext = cmd_redact_ext},
    {.name = "run", .summary = "run a program in the cage", .run = cmd_run},
    {.name = "version", .summary = "print the version", .run = cmd_version},
    {0},
};
