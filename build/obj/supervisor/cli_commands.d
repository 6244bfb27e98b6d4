build/obj/supervisor/cli_commands.o: supervisor/cli_commands.c \
 shared/common.h supervisor/cli.h shared/err.h supervisor/commands.h
shared/common.h:
supervisor/cli.h:
shared/err.h:
supervisor/commands.h:
