build/obj/supervisor/cmd_version.o: supervisor/cmd_version.c \
 shared/common.h shared/exitcodes.h supervisor/cli.h shared/err.h \
 supervisor/commands.h
shared/common.h:
shared/exitcodes.h:
supervisor/cli.h:
shared/err.h:
supervisor/commands.h:
