/* What the seccomp filter does, in words (akios run --dry-run) or JSON.
 * Reads the same table the builder compiles, so the description cannot
 * drift from the filter. */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cage/seccomp_int.h"

#include <errno.h>
#include <seccomp.h>

static const char *action_name(enum sc_action a)
{
	return a == SC_ALLOW ? "allow" : a == SC_EPERM ? "EPERM" : "ENOSYS";
}

/* Table strings contain no control characters; quotes and backslashes
 * are the only things to escape. */
static int json_str(struct akios_buf *out, const char *s)
{
	int rc = akios_buf_append(out, "\"", 1);

	for (; rc == 0 && *s; s++) {
		if (*s == '"' || *s == '\\')
			rc = akios_buf_append(out, "\\", 1);
		if (rc == 0)
			rc = akios_buf_append(out, s, 1);
	}
	return rc == 0 ? akios_buf_append(out, "\"", 1) : rc;
}

static int calls_json(struct akios_buf *out, const char *const *calls,
		      const struct cage_seccomp_opts *o)
{
	int rc = akios_buf_append(out, "[", 1);

	for (const char *const *c = calls; rc == 0 && *c; c++) {
		if (c != calls)
			rc = akios_buf_append(out, ",", 1);
		if (rc == 0 && o->deny_memfd && strcmp(*c, "memfd_create") == 0)
			continue;
		if (rc == 0)
			rc = json_str(out, *c);
	}
	return rc == 0 ? akios_buf_append(out, "]", 1) : rc;
}

static int group_json(struct akios_buf *out, const struct sc_group *g,
		      const struct cage_seccomp_opts *o)
{
	int rc = akios_buf_append(out, "{\"name\":", 8);

	if (rc == 0)
		rc = json_str(out, g->name);
	if (rc == 0)
		rc = akios_buf_appendf(
		    out, ",\"action\":\"%s\",\"why\":", action_name(g->action));
	if (rc == 0)
		rc = json_str(out, g->why);
	if (rc == 0)
		rc = akios_buf_append(out, ",\"syscalls\":", 12);
	if (rc == 0)
		rc = calls_json(out, g->calls, o);
	return rc == 0 ? akios_buf_append(out, "}", 1) : rc;
}

static int notify_list(struct akios_buf *out, const struct cage_seccomp_opts *o,
		       bool json)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < o->n_notify; i++) {
		char *name = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, o->notify_syscalls[i]);
		if (json)
			rc = akios_buf_appendf(out, "%s\"%s\"", i ? "," : "",
					       name ? name : "?");
		else
			rc = akios_buf_appendf(out, " %s", name ? name : "?");
		free(name);
	}
	return rc;
}

static int describe_json(const struct cage_seccomp_opts *o,
			 struct akios_buf *out)
{
	int rc =
	    akios_buf_appendf(out,
			      "{\"default\":\"ENOSYS\",\"bad_arch\":\"kill\","
			      "\"memfd_create\":\"%s\",\"notify\":[",
			      o->deny_memfd ? "EPERM" : "allow");

	if (rc == 0)
		rc = notify_list(out, o, true);
	if (rc == 0)
		rc = akios_buf_append(out, "],\"groups\":[", 12);
	for (unsigned g = 0; rc == 0 && g < sc_n_groups; g++) {
		if (g)
			rc = akios_buf_append(out, ",", 1);
		if (rc == 0)
			rc = group_json(out, &sc_groups[g], o);
	}
	if (rc == 0)
		rc = akios_buf_append(out, "],\"argument_rules\":[", 20);
	for (unsigned i = 0; rc == 0 && i < sc_n_arg_rules; i++) {
		rc = akios_buf_appendf(out, "%s{\"syscall\":\"%s\",\"why\":",
				       i ? "," : "", sc_arg_rules[i].syscall);
		if (rc == 0)
			rc = json_str(out, sc_arg_rules[i].why);
		if (rc == 0)
			rc = akios_buf_append(out, "}", 1);
	}
	return rc == 0 ? akios_buf_append(out, "]}", 2) : rc;
}

static int describe_text(const struct cage_seccomp_opts *o,
			 struct akios_buf *out)
{
	int rc = akios_buf_appendf(
	    out,
	    "seccomp: x86_64 only (i386/x32 entry kills); unlisted "
	    "syscalls fail with ENOSYS; memfd_create %s\n",
	    o->deny_memfd ? "denied" : "allowed");

	if (rc == 0 && o->n_notify) {
		rc = akios_buf_appendf(out, "  trapped for the broker:");
		if (rc == 0)
			rc = notify_list(out, o, false);
		if (rc == 0)
			rc = akios_buf_append(out, "\n", 1);
	}
	for (unsigned g = 0; rc == 0 && g < sc_n_groups; g++) {
		unsigned n = 0;
		for (const char *const *c = sc_groups[g].calls; *c; c++)
			n++;
		rc = akios_buf_appendf(out, "  %-6s %-13s %3u syscalls: %s\n",
				       action_name(sc_groups[g].action),
				       sc_groups[g].name, n, sc_groups[g].why);
	}
	for (unsigned i = 0; rc == 0 && i < sc_n_arg_rules; i++)
		rc = akios_buf_appendf(out, "  narrow %-13s %s\n",
				       sc_arg_rules[i].syscall,
				       sc_arg_rules[i].why);
	return rc;
}

int cage_seccomp_describe(const struct cage_seccomp_opts *o,
			  struct akios_buf *out, bool json)
{
	return json ? describe_json(o, out) : describe_text(o, out);
}
