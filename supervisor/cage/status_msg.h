/* Parsing the cage's status messages (cage_int.h: CAGE_MSG_*). */
#ifndef AKIOS_CAGE_STATUS_MSG_H
#define AKIOS_CAGE_STATUS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

/* The leading decimal number of s[0..n) (at most 3 digits' worth: exit
 * codes, signals, fd numbers); 0 when none. */
int cage_msg_code(const char *s, size_t n);

/* The usage after the code of an exit message ("<code> <user_us>
 * <sys_us> <maxrss_kb>"); false when malformed. */
bool cage_msg_usage(const char *s, size_t n, struct rusage *ru);

/* The sender's pid (*from) and up to CAGE_RELAY_FDS fds of a message
 * into got[*ng]; extra fds are closed and give -EPROTO, as does a
 * truncated control part. */
int cage_msg_fds(struct msghdr *mh, int *got, unsigned *ng, pid_t *from);

#endif
