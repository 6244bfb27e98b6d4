/* policy/crosscheck.c: the secrets list and the checks that need the
 * whole file: contradictions (isolated network with endpoints, a required
 * limit that is not set), the budget alias, environment overlaps, and
 * the defaults that depend on whether a key was given. */
#include "shared/common.h"
#include "policy/policy_int.h"
#include "shared/limits.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static void secret_env(struct vctx *c, const struct pnode *v, void *base)
{
	struct policy_secret *s = base;
	char *name = v_env_name(c, v);

	if (name) {
		free(s->env);
		s->env = name;
	}
}

static void secret_from_env(struct vctx *c, const struct pnode *v, void *base)
{
	struct policy_secret *s = base;
	char *name = v_env_name(c, v);

	if (name) {
		free(s->from_env);
		s->from_env = name;
	}
}

static const struct vkey secret_keys[] = {
    {"env", VK_FN, 0, 0, 0, NULL, secret_env},
    {"from_env", VK_FN, 0, 0, 0, NULL, secret_from_env},
    {"from_file", VK_PATH, offsetof(struct policy_secret, from_file), 0, 0,
     NULL, NULL},
    {0}};

static void secret_free(struct policy_secret *s)
{
	free(s->env);
	free(s->from_env);
	free(s->from_file);
	*s = (struct policy_secret){0};
}

/* Complete, exactly one source, and a variable not used twice. */
static bool secret_ok(struct vctx *c, const struct pnode *item,
		      const struct policy_secret *s)
{
	if (!s->env) {
		verr(c, item,
		     "a secret needs 'env' (the variable inside the "
		     "cage)");
		return false;
	}
	if (!s->from_env == !s->from_file) {
		verr(c, item,
		     "secret '%s' needs exactly one of from_env and "
		     "from_file",
		     s->env);
		return false;
	}
	for (unsigned j = 0; j < c->p->n_secrets; j++) {
		if (strcmp(c->p->secrets[j].env, s->env) == 0) {
			verr(c, item, "secret '%s' is listed twice", s->env);
			return false;
		}
	}
	return true;
}

void policy_fn_secrets(struct vctx *c, const struct pnode *v, void *base)
{
	(void)base;
	if (!v_is(c, v, PNODE_SEQ) || c->p->secrets)
		return;
	if (v->n > AKIOS_MAX_POLICY_LIST) {
		verr(c, v, "more than %lu entries", AKIOS_MAX_POLICY_LIST);
		return;
	}
	c->p->secrets = calloc(v->n ? v->n : 1, sizeof(struct policy_secret));
	if (!c->p->secrets) {
		c->oom = true;
		return;
	}
	for (unsigned i = 0; i < v->n; i++) {
		const struct pnode *item = v->kids[i];
		struct policy_secret *s = &c->p->secrets[c->p->n_secrets];
		unsigned before = c->errs->n + c->errs->dropped;

		s->loc = (struct policy_loc){item->line, item->col};
		v_map(c, item, secret_keys, s);
		if (c->errs->n + c->errs->dropped == before &&
		    secret_ok(c, item, s))
			c->p->n_secrets++;
		else
			secret_free(s);
	}
}

static void at(struct vctx *c, struct policy_loc loc, const char *fmt, ...)
    AKIOS_PRINTF(3, 4);
static void at(struct vctx *c, struct policy_loc loc, const char *fmt, ...)
{
	struct pnode where = {.line = loc.line, .col = loc.col};
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	v_pop(c, 0);
	verr(c, loc.line ? &where : NULL, "%s", msg);
}

static void check_budget(struct vctx *c)
{
	struct akios_policy *p = c->p;

	if (c->alias_budget >= 0 && p->llm.budget_micro_usd >= 0 &&
	    c->alias_budget != p->llm.budget_micro_usd)
		at(c, c->alias_loc,
		   "budget.max_cost_per_run and llm.budget_usd are one "
		   "setting but have different values; keep one");
	else if (c->alias_budget >= 0)
		p->llm.budget_micro_usd = c->alias_budget;
	p->llm.budget_usd = p->llm.budget_micro_usd < 0
				? -1.0
				: (double)p->llm.budget_micro_usd / 1e6;
}

static void check_limits(struct vctx *c)
{
	const struct akios_policy *p = c->p;
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {{POLICY_LIMIT_MEMORY, "memory_mb"},
		     {POLICY_LIMIT_PIDS, "pids"},
		     {POLICY_LIMIT_CPU, "cpu_percent"}};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(names); i++) {
		bool set = names[i].flag == POLICY_LIMIT_MEMORY
			       ? p->limits.memory_mb != 0
			   : names[i].flag == POLICY_LIMIT_PIDS
			       ? p->limits.pids != 0
			       : p->limits.cpu_percent != 0;

		if ((p->limits.required & names[i].flag) && !set)
			at(c, c->required_loc,
			   "limits.required names '%s' but that limit is not "
			   "set",
			   names[i].name);
	}
}

static bool in_list(const struct policy_string_list *l, const char *s)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (strcmp(l->items[i], s) == 0)
			return true;
	}
	return false;
}

static bool in_set(const struct akios_policy *p, const char *s)
{
	for (unsigned i = 0; i < p->env.n_set; i++) {
		if (strcmp(p->env.set[i].key, s) == 0)
			return true;
	}
	return false;
}

static void check_env(struct vctx *c)
{
	const struct akios_policy *p = c->p;

	for (unsigned i = 0; i < p->env.n_set; i++) {
		if (in_list(&p->env.pass, p->env.set[i].key))
			at(c, c->env_loc,
			   "'%s' is both in env.pass and env.set",
			   p->env.set[i].key);
	}
	for (unsigned i = 0; i < p->n_secrets; i++) {
		const char *e = p->secrets[i].env;

		if (in_list(&p->env.pass, e) || in_set(p, e))
			at(c, p->secrets[i].loc,
			   "secret '%s' is also set by env.pass or env.set", e);
	}
}

static int default_headers(struct akios_policy *p)
{
	static const char *const hdrs[] = {"authorization", "cookie",
					   "proxy-authorization", "x-api-key"};
	struct policy_string_list *l = &p->http.redact_headers;

	l->items = calloc(AKIOS_ARRAY_SIZE(hdrs), sizeof(char *));
	if (!l->items)
		return -ENOMEM;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(hdrs); i++) {
		l->items[i] = strdup(hdrs[i]);
		if (!l->items[i])
			return -ENOMEM;
		l->n++;
	}
	return 0;
}

void policy_post_checks(struct vctx *c)
{
	struct akios_policy *p = c->p;

	if (!c->seen_version)
		at(c, (struct policy_loc){1, 1},
		   "missing required key 'version' (write: version: 1)");
	check_budget(c);
	if (p->security.network == POLICY_NET_ISOLATED &&
	    p->security.n_allowed_endpoints > 0)
		at(c, c->endpoints_loc,
		   "security.allowed_endpoints is not empty but "
		   "security.network is '%s'; use network: allowlist",
		   "isolated");
	check_limits(c);
	check_env(c);
	if (!c->seen_redact_headers && !p->http.redact_headers.items &&
	    default_headers(p))
		c->oom = true;
}
