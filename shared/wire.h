/* Messages between the preload (inside the agent) and the supervisor over
 * the inherited SOCK_SEQPACKET channel (DESIGN.md §2). Fixed-width fields,
 * a {version, type, length} header, sizes checked on both sides. Header
 * only: the preload links nothing of ours but this. */
#ifndef AKIOS_WIRE_H
#define AKIOS_WIRE_H

#include <stdint.h>

#define WIRE_VERSION 1
/* The supervisor passes the channel's fd number in this variable. */
#define WIRE_ENV_CHANNEL_FD "AKIOS_CHANNEL_FD"

enum wire_type {
	WIRE_HELLO = 1, /* preload → supervisor: pid, exe; no payload */
};

struct wire_header {
	uint16_t version; /* WIRE_VERSION */
	uint16_t type;	  /* enum wire_type */
	uint32_t length;  /* payload bytes after the header */
};

_Static_assert(sizeof(struct wire_header) == 8, "wire header is 8 bytes");

#endif
