/* policy/defaults.c: the values every policy starts from, and the
 * embedded default policy used when no --policy is given. Both are
 * deny-by-default: no network, writes only under the current directory,
 * PII redaction and the audit log on. The default policy is compiled into
 * the (signed) akios binary, so it counts as trusted under
 * --require-signed. */
#include "shared/common.h"
#include "policy/policy_int.h"

#include <errno.h>
#include <string.h>

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

/* Where the parser puts the two filesystem.allow entries of default_yaml
 * (line:column of each "path:" mapping; test_policy_default checks them
 * against the parser, as it checks the whole struct). */
static const struct policy_loc default_cwd_loc = {13, 7};
static const struct policy_loc default_usr_loc = {15, 7};

static int default_lists(struct akios_policy *p)
{
	static const char *const hdrs[] = {"authorization", "cookie",
					   "proxy-authorization", "x-api-key"};
	struct policy_string_list *h = &p->http.redact_headers;

	/* "[]" in the YAML: an empty list, allocated like the parser's. */
	p->security.allowed_endpoints =
	    calloc(1, sizeof(*p->security.allowed_endpoints));
	p->http.allow.items = calloc(1, sizeof(char *));
	h->items = calloc(AKIOS_ARRAY_SIZE(hdrs), sizeof(char *));
	if (!p->security.allowed_endpoints || !p->http.allow.items || !h->items)
		return -ENOMEM;
	for (; h->n < AKIOS_ARRAY_SIZE(hdrs); h->n++) {
		h->items[h->n] = strdup(hdrs[h->n]);
		if (!h->items[h->n])
			return -ENOMEM;
	}
	return 0;
}

static int default_allow(struct akios_policy *p, const char *cwd)
{
	struct policy_path *a = calloc(2, sizeof(*a));

	p->filesystem.allow = a;
	if (!a)
		return -ENOMEM;
	a[0] = (struct policy_path){
	    .path = strdup(cwd), .mode = POLICY_FS_RW, .loc = default_cwd_loc};
	a[1] = (struct policy_path){.path = strdup("/usr"),
				    .mode = POLICY_FS_R,
				    .loc = default_usr_loc};
	p->filesystem.n_allow = 2;
	return a[0].path && a[1].path ? 0 : -ENOMEM;
}

int policy_default_build(const char *cwd, struct akios_policy **out)
{
	struct akios_policy *p;
	int rc;

	/* "${CWD}" expands to cwd; anything the parser would refuse or
	 * report (no cwd, a path it does not accept, /usr listed twice) is
	 * left to it. */
	if (!cwd || policy_path_problem(cwd) || strcmp(cwd, "/usr") == 0)
		return -EAGAIN;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = policy_set_defaults(p);
	p->version = 1;
	p->pii_redaction.mode = POLICY_PII_BALANCED;
	p->name = strdup("default");
	p->source = strdup("<default>");
	if (rc == 0 && (!p->name || !p->source))
		rc = -ENOMEM;
	if (rc == 0)
		rc = default_lists(p);
	if (rc == 0)
		rc = default_allow(p, cwd);
	if (rc != 0) {
		policy_free(p);
		return rc;
	}
	crypto_sha256(default_yaml, sizeof(default_yaml) - 1, p->sha256);
	*out = p;
	return 0;
}
