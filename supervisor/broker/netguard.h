/* netguard: the broker's pure decision code (issue 6). Parses and
 * normalises a destination (sockaddr or text; IPv4-mapped IPv6 becomes
 * IPv4, inet_aton spellings such as "0x7f.1" become dotted quads),
 * classifies it (loopback, private, metadata, ...) and decides a connect
 * against the policy's resolved endpoints. No syscalls, no allocation:
 * everything here is unit-tested without a network. */
#ifndef AKIOS_BROKER_NETGUARD_H
#define AKIOS_BROKER_NETGUARD_H

#include "shared/common.h"

#include <stdbool.h>
#include <stdint.h>

/* A normalised IP destination. family is AF_INET (addr[0..3] used) or
 * AF_INET6; an IPv4-mapped IPv6 address is always stored as AF_INET. */
struct ng_addr {
	int family;
	uint8_t addr[16];
	uint16_t port; /* host byte order; 0 when not given */
};

enum ng_class {
	NG_PUBLIC = 0,
	NG_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	NG_UNSPECIFIED, /* 0.0.0.0, :: (Linux connects them to loopback) */
	NG_METADATA,	/* 169.254.169.254, fd00:ec2::254 (cloud metadata) */
	NG_LINK_LOCAL,	/* 169.254.0.0/16, fe80::/10 */
	NG_PRIVATE,	/* RFC 1918, fc00::/7 ULA, 100.64.0.0/10 CGNAT */
	NG_MULTICAST,	/* 224.0.0.0/4, ff00::/8 */
	NG_BROADCAST,	/* 255.255.255.255 */
	NG_RESERVED,	/* 0.0.0.0/8, 240.0.0.0/4, documentation, ... */
};

/* Where the decision sends a connect. */
enum ng_verdict {
	NG_DENY = 0,
	/* An allowed host endpoint: the broker connects the agent's socket
	 * to the relay, which dials the endpoint from the host namespace. */
	NG_ALLOW_BROKERED,
	/* The cage's own loopback and not an allowed endpoint: the kernel
	 * may carry out the call (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Safe
	 * only because the cage's network namespace has nothing but lo, the
	 * agent's own sockets and the relay (which drops connections it did
	 * not set up): even if a racing thread rewrites the address after
	 * the check, the connect cannot leave that namespace. */
	NG_CONTINUE_CAGE_LOOPBACK,
};

/* One allowed endpoint with the addresses it resolved to (already
 * filtered by netguard_guard_resolved). All pointers borrowed. */
struct ng_endpoint {
	const char *host;	     /* as written in the policy */
	const char *rule;	     /* "security.allowed_endpoints", ... */
	uint16_t port;		     /* host byte order */
	const struct ng_addr *addrs; /* port fields ignored */
	unsigned n_addrs;
};

struct ng_policy {
	bool allowlist; /* security.network: allowlist */
	const struct ng_endpoint *eps;
	unsigned n_eps;
	/* The relay's ports on the cage's loopback (0: none): a direct
	 * connect there is refused, so only the broker reaches the relay. */
	uint16_t relay_port4, relay_port6;
};

struct ng_decision {
	enum ng_verdict verdict;
	const char *rule; /* static string naming the rule that decided */
	int error;	  /* errno to return for NG_DENY (ECONNREFUSED...) */
	enum ng_class cls;
	const struct ng_endpoint *ep; /* the matched endpoint, or NULL */
};

/* Parses a sockaddr the agent passed (len as given to connect). Returns 0,
 * -EAFNOSUPPORT for a family other than AF_INET/AF_INET6, -EINVAL for a
 * short length. */
int netguard_from_sockaddr(const void *sa, size_t len, struct ng_addr *out)
    AKIOS_NONNULL(3) AKIOS_NODISCARD;

/* Writes the sockaddr for a (AF_INET6 family when want6, mapping an IPv4
 * address as ::ffff:a.b.c.d). Returns the length used, or -EINVAL. */
int netguard_to_sockaddr(const struct ng_addr *a, bool want6, void *sa,
			 size_t size) AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* Parses an IP literal: IPv4 in any inet_aton spelling ("127.1",
 * "0x7f000001", "0177.0.0.1"), IPv6 with or without brackets (no zone).
 * Returns 0 or -EINVAL (not a literal: a DNS name). port is set to 0. */
int netguard_parse_ip(const char *s, struct ng_addr *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

enum ng_class netguard_classify(const struct ng_addr *a) AKIOS_NONNULL(1);
const char *netguard_class_name(enum ng_class c);
const char *netguard_verdict_name(enum ng_verdict v);

/* Same address (ports ignored). */
bool netguard_same_ip(const struct ng_addr *a, const struct ng_addr *b)
    AKIOS_NONNULL(1, 2);

/* "1.2.3.4" / "::1" into buf; with the port "1.2.3.4:80" / "[::1]:80".
 * Returns 0 or -ENOSPC. */
int netguard_format(const struct ng_addr *a, bool with_port, char *buf,
		    size_t size) AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* The DNS guard: may a name be allowed to resolve to `a`? True for public
 * addresses; any other class only when `a` is one of the policy's own IP
 * literals (`literals`, n of them), so a local LLM on 127.0.0.1:PORT can be
 * allowed by writing that address. Multicast, broadcast and unspecified
 * are never allowed. *rule names the reason when it returns false. */
bool netguard_guard_resolved(const struct ng_addr *a,
			     const struct ng_addr *literals, unsigned n,
			     const char **rule) AKIOS_NONNULL(1, 4);

/* Decides a TCP connect to dst. Pure: reads p and dst only. */
void netguard_decide(const struct ng_policy *p, const struct ng_addr *dst,
		     struct ng_decision *out) AKIOS_NONNULL(1, 2, 3);

/* Splits "host:port", "[v6]:port" (from a policy endpoint string) or an
 * http(s) URL ("https://api.x.com/v1" → api.x.com, 443) into host and
 * port. Returns 0 or -EINVAL. */
int netguard_split_url(const char *url, char *host, size_t host_size,
		       uint16_t *port) AKIOS_NONNULL(1, 2, 4) AKIOS_NODISCARD;

#endif
