/* The cage's status messages as the supervisor parses them: codes, the
 * usage of an exit message (malformed text refused, never guessed), and
 * the fds and sender of a message over a real SOCK_SEQPACKET pair with
 * SO_PASSCRED, as akios run sets it up. */
#include "shared/common.h"

#include "supervisor/cage/cage_int.h"
#include "supervisor/cage/status_msg.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

Test(cage_status_msg, code)
{
	cr_assert_eq(cage_msg_code("127 not found", 13), 127);
	cr_assert_eq(cage_msg_code("0", 1), 0);
	cr_assert_eq(cage_msg_code("x12", 3), 0);
	/* bounded: no overflow from a long run of digits */
	cr_assert_lt(cage_msg_code("99999999999999999999", 20), 10000);
	cr_assert_eq(cage_msg_code("42", 1), 4); /* n is respected */
}

Test(cage_status_msg, usage)
{
	struct rusage ru;
	const char *ok = "3 1500000 250 4096";

	cr_assert(cage_msg_usage(ok, strlen(ok), &ru));
	cr_assert_eq(ru.ru_utime.tv_sec, 1);
	cr_assert_eq(ru.ru_utime.tv_usec, 500000);
	cr_assert_eq(ru.ru_stime.tv_sec, 0);
	cr_assert_eq(ru.ru_stime.tv_usec, 250);
	cr_assert_eq(ru.ru_maxrss, 4096);
	cr_assert_not(cage_msg_usage("3", 1, &ru));
	cr_assert_not(cage_msg_usage("3 1 2", 5, &ru));
	cr_assert_not(cage_msg_usage("3 1 2 3 junk", 12, &ru));
	cr_assert_not(cage_msg_usage("3 1  2 3", 8, &ru));
	cr_assert_not(cage_msg_usage("3 a 2 3", 7, &ru));
}

static void send_fds(int sock, const int *fds, unsigned n)
{
	char byte = 'B';
	char cbuf[CMSG_SPACE(8 * sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	cr_assert_eq(sendmsg(sock, &mh, 0), 1);
}

/* Receives one message the way run.c does and parses it. */
static int recv_parse(int sock, int *got, unsigned *ng, pid_t *from)
{
	char byte;
	char cbuf[CMSG_SPACE(sizeof(struct ucred)) +
		  CMSG_SPACE(CAGE_RELAY_FDS * sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};

	cr_assert_eq(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC), 1);
	*ng = 0;
	*from = 0;
	return cage_msg_fds(&mh, got, ng, from);
}

static void pair(int sv[2])
{
	int one = 1;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
		     0);
	cr_assert_eq(
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
}

Test(cage_status_msg, fds_and_sender)
{
	int sv[2];
	int pipefd[2];
	int got[CAGE_RELAY_FDS];
	unsigned ng;
	pid_t from;

	pair(sv);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	send_fds(sv[1], pipefd, 2);
	cr_assert_eq(recv_parse(sv[0], got, &ng, &from), 0);
	cr_assert_eq(ng, 2);
	cr_assert_eq(from, getpid());
	/* the fds are real: what goes into one comes out of the other */
	cr_assert_eq(write(got[1], "z", 1), 1);
	char c = 0;
	cr_assert_eq(read(got[0], &c, 1), 1);
	cr_assert_eq(c, 'z');
	close(got[0]);
	close(got[1]);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
}

Test(cage_status_msg, too_many_fds_closed)
{
	int sv[2];
	int fds[CAGE_RELAY_FDS + 2];
	int got[CAGE_RELAY_FDS];
	unsigned ng;
	pid_t from;

	pair(sv);
	for (unsigned i = 0; i < AKIOS_ARRAY_SIZE(fds); i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		cr_assert_geq(fds[i], 0);
	}
	send_fds(sv[1], fds, AKIOS_ARRAY_SIZE(fds));
	cr_assert_eq(recv_parse(sv[0], got, &ng, &from), -EPROTO);
	cr_assert_eq(ng, CAGE_RELAY_FDS); /* kept: the caller closes them */
	for (unsigned i = 0; i < ng; i++)
		cr_assert_eq(close(got[i]), 0);
	for (unsigned i = 0; i < AKIOS_ARRAY_SIZE(fds); i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}
