/* netguard: parsing, normalisation, classification and the connect
 * decision. These answers (metadata, link-local, private...) are tested
 * here, never by sending traffic to such addresses. */
#include "shared/common.h"

#include "supervisor/broker/netguard.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>

static struct ng_addr ip(const char *s, uint16_t port)
{
	struct ng_addr a;

	cr_assert_eq(netguard_parse_ip(s, &a), 0, "parse %s", s);
	a.port = port;
	return a;
}

static const char *fmt(const struct ng_addr *a)
{
	static char buf[64];

	cr_assert_eq(netguard_format(a, true, buf, sizeof(buf)), 0);
	return buf;
}

Test(netguard, spellings_normalise)
{
	static const char *const v4[] = {"127.0.0.1",	   "127.1",
					 "0x7f.1",	   "0177.0.0.1",
					 "2130706433",	   "::ffff:127.0.0.1",
					 "[::ffff:7f00:1]"};
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(v4); i++) {
		struct ng_addr a = ip(v4[i], 80);

		cr_assert_eq(a.family, AF_INET, "%s", v4[i]);
		cr_assert_str_eq(fmt(&a), "127.0.0.1:80", "%s", v4[i]);
	}
	struct ng_addr m = ip("0xa9.0xfe.0xa9.0xfe", 80);

	cr_assert_eq(netguard_classify(&m), NG_METADATA);
	struct ng_addr six = ip("[::1]", 443);

	cr_assert_str_eq(fmt(&six), "[::1]:443");
}

Test(netguard, rejects_non_literals)
{
	static const char *const bad[] = {
	    "",	    "localhost", "1.2.3.4 ",	"fe80::1%eth0", "[::1",
	    "::1]", "1.2.3.4.5", "example.com", "[1.2.3.4]",	"256.1.1.1"};
	struct ng_addr a;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(bad); i++)
		cr_assert_eq(netguard_parse_ip(bad[i], &a), -EINVAL, "'%s'",
			     bad[i]);
}

Test(netguard, classify_table)
{
	static const struct {
		const char *ip;
		enum ng_class c;
	} t[] = {
	    {"8.8.8.8", NG_PUBLIC},
	    {"1.1.1.1", NG_PUBLIC},
	    {"127.0.0.1", NG_LOOPBACK},
	    {"127.255.1.2", NG_LOOPBACK},
	    {"0.0.0.0", NG_UNSPECIFIED},
	    {"0.1.2.3", NG_RESERVED},
	    {"169.254.169.254", NG_METADATA},
	    {"169.254.170.2", NG_LINK_LOCAL},
	    {"169.254.0.1", NG_LINK_LOCAL},
	    {"10.0.0.1", NG_PRIVATE},
	    {"172.16.0.1", NG_PRIVATE},
	    {"172.31.255.255", NG_PRIVATE},
	    {"172.32.0.1", NG_PUBLIC},
	    {"172.15.255.255", NG_PUBLIC},
	    {"192.168.1.1", NG_PRIVATE},
	    {"100.64.0.1", NG_PRIVATE},
	    {"100.100.100.200", NG_PRIVATE},
	    {"100.128.0.1", NG_PUBLIC},
	    {"224.0.0.1", NG_MULTICAST},
	    {"239.255.255.250", NG_MULTICAST},
	    {"255.255.255.255", NG_BROADCAST},
	    {"240.0.0.1", NG_RESERVED},
	    {"192.0.2.1", NG_RESERVED},
	    {"198.18.0.1", NG_RESERVED},
	    {"::1", NG_LOOPBACK},
	    {"::", NG_UNSPECIFIED},
	    {"fd00:ec2::254", NG_METADATA},
	    {"fd00:ec2::253", NG_PRIVATE},
	    {"fc00::1", NG_PRIVATE},
	    {"fe80::1", NG_LINK_LOCAL},
	    {"febf::1", NG_LINK_LOCAL},
	    {"fec0::1", NG_PUBLIC},
	    {"ff02::1", NG_MULTICAST},
	    {"::ffff:169.254.169.254", NG_METADATA},
	    {"::ffff:10.1.2.3", NG_PRIVATE},
	    {"::127.0.0.1", NG_RESERVED},
	    {"64:ff9b::a9fe:a9fe", NG_RESERVED},
	    {"2002:a9fe:a9fe::1", NG_RESERVED},
	    {"2001:db8::1", NG_RESERVED},
	    {"2606:4700::1111", NG_PUBLIC},
	};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(t); i++) {
		struct ng_addr a = ip(t[i].ip, 0);

		cr_assert_eq(netguard_classify(&a), t[i].c, "%s: %s", t[i].ip,
			     netguard_class_name(netguard_classify(&a)));
	}
	cr_assert_str_eq(netguard_class_name(NG_METADATA), "cloud-metadata");
	cr_assert_str_eq(netguard_class_name((enum ng_class)99), "unknown");
}

Test(netguard, sockaddr_roundtrip)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons(8080)};
	struct ng_addr a;

	cr_assert_eq(
	    inet_pton(AF_INET6, "::ffff:169.254.169.254", &in6.sin6_addr), 1);
	cr_assert_eq(netguard_from_sockaddr(&in6, sizeof(in6), &a), 0);
	cr_assert_eq(a.family, AF_INET);
	cr_assert_eq(a.port, 8080);
	cr_assert_eq(netguard_classify(&a), NG_METADATA);
	/* The short (RFC 2133) form is accepted, shorter is not. */
	cr_assert_eq(netguard_from_sockaddr(&in6, 24, &a), 0);
	cr_assert_eq(netguard_from_sockaddr(&in6, 23, &a), -EINVAL);

	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(1)};

	cr_assert_eq(netguard_from_sockaddr(&in, sizeof(in) - 1, &a), -EINVAL);
	cr_assert_eq(netguard_from_sockaddr(&in, 1, &a), -EINVAL);
	in.sin_family = AF_UNIX;
	cr_assert_eq(netguard_from_sockaddr(&in, sizeof(in), &a),
		     -EAFNOSUPPORT);

	/* Back to a sockaddr: v4 into a v6 socket is v4-mapped. */
	struct ng_addr lo = ip("127.0.0.1", 99);
	struct sockaddr_in6 out6;
	char txt[64];

	cr_assert_eq(netguard_to_sockaddr(&lo, true, &out6, sizeof(out6)),
		     (int)sizeof(out6));
	cr_assert_not_null(
	    inet_ntop(AF_INET6, &out6.sin6_addr, txt, sizeof(txt)));
	cr_assert_str_eq(txt, "::ffff:127.0.0.1");
	cr_assert_eq(ntohs(out6.sin6_port), 99);
	cr_assert_eq(netguard_to_sockaddr(&lo, false, &out6, 4), -EINVAL);
}

/* A policy: api.example (public, resolved), a local LLM on 127.0.0.1:8080
 * and the relay on 127.0.0.1:4000 / [::1]:4001. */
struct fixture {
	struct ng_addr api[2], llm[1];
	struct ng_endpoint eps[2];
	struct ng_policy pol;
};

static void fixture_init(struct fixture *f, bool allowlist)
{
	f->api[0] = ip("93.184.216.34", 0);
	f->api[1] = ip("2606:2800:220:1::248", 0);
	f->llm[0] = ip("127.0.0.1", 0);
	f->eps[0] = (struct ng_endpoint){.host = "api.example",
					 .rule = "security.allowed_endpoints",
					 .port = 443,
					 .addrs = f->api,
					 .n_addrs = 2};
	f->eps[1] = (struct ng_endpoint){.host = "127.0.0.1",
					 .rule = "llm.base_url",
					 .port = 8080,
					 .addrs = f->llm,
					 .n_addrs = 1};
	f->pol = (struct ng_policy){.allowlist = allowlist,
				    .eps = f->eps,
				    .n_eps = 2,
				    .relay_port4 = 4000,
				    .relay_port6 = 4001};
}

static struct ng_decision decide(const struct fixture *f, const char *s,
				 uint16_t port)
{
	struct ng_addr a = ip(s, port);
	struct ng_decision d;

	netguard_decide(&f->pol, &a, &d);
	cr_assert_not_null(d.rule, "%s: every decision names its rule", s);
	return d;
}

Test(netguard, decide_allowlist)
{
	struct fixture f;

	fixture_init(&f, true);
	struct ng_decision d = decide(&f, "93.184.216.34", 443);

	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED);
	cr_assert_eq(d.ep, &f.eps[0]);
	cr_assert_str_eq(d.rule, "security.allowed_endpoints");
	d = decide(&f, "::ffff:93.184.216.34", 443);
	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED, "v4-mapped matches");
	d = decide(&f, "2606:2800:220:1::248", 443);
	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED);
	d = decide(&f, "93.184.216.34", 80);
	cr_assert_eq(d.verdict, NG_DENY, "other port");
	cr_assert_eq(d.error, ECONNREFUSED);
	cr_assert_str_eq(d.rule, "security.allowed_endpoints");
	d = decide(&f, "93.184.216.35", 443);
	cr_assert_eq(d.verdict, NG_DENY, "other address");
}

Test(netguard, decide_loopback_rule)
{
	struct fixture f;

	fixture_init(&f, true);
	/* 127.0.0.1:8080 is listed: it is the HOST's service, brokered. */
	struct ng_decision d = decide(&f, "127.0.0.1", 8080);

	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED);
	cr_assert_str_eq(d.rule, "llm.base_url");
	d = decide(&f, "0x7f000001", 8080);
	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED, "spelling normalised");
	d = decide(&f, "::ffff:127.0.0.1", 8080);
	cr_assert_eq(d.verdict, NG_ALLOW_BROKERED);
	/* Any other loopback destination stays on the cage's own lo. */
	static const char *const cage[] = {"127.0.0.1", "127.0.0.2", "::1",
					   "0.0.0.0", "::"};
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(cage); i++) {
		d = decide(&f, cage[i], 9999);
		cr_assert_eq(d.verdict, NG_CONTINUE_CAGE_LOOPBACK, "%s",
			     cage[i]);
		cr_assert_str_eq(d.rule, "cage-loopback");
	}
	d = decide(&f, "127.0.0.2", 8080);
	cr_assert_eq(d.verdict, NG_CONTINUE_CAGE_LOOPBACK,
		     "only the listed address is the host's");
	/* The relay is reachable only through the broker. */
	static const char *const relay[] = {"127.0.0.1", "0.0.0.0", "::1",
					    "127.3.2.1"};
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(relay); i++) {
		d = decide(&f, relay[i], 4000);
		cr_assert_eq(d.verdict, NG_DENY, "%s", relay[i]);
		cr_assert_str_eq(d.rule, "broker.relay-port");
		d = decide(&f, relay[i], 4001);
		cr_assert_eq(d.verdict, NG_DENY, "%s", relay[i]);
	}
}

Test(netguard, decide_special_addresses_denied)
{
	static const char *const bad[] = {
	    "169.254.169.254", "::ffff:169.254.169.254",
	    "fd00:ec2::254",   "169.254.1.1",
	    "fe80::1",	       "10.0.0.1",
	    "192.168.0.1",     "172.16.5.4",
	    "fc00::2",	       "224.0.0.1",
	    "255.255.255.255", "8.8.8.8",
	    "100.100.100.200", "64:ff9b::a9fe:a9fe"};
	struct fixture f;

	fixture_init(&f, true);
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(bad); i++) {
		struct ng_decision d = decide(&f, bad[i], 443);

		cr_assert_eq(d.verdict, NG_DENY, "%s", bad[i]);
		cr_assert_eq(d.error, ECONNREFUSED);
		cr_assert_null(d.ep);
	}
	struct ng_decision d = decide(&f, "169.254.169.254", 80);

	cr_assert_eq(d.cls, NG_METADATA, "the audit event names the class");
}

Test(netguard, decide_isolated)
{
	struct fixture f;

	fixture_init(&f, false);
	/* Isolated: even listed endpoints are not reached. */
	struct ng_decision d = decide(&f, "93.184.216.34", 443);

	cr_assert_eq(d.verdict, NG_DENY);
	cr_assert_str_eq(d.rule, "security.network: isolated");
	d = decide(&f, "127.0.0.1", 8080);
	cr_assert_eq(d.verdict, NG_CONTINUE_CAGE_LOOPBACK,
		     "isolated: 127.0.0.1 is the cage's own lo");
	struct ng_addr weird = {.family = AF_UNIX};

	netguard_decide(&f.pol, &weird, &d);
	cr_assert_eq(d.verdict, NG_DENY);
	cr_assert_eq(d.error, EAFNOSUPPORT);
}

Test(netguard, guard_resolved)
{
	struct ng_addr lits[] = {ip("127.0.0.1", 0), ip("10.1.2.3", 0)};
	const char *rule;
	struct ng_addr a = ip("93.184.216.34", 0);

	cr_assert(netguard_guard_resolved(&a, lits, 2, &rule));
	cr_assert_null(rule);
	static const char *const special[] = {
	    "127.0.0.2", "169.254.169.254", "fd00:ec2::254",
	    "fe80::1",	 "10.1.2.4",	    "::1"};
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(special); i++) {
		a = ip(special[i], 0);
		cr_assert_not(netguard_guard_resolved(&a, lits, 2, &rule), "%s",
			      special[i]);
		cr_assert_str_eq(rule, "guard.resolved-special");
	}
	a = ip("127.0.0.1", 0);
	cr_assert(netguard_guard_resolved(&a, lits, 2, &rule),
		  "listed literally");
	a = ip("::ffff:10.1.2.3", 0);
	cr_assert(netguard_guard_resolved(&a, lits, 2, &rule));
	a = ip("224.0.0.1", 0);
	cr_assert_not(netguard_guard_resolved(&a, &a, 1, &rule),
		      "multicast never");
	cr_assert_str_eq(rule, "guard.not-unicast");
	a = ip("0.0.0.0", 0);
	cr_assert_not(netguard_guard_resolved(&a, &a, 1, &rule));
}

Test(netguard, split_url)
{
	static const struct {
		const char *in, *host;
		uint16_t port;
	} ok[] = {
	    {"https://api.openai.com/v1", "api.openai.com", 443},
	    {"http://127.0.0.1:8080/v1", "127.0.0.1", 8080},
	    {"http://localhost", "localhost", 80},
	    {"https://[::1]:8443/x?y", "::1", 8443},
	    {"https://[2001:db8::1]", "2001:db8::1", 443},
	    {"api.example:443", "api.example", 443},
	    {"[::1]:65535", "::1", 65535},
	};
	static const char *const bad[] = {
	    "api.example",   "api.example:0", "api.example:65536",
	    "api.example:x", "::1:80",	      "https://u@h/",
	    "host:80/path",  "https://",      "https://h:/",
	    "ftp://h",	     "[::1]",	      "h:123456"};
	char host[256];
	uint16_t port;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(ok); i++) {
		cr_assert_eq(
		    netguard_split_url(ok[i].in, host, sizeof(host), &port), 0,
		    "%s", ok[i].in);
		cr_assert_str_eq(host, ok[i].host);
		cr_assert_eq(port, ok[i].port, "%s", ok[i].in);
	}
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(bad); i++)
		cr_assert_eq(
		    netguard_split_url(bad[i], host, sizeof(host), &port),
		    -EINVAL, "%s", bad[i]);
	cr_assert_eq(netguard_split_url("https://abcdef", host, 4, &port),
		     -EINVAL, "host longer than the buffer");
}
