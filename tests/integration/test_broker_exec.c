/* The exec side of the broker, without the cage: every execve is audited
 * with its argv; with tools.allow, env / sh -c / awk system() cannot start
 * a program the list does not name (the broker's refusal; in the real
 * cage Landlock EXECUTE is the boundary under it). */
#include "tests/integration/broker_harness.h"

Test(broker_exec, every_exec_is_audited, .timeout = 30)
{
	struct cage c = {0};
	char *argv[] = {"/bin/sh", "-c", "/bin/true x y; echo done", NULL};

	cage_policy(&c, 0);
	cr_assert_eq(cage_run(&c, argv), 0);
	cr_assert_str_eq(c.outbuf, "done\n");
	cr_assert_eq(
	    cage_count(&c, BROKER_EV_EXEC, "allow", "exec.audit", "/bin/sh"),
	    1);
	cr_assert_eq(cage_count(&c, BROKER_EV_EXEC, "allow", NULL, "/bin/true"),
		     1);
	bool seen = false;

	for (unsigned i = 0; i < c.n; i++)
		seen |= !strcmp(c.recs[i].argv, "/bin/true x y");
	cr_assert(seen, "argv recorded");
}

Test(broker_exec, tools_allow_cannot_be_laundered, .timeout = 30)
{
	struct cage c = {0};
	struct policy_tool tools[] = {
	    {.name = "sh"}, {.name = "awk"}, {.name = "/usr/bin/jq"}};
	char *argv[] = {
	    "/bin/sh", "-c",
	    "cat /dev/null; echo cat=$?; env true; echo env=$?; "
	    "awk 'BEGIN{print system(\"cat /dev/null\")}'; echo awk=$?; "
	    "jq -n 1 >/dev/null 2>&1; echo jq=$?",
	    NULL};

	cage_policy(&c, 0);
	c.pol.tools.allow = tools;
	c.pol.tools.n_allow = 3;
	c.pol.tools.allow_set = true;
	cr_assert_eq(cage_run(&c, argv), 0);
	cr_assert_not_null(strstr(c.outbuf, "cat=126\n"), "%s", c.outbuf);
	cr_assert_not_null(strstr(c.outbuf, "env=126\n"), "%s", c.outbuf);
	/* awk may run, but its system() cannot start cat. */
	cr_assert_not_null(strstr(c.outbuf, "126\nawk=0\n"), "%s", c.outbuf);
	cr_assert_gt(
	    cage_count(&c, BROKER_EV_EXEC, "deny", "tools.allow", "cat"), 0);
	cr_assert_gt(
	    cage_count(&c, BROKER_EV_EXEC, "deny", "tools.allow", "env"), 0);
	cr_assert_eq(cage_count(&c, BROKER_EV_EXEC, "allow", NULL, "cat"), 0);
	/* jq: allowed by its absolute path when it is installed. */
	if (access("/usr/bin/jq", X_OK) == 0)
		cr_assert_not_null(strstr(c.outbuf, "jq=0\n"), "%s", c.outbuf);
}
