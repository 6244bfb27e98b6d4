/* policy/defaults.c: the values every policy starts from, and the
 * embedded default policy used when no --policy is given. Both are
 * deny-by-default: no network, writes only under the current directory,
 * PII redaction and the audit log on. The default policy is compiled into
 * the (signed) akios binary, so it counts as trusted under
 * --require-signed. */
#include "shared/common.h"
#include "policy/policy_int.h"

#include <errno.h>

static const char default_yaml[] =
    "# The embedded default policy of akios: used when no --policy is\n"
    "# given. Print it with `akios policy show --default`.\n"
    "version: 1\n"
    "name: \"default\"\n"
    "\n"
    "security:\n"
    "  sandbox: strict\n"
    "  network: isolated          # no connection leaves the cage\n"
    "  allowed_endpoints: []\n"
    "\n"
    "filesystem:\n"
    "  allow:\n"
    "    - path: \"${CWD}\"         # the directory akios was started in\n"
    "      mode: rw\n"
    "    - path: \"/usr\"           # programs and libraries, read-only\n"
    "      mode: r\n"
    "  deny_writes: true           # everywhere else\n"
    "\n"
    "http:\n"
    "  allow: []\n"
    "  redact_headers: [authorization, cookie, proxy-authorization, "
    "x-api-key]\n"
    "\n"
    "llm:\n"
    "  redact_prompts: true\n"
    "  redact_responses: true\n"
    "\n"
    "audit:\n"
    "  merkle: true\n"
    "  pii_redaction: true\n"
    "  export_format: jsonl\n"
    "\n"
    "pii_redaction:\n"
    "  enabled: true\n"
    "  mode: balanced\n";

const char *policy_default_yaml(void)
{
	return default_yaml;
}

int policy_set_defaults(struct akios_policy *p)
{
	*p = (struct akios_policy){0};
	p->security.sandbox = POLICY_SANDBOX_STRICT;
	p->security.network = POLICY_NET_ISOLATED;
	p->filesystem.deny_writes = true;
	p->llm.budget_usd = -1.0;
	p->llm.budget_micro_usd = -1;
	p->llm.redact_prompts = true;
	p->llm.redact_responses = true;
	p->audit.merkle = true;
	p->audit.pii_redaction = true;
	p->audit.export_format = POLICY_EXPORT_JSONL;
	p->pii_redaction.enabled = true;
	p->pii_redaction.mode = POLICY_PII_BALANCED;
	return 0;
}
