/* Unit tests of the search layout of the seccomp program
 * (supervisor/cage/seccomp_tree.c): for every variant `akios run` uses and
 * other trap lists, the program seccomp_compile returns decides exactly as
 * the argument prefix followed by libseccomp's program does, on every
 * boundary of both (each constant compared, one below and one above, every
 * syscall number up to 1100 and the x32 range, several architectures, and
 * the arguments of the rule syscalls); a body the layout cannot prove is
 * refused; the program is the smaller one. */
#include "shared/common.h"
#include "supervisor/cage/seccomp.h"
#include "supervisor/cage/seccomp_int.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <linux/audit.h>
#include <stddef.h>
#include <sys/syscall.h>

#define MAX_VALS 4096

struct vals {
	uint32_t v[MAX_VALS];
	unsigned n;
};

static void add(struct vals *s, uint32_t x)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return;
	cr_assert_lt(s->n, MAX_VALS);
	s->v[s->n++] = x;
}

/* Every constant a jump of p compares with, and its neighbours. */
static void consts_of(const struct cage_bpf *p, struct vals *s)
{
	for (unsigned i = 0; i < p->len; i++) {
		uint32_t k = p->insns[i].k;

		if (BPF_CLASS(p->insns[i].code) != BPF_JMP ||
		    BPF_OP(p->insns[i].code) == BPF_JA)
			continue;
		add(s, k);
		add(s, k - 1);
		add(s, k + 1);
	}
}

static struct vals nrs, args;

static void fill(const struct cage_bpf *a, const struct cage_bpf *b)
{
	nrs.n = args.n = 0;
	consts_of(a, &nrs);
	consts_of(b, &nrs);
	for (uint32_t x = 0; x < 1100; x++)
		add(&nrs, x);
	for (uint32_t x = 0; x < 600; x += 7)
		add(&nrs, 0x40000000u | x);
	add(&nrs, UINT32_MAX);
	add(&nrs, 0x80000000u);
	args = nrs;
}

static bool same_on(const struct cage_bpf *a, const struct cage_bpf *b,
		    const struct seccomp_data *d)
{
	int64_t x = seccomp_eval(a->insns, a->len, d);
	int64_t y = seccomp_eval(b->insns, b->len, d);

	cr_assert_geq(x, 0, "nr %d: the reference does not run", d->nr);
	cr_assert_eq(x, y, "nr %#x arch %#x arg0 %#llx: %#llx vs %#llx",
		     (unsigned)d->nr, d->arch, (unsigned long long)d->args[0],
		     (long long)x, (long long)y);
	return x == y;
}

/* The argument words of d: all v, or only word w (of 12) v. */
static void set_args(struct seccomp_data *d, uint32_t v, int w)
{
	uint32_t words[12];

	for (int i = 0; i < 12; i++)
		words[i] = w < 0 || i == w ? v : 0;
	memcpy(d->args, words, sizeof(words));
}

/* Whether nr's decision may depend on the arguments: it has rules in
 * the table, or the reference answers differently for two of them. */
static bool reads_args(const struct cage_bpf *p, uint32_t nr)
{
	struct seccomp_data d = {.nr = (int)nr, .arch = AUDIT_ARCH_X86_64};
	struct sock_filter tmp[SC_PREFIX_MAX];
	static const int all[] = {SYS_sendto};
	bool last;
	int64_t r0, r1;

	if (nr < 1024 && seccomp_rules_for(tmp, 1, SC_PREFIX_MAX, (int)nr, all,
					   1, &last) > 1)
		return true;
	set_args(&d, 0, -1);
	r0 = seccomp_eval(p->insns, p->len, &d);
	set_args(&d, UINT32_MAX, -1);
	r1 = seccomp_eval(p->insns, p->len, &d);
	return r0 != r1;
}

static void compare(const struct cage_bpf *ref, const struct cage_bpf *t)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64,
					  AUDIT_ARCH_I386,
					  AUDIT_ARCH_X86_64 + 1,
					  AUDIT_ARCH_X86_64 - 1,
					  0,
					  UINT32_MAX};

	fill(ref, t);
	for (unsigned a = 0; a < AKIOS_ARRAY_SIZE(arches); a++)
		for (unsigned i = 0; i < nrs.n; i++) {
			struct seccomp_data d = {.nr = (int)nrs.v[i],
						 .arch = arches[a]};
			bool deep = a == 0 && reads_args(ref, nrs.v[i]);

			set_args(&d, 0, -1);
			same_on(ref, t, &d);
			for (unsigned j = 0; deep && j < args.n; j++) {
				set_args(&d, args.v[j], -1);
				same_on(ref, t, &d);
				for (int w = 0; w < 12 && nrs.v[i] < 512; w++) {
					set_args(&d, args.v[j], w);
					same_on(ref, t, &d);
				}
			}
		}
}

