/* The process half of the plan: the scrubbed environment (a small host
 * allowlist, a sane PATH, env.pass, env.set, secrets by reference), the
 * kernel layers the probe says we can apply, limits (cgroup, or rlimit
 * fallbacks that the report names), and degradations. Secret values are
 * never in a plan: they are resolved at launch and wiped right after. */
#include "shared/common.h"
#include "shared/fileio.h"
#include "supervisor/cage/plan.h"
#include "supervisor/cage/plan_int.h"

#include <errno.h>

#define MIB		 (1024ull * 1024ull)
#define SECRET_MAX_BYTES (64ul * 1024ul)

static const char *const host_keep[] = {
    "LANG",	 "LANGUAGE", "TERM", "TZ",
    "COLORTERM", "NO_COLOR", "USER", "LOGNAME",
};

static int env_set(struct cage_plan *p, const char *name, const char *value,
		   const char *origin)
{
	struct cage_env *e = NULL;

	for (unsigned i = 0; i < p->n_env && !e; i++)
		if (strcmp(p->env[i].name, name) == 0)
			e = &p->env[i];
	if (!e) {
		if (p->n_env >= CAGE_MAX_ENV)
			return -E2BIG;
		e = &p->env[p->n_env++];
		memset(e, 0, sizeof(*e));
		e->name = strdup(name);
		if (!e->name)
			return -ENOMEM;
	}
	free(e->value);
	free(e->secret_env);
	free(e->secret_file);
	e->secret_env = NULL;
	e->secret_file = NULL;
	e->value = value ? strdup(value) : NULL;
	e->origin = origin;
	return value && !e->value ? -ENOMEM : 0;
}

/* Value of name in a host environment array, or NULL. */
static const char *host_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static int keep_host(struct cage_plan *p, char *const *env)
{
	char name[128];
	int rc = 0;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(host_keep) && rc == 0; i++)
		if (host_get(env, host_keep[i]))
			rc = env_set(p, host_keep[i],
				     host_get(env, host_keep[i]), "host");
	for (; env && *env && rc == 0; env++) {
		const char *eq = strchr(*env, '=');

		if (strncmp(*env, "LC_", 3) != 0 || !eq ||
		    (size_t)(eq - *env) >= sizeof(name))
			continue;
		memcpy(name, *env, (size_t)(eq - *env));
		name[eq - *env] = '\0';
		rc = env_set(p, name, eq + 1, "host");
	}
	return rc;
}

/* HOME stays the caller's when the view shows it, else the private /tmp. */
static const char *cage_home(const struct cage_plan *p, const char *home)
{
	for (unsigned i = 0; home && i < p->n_mounts; i++)
		if (p->mounts[i].kind == CAGE_MNT_BIND &&
		    (p->mounts[i].flags & CAGE_MF_DIR) &&
		    strcmp(p->mounts[i].why, "policy") == 0 &&
		    plan_path_under(home, p->mounts[i].dst))
			return home;
	return "/tmp";
}

static int add_secret(struct cage_plan *p, const struct policy_secret *s,
		      char *const *env)
{
	int rc = env_set(p, s->env, NULL, "secret");
	struct cage_env *e = NULL;

	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < p->n_env; i++)
		if (strcmp(p->env[i].name, s->env) == 0)
			e = &p->env[i];
	if (s->from_env) {
		e->secret_env = strdup(s->from_env);
		if (!host_get(env, s->from_env))
			return plan_refuse(p,
					   "secret %s: host variable %s is "
					   "not set",
					   s->env, s->from_env);
		return e->secret_env ? 0 : -ENOMEM;
	}
	e->secret_file = strdup(s->from_file ? s->from_file : "");
	if (!s->from_file || access(s->from_file, R_OK) != 0)
		return plan_refuse(p, "secret %s: cannot read %s", s->env,
				   s->from_file ? s->from_file : "(none)");
	return e->secret_file ? 0 : -ENOMEM;
}

int plan_build_env(struct cage_plan *p, const struct cage_plan_input *in)
{
	const struct akios_policy *pol = in->policy;
	const char *v;
	int rc = keep_host(p, in->host_env);

	if (rc == 0)
		rc = env_set(p, "PATH", CAGE_SAFE_PATH, "akios");
	if (rc == 0)
		rc = env_set(p, "HOME", cage_home(p, in->home), "akios");
	for (unsigned i = 0; i < pol->env.pass.n && rc == 0; i++) {
		v = host_get(in->host_env, pol->env.pass.items[i]);
		if (v)
			rc = env_set(p, pol->env.pass.items[i], v, "env.pass");
	}
	for (unsigned i = 0; i < pol->env.n_set && rc == 0; i++)
		rc = env_set(p, pol->env.set[i].key, pol->env.set[i].value,
			     "env.set");
	for (unsigned i = 0; i < pol->n_secrets && rc == 0; i++)
		rc = add_secret(p, &pol->secrets[i], in->host_env);
	return rc;
}

void plan_free_env(struct cage_plan *p)
{
	for (unsigned i = 0; i < p->n_env; i++) {
		free(p->env[i].name);
		free(p->env[i].value);
		free(p->env[i].secret_env);
		free(p->env[i].secret_file);
	}
	p->n_env = 0;
}

static int read_secret(const char *file, struct akios_buf *b,
		       struct akios_err *err)
{
	int rc = fileio_read_all(file, b, err);

	while (rc == 0 && b->len &&
	       (b->ptr[b->len - 1] == '\n' || b->ptr[b->len - 1] == '\r'))
		b->ptr[--b->len] = '\0';
	return rc;
}

static char *env_string(const char *name, const char *value, size_t vlen)
{
	size_t n = strlen(name);
	char *s = malloc(n + vlen + 2);

	if (!s)
		return NULL;
	memcpy(s, name, n);
	s[n] = '=';
	memcpy(s + n + 1, value, vlen);
	s[n + 1 + vlen] = '\0';
	return s;
}

static int materialize_one(const struct cage_env *e, char **slot,
			   struct akios_err *err)
{
	struct akios_buf b;
	const char *v = e->value;
	int rc = 0;

	akios_buf_init(&b, SECRET_MAX_BYTES);
	if (e->secret_env) {
		v = getenv(e->secret_env);
		if (!v)
			return akios_err_set(err, NULL, 0, 0,
					     "secret %s: host variable %s is "
					     "not set",
					     e->name, e->secret_env);
	} else if (e->secret_file) {
		rc = read_secret(e->secret_file, &b, err);
		v = b.ptr ? b.ptr : "";
	}
	if (rc == 0) {
		*slot = env_string(e->name, v ? v : "",
				   e->secret_file ? b.len : strlen(v ? v : ""));
		rc = *slot ? 0 : -ENOMEM;
	}
	if (b.ptr)
		explicit_bzero(b.ptr, b.cap);
	akios_buf_free(&b);
	return rc;
}

int cage_plan_env_materialize(const struct cage_plan *p, char **envp,
			      unsigned max, struct akios_err *err)
{
	unsigned n = 0;
	int rc = 0;

	memset(envp, 0, max * sizeof(*envp));
	for (unsigned i = 0; i < p->n_env && rc == 0; i++) {
		if (n + 1 >= max)
			rc = -E2BIG;
		else if (p->env[i].value || p->env[i].secret_env ||
			 p->env[i].secret_file)
			rc = materialize_one(&p->env[i], &envp[n++], err);
	}
	if (rc != 0)
		cage_plan_env_wipe(envp);
	return rc;
}

void cage_plan_env_wipe(char **envp)
{
	for (; *envp; envp++) {
		explicit_bzero(*envp, strlen(*envp));
		free(*envp);
		*envp = NULL;
	}
}
