build/obj/shared/err.o: shared/err.c shared/common.h shared/err.h
shared/common.h:
shared/err.h:
