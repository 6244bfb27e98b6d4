build/obj/supervisor/cli_dispatch.o: supervisor/cli_dispatch.c \
 shared/common.h shared/exitcodes.h supervisor/cli.h shared/err.h
shared/common.h:
shared/exitcodes.h:
supervisor/cli.h:
shared/err.h:
