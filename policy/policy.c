/* policy/policy.c: the module's entry points: read a file (bounded, no
 * symlinks), parse, validate into a fresh struct, hash the exact bytes;
 * and policy_free. A policy is returned only when it has no error at all;
 * otherwise every error found is in the caller's policy_errors. */
#include "shared/common.h"
#include "policy/policy_int.h"
#include "shared/buf.h"
#include "shared/crypto.h"
#include "shared/fileio.h"
#include "shared/limits.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

void policy_strlist_free(struct policy_string_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void free_arrays(struct akios_policy *p)
{
	for (unsigned i = 0; i < p->security.n_allowed_endpoints; i++)
		free(p->security.allowed_endpoints[i].host);
	free(p->security.allowed_endpoints);
	for (unsigned i = 0; i < p->filesystem.n_allow; i++)
		free(p->filesystem.allow[i].path);
	free(p->filesystem.allow);
	for (unsigned i = 0; i < p->tools.n_allow; i++)
		free(p->tools.allow[i].name);
	free(p->tools.allow);
	for (unsigned i = 0; i < p->env.n_set; i++) {
		free(p->env.set[i].key);
		free(p->env.set[i].value);
	}
	free(p->env.set);
	for (unsigned i = 0; i < p->n_secrets; i++) {
		free(p->secrets[i].env);
		free(p->secrets[i].from_env);
		free(p->secrets[i].from_file);
	}
	free(p->secrets);
}

void policy_free(struct akios_policy *p)
{
	if (!p)
		return;
	free_arrays(p);
	free(p->name);
	free(p->source);
	policy_strlist_free(&p->http.allow);
	policy_strlist_free(&p->http.redact_headers);
	free(p->llm.provider);
	free(p->llm.model);
	free(p->llm.base_url);
	free(p->tools.working_dir);
	free(p->audit.dir);
	policy_strlist_free(&p->pii_redaction.patterns);
	policy_strlist_free(&p->env.pass);
	free(p);
}

static int load(const char *name, const char *data, size_t len,
		struct akios_policy **out, struct policy_errors *errs)
{
	char cwd_buf[PATH_MAX];
	const char *cwd = getcwd(cwd_buf, sizeof(cwd_buf));
	struct pnode *root = NULL;
	struct akios_policy *p = NULL;
	int rc = pnode_parse(name, data, len, &root, errs);

	if (rc)
		goto out;
	if (!root) {
		policy_errf(errs, name, 0, 0,
			    "empty policy (it needs at least 'version: 1')");
		rc = -EINVAL;
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	rc = policy_set_defaults(p);
	if (rc == 0)
		rc = policy_validate(name, root, cwd, p, errs);
	if (rc)
		goto out;
	p->source = strdup(name);
	if (!p->source) {
		rc = -ENOMEM;
		goto out;
	}
	crypto_sha256(data, len, p->sha256);
	*out = p;
	p = NULL;
out:
	policy_free(p);
	pnode_free(root);
	if (rc == -ENOMEM)
		policy_errf(errs, name, 0, 0, "out of memory");
	return rc;
}

int policy_load_buffer(const char *name, const char *data, size_t len,
		       struct akios_policy **out, struct policy_errors *errs)
{
	return load(name, data, len, out, errs);
}

int policy_load_file(const char *path, struct akios_policy **out,
		     struct policy_errors *errs)
{
	struct akios_buf buf;
	struct akios_err err = {0};
	int rc;

	akios_buf_init(&buf, AKIOS_MAX_POLICY_BYTES);
	rc = fileio_read_all(path, &buf, &err);
	if (rc) {
		policy_errf(errs, path, 0, 0, "%s", err.msg);
		return rc;
	}
	rc = load(path, buf.ptr ? buf.ptr : "", buf.len, out, errs);
	akios_buf_free(&buf);
	return rc;
}

/* The default is a constant: built directly, not parsed at every run
 * (~0.25 ms of akios run's start), unless the working directory makes it
 * something only the parser reports. */
int policy_load_default(struct akios_policy **out, struct policy_errors *errs)
{
	char cwd_buf[PATH_MAX];
	int rc = policy_default_build(getcwd(cwd_buf, sizeof(cwd_buf)), out);

	if (rc == -ENOMEM)
		policy_errf(errs, "<default>", 0, 0, "out of memory");
	if (rc != -EAGAIN)
		return rc;
	return load("<default>", policy_default_yaml(),
		    strlen(policy_default_yaml()), out, errs);
}
