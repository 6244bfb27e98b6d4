build/obj/supervisor/cli.o: supervisor/cli.c shared/common.h \
 shared/exitcodes.h supervisor/cli.h shared/err.h
shared/common.h:
shared/exitcodes.h:
supervisor/cli.h:
shared/err.h:
