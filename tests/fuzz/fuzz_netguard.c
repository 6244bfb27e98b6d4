/* libFuzzer harness for netguard's text parsers (IP literals, host:port
 * and URLs) and the decision on whatever they produce: never a crash, and
 * a parsed address always formats and re-parses to itself. */
#include "shared/common.h"

#include "supervisor/broker/netguard.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512], host[256], txt[64];
	struct ng_addr a, b;
	struct ng_decision d;
	struct ng_policy pol = {.allowlist = true, .relay_port4 = 1};
	uint16_t port = 0;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (netguard_split_url(s, host, sizeof(host), &port) == 0 && port == 0)
		abort();
	if (netguard_parse_ip(s, &a) != 0)
		return 0;
	if (netguard_format(&a, false, txt, sizeof(txt)) != 0 ||
	    netguard_parse_ip(txt, &b) != 0 || !netguard_same_ip(&a, &b))
		abort();
	(void)netguard_class_name(netguard_classify(&a));
	netguard_decide(&pol, &a, &d);
	if (!d.rule)
		abort();
	return 0;
}
