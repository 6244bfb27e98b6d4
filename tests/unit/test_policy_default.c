/* The embedded default policy is built directly (defaults.c), not parsed
 * at each run: for every working directory the struct must be the one its
 * YAML parses into (every field as emitted, the allow entries' lines and
 * columns, the hash, the lists' shapes), and the working directories only
 * the parser can judge must still go through it, errors included. */
#include "shared/common.h"
#include "policy/policy.h"
#include "policy/policy_int.h"
#include "tests/lib/testlib.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char saved[PATH_MAX];

static void setup(void)
{
	cr_assert_not_null(getcwd(saved, sizeof(saved)));
}

static void teardown(void)
{
	cr_assert_eq(chdir(saved), 0);
}

TestSuite(policy_default, .init = setup, .fini = teardown);

static struct akios_policy *parsed(struct policy_errors *errs)
{
	struct akios_policy *p = NULL;
	const char *y = policy_default_yaml();

	int rc = policy_load_buffer("<default>", y, strlen(y), &p, errs);

	cr_assert_eq(rc == 0, p != NULL);
	return p;
}

static void emitted(const struct akios_policy *p, struct akios_buf *json,
		    struct akios_buf *yaml)
{
	akios_buf_init(json, 1 << 20);
	akios_buf_init(yaml, 1 << 20);
	cr_assert_eq(policy_emit_json(p, json), 0);
	cr_assert_eq(policy_emit_yaml(p, yaml), 0);
}

static void same_policy(const struct akios_policy *a,
			const struct akios_policy *b)
{
	struct akios_buf ja, ya, jb, yb;

	emitted(a, &ja, &ya);
	emitted(b, &jb, &yb);
	cr_assert_eq(ja.len, jb.len, "%.*s\nvs\n%.*s", (int)ja.len, ja.ptr,
		     (int)jb.len, jb.ptr);
	cr_assert_eq(memcmp(ja.ptr, jb.ptr, ja.len), 0);
	cr_assert_eq(ya.len, yb.len);
	cr_assert_eq(memcmp(ya.ptr, yb.ptr, ya.len), 0);
	akios_buf_free(&ja);
	akios_buf_free(&ya);
	akios_buf_free(&jb);
	akios_buf_free(&yb);
	cr_assert_eq(memcmp(a->sha256, b->sha256, sizeof(a->sha256)), 0);
	cr_assert_str_eq(a->source, b->source);
	cr_assert_str_eq(a->name, b->name);
	cr_assert_eq(a->version, b->version);
	cr_assert_eq(a->filesystem.n_allow, b->filesystem.n_allow);
	for (unsigned i = 0; i < a->filesystem.n_allow; i++) {
		const struct policy_path *x = &a->filesystem.allow[i];
		const struct policy_path *y = &b->filesystem.allow[i];

		cr_assert_str_eq(x->path, y->path);
		cr_assert_eq(x->mode, y->mode);
		cr_assert_eq(x->allow_control_files, y->allow_control_files);
		cr_assert_eq(x->loc.line, y->loc.line, "%s", x->path);
		cr_assert_eq(x->loc.col, y->loc.col, "%s", x->path);
	}
	/* "[]" is an empty list that exists, as parsed. */
	cr_assert_eq(!a->security.allowed_endpoints,
		     !b->security.allowed_endpoints);
	cr_assert_eq(!a->http.allow.items, !b->http.allow.items);
	cr_assert_eq(a->http.allow.n, b->http.allow.n);
	cr_assert_eq(!a->tools.allow, !b->tools.allow);
	cr_assert_eq(a->tools.allow_set, b->tools.allow_set);
	cr_assert_eq(!a->secrets, !b->secrets);
	cr_assert_eq(!a->env.set, !b->env.set);
	cr_assert_eq(!a->env.pass.items, !b->env.pass.items);
	cr_assert_eq(!a->pii_redaction.patterns.items,
		     !b->pii_redaction.patterns.items);
}

/* In dir: policy_load_default (built) against the parse of the YAML. */
static void check_in(const char *dir)
{
	struct policy_errors e1 = {0};
	struct policy_errors e2 = {0};
	struct akios_policy *built = NULL;
	struct akios_policy *p;

	cr_assert_eq(chdir(dir), 0, "%s", dir);
	cr_assert_eq(policy_default_build(dir, &built), 0, "%s", dir);
	policy_free(built);
	built = NULL;
	cr_assert_eq(policy_load_default(&built, &e1), 0, "%s", dir);
	p = parsed(&e2);
	cr_assert_not_null(p, "%s: %s", dir, e2.n ? e2.e[0].msg : "");
	same_policy(built, p);
	cr_assert_str_eq(built->filesystem.allow[0].path, dir);
	policy_free(built);
	policy_free(p);
}

Test(policy_default, built_equals_parsed_in_ordinary_directories)
{
	char *tmp = test_tmpdir("akios-default");
	char sub[PATH_MAX];

	cr_assert_not_null(tmp);
	check_in(tmp);
	snprintf(sub, sizeof(sub), "%s/a dir with spaces", tmp);
	cr_assert_eq(mkdir(sub, 0755), 0);
	check_in(sub);
	snprintf(sub, sizeof(sub), "%s/\xc3\xa9t\xc3\xa9-${x}", tmp);
	cr_assert_eq(mkdir(sub, 0755), 0);
	check_in(sub);
	check_in("/");
	check_in("/usr/lib");
	check_in("/etc");
	cr_assert_eq(chdir(saved), 0);
	test_rmtree(tmp);
	free(tmp);
}

/* /usr itself: the YAML lists it twice, an error only the parser gives;
 * the load must still report it, as before. */
Test(policy_default, usr_goes_through_the_parser)
{
	struct policy_errors e1 = {0};
	struct policy_errors e2 = {0};
	struct akios_policy *p = NULL;

	cr_assert_eq(policy_default_build("/usr", &p), -EAGAIN);
	cr_assert_null(p);
	cr_assert_eq(chdir("/usr"), 0);
	cr_assert_eq(policy_load_default(&p, &e1), -EINVAL);
	cr_assert_null(p);
	cr_assert_null(parsed(&e2));
	cr_assert_eq(e1.n, e2.n);
	cr_assert_gt(e1.n, 0);
	cr_assert_str_eq(e1.e[0].msg, e2.e[0].msg);
	cr_assert_eq(e1.e[0].line, e2.e[0].line);
}

Test(policy_default, paths_the_parser_refuses_are_left_to_it)
{
	struct akios_policy *p = NULL;

	cr_assert_eq(policy_default_build(NULL, &p), -EAGAIN);
	cr_assert_eq(policy_default_build("relative", &p), -EAGAIN);
	cr_assert_eq(policy_default_build("/a/../b", &p), -EAGAIN);
	cr_assert_eq(policy_default_build("/a//b", &p), -EAGAIN);
	cr_assert_eq(policy_default_build("/a\nb", &p), -EAGAIN);
	cr_assert_null(p);
}
