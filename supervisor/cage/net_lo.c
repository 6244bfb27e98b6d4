/* The cage's network namespace starts with lo down: brought up here,
 * the one interface the agent has (the broker relays the rest). Runs
 * between clone and execve: no allocation, errors via cage_fail. */
#include "shared/common.h"
#include "supervisor/cage/cage_int.h"

#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int net_fail(struct cage_fail *f, const char *what)
{
	f->what = what;
	f->path = "lo";
	f->err = errno;
	return -f->err;
}

int cage_net_lo_up(struct cage_fail *f)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (s < 0)
		return net_fail(f, "socket");
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		rc = net_fail(f, "SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		rc = net_fail(f, "SIOCSIFFLAGS");
	close(s);
	return rc;
}
