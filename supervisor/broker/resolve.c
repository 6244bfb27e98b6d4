/* resolve: the policy's endpoints resolved once at start and filtered by
 * the netguard DNS guard. Invariants: an address a name resolved to is
 * kept only if netguard_guard_resolved allows it; a name that does not
 * resolve keeps no address (fail closed); the generated /etc/hosts holds
 * only validated names and kept addresses, so nothing else can be
 * injected into the cage's view of DNS. */
#include "shared/common.h"

#include "shared/json.h"
#include "supervisor/broker/resolve.h"
#include "supervisor/ext.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>

static bool add_unique(struct ng_addr *out, unsigned max, unsigned *n,
		       const struct ng_addr *a)
{
	for (unsigned i = 0; i < *n; i++) {
		if (netguard_same_ip(&out[i], a))
			return true;
	}
	if (*n >= max)
		return false;
	out[(*n)++] = *a;
	return true;
}

int resolve_getaddrinfo(void *ctx, const char *host, struct ng_addr *out,
			unsigned max, unsigned *n, const char **why)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;

	(void)ctx;
	*n = 0;
	ext_nss_builtin(); /* files and dns only in a static akios */
	int rc = getaddrinfo(host, NULL, &hints, &res);

	if (rc != 0) {
		*why = gai_strerror(rc);
		return -EHOSTUNREACH;
	}
	for (struct addrinfo *r = res; r; r = r->ai_next) {
		struct ng_addr a;

		if (netguard_from_sockaddr(r->ai_addr, r->ai_addrlen, &a) != 0)
			continue;
		if (!add_unique(out, max, n, &a))
			break;
	}
	freeaddrinfo(res);
	return 0;
}

/* RFC 1123 host names only: they go verbatim into /etc/hosts. */
static bool valid_name(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	return strspn(h, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

static int entry_init(struct resolve_entry *e, const char *host, uint16_t port,
		      const char *rule, struct policy_loc loc,
		      struct akios_err *err)
{
	struct ng_addr lit;
	int n = snprintf(e->host, sizeof(e->host), "%s", host);

	e->port = port;
	e->rule = rule;
	e->loc = loc;
	if (n < 0 || (size_t)n >= sizeof(e->host))
		return akios_err_set(err, NULL, loc.line, loc.col,
				     "%s: host name too long", rule);
	if (netguard_parse_ip(e->host, &lit) == 0) {
		e->literal = true;
		e->addrs[0] = lit;
		e->n_addrs = 1;
		return 0;
	}
	if (!valid_name(e->host))
		return akios_err_set(err, NULL, loc.line, loc.col,
				     "%s: '%s' is neither an IP address nor a "
				     "host name",
				     rule, host);
	return 0;
}

static void entry_resolve(struct resolve_entry *e, resolve_fn fn, void *ctx,
			  const struct ng_addr *lits, unsigned n_lits)
{
	struct ng_addr got[AKIOS_MAX_RESOLVED_ADDRS];
	unsigned n = 0;
	const char *why = "no address";

	if (fn(ctx, e->host, got, AKIOS_MAX_RESOLVED_ADDRS, &n, &why) != 0 ||
	    n == 0) {
		e->error = why;
		return;
	}
	for (unsigned i = 0; i < n && i < AKIOS_MAX_RESOLVED_ADDRS; i++) {
		const char *rule = NULL;

		got[i].port = 0;
		if (netguard_guard_resolved(&got[i], lits, n_lits, &rule)) {
			e->addrs[e->n_addrs++] = got[i];
		} else {
			e->refused[e->n_refused].addr = got[i];
			e->refused[e->n_refused++].rule = rule;
		}
	}
}

static int collect(const struct akios_policy *p, struct resolve_set *s,
		   struct akios_err *err)
{
	unsigned n = p->security.n_allowed_endpoints;

	s->e = calloc(n + 1, sizeof(*s->e));
	s->eps = calloc(n + 1, sizeof(*s->eps));
	s->literals = calloc(n + 1, sizeof(*s->literals));
	if (!s->e || !s->eps || !s->literals)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const struct policy_endpoint *ep =
		    &p->security.allowed_endpoints[i];
		int rc = entry_init(&s->e[s->n], ep->host, ep->port,
				    "security.allowed_endpoints", ep->loc, err);

		if (rc != 0)
			return rc;
		s->n++;
	}
	if (p->llm.base_url) {
		char host[256];
		uint16_t port;
		struct policy_loc none = {0, 0};

		if (netguard_split_url(p->llm.base_url, host, sizeof(host),
				       &port) != 0)
			return akios_err_set(err, NULL, 0, 0,
					     "llm.base_url: '%s' is not an "
					     "http(s) URL",
					     p->llm.base_url);
		int rc = entry_init(&s->e[s->n], host, port, "llm.base_url",
				    none, err);
		if (rc != 0)
			return rc;
		s->n++;
	}
	return 0;
}

int resolve_endpoints(const struct akios_policy *p, resolve_fn fn, void *ctx,
		      struct resolve_set **out, struct akios_err *err)
{
	struct resolve_set *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	if (!s)
		return -ENOMEM;
	s->allowlist = p->security.network == POLICY_NET_ALLOWLIST;
	if (s->allowlist) {
		rc = collect(p, s, err);
		if (rc != 0)
			goto out;
	}
	for (unsigned i = 0; i < s->n; i++) {
		if (s->e[i].literal)
			s->literals[s->n_literals++] = s->e[i].addrs[0];
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct resolve_entry *e = &s->e[i];

		if (!e->literal)
			entry_resolve(e, fn, ctx, s->literals, s->n_literals);
		s->eps[i] = (struct ng_endpoint){.host = e->host,
						 .rule = e->rule,
						 .port = e->port,
						 .addrs = e->addrs,
						 .n_addrs = e->n_addrs};
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	resolve_set_free(s);
	return rc;
}

void resolve_set_free(struct resolve_set *s)
{
	if (!s)
		return;
	free(s->e);
	free(s->eps);
	free(s->literals);
	free(s);
}

void resolve_policy(const struct resolve_set *s, struct ng_policy *out)
{
	*out = (struct ng_policy){
	    .allowlist = s->allowlist, .eps = s->eps, .n_eps = s->n};
}

int resolve_hosts_file(const struct resolve_set *s, struct akios_buf *out)
{
	int rc = akios_buf_appendf(out, "# generated by akios: the names the "
					"policy allows, resolved at start\n"
					"127.0.0.1\tlocalhost\n"
					"::1\tlocalhost ip6-localhost\n");

	for (unsigned i = 0; rc == 0 && i < s->n; i++) {
		const struct resolve_entry *e = &s->e[i];

		for (unsigned j = 0; !e->literal && j < e->n_addrs; j++) {
			char ip[64];

			rc = netguard_format(&e->addrs[j], false, ip,
					     sizeof(ip));
			if (rc == 0)
				rc = akios_buf_appendf(out, "%s\t%s\n", ip,
						       e->host);
			if (rc != 0)
				break;
		}
	}
	return rc;
}

static int describe_text(const struct resolve_entry *e, struct akios_buf *out)
{
	char ip[64];
	int rc = akios_buf_appendf(out, "  %s port %u (%s)%s\n", e->host,
				   (unsigned)e->port, e->rule,
				   e->literal ? " literal" : "");

	for (unsigned j = 0; rc == 0 && j < e->n_addrs; j++) {
		rc = netguard_format(&e->addrs[j], false, ip, sizeof(ip));
		if (rc == 0)
			rc = akios_buf_appendf(
			    out, "    allow  %s (%s)\n", ip,
			    netguard_class_name(
				netguard_classify(&e->addrs[j])));
	}
	for (unsigned j = 0; rc == 0 && j < e->n_refused; j++) {
		const struct resolve_refused *r = &e->refused[j];

		rc = netguard_format(&r->addr, false, ip, sizeof(ip));
		if (rc == 0)
			rc = akios_buf_appendf(
			    out, "    refuse %s (%s, %s)\n", ip,
			    netguard_class_name(netguard_classify(&r->addr)),
			    r->rule);
	}
	if (rc == 0 && e->error)
		rc = akios_buf_appendf(out, "    unresolved: %s\n", e->error);
	return rc;
}

static struct json *addr_tree(const struct ng_addr *a, const char *rule)
{
	char ip[64];
	struct json *o = json_new_object();

	if (!o || netguard_format(a, false, ip, sizeof(ip)) != 0 ||
	    !json_add_str(o, "address", ip) ||
	    !json_add_str(o, "class",
			  netguard_class_name(netguard_classify(a))) ||
	    (rule && !json_add_str(o, "rule", rule))) {
		json_free(o);
		return NULL;
	}
	return o;
}

static struct json *entry_tree(const struct resolve_entry *e)
{
	struct json *o = json_new_object();
	struct json *allow = json_add_array(o, "allowed");
	struct json *refuse = json_add_array(o, "refused");
	bool ok = allow && refuse && json_add_str(o, "host", e->host) &&
		  json_add_num(o, "port", e->port) &&
		  json_add_str(o, "rule", e->rule) &&
		  json_add_bool(o, "literal", e->literal) &&
		  (!e->error || json_add_str(o, "unresolved", e->error));

	for (unsigned j = 0; ok && j < e->n_addrs; j++)
		ok = json_push(allow, addr_tree(&e->addrs[j], NULL)) != NULL;
	for (unsigned j = 0; ok && j < e->n_refused; j++)
		ok = json_push(refuse, addr_tree(&e->refused[j].addr,
						 e->refused[j].rule)) != NULL;
	if (!ok) {
		json_free(o);
		return NULL;
	}
	return o;
}

static int describe_json(const struct resolve_set *s, struct akios_buf *out)
{
	struct json *arr = json_new_array();
	bool ok = arr != NULL;
	int rc = -ENOMEM;

	for (unsigned i = 0; ok && i < s->n; i++)
		ok = json_push(arr, entry_tree(&s->e[i])) != NULL;
	char *txt = ok ? json_print(arr) : NULL;

	if (txt)
		rc = akios_buf_append(out, txt, strlen(txt));
	free(txt);
	json_free(arr);
	return rc;
}

int resolve_describe(const struct resolve_set *s, struct akios_buf *out,
		     bool json)
{
	int rc = 0;

	if (json)
		return describe_json(s, out);
	if (!s->allowlist)
		return akios_buf_appendf(out, "network: isolated (no connect "
					      "leaves the cage)\n");
	rc = akios_buf_appendf(out, "network: allowlist, %u endpoint%s\n", s->n,
			       s->n == 1 ? "" : "s");
	for (unsigned i = 0; rc == 0 && i < s->n; i++)
		rc = describe_text(&s->e[i], out);
	return rc;
}
