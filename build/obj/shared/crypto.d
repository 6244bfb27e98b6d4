build/obj/shared/crypto.o: shared/crypto.c shared/common.h \
 shared/crypto.h shared/err.h shared/fileio.h shared/buf.h \
 shared/limits.h
shared/common.h:
shared/crypto.h:
shared/err.h:
shared/fileio.h:
shared/buf.h:
shared/limits.h:
