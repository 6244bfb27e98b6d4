/* netguard: pure parsing, classification and connect decisions for the
 * broker. Invariants: every address is normalised before it is compared
 * (IPv4-mapped IPv6 is IPv4), comparisons are on exact bytes and ports,
 * and anything not matched by a rule is denied. No syscalls. */
#include "shared/common.h"

#include "supervisor/broker/netguard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
					    0, 0, 0, 0, 0xff, 0xff};

static void set_v4(struct ng_addr *out, const void *a4, uint16_t port)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	memcpy(out->addr, a4, 4);
	out->port = port;
}

static void set_v6(struct ng_addr *out, const uint8_t *a6, uint16_t port)
{
	if (memcmp(a6, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		set_v4(out, a6 + 12, port);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	memcpy(out->addr, a6, 16);
	out->port = port;
}

int netguard_from_sockaddr(const void *sa, size_t len, struct ng_addr *out)
{
	sa_family_t fam;

	if (!sa || len < sizeof(fam))
		return -EINVAL;
	memcpy(&fam, sa, sizeof(fam));
	if (fam == AF_INET) {
		struct sockaddr_in in;

		if (len < sizeof(in))
			return -EINVAL;
		memcpy(&in, sa, sizeof(in));
		set_v4(out, &in.sin_addr, ntohs(in.sin_port));
		return 0;
	}
	if (fam == AF_INET6) {
		struct sockaddr_in6 in6;

		/* The kernel accepts the old 24-byte form (no scope id). */
		if (len < 24)
			return -EINVAL;
		memset(&in6, 0, sizeof(in6));
		memcpy(&in6, sa, len < sizeof(in6) ? len : sizeof(in6));
		set_v6(out, in6.sin6_addr.s6_addr, ntohs(in6.sin6_port));
		return 0;
	}
	return -EAFNOSUPPORT;
}

int netguard_to_sockaddr(const struct ng_addr *a, bool want6, void *sa,
			 size_t size)
{
	if (a->family == AF_INET && !want6) {
		struct sockaddr_in in = {.sin_family = AF_INET,
					 .sin_port = htons(a->port)};

		if (size < sizeof(in))
			return -EINVAL;
		memcpy(&in.sin_addr, a->addr, 4);
		memcpy(sa, &in, sizeof(in));
		return (int)sizeof(in);
	}
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons(a->port)};

	if (size < sizeof(in6))
		return -EINVAL;
	if (a->family == AF_INET) {
		memcpy(in6.sin6_addr.s6_addr, v4mapped_prefix, 12);
		memcpy(in6.sin6_addr.s6_addr + 12, a->addr, 4);
	} else if (a->family == AF_INET6) {
		memcpy(in6.sin6_addr.s6_addr, a->addr, 16);
	} else {
		return -EINVAL;
	}
	memcpy(sa, &in6, sizeof(in6));
	return (int)sizeof(in6);
}

int netguard_parse_ip(const char *s, struct ng_addr *out)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	struct in_addr a4;
	uint8_t a6[16];

	/* glibc's inet_aton stops at whitespace and ignores the rest
	 * ("1.2.3.4 junk"): only literal characters are let through. */
	if (n == 0 || n >= sizeof(tmp) ||
	    strspn(s, "0123456789abcdefABCDEFxX.:[]") != n)
		return -EINVAL;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -EINVAL;
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, a6) != 1)
			return -EINVAL;
		set_v6(out, a6, 0);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a6) == 1) {
		set_v6(out, a6, 0);
		return 0;
	}
	/* inet_aton accepts every spelling libc's resolver and curl accept
	 * ("127.1", hex, octal, one 32-bit number), so they all normalise
	 * to the address the kernel would really be given. A trailing
	 * space or garbage makes it fail. */
	if (inet_aton(s, &a4) == 1) {
		set_v4(out, &a4, 0);
		return 0;
	}
	return -EINVAL;
}

static bool in_v4(const uint8_t *a, uint32_t net, unsigned bits)
{
	uint32_t x = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) |
		     ((uint32_t)a[2] << 8) | a[3];
	uint32_t mask = bits == 0 ? 0 : ~0u << (32 - bits);

	return (x & mask) == (net & mask);
}

