/* policy/schema.c: the policy's keys as tables (name, kind, field), the
 * handlers for lists and special values, and the cross-field checks that
 * need the whole file (contradictions, the budget alias, env overlaps).
 * Invariant: every key of the README's reference appears here once. */
#include "shared/common.h"
#include "policy/policy_int.h"
#include "shared/limits.h"
#include "shared/pii/pii_names.h"

#include <ctype.h>
#include <stddef.h>

#define P(field) offsetof(struct akios_policy, field)
#define UINT_KEY(name, fld, mx)                                                \
	{                                                                      \
		name, VK_UINT, P(fld),                                         \
		    sizeof(((struct akios_policy *)0)->fld), mx, NULL, NULL    \
	}
#define KEY(name, kind, fld)                                                   \
	{                                                                      \
		name, kind, P(fld), 0, 0, NULL, NULL                           \
	}
#define ENUM_KEY(name, fld, tbl)                                               \
	{                                                                      \
		name, VK_ENUM, P(fld), 0, 0, tbl, NULL                         \
	}
#define FN_KEY(name, f)                                                        \
	{                                                                      \
		name, VK_FN, 0, 0, 0, NULL, f                                  \
	}
#define SECTION(name, tbl)                                                     \
	{                                                                      \
		name, VK_SECTION, 0, 0, 0, tbl, NULL                           \
	}

static struct policy_loc loc_of(const struct pnode *n)
{
	return (struct policy_loc){n->line, n->col};
}

/* A sequence of at most AKIOS_MAX_POLICY_LIST entries, or NULL. */
static const struct pnode *list_of(struct vctx *c, const struct pnode *v)
{
	if (!v_is(c, v, PNODE_SEQ))
		return NULL;
	if (v->n > AKIOS_MAX_POLICY_LIST) {
		verr(c, v, "more than %lu entries", AKIOS_MAX_POLICY_LIST);
		return NULL;
	}
	return v;
}

static void *alloc_items(struct vctx *c, unsigned n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		c->oom = true;
	return p;
}

/* Fills a string list from a sequence, each item converted by conv and
 * refused when it repeats an earlier one. */
static void str_list(struct vctx *c, const struct pnode *v,
		     struct policy_string_list *l,
		     char *(*conv)(struct vctx *, const struct pnode *))
{
	const struct pnode *seq = list_of(c, v);

	if (!seq)
		return;
	policy_strlist_free(l);
	l->items = alloc_items(c, seq->n, sizeof(char *));
	if (!l->items)
		return;
	for (unsigned i = 0; i < seq->n; i++) {
		char *s = conv(c, seq->kids[i]);
		bool dup = false;

		for (unsigned j = 0; s && j < l->n; j++)
			dup = dup || strcmp(l->items[j], s) == 0;
		if (dup) {
			verr(c, seq->kids[i], "'%s' is listed twice", s);
			free(s);
			continue;
		}
		if (s)
			l->items[l->n++] = s;
	}
}

static void fn_version(struct vctx *c, const struct pnode *v, void *base)
{
	unsigned long long x;

	(void)base;
	c->seen_version = true;
	if (v_uint(c, v, 1000000, &x) && x != 1)
		verr(c, v,
		     "unsupported policy version %llu (this akios reads "
		     "version 1)",
		     x);
	else
		c->p->version = 1;
}

static void fn_name(struct vctx *c, const struct pnode *v, void *base)
{
	char *s = v_string(c, v);

	(void)base;
	if (s && (s[0] == '\0' || strlen(s) > 128)) {
		verr(c, v, "a name is 1 to 128 characters");
		free(s);
		return;
	}
	if (s) {
		free(c->p->name);
		c->p->name = s;
	}
}

static void fn_endpoints(struct vctx *c, const struct pnode *v, void *base)
{
	const struct pnode *seq = list_of(c, v);
	struct policy_endpoint *e;

	(void)base;
	c->endpoints_loc = loc_of(v);
	if (!seq || c->p->security.allowed_endpoints)
		return;
	e = alloc_items(c, seq->n, sizeof(*e));
	if (!e)
		return;
	c->p->security.allowed_endpoints = e;
	for (unsigned i = 0; i < seq->n; i++) {
		struct policy_endpoint *x =
		    &e[c->p->security.n_allowed_endpoints];
		bool dup = false;

		if (!v_endpoint(c, seq->kids[i], x))
			continue;
		for (unsigned j = 0; j < c->p->security.n_allowed_endpoints;
		     j++)
			dup = dup || (strcmp(e[j].host, x->host) == 0 &&
				      e[j].port == x->port);
		if (dup) {
			verr(c, seq->kids[i],
			     "endpoint '%s' port %u is listed "
			     "twice",
			     x->host, x->port);
			free(x->host);
			x->host = NULL;
			continue;
		}
		c->p->security.n_allowed_endpoints++;
	}
}

static const struct venum fs_modes[] = {
    {"r", POLICY_FS_R}, {"w", POLICY_FS_W}, {"rw", POLICY_FS_RW}, {0}};

#define PP(fld) offsetof(struct policy_path, fld)
static const struct vkey fs_item_keys[] = {
    {"allow_control_files", VK_BOOL, PP(allow_control_files), 0, 0, 0, 0},
    {"mode", VK_ENUM, PP(mode), 0, 0, fs_modes, NULL},
    {"path", VK_PATH, PP(path), 0, 0, NULL, NULL},
    {0}};

static void check_fs_dup(struct vctx *c, const struct pnode *item,
			 struct policy_path *x)
{
	struct policy_path *all = c->p->filesystem.allow;

	for (unsigned j = 0; j < c->p->filesystem.n_allow; j++) {
		if (strcmp(all[j].path, x->path) != 0)
			continue;
		if (all[j].mode != x->mode ||
		    all[j].allow_control_files != x->allow_control_files)
			verr(c, item,
			     "path '%s' is listed twice with different "
			     "settings (first at %u:%u)",
			     x->path, all[j].loc.line, all[j].loc.col);
		else
			verr(c, item, "path '%s' is listed twice", x->path);
		free(x->path);
		x->path = NULL;
		return;
	}
	c->p->filesystem.n_allow++;
}

static void fn_fs_allow(struct vctx *c, const struct pnode *v, void *base)
{
	const struct pnode *seq = list_of(c, v);

	(void)base;
	if (!seq || c->p->filesystem.allow)
		return;
	c->p->filesystem.allow =
	    alloc_items(c, seq->n, sizeof(struct policy_path));
	for (unsigned i = 0; c->p->filesystem.allow && i < seq->n; i++) {
		const struct pnode *item = seq->kids[i];
		struct policy_path *x =
		    &c->p->filesystem.allow[c->p->filesystem.n_allow];
		unsigned before = c->errs->n + c->errs->dropped;

		*x = (struct policy_path){.mode = POLICY_FS_R,
					  .loc = loc_of(item)};
		v_map(c, item, fs_item_keys, x);
		if (item->kind == PNODE_MAP && !x->path &&
		    c->errs->n + c->errs->dropped == before)
			verr(c, item, "an entry needs a 'path'");
		if (x->path)
			check_fs_dup(c, item, x);
	}
}

static char *header_name(struct vctx *c, const struct pnode *n)
{
	char *s = v_string(c, n);

	for (size_t i = 0; s && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isascii(ch) ||
		    !(isalnum(ch) || strchr("!#$%&'*+-.^_`|~", ch))) {
			verr(c, n, "'%s' is not an HTTP header name", s);
			free(s);
			return NULL;
		}
		s[i] = (char)tolower(ch);
	}
	if (s && !s[0]) {
		verr(c, n, "an empty header name");
		free(s);
		return NULL;
	}
	return s;
}

static void fn_http_allow(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	str_list(c, v, &c->p->http.allow, v_url);
}

static void fn_redact_headers(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	c->seen_redact_headers = true;
	str_list(c, v, &c->p->http.redact_headers, header_name);
}

static void fn_budget(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	c->budget_loc = loc_of(v);
	(void)v_micros(c, v, 1000000, &c->p->llm.budget_micro_usd);
}

static void fn_budget_alias(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	c->alias_loc = loc_of(v);
	(void)v_micros(c, v, 1000000, &c->alias_budget);
}

/* A program name ("jq") or an absolute path to one. */
static char *tool_name(struct vctx *c, const struct pnode *n)
{
	char *s;

	if (n->kind == PNODE_SCALAR && n->str[0] == '/')
		return v_path(c, n);
	s = v_string(c, n);
	for (size_t i = 0; s && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isascii(ch) || !(isalnum(ch) || strchr("._+-", ch))) {
			verr(c, n,
			     "'%s' is not a program name or an absolute "
			     "path",
			     s);
			free(s);
			return NULL;
		}
	}
	if (s && (!s[0] || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)) {
		verr(c, n, "'%s' is not a program name", s);
		free(s);
		return NULL;
	}
	return s;
}

static void fn_tool_item_name(struct vctx *c, const struct pnode *v, void *base)
{
	struct policy_tool *t = base;
	char *s = tool_name(c, v);

	if (s) {
		free(t->name);
		t->name = s;
	}
}

static const struct vkey tool_item_keys[] = {FN_KEY("name", fn_tool_item_name),
					     {0}};

static void fn_tools_allow(struct vctx *c, const struct pnode *v, void *base)
{
	const struct pnode *seq = list_of(c, v);
	struct policy_tool *t;

	(void)base;
	c->p->tools.allow_set = true;
	if (!seq || c->p->tools.allow)
		return;
	t = alloc_items(c, seq->n, sizeof(*t));
	c->p->tools.allow = t;
	for (unsigned i = 0; t && i < seq->n; i++) {
		struct policy_tool *x = &t[c->p->tools.n_allow];
		bool dup = false;

		*x = (struct policy_tool){.loc = loc_of(seq->kids[i])};
		v_map(c, seq->kids[i], tool_item_keys, x);
		if (!x->name) {
			if (seq->kids[i]->kind == PNODE_MAP)
				verr(c, seq->kids[i], "a tool needs a 'name'");
			continue;
		}
		for (unsigned j = 0; j < c->p->tools.n_allow; j++)
			dup = dup || strcmp(t[j].name, x->name) == 0;
		if (dup) {
			verr(c, seq->kids[i], "tool '%s' is listed twice",
			     x->name);
			free(x->name);
			x->name = NULL;
			continue;
		}
		c->p->tools.n_allow++;
	}
}

static char *pii_pattern(struct vctx *c, const struct pnode *n)
{
	char *s = v_string(c, n);
	const char *hint;

	if (!s || pii_name_known(s))
		return s;
	hint = pii_name_suggest(s);
	if (hint)
		verr(c, n, "unknown PII pattern '%s'; did you mean '%s'?", s,
		     hint);
	else
		verr(c, n, "unknown PII pattern '%s'", s);
	free(s);
	return NULL;
}

static void fn_patterns(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	str_list(c, v, &c->p->pii_redaction.patterns, pii_pattern);
}

static const struct venum limit_names[] = {{"memory_mb", POLICY_LIMIT_MEMORY},
					   {"pids", POLICY_LIMIT_PIDS},
					   {"cpu_percent", POLICY_LIMIT_CPU},
					   {0}};

static void fn_required(struct vctx *c, const struct pnode *v, void *base)
{
	const struct pnode *seq = list_of(c, v);

	(void)base;
	c->required_loc = loc_of(v);
	for (unsigned i = 0; seq && i < seq->n; i++) {
		int flag;

		if (!v_enum(c, seq->kids[i], limit_names, &flag))
			continue;
		if (c->p->limits.required & (unsigned)flag)
			verr(c, seq->kids[i], "'%s' is listed twice",
			     seq->kids[i]->str);
		c->p->limits.required |= (unsigned)flag;
	}
}

static void fn_env_pass(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	c->env_loc = loc_of(v);
	str_list(c, v, &c->p->env.pass, v_env_name);
}

static void fn_env_set(struct vctx *c, const struct pnode *v, void *base)
{
	struct policy_kv *kv;

	(void)base;
	if (!v_is(c, v, PNODE_MAP) || c->p->env.set)
		return;
	kv = alloc_items(c, v->n / 2, sizeof(*kv));
	c->p->env.set = kv;
	for (unsigned i = 0; kv && i + 1 < v->n; i += 2) {
		char *k = v_env_name(c, v->kids[i]);
		char *val = k ? v_string(c, v->kids[i + 1]) : NULL;

		if (!val) {
			free(k);
			continue;
		}
		kv[c->p->env.n_set++] = (struct policy_kv){k, val};
	}
}

