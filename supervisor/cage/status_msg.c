/* The cage's status messages, parsed (cage_int.h lists them): numbers in
 * the text and the fds and sender of a message. Pure, bounded: the text
 * comes from the cage's PID 1 or the agent before its exec, so nothing in
 * it is trusted beyond its length. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/status_msg.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int cage_msg_code(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9' && v < 1000; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* " <number>" at *i of s[0..n): advances *i; false when absent. */
static bool parse_field(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t start;

	if (*i >= n || s[*i] != ' ')
		return false;
	start = ++*i;
	*v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && *i - start < 19)
		*v = *v * 10 + (uint64_t)(s[(*i)++] - '0');
	return *i > start;
}

/* The usage after the code of an exit message ("<code> <user_us>
 * <sys_us> <maxrss_kb>"): the reaper's own and every cage process's it
 * reaped. false when malformed: then the reaper's wait4 gives it. */
bool cage_msg_usage(const char *s, size_t n, struct rusage *ru)
{
	uint64_t v[3];
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	for (int k = 0; k < 3; k++)
		if (!parse_field(s, n, &i, &v[k]))
			return false;
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime.tv_sec = (time_t)(v[0] / 1000000u);
	ru->ru_utime.tv_usec = (suseconds_t)(v[0] % 1000000u);
	ru->ru_stime.tv_sec = (time_t)(v[1] / 1000000u);
	ru->ru_stime.tv_usec = (suseconds_t)(v[1] % 1000000u);
	ru->ru_maxrss = (long)v[2];
	return i == n;
}

/* The sender's pid and up to CAGE_RELAY_FDS fds of one message (more
 * are closed: -EPROTO). */
int cage_msg_fds(struct msghdr *mh, int *got, unsigned *ng, pid_t *from)
{
	int rc = 0;

	for (struct cmsghdr *m = CMSG_FIRSTHDR(mh); m; m = CMSG_NXTHDR(mh, m)) {
		size_t k = (m->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		struct ucred cr;

		if (m->cmsg_level != SOL_SOCKET)
			continue;
		if (m->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cr, CMSG_DATA(m), sizeof(cr));
			*from = cr.pid;
		}
		for (size_t i = 0; m->cmsg_type == SCM_RIGHTS && i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(m) + i * sizeof(int), sizeof(fd));
			if (*ng < CAGE_RELAY_FDS) {
				got[(*ng)++] = fd;
				continue;
			}
			close(fd);
			rc = -EPROTO;
		}
	}
	return (mh->msg_flags & MSG_CTRUNC) ? -EPROTO : rc;
}
