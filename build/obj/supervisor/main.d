build/obj/supervisor/main.o: supervisor/main.c shared/common.h \
 supervisor/cli.h shared/err.h
shared/common.h:
supervisor/cli.h:
shared/err.h:
