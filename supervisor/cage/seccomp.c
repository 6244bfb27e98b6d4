/* The agent's seccomp allowlist: built with libseccomp, exported to BPF
 * once in the supervisor, loaded with the raw seccomp() syscall in the
 * cage child. Not finished yet: every entry point says so with -ENOSYS
 * rather than pretending to filter. */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"

#include <errno.h>

int cage_seccomp_build(const struct cage_seccomp_opts *o, struct cage_bpf *out,
		       struct akios_err *err)
{
	(void)o;
	out->insns = NULL;
	out->len = 0;
	akios_err_set(err, NULL, 0, 0, "seccomp filter: not implemented yet");
	return -ENOSYS;
}

void cage_bpf_free(struct cage_bpf *p)
{
	if (!p)
		return;
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

int cage_seccomp_load(const struct cage_bpf *p, bool want_listener,
		      int *listener)
{
	(void)p;
	(void)want_listener;
	*listener = -1;
	return -ENOSYS;
}

int cage_seccomp_describe(const struct cage_seccomp_opts *o,
			  struct akios_buf *out, bool json)
{
	(void)o;
	(void)out;
	(void)json;
	return -ENOSYS;
}
