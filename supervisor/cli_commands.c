/* The command table: one line per top-level command, sorted by name.
 * Each handler lives in its own supervisor/cmd_<name>.c. */
#include "shared/common.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"

#include <stddef.h>

const struct cli_command cli_commands[] = {
    {.name = "audit", .summary = "the audit ledger", .subs = audit_subcommands},
    {.name = "doctor",
     .summary = "check what this host offers the cage",
     .run = cmd_doctor},
    {.name = "keygen",
     .summary = "create an Ed25519 key pair",
     .run = cmd_keygen},
    {.name = "policy", .summary = "policy commands", .subs = cmd_policy_subs},
    {.name = "run", .summary = "run a program in the cage", .run = cmd_run},
    {.name = "version", .summary = "print the version", .run = cmd_version},
    {0},
};