static void both(const struct cage_seccomp_opts *o)
{
	struct cage_bpf ref = {0};
	struct cage_bpf t = {0};
	struct akios_err err = {0};

	cr_assert_eq(seccomp_compile_flat(o, &ref, &err), 0, "%s", err.msg);
	cr_assert_eq(seccomp_compile(o, &t, &err), 0, "%s", err.msg);
	/* The point of the layout: well under half the instructions. */
	cr_assert_lt(t.len * 2, ref.len, "%u vs %u", t.len, ref.len);
	compare(&ref, &t);
	cage_bpf_free(&ref);
	cage_bpf_free(&t);
}

Test(cage_seccomp_tree, akios_run_variants_decide_alike, .timeout = 60)
{
	unsigned n = 0;
	const int *traps = cage_seccomp_broker_traps(&n);

	for (unsigned v = 0; v < 4; v++) {
		struct cage_seccomp_opts o = {.deny_memfd = v & 1};

		if (v & 2) {
			o.notify_syscalls = traps;
			o.n_notify = n;
		}
		both(&o);
	}
}

/* A trap list with an always-denied call and a call with argument rules
 * (ioctl), and sendto without its notify rule's companion calls. */
Test(cage_seccomp_tree, other_trap_lists_decide_alike, .timeout = 60)
{
	static const int t1[] = {SYS_ioctl, SYS_mount, SYS_getppid};
	static const int t2[] = {SYS_sendto};
	struct cage_seccomp_opts o = {.notify_syscalls = t1, .n_notify = 3};

	both(&o);
	o.notify_syscalls = t2;
	o.n_notify = 1;
	both(&o);
}

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))

/* What the layout cannot read as a function of (arch, nr) it refuses. */
Test(cage_seccomp_tree, refuses_what_it_cannot_prove)
{
	struct cage_seccomp_opts o = {0};
	struct cage_bpf out = {0};
	const struct sock_filter arg_read[] = {
	    LD(offsetof(struct seccomp_data, args)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	const struct sock_filter bit_test[] = {
	    LD(offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)};
	const struct sock_filter out_of_bounds[] = {
	    LD(offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	/* Two other architectures answered differently. */
	const struct sock_filter two_bad[] = {
	    LD(offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)};

	cr_assert_eq(seccomp_tree(&o, arg_read, 2, &out), -EINVAL);
	cr_assert_eq(seccomp_tree(&o, bit_test, 4, &out), -EINVAL);
	cr_assert_eq(seccomp_tree(&o, out_of_bounds, 3, &out), -EINVAL);
	cr_assert_eq(seccomp_tree(&o, two_bad, 5, &out), -EINVAL);
	cr_assert_null(out.insns);
}

/* A body that is a function of (arch, nr) is laid out and decides the
 * same: x86_64 numbers 0..9 allowed but 4, everything else EPERM. */
Test(cage_seccomp_tree, small_body_laid_out)
{
	struct cage_seccomp_opts o = {0};
	struct cage_bpf out = {0};
	const struct sock_filter body[] = {
	    LD(offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
	    LD(offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 3, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 9, 2, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1)};
	struct sock_filter tmp[SC_PREFIX_MAX];

	cr_assert_eq(seccomp_tree(&o, body, 8, &out), 0);
	cr_assert_lt(out.len, 60);
	for (uint32_t nr = 0; nr < 2000; nr++) {
		struct seccomp_data d = {.nr = (int)nr,
					 .arch = AUDIT_ARCH_X86_64};
		bool last;
		/* The table's argument rules apply on top of the body:
		 * compare only the numbers they leave alone. */
		bool ruled = seccomp_rules_for(tmp, 1, SC_PREFIX_MAX, (int)nr,
					       NULL, 0, &last) > 1;

		if (!ruled)
			cr_assert_eq(seccomp_eval(out.insns, out.len, &d),
				     nr == 4 || nr > 9 ? SECCOMP_RET_ERRNO | 1
						       : SECCOMP_RET_ALLOW,
				     "nr %u", nr);
		d.arch = AUDIT_ARCH_I386;
		cr_assert_eq(seccomp_eval(out.insns, out.len, &d),
			     SECCOMP_RET_ERRNO | 1);
	}
	cage_bpf_free(&out);
}
