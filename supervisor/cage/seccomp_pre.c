/* cage_seccomp_build: the program `akios run` asks for is copied from
 * the variants tools/seccomp_gen.c compiled at build time (libseccomp
 * over the same table takes milliseconds at every start); any other
 * request is compiled now. Invariant: a copy equals what seccomp_compile
 * would return in this process, persona included
 * (tests/unit/test_cage_seccomp.c compares them variant by variant). */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cage/seccomp_int.h"

#include <errno.h>
#include <sys/personality.h>
#include <sys/syscall.h>

static bool is_broker_list(const int *list, unsigned n)
{
	if (n != sc_n_broker_traps)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (list[i] != sc_broker_traps[i])
			return false;
	return true;
}

const struct sc_precompiled *
seccomp_precompiled_find(const struct cage_seccomp_opts *o)
{
	bool broker = o->n_notify > 0;

	if (broker && !is_broker_list(o->notify_syscalls, o->n_notify))
		return NULL;
	for (unsigned i = 0; i < sc_n_precompiled; i++) {
		const struct sc_precompiled *p = &sc_precompiled[i];

		if (p->deny_memfd == o->deny_memfd && p->broker_traps == broker)
			return p;
	}
	return NULL;
}

static bool traps(const struct cage_seccomp_opts *o, int nr)
{
	for (unsigned i = 0; i < o->n_notify; i++)
		if (o->notify_syscalls[i] == nr)
			return true;
	return false;
}

int cage_seccomp_build(const struct cage_seccomp_opts *o, struct cage_bpf *out,
		       struct akios_err *err)
{
	const struct sc_precompiled *p = seccomp_precompiled_find(o);
	bool exec = traps(o, SYS_execve) && traps(o, SYS_execveat);
	int rc;

	if (!p) {
		rc = seccomp_compile(o, out, err);
		out->traps_exec = rc == 0 && exec;
		return rc;
	}
	out->traps_exec = exec;
	out->insns = malloc(p->len * sizeof(*out->insns));
	if (!out->insns) {
		out->len = 0;
		akios_err_set(err, NULL, 0, 0, "seccomp: out of memory");
		return -ENOMEM;
	}
	memcpy(out->insns, p->insns, p->len * sizeof(*out->insns));
	out->len = p->len;
	/* The persona akios runs with stays allowed (seccomp_prefix). */
	if (p->persona_slot < p->len)
		out->insns[p->persona_slot].k =
		    (uint32_t)personality(0xffffffffu);
	return 0;
}
