/* The agent's seccomp program laid out for the kernel: libseccomp's body
 * (one decision per syscall number, no argument read) becomes a binary
 * search over ranges of numbers, and each syscall with argument or notify
 * rules gets its block at a leaf instead of every syscall walking the
 * whole argument prefix first. A third of the instructions to convert,
 * JIT and run through the action cache's emulation at every load, and
 * ~10 steps a syscall instead of ~30. Invariant: the result decides as
 * prefix + body do for every (arch, nr, args): the body is read as a
 * function of (arch, nr) that is constant between the constants it
 * compares with, and anything else (an argument read, a bit test, an
 * unknown opcode, a jump too far) fails, and the caller keeps prefix +
 * body. tests/unit/test_cage_seccomp_tree.c compares both on every
 * boundary. */
#include "shared/common.h"
#include "supervisor/cage/seccomp_int.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>

#define OFF_NR	 offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define MAX_PTS	 (2 * BPF_MAXINSNS + 1)
#define MAX_SEGS 1024
#define MAX_RETS 16

enum { SRC_NR = 1, SRC_ARCH = 2, SRC_OTHER = 4 };

int64_t seccomp_eval(const struct sock_filter *f, unsigned len,
		     const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < len;) {
		const struct sock_filter *i = &f[pc];
		bool t;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 || i->k + 4 > sizeof(*d))
				return -1;
			memcpy(&a, (const char *)d + i->k, 4);
			pc++;
			continue;
		case BPF_RET | BPF_K:
			return i->k;
		case BPF_JMP | BPF_JA:
			pc += 1 + i->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			t = a == i->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			t = a > i->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			t = a >= i->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			t = (a & i->k) != 0;
			break;
		default:
			return -1;
		}
		pc += 1u + (t ? i->jt : i->jf);
	}
	return -1;
}

/* Where the accumulator may come from at each instruction (forward
 * jumps only: one pass). 0 or -EINVAL for an argument read, a bit test
 * or an opcode the layout does not know. */
static int sources(const struct sock_filter *f, unsigned len, uint8_t *src)
{
	memset(src, 0, len);
	src[0] = SRC_OTHER; /* A starts as 0 */
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		uint8_t s = src[pc];
		unsigned t; /* where control goes: the jump taken */
		unsigned e; /* and not taken */

		if (i->code == (BPF_LD | BPF_W | BPF_ABS)) {
			if (i->k != OFF_NR && i->k != OFF_ARCH)
				return -EINVAL;
			s = i->k == OFF_NR ? SRC_NR : SRC_ARCH;
			t = e = pc + 1;
		} else if (i->code == (BPF_JMP | BPF_JA)) {
			t = e = pc + 1 + i->k;
		} else if (i->code == (BPF_JMP | BPF_JEQ | BPF_K) ||
			   i->code == (BPF_JMP | BPF_JGT | BPF_K) ||
			   i->code == (BPF_JMP | BPF_JGE | BPF_K)) {
			t = pc + 1 + i->jt;
			e = pc + 1 + i->jf;
		} else if (i->code == (BPF_RET | BPF_K)) {
			continue;
		} else {
			return -EINVAL;
		}
		if (t >= len || e >= len)
			return -EINVAL;
		src[t] |= s;
		src[e] |= s;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The starts of the intervals of nr (want SRC_NR) or arch on which the
 * body is constant: 0 and, for every constant k compared with that
 * field, k and k + 1. Sorted, unique; their count. */
static unsigned points(const struct sock_filter *f, unsigned len,
		       const uint8_t *src, uint8_t want, uint32_t *pts)
{
	unsigned n = 0, u = 0;

	pts[n++] = 0;
	for (unsigned pc = 0; pc < len; pc++) {
		if (BPF_CLASS(f[pc].code) != BPF_JMP ||
		    BPF_OP(f[pc].code) == BPF_JA || !(src[pc] & want))
			continue;
		pts[n++] = f[pc].k;
		if (f[pc].k != UINT32_MAX)
			pts[n++] = f[pc].k + 1;
	}
	qsort(pts, n, sizeof(*pts), cmp_u32);
	for (unsigned i = 0; i < n; i++)
		if (u == 0 || pts[i] != pts[u - 1])
			pts[u++] = pts[i];
	return u;
}

/* A leaf: numbers from lo up to the next leaf's lo, and what they get:
 * ret, or (nr >= 0) the rule block of nr, which ends in ret. */
struct seg {
	uint32_t lo;
	uint32_t ret;
	int nr;
};

struct layout {
	const struct cage_seccomp_opts *o;
	struct seg segs[MAX_SEGS];
	unsigned n_segs;
	uint32_t bad; /* what any other architecture gets */
	uint32_t rets[MAX_RETS];
	unsigned n_rets;
	unsigned addr[MAX_SEGS]; /* where each leaf's code is */
	uint32_t nr_pts[MAX_PTS], arch_pts[MAX_PTS];
	uint8_t src[BPF_MAXINSNS];
	struct sock_filter *f;
};

static int64_t body_at(const struct sock_filter *b, unsigned nb, uint32_t arch,
		       uint32_t nr)
{
	struct seccomp_data d = {.nr = (int)nr, .arch = arch};

	return seccomp_eval(b, nb, &d);
}

/* The body as leaves over nr under x86_64, and the one answer it gives
 * every other architecture (else -EINVAL). */
static int read_body(struct layout *l, const struct sock_filter *b, unsigned nb)
{
	uint32_t *nr_pts = l->nr_pts, *arch_pts = l->arch_pts;
	uint8_t *src = l->src;
	unsigned nn, na;
	int64_t bad = -1;

	if (nb == 0 || nb > BPF_MAXINSNS || sources(b, nb, src) != 0)
		return -EINVAL;
	nn = points(b, nb, src, SRC_NR, nr_pts);
	na = points(b, nb, src, SRC_ARCH, arch_pts);
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = 0; j < nn && arch_pts[i] != AUDIT_ARCH_X86_64;
		     j++) {
			int64_t r = body_at(b, nb, arch_pts[i], nr_pts[j]);

			if (r < 0 || (bad >= 0 && r != bad))
				return -EINVAL;
			bad = r;
		}
	l->bad = (uint32_t)bad;
	l->n_segs = 0;
	for (unsigned j = 0; j < nn; j++) {
		int64_t r = body_at(b, nb, AUDIT_ARCH_X86_64, nr_pts[j]);

		if (r < 0 || bad < 0 || l->n_segs == MAX_SEGS)
			return -EINVAL;
		if (l->n_segs && l->segs[l->n_segs - 1].ret == (uint32_t)r)
			continue;
		l->segs[l->n_segs++] =
		    (struct seg){.lo = nr_pts[j], .ret = (uint32_t)r, .nr = -1};
	}
	return 0;
}

