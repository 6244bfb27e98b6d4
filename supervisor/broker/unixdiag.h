/* unixdiag: which pathname Unix sockets belong to a network namespace.
 * A Unix socket keeps the namespace of the process that created it, and
 * NETLINK_SOCK_DIAG dumps only the sockets of the namespace its own
 * socket lives in, with the inode of each bound path (UDIAG_SHOW_VFS).
 * So a diag socket created inside the cage's namespace tells whether a
 * socket file was bound by the cage (allowed) or by a host service. */
#ifndef AKIOS_BROKER_UNIXDIAG_H
#define AKIOS_BROKER_UNIXDIAG_H

#include "shared/common.h"

#include <sys/types.h>

/* A NETLINK_SOCK_DIAG socket in the caller's namespace (CLOEXEC), or
 * -errno. For the cage, its child makes one there
 * (relay_listen_here(AF_NETLINK)). */
int unixdiag_open(void) AKIOS_NODISCARD;

/* 1 when a Unix socket of diag_fd's namespace is bound to the file with
 * st_dev dev and st_ino ino (as fstat gives them), 0 when none is, or
 * -errno. */
int unixdiag_bound(int diag_fd, dev_t dev, ino_t ino) AKIOS_NODISCARD;

#endif
