build/obj/shared/fileio.o: shared/fileio.c shared/common.h \
 shared/fileio.h shared/buf.h shared/err.h
shared/common.h:
shared/fileio.h:
shared/buf.h:
shared/err.h:
