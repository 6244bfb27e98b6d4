/* resolve: turns the policy's endpoints (security.allowed_endpoints and
 * llm.base_url) into the broker's resolved allowlist, once, at start.
 * Names are resolved by the supervisor (getaddrinfo, or an injected
 * resolver in tests) and passed through the netguard DNS guard; the cage
 * gets the answers as a generated /etc/hosts, and --dry-run shows them.
 * Lifecycle: resolve_endpoints → use → resolve_set_free. */
#ifndef AKIOS_BROKER_RESOLVE_H
#define AKIOS_BROKER_RESOLVE_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/err.h"
#include "shared/limits.h"
#include "policy/policy.h"
#include "supervisor/broker/netguard.h"

/* A resolver: fills up to max addresses for host (ports ignored), sets
 * *n. Returns 0 or a negative error (an EAI_* code is given as -EHOSTUNREACH
 * with the text in why, a borrowed static string). */
typedef int (*resolve_fn)(void *ctx, const char *host, struct ng_addr *out,
			  unsigned max, unsigned *n, const char **why);

/* The default resolver: getaddrinfo(SOCK_STREAM), duplicates removed. */
int resolve_getaddrinfo(void *ctx, const char *host, struct ng_addr *out,
			unsigned max, unsigned *n, const char **why);

struct resolve_refused {
	struct ng_addr addr;
	const char *rule; /* static: "guard.resolved-special", ... */
};

struct resolve_entry {
	char host[256];	  /* as written (IPv6 without brackets) */
	uint16_t port;	  /* host byte order */
	const char *rule; /* "security.allowed_endpoints" or "llm.base_url" */
	bool literal;	  /* host is an IP literal */
	struct policy_loc loc;
	struct ng_addr addrs[AKIOS_MAX_RESOLVED_ADDRS]; /* allowed */
	unsigned n_addrs;
	struct resolve_refused refused[AKIOS_MAX_RESOLVED_ADDRS];
	unsigned n_refused;
	const char *error; /* resolver failure text, or NULL */
};

struct resolve_set {
	bool allowlist; /* security.network: allowlist */
	struct resolve_entry *e;
	unsigned n;
	struct ng_endpoint *eps; /* parallel to e, pointing into it */
	struct ng_addr *literals;
	unsigned n_literals;
};

/* Builds the set. In isolated mode the set is empty (nothing leaves).
 * A malformed endpoint (bad host characters, llm.base_url not an http(s)
 * URL) is -EINVAL with err located at the policy entry. A name that does
 * not resolve is not an error: it is kept with no address (fail closed)
 * and its reason. On success *out is owned by the caller. */
int resolve_endpoints(const struct akios_policy *p, resolve_fn fn, void *ctx,
		      struct resolve_set **out, struct akios_err *err)
    AKIOS_NONNULL(1, 2, 4) AKIOS_NODISCARD;

void resolve_set_free(struct resolve_set *s);

/* The netguard view of the set (borrows s; relay ports left 0). */
void resolve_policy(const struct resolve_set *s, struct ng_policy *out)
    AKIOS_NONNULL(1, 2);

/* The cage's /etc/hosts: localhost lines, then one line per allowed
 * address of each name. Appends to out. 0 or -errno. */
int resolve_hosts_file(const struct resolve_set *s, struct akios_buf *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* For --dry-run: each endpoint with its resolved and refused addresses.
 * Human text, or a JSON array when json. Appends to out. */
int resolve_describe(const struct resolve_set *s, struct akios_buf *out,
		     bool json) AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

#endif
