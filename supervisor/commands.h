/* Handlers of the akios subcommands, one per supervisor/cmd_*.c. Each
 * takes the arguments after its command name and returns an exit code. */
#ifndef AKIOS_COMMANDS_H
#define AKIOS_COMMANDS_H

#include "supervisor/cli.h"

/* akios audit verify|export|proof|... (supervisor/cmd_audit.c) */
extern const struct cli_command cmd_audit_subs[];
int cmd_doctor(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
/* akios policy check|show|sign|verify (supervisor/cmd_policy.c) */
extern const struct cli_command cmd_policy_subs[];
int cmd_redact(int argc, char **argv);
bool cmd_redact_ext(int argc, char *const *argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