static const struct venum sandboxes[] = {{"strict", POLICY_SANDBOX_STRICT},
					 {"standard", POLICY_SANDBOX_STANDARD},
					 {0}};
static const struct venum networks[] = {{"isolated", POLICY_NET_ISOLATED},
					{"allowlist", POLICY_NET_ALLOWLIST},
					{0}};
static const struct venum pii_modes[] = {{"strict", POLICY_PII_STRICT},
					 {"balanced", POLICY_PII_BALANCED},
					 {"aggressive", POLICY_PII_AGGRESSIVE},
					 {0}};
static const struct venum export_formats[] = {{"jsonl", POLICY_EXPORT_JSONL},
					      {"json", POLICY_EXPORT_JSON},
					      {"csv", POLICY_EXPORT_CSV},
					      {0}};

static const struct vkey security_keys[] = {
    FN_KEY("allowed_endpoints", fn_endpoints),
    ENUM_KEY("network", security.network, networks),
    ENUM_KEY("sandbox", security.sandbox, sandboxes),
    {0}};

static const struct vkey filesystem_keys[] = {
    FN_KEY("allow", fn_fs_allow),
    KEY("deny_writes", VK_BOOL, filesystem.deny_writes),
    {0}};

static const struct vkey http_keys[] = {
    FN_KEY("allow", fn_http_allow),
    FN_KEY("redact_headers", fn_redact_headers),
    {0}};

static const struct vkey llm_keys[] = {
    KEY("base_url", VK_URL, llm.base_url),
    FN_KEY("budget_usd", fn_budget),
    UINT_KEY("max_tokens", llm.max_tokens, 10000000),
    KEY("model", VK_STR, llm.model),
    KEY("provider", VK_STR, llm.provider),
    KEY("redact_prompts", VK_BOOL, llm.redact_prompts),
    KEY("redact_responses", VK_BOOL, llm.redact_responses),
    {0}};

static const struct vkey tools_keys[] = {
    FN_KEY("allow", fn_tools_allow),
    UINT_KEY("timeout_sec", tools.timeout_sec, 86400),
    KEY("working_dir", VK_PATH, tools.working_dir),
    {0}};

static const struct vkey audit_keys[] = {
    KEY("dir", VK_PATH, audit.dir),
    ENUM_KEY("export_format", audit.export_format, export_formats),
    KEY("merkle", VK_BOOL, audit.merkle),
    KEY("pii_redaction", VK_BOOL, audit.pii_redaction),
    UINT_KEY("retention_days", audit.retention_days, 36500),
    {0}};

static const struct vkey pii_keys[] = {
    KEY("enabled", VK_BOOL, pii_redaction.enabled),
    ENUM_KEY("mode", pii_redaction.mode, pii_modes),
    FN_KEY("patterns", fn_patterns),
    {0}};

static const struct vkey limits_keys[] = {
    UINT_KEY("cpu_percent", limits.cpu_percent, 102400),
    UINT_KEY("memory_mb", limits.memory_mb, 16777216),
    UINT_KEY("pids", limits.pids, 4194304),
    FN_KEY("required", fn_required),
    UINT_KEY("wall_timeout_sec", limits.wall_timeout_sec, 2678400),
    {0}};

static const struct vkey env_keys[] = {
    FN_KEY("pass", fn_env_pass), FN_KEY("set", fn_env_set), {0}};

static const struct vkey budget_keys[] = {
    FN_KEY("max_cost_per_run", fn_budget_alias), {0}};

const struct vkey policy_schema_top[] = {
    SECTION("audit", audit_keys),	SECTION("budget", budget_keys),
    SECTION("env", env_keys),		SECTION("filesystem", filesystem_keys),
    SECTION("http", http_keys),		SECTION("limits", limits_keys),
    SECTION("llm", llm_keys),		FN_KEY("name", fn_name),
    SECTION("pii_redaction", pii_keys), FN_KEY("secrets", policy_fn_secrets),
    SECTION("security", security_keys), SECTION("tools", tools_keys),
    FN_KEY("version", fn_version),	{0}};
