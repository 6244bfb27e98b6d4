build/pic/preload/preload.o: preload/preload.c shared/wire.h
shared/wire.h:
