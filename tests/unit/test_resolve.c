/* resolve: endpoints resolved through an injected resolver (no DNS in
 * tests), the DNS guard applied, /etc/hosts and --dry-run output. */
#include "shared/common.h"

#include "supervisor/broker/resolve.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

/* Fake DNS: name → list of literals. */
static int fake(void *ctx, const char *host, struct ng_addr *out, unsigned max,
		unsigned *n, const char **why)
{
	static const struct {
		const char *name;
		const char *ips[3];
	} zone[] = {
	    {"api.example", {"93.184.216.34", "2606:2800:220:1::248"}},
	    {"evil.example", {"169.254.169.254", "93.184.216.35"}},
	    {"local.example", {"127.0.0.1"}},
	    {"meta.example", {"fd00:ec2::254"}},
	};
	(*(unsigned *)ctx)++;
	*n = 0;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(zone); i++) {
		if (strcmp(zone[i].name, host) != 0)
			continue;
		for (unsigned j = 0; j < 3 && zone[i].ips[j] && *n < max; j++)
			cr_assert_eq(
			    netguard_parse_ip(zone[i].ips[j], &out[(*n)++]), 0);
		return 0;
	}
	*why = "Name or service not known";
	return -EHOSTUNREACH;
}

static struct policy_endpoint ep(const char *host, uint16_t port)
{
	return (struct policy_endpoint){
	    .host = (char *)host, .port = port, .loc = {7, 5}};
}

static struct resolve_set *load(struct policy_endpoint *eps, unsigned n,
				const char *base_url, unsigned *calls)
{
	struct akios_policy p = {0};
	struct resolve_set *s = NULL;
	struct akios_err err = {0};

	p.security.network = POLICY_NET_ALLOWLIST;
	p.security.allowed_endpoints = eps;
	p.security.n_allowed_endpoints = n;
	p.llm.base_url = (char *)base_url;
	cr_assert_eq(resolve_endpoints(&p, fake, calls, &s, &err), 0, "%s",
		     err.msg);
	return s;
}

Test(resolve, guard_and_literals)
{
	struct policy_endpoint eps[] = {
	    ep("api.example", 443), ep("evil.example", 443),
	    ep("local.example", 8080), ep("meta.example", 80),
	    ep("nowhere.example", 1)};
	unsigned calls = 0;
	struct resolve_set *s = load(eps, 5, NULL, &calls);

	cr_assert_eq(calls, 5);
	cr_assert_eq(s->n, 5);
	cr_assert_eq(s->e[0].n_addrs, 2);
	cr_assert_eq(s->e[1].n_addrs, 1, "metadata dropped, public kept");
	cr_assert_eq(s->e[1].n_refused, 1);
	cr_assert_str_eq(s->e[1].refused[0].rule, "guard.resolved-special");
	cr_assert_eq(s->e[2].n_addrs, 0, "a name resolving to 127.0.0.1");
	cr_assert_eq(s->e[3].n_addrs, 0);
	cr_assert_eq(s->e[4].n_addrs, 0);
	cr_assert_str_eq(s->e[4].error, "Name or service not known");

	/* The decision sees only what survived the guard. */
	struct ng_policy pol;
	struct ng_decision d;
	struct ng_addr a;

	resolve_policy(s, &pol);
	cr_assert_eq(netguard_parse_ip("127.0.0.1", &a), 0);
	a.port = 8080;
	netguard_decide(&pol, &a, &d);
	cr_assert_neq(d.verdict, NG_ALLOW_BROKERED);
	cr_assert_eq(netguard_parse_ip("93.184.216.35", &a), 0);
	a.port = 443;
	netguard_decide(&pol, &a, &d);
	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED);
	cr_assert_eq(d.ep, &s->eps[1]);
	resolve_set_free(s);
}

Test(resolve, literal_makes_local_name_allowed)
{
	struct policy_endpoint eps[] = {ep("local.example", 8080),
					ep("127.0.0.1", 8080)};
	unsigned calls = 0;
	struct resolve_set *s =
	    load(eps, 2, "http://[fd00:ec2::254]:80/latest", &calls);

	cr_assert_eq(calls, 1, "literals are not resolved");
	cr_assert_eq(s->n, 3);
	cr_assert_eq(s->e[0].n_addrs, 1, "127.0.0.1 is listed literally");
	cr_assert(s->e[1].literal);
	cr_assert(s->e[2].literal);
	cr_assert_str_eq(s->e[2].rule, "llm.base_url");
	cr_assert_eq(s->e[2].port, 80);

	struct akios_buf hosts;

	akios_buf_init(&hosts, AKIOS_MAX_HOSTS_BYTES);
	cr_assert_eq(resolve_hosts_file(s, &hosts), 0);
	cr_assert_not_null(strstr(hosts.ptr, "127.0.0.1\tlocalhost\n"));
	cr_assert_not_null(strstr(hosts.ptr, "127.0.0.1\tlocal.example\n"));
	cr_assert_null(strstr(hosts.ptr, "fd00:ec2"), "literals need no line");
	akios_buf_free(&hosts);
	resolve_set_free(s);
}

Test(resolve, describe_text_and_json)
{
	struct policy_endpoint eps[] = {ep("evil.example", 443)};
	unsigned calls = 0;
	struct resolve_set *s = load(eps, 1, NULL, &calls);
	struct akios_buf b;

	akios_buf_init(&b, 65536);
	cr_assert_eq(resolve_describe(s, &b, false), 0);
	cr_assert_not_null(strstr(b.ptr, "evil.example port 443"), "%s", b.ptr);
	cr_assert_not_null(strstr(b.ptr, "allow  93.184.216.35 (public)"));
	cr_assert_not_null(strstr(b.ptr, "refuse 169.254.169.254 "
					 "(cloud-metadata, "
					 "guard.resolved-special)"));
	akios_buf_reset(&b);
	cr_assert_eq(resolve_describe(s, &b, true), 0);
	cr_assert_str_eq(
	    b.ptr,
	    "[{\"allowed\":[{\"address\":\"93.184.216.35\",\"class\":"
	    "\"public\"}],\"refused\":[{\"address\":\"169.254.169.254\","
	    "\"class\":\"cloud-metadata\",\"rule\":\"guard.resolved-"
	    "special\"}],\"host\":\"evil.example\",\"port\":443,"
	    "\"rule\":\"security.allowed_endpoints\",\"literal\":false}]");
	akios_buf_free(&b);
	resolve_set_free(s);
}

Test(resolve, isolated_is_empty)
{
	struct policy_endpoint eps[] = {ep("api.example", 443)};
	struct akios_policy p = {0};
	struct resolve_set *s = NULL;
	unsigned calls = 0;
	struct akios_buf b;

	p.security.allowed_endpoints = eps;
	p.security.n_allowed_endpoints = 1;
	cr_assert_eq(resolve_endpoints(&p, fake, &calls, &s, NULL), 0);
	cr_assert_eq(s->n, 0);
	cr_assert_eq(calls, 0);
	akios_buf_init(&b, 4096);
	cr_assert_eq(resolve_describe(s, &b, false), 0);
	cr_assert_str_eq(b.ptr,
			 "network: isolated (no connect leaves the cage)\n");
	akios_buf_free(&b);
	resolve_set_free(s);
}

Test(resolve, bad_entries_are_located)
{
	static const char *const bad[] = {"a b", "evil\nhost", "-x", "a;b",
					  "[::1]x"};
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(bad); i++) {
		struct policy_endpoint e = ep(bad[i], 80);
		struct akios_policy p = {0};
		struct resolve_set *s = NULL;
		struct akios_err err = {0};
		unsigned calls = 0;

		p.security.network = POLICY_NET_ALLOWLIST;
		p.security.allowed_endpoints = &e;
		p.security.n_allowed_endpoints = 1;
		cr_assert_eq(resolve_endpoints(&p, fake, &calls, &s, &err),
			     -EINVAL, "%s", bad[i]);
		cr_assert_null(s);
		cr_assert_eq(err.line, 7);
		cr_assert_eq(err.col, 5);
	}
	struct akios_policy p = {0};
	struct resolve_set *s = NULL;
	struct akios_err err = {0};

	p.security.network = POLICY_NET_ALLOWLIST;
	p.llm.base_url = "ftp://x";
	cr_assert_eq(resolve_endpoints(&p, fake, NULL, &s, &err), -EINVAL);
	cr_assert_not_null(strstr(err.msg, "llm.base_url"));
}

Test(resolve, getaddrinfo_localhost_is_guarded)
{
	/* /etc/hosts only: localhost resolves without any network. */
	struct ng_addr out[AKIOS_MAX_RESOLVED_ADDRS];
	unsigned n = 0;
	const char *why = NULL;

	/* No unresolvable name here: that would send a DNS query. */

	cr_assert_eq(resolve_getaddrinfo(NULL, "localhost", out,
					 AKIOS_MAX_RESOLVED_ADDRS, &n, &why),
		     0);
	cr_assert_geq(n, 1);
	for (unsigned i = 0; i < n; i++) {
		const char *rule;

		cr_assert_eq(netguard_classify(&out[i]), NG_LOOPBACK);
		cr_assert_not(netguard_guard_resolved(&out[i], NULL, 0, &rule));
	}
}