static enum ng_class classify_v4(const uint8_t *a)
{
	static const struct {
		uint32_t net;
		unsigned bits;
		enum ng_class cls;
	} t[] = {
	    /* Most specific first: the first match wins. */
	    {0xffffffffu, 32, NG_BROADCAST},
	    {0x00000000u, 32, NG_UNSPECIFIED},
	    {0xa9fea9feu, 32, NG_METADATA}, /* 169.254.169.254 */
	    {0x7f000000u, 8, NG_LOOPBACK},
	    {0xa9fe0000u, 16, NG_LINK_LOCAL},
	    {0x0a000000u, 8, NG_PRIVATE},
	    {0xac100000u, 12, NG_PRIVATE},
	    {0xc0a80000u, 16, NG_PRIVATE},
	    {0x64400000u, 10, NG_PRIVATE}, /* CGNAT, also Alibaba metadata */
	    {0xe0000000u, 4, NG_MULTICAST},
	    {0x00000000u, 8, NG_RESERVED},
	    {0xc0000000u, 24, NG_RESERVED}, /* IETF protocol assignments */
	    {0xc0000200u, 24, NG_RESERVED}, /* TEST-NET-1 */
	    {0xc6336400u, 24, NG_RESERVED}, /* TEST-NET-2 */
	    {0xcb007100u, 24, NG_RESERVED}, /* TEST-NET-3 */
	    {0xc6120000u, 15, NG_RESERVED}, /* benchmarking */
	    {0xf0000000u, 4, NG_RESERVED},
	};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(t); i++) {
		if (in_v4(a, t[i].net, t[i].bits))
			return t[i].cls;
	}
	return NG_PUBLIC;
}

static bool in_v6(const uint8_t *a, const uint8_t *net, unsigned bits)
{
	unsigned full = bits / 8;
	unsigned rest = bits % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return (a[full] & mask) == (net[full] & mask);
}

static enum ng_class classify_v6(const uint8_t *a)
{
	static const struct {
		uint8_t net[16];
		unsigned bits;
		enum ng_class cls;
	} t[] = {
	    {{0}, 128, NG_UNSPECIFIED},
	    {{[15] = 1}, 128, NG_LOOPBACK},
	    {{0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54}, 128, NG_METADATA},
	    {{0xfe, 0x80}, 10, NG_LINK_LOCAL},
	    {{0xfc}, 7, NG_PRIVATE},
	    {{0xff}, 8, NG_MULTICAST},
	    /* Forms that embed an IPv4 address a translator or tunnel could
	     * turn into anything: treat as reserved (literal needed). */
	    {{0}, 96, NG_RESERVED},		      /* IPv4-compatible */
	    {{0, 0x64, 0xff, 0x9b}, 96, NG_RESERVED}, /* NAT64 */
	    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, NG_RESERVED}, /* local NAT64 */
	    {{0x20, 0x02}, 16, NG_RESERVED},		    /* 6to4 */
	    {{0x20, 0x01, 0, 0}, 32, NG_RESERVED},	    /* Teredo */
	    {{0x20, 0x01, 0x0d, 0xb8}, 32, NG_RESERVED},    /* documentation */
	    {{0x01}, 64, NG_RESERVED},			    /* discard */
	};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(t); i++) {
		if (in_v6(a, t[i].net, t[i].bits))
			return t[i].cls;
	}
	return NG_PUBLIC;
}

enum ng_class netguard_classify(const struct ng_addr *a)
{
	if (a->family == AF_INET)
		return classify_v4(a->addr);
	return classify_v6(a->addr);
}

const char *netguard_class_name(enum ng_class c)
{
	static const char *const names[] = {
	    [NG_PUBLIC] = "public",	      [NG_LOOPBACK] = "loopback",
	    [NG_UNSPECIFIED] = "unspecified", [NG_METADATA] = "cloud-metadata",
	    [NG_LINK_LOCAL] = "link-local",   [NG_PRIVATE] = "private",
	    [NG_MULTICAST] = "multicast",     [NG_BROADCAST] = "broadcast",
	    [NG_RESERVED] = "reserved",
	};

	if ((unsigned)c >= AKIOS_ARRAY_SIZE(names))
		return "unknown";
	return names[c];
}

const char *netguard_verdict_name(enum ng_verdict v)
{
	switch (v) {
	case NG_ALLOW_BROKERED:
		return "allow-brokered";
	case NG_CONTINUE_CAGE_LOOPBACK:
		return "continue-cage-loopback";
	case NG_DENY:
		break;
	}
	return "deny";
}