/* Gives nr a leaf of its own (its rule block). */
static int split(struct layout *l, int nr)
{
	unsigned i = l->n_segs - 1;
	uint32_t x = (uint32_t)nr;
	struct seg s;

	while (l->segs[i].lo > x)
		i--;
	s = l->segs[i];
	if (l->n_segs + 2 > MAX_SEGS)
		return -E2BIG;
	/* [s.lo, x) keeps s, [x] is the block, [x + 1, ...) is s again. */
	bool before = s.lo < x;
	bool after =
	    i + 1 == l->n_segs ? x != UINT32_MAX : l->segs[i + 1].lo > x + 1;
	unsigned at = i + before;

	memmove(&l->segs[at + 1 + after], &l->segs[i + 1],
		(l->n_segs - i - 1) * sizeof(s));
	l->n_segs += before + after;
	l->segs[at] = (struct seg){.lo = x, .ret = s.ret, .nr = nr};
	if (after)
		l->segs[at + 1] =
		    (struct seg){.lo = x + 1, .ret = s.ret, .nr = -1};
	return 0;
}

static bool trapped(const struct cage_seccomp_opts *o, int nr)
{
	for (unsigned i = 0; i < o->n_notify; i++)
		if (o->notify_syscalls[i] == nr)
			return true;
	return false;
}

/* A leaf of its own for each syscall with an argument rule, or a notify
 * rule it is trapped with (whether seccomp_rules_for then emits anything
 * for it or not: an empty block just ends in the body's answer). */
static int add_blocks(struct layout *l)
{
	const struct cage_seccomp_opts *o = l->o;
	int nrs[32];
	unsigned n = 0;

	for (unsigned i = 0; i < sc_n_arg_rules && n < 32; i++)
		nrs[n++] = sc_resolve(sc_arg_rules[i].syscall);
	for (unsigned i = 0; i < sc_n_notify_rules && n < 32; i++)
		nrs[n++] = sc_resolve(sc_notify_rules[i].syscall);
	if (n == 32)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++) {
		bool seen = false;

		if (nrs[i] < 0 || (i >= sc_n_arg_rules && !trapped(o, nrs[i])))
			continue;
		for (unsigned j = 0; j < i; j++)
			seen = seen || nrs[j] == nrs[i];
		if (!seen && split(l, nrs[i]) != 0)
			return -E2BIG;
	}
	return 0;
}

