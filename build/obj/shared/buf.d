build/obj/shared/buf.o: shared/buf.c shared/common.h shared/buf.h
shared/common.h:
shared/buf.h:
