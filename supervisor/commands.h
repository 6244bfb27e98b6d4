/* Handlers of the akios subcommands, one per supervisor/cmd_*.c. Each
 * takes the arguments after its command name and returns an exit code. */
#ifndef AKIOS_COMMANDS_H
#define AKIOS_COMMANDS_H

int cmd_redact(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