static int jump(unsigned from, unsigned to, uint8_t *off)
{
	if (to <= from || to - from - 1 > UINT8_MAX)
		return -E2BIG;
	*off = (uint8_t)(to - from - 1);
	return 0;
}

static unsigned ret_index(struct layout *l, uint32_t k)
{
	for (unsigned i = 0; i < l->n_rets; i++)
		if (l->rets[i] == k)
			return i;
	if (l->n_rets < MAX_RETS)
		l->rets[l->n_rets] = k;
	return l->n_rets++;
}

/* The returns from r0 on, then the rule blocks; each leaf's address. */
static int place_leaves(struct layout *l, unsigned r0, unsigned *end)
{
	unsigned n;

	l->n_rets = 0;
	(void)ret_index(l, l->bad);
	for (unsigned i = 0; i < l->n_segs; i++)
		if (l->segs[i].nr < 0)
			l->addr[i] = r0 + ret_index(l, l->segs[i].ret);
	if (l->n_rets > MAX_RETS)
		return -E2BIG;
	for (unsigned i = 0; i < l->n_rets; i++)
		l->f[r0 + i] =
		    (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, l->rets[i]);
	n = r0 + l->n_rets;
	for (unsigned i = 0; i < l->n_segs; i++) {
		bool ret;

		if (l->segs[i].nr < 0)
			continue;
		l->addr[i] = n;
		n = seccomp_rules_for(l->f, n, BPF_MAXINSNS - 1, l->segs[i].nr,
				      l->o->notify_syscalls, l->o->n_notify,
				      &ret);
		if (n == 0)
			return -E2BIG;
		if (!ret)
			l->f[n++] = (struct sock_filter)BPF_STMT(
			    BPF_RET | BPF_K, l->segs[i].ret);
	}
	*end = n;
	return 0;
}

/* The search over leaves lo..hi, its root at pos (a node per split, in
 * preorder: every jump goes forward). The address it starts at. */
static int64_t tree(struct layout *l, unsigned lo, unsigned hi, unsigned pos)
{
	unsigned mid = (lo + hi + 1) / 2;
	int64_t left, right;

	if (lo == hi)
		return l->addr[lo];
	left = tree(l, lo, mid - 1, pos + 1);
	right = tree(l, mid, hi, pos + 1 + (mid - 1 - lo));
	if (left < 0 || right < 0)
		return -1;
	l->f[pos] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
						 l->segs[mid].lo, 0, 0);
	if (jump(pos, (unsigned)right, &l->f[pos].jt) != 0 ||
	    jump(pos, (unsigned)left, &l->f[pos].jf) != 0)
		return -1;
	return pos;
}

static int lay_out(struct layout *l)
{
	unsigned r0 = 3 + l->n_segs - 1;
	unsigned end = 0;
	int rc = place_leaves(l, r0, &end);

	if (rc != 0)
		return rc;
	l->f[0] =
	    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_ARCH);
	l->f[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					       AUDIT_ARCH_X86_64, 0, 0);
	if (jump(1, r0, &l->f[1].jf) != 0)
		return -E2BIG;
	l->f[2] =
	    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_NR);
	if (tree(l, 0, l->n_segs - 1, 3) < 0)
		return -E2BIG;
	return (int)end;
}

int seccomp_tree(const struct cage_seccomp_opts *o,
		 const struct sock_filter *body, unsigned nb,
		 struct cage_bpf *out)
{
	struct layout *l = calloc(1, sizeof(*l));
	int rc = l ? 0 : -ENOMEM;

	out->insns = NULL;
	out->len = 0;
	if (rc == 0) {
		l->o = o;
		l->f = calloc(BPF_MAXINSNS, sizeof(*l->f));
		rc = l->f ? read_body(l, body, nb) : -ENOMEM;
	}
	if (rc == 0)
		rc = add_blocks(l);
	if (rc == 0)
		rc = lay_out(l);
	if (rc > 0) {
		out->insns = l->f;
		out->len = (unsigned short)rc;
		l->f = NULL;
		rc = 0;
	}
	if (l)
		free(l->f);
	free(l);
	return rc;
}