bool netguard_same_ip(const struct ng_addr *a, const struct ng_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

int netguard_format(const struct ng_addr *a, bool with_port, char *buf,
		    size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (!inet_ntop(a->family, a->addr, ip, sizeof(ip)))
		return -EINVAL;
	if (!with_port)
		n = snprintf(buf, size, "%s", ip);
	else if (a->family == AF_INET6)
		n = snprintf(buf, size, "[%s]:%u", ip, (unsigned)a->port);
	else
		n = snprintf(buf, size, "%s:%u", ip, (unsigned)a->port);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return 0;
}

bool netguard_guard_resolved(const struct ng_addr *a,
			     const struct ng_addr *literals, unsigned n,
			     const char **rule)
{
	enum ng_class c = netguard_classify(a);

	*rule = NULL;
	if (c == NG_PUBLIC)
		return true;
	if (c == NG_MULTICAST || c == NG_BROADCAST || c == NG_UNSPECIFIED) {
		*rule = "guard.not-unicast";
		return false;
	}
	for (unsigned i = 0; i < n; i++) {
		if (netguard_same_ip(a, &literals[i]))
			return true;
	}
	*rule = "guard.resolved-special";
	return false;
}

static bool ep_matches(const struct ng_endpoint *ep, const struct ng_addr *d)
{
	if (ep->port != d->port)
		return false;
	for (unsigned i = 0; i < ep->n_addrs; i++) {
		if (netguard_same_ip(&ep->addrs[i], d))
			return true;
	}
	return false;
}

static void deny(struct ng_decision *out, const char *rule, int error)
{
	out->verdict = NG_DENY;
	out->rule = rule;
	out->error = error;
}

void netguard_decide(const struct ng_policy *p, const struct ng_addr *dst,
		     struct ng_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->cls = netguard_classify(dst);
	if (dst->family != AF_INET && dst->family != AF_INET6) {
		deny(out, "broker.family", EAFNOSUPPORT);
		return;
	}
	/* An allowed endpoint wins even on 127.0.0.1: it names the host's
	 * service, so it is brokered, never left to the cage's own lo. */
	for (unsigned i = 0; p->allowlist && i < p->n_eps; i++) {
		if (ep_matches(&p->eps[i], dst)) {
			out->verdict = NG_ALLOW_BROKERED;
			out->rule = p->eps[i].rule;
			out->ep = &p->eps[i];
			return;
		}
	}
	if (out->cls == NG_LOOPBACK || out->cls == NG_UNSPECIFIED) {
		/* 0.0.0.0 and :: reach 127.0.0.1/::1, so the relay's ports
		 * are refused on every loopback spelling. */
		if (dst->port != 0 && (dst->port == p->relay_port4 ||
				       dst->port == p->relay_port6))
			deny(out, "broker.relay-port", ECONNREFUSED);
		else
			out->verdict = NG_CONTINUE_CAGE_LOOPBACK;
		if (out->verdict == NG_CONTINUE_CAGE_LOOPBACK)
			out->rule = "cage-loopback";
		return;
	}
	if (!p->allowlist)
		deny(out, "security.network: isolated", ECONNREFUSED);
	else
		deny(out, "security.allowed_endpoints", ECONNREFUSED);
}

static int parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int copy_host(const char *s, size_t n, char *host, size_t size)
{
	/* Brackets are kept off: "[::1]" is stored as "::1". */
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= size || memchr(s, '@', n) || memchr(s, '[', n))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

int netguard_split_url(const char *url, char *host, size_t host_size,
		       uint16_t *port)
{
	const char *s = url;
	uint16_t def = 0;

	if (strncmp(s, "https://", 8) == 0) {
		s += 8;
		def = 443;
	} else if (strncmp(s, "http://", 7) == 0) {
		s += 7;
		def = 80;
	}
	size_t n = strcspn(s, "/?#");
	const char *colon = NULL;

	/* The port colon is the last one, after any "]" of a v6 literal. */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':')
			colon = s + i;
		else if (s[i] == ']')
			colon = NULL;
	}
	if (s[0] != '[' && colon && memchr(s, ':', (size_t)(colon - s)))
		return -EINVAL; /* bare v6 literal without brackets */
	if (def == 0 && s[n] != '\0')
		return -EINVAL; /* "host:port" takes no path */
	if (colon) {
		size_t hn = (size_t)(colon - s);

		if (parse_port(colon + 1, n - hn - 1, port) != 0)
			return -EINVAL;
		return copy_host(s, hn, host, host_size);
	}
	if (def == 0)
		return -EINVAL; /* no scheme and no port */
	*port = def;
	return copy_host(s, n, host, host_size);
}
