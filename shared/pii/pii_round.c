/* pii_round: one decision round. pii_scan.c reports every (pattern, end)
 * with its leftmost start; validators confirm candidates and pick their
 * value spans; then values are chosen left to right, longest first, and
 * never overlapping. Invariant (the streaming proof): the chosen set for
 * values starting in [done, limit) depends only on the input bytes, not
 * on where the window begins, because every raw match of such a value
 * starts after base + PII_CTX and ends before base + len - PII_CTX. */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <errno.h>

/* The order values are chosen in: leftmost, then longest, then the
 * table's priority. */
static bool sel_before(const struct pii_sel *x, const struct pii_sel *y)
{
	if (x->vs != y->vs)
		return x->vs < y->vs;
	if (x->ve != y->ve)
		return x->ve > y->ve;
	return x->idx < y->idx;
}

/* End of the ascending run of a that starts at i. */
static size_t run_end(const struct pii_sel *a, size_t i, size_t n)
{
	while (i + 1 < n && !sel_before(&a[i + 1], &a[i]))
		i++;
	return i + 1;
}

/* a[i, m) and a[m, e) merged into t[i, e), left first on ties. */
static void merge(const struct pii_sel *a, size_t i, size_t m, size_t e,
		  struct pii_sel *t)
{
	size_t l = i;
	size_t r = m;

	for (size_t k = i; k < e; k++)
		t[k] = r == e || (l < m && !sel_before(&a[r], &a[l])) ? a[l++]
								      : a[r++];
}

/* A stable sort of a[0, n) (t: room for n): the candidates come in a
 * few ascending runs (the literal rows' matches in text order, then the
 * digit rows'), so neighbouring runs are merged until one is left. */
static void sort_sel(struct pii_sel *a, size_t n, struct pii_sel *t)
{
	for (;;) {
		size_t i = 0;
		size_t runs = 0;

		while (i < n) {
			size_t m = run_end(a, i, n);
			size_t e = m < n ? run_end(a, m, n) : n;

			merge(a, i, m, e, t);
			i = e;
			runs++;
		}
		memcpy(a, t, n * sizeof(*a));
		if (runs <= 1)
			return;
	}
}

/* Validates the raw matches that can hold a value in [lo, hi) (window
 * offsets) and returns how many candidates were kept in v->sel. */
static long validate(struct pii_engine_view *v, const struct pii_round *r,
		     size_t lo, size_t hi)
{
	size_t n = 0;
	int rc =
	    pii_grow((void **)&v->sel, &v->cap_sel, sizeof(*v->sel), v->n_raw);

	if (!rc)
		rc = pii_grow((void **)&v->sel_tmp, &v->cap_sel_tmp,
			      sizeof(*v->sel), v->n_raw);
	if (rc)
		return rc;
	for (size_t i = 0; i < v->n_raw; i++) {
		const struct pii_raw *m = &v->raw[i];
		struct pii_cand c;

		pii_prefetch(v);
		c = (struct pii_cand){.text = r->text,
				      .len = r->len,
				      .s = m->s,
				      .e = m->e,
				      .vs = m->s,
				      .ve = m->e,
				      .flags = v->flags,
				      .max_len = v->pats[m->idx].max_len};

		/* A value may start left of its raw match (an e-mail's local
		 * part), never more than PII_MAX_MATCH before its end. */
		if (m->e <= lo || m->s >= hi + PII_MAX_MATCH || m->e == m->s)
			continue;
		if (!v->pats[m->idx].check(&c) || c.vs < lo || c.vs >= hi ||
		    c.ve <= c.vs || c.ve > c.vs + PII_MAX_MATCH ||
		    c.e > c.vs + PII_MAX_MATCH)
			continue;
		v->sel[n++] = (struct pii_sel){.idx = m->idx,
					       .vs = (uint32_t)c.vs,
					       .ve = (uint32_t)c.ve,
					       .open = c.open};
	}
	if (n > 1) /* sel may still be NULL when nothing matched */
		sort_sel(v->sel, n, v->sel_tmp);
	return (long)n;
}

static int report(const struct pii_round *r, const char *name, size_t vs,
		  size_t ve)
{
	struct pii_finding f = {
	    .pattern = name, .offset = r->base + vs, .length = ve - vs};

	return r->fn ? r->fn(r->fn_ctx, &f) : 0;
}

/* A private key body that went on past its first span: removed without
 * a second label, reported as more of the same finding. */
static int continue_pem(struct pii_round *r, size_t *pos, size_t hi)
{
	while (r->pem_open && *pos < hi) {
		struct pii_cand c = {.text = r->text,
				     .len = r->len,
				     .s = *pos,
				     .e = *pos,
				     .vs = *pos};
		int rc;

		pii_pem_body(&c, *pos);
		r->pem_open = c.open;
		if (c.ve == *pos)
			break;
		rc = report(r, "private_key", *pos, c.ve);
		if (rc)
			return rc;
		*pos = c.ve;
	}
	return 0;
}

/* akios_buf_append with its common case inline: room for n bytes and
 * the NUL (cap never passes max + 1, so the bound holds too). */
static int put(struct akios_buf *out, const char *p, size_t n)
{
	if (out->ptr && out->cap - out->len > n) {
		memcpy(out->ptr + out->len, p, n);
		out->len += n;
		out->ptr[out->len] = '\0';
		return 0;
	}
	return akios_buf_append(out, p, n);
}

static int emit(struct pii_engine *eng, struct pii_round *r, long n, size_t hi,
		struct akios_buf *out)
{
	struct pii_engine_view *v = pii_engine_view(eng);
	size_t pos = (size_t)(r->done - r->base);
	int rc = continue_pem(r, &pos, hi);

	for (long i = 0; i < n && !rc; i++) {
		const struct pii_sel *s = &v->sel[i];

		pii_prefetch(v);
		if (s->vs >= hi)
			break;
		if (s->vs < pos)
			continue;
		rc = put(out, r->text + pos, s->vs - pos);
		if (!rc)
			rc = pii_engine_replace(eng, s->idx, r->text + s->vs,
						s->ve - s->vs, out);
		if (!rc)
			rc = report(r, v->pats[s->idx].name, s->vs, s->ve);
		pos = s->ve;
		r->pem_open = s->open;
		if (!rc)
			rc = continue_pem(r, &pos, hi);
	}
	if (!rc && pos < hi) {
		rc = put(out, r->text + pos, hi - pos);
		pos = hi;
	}
	r->done = r->base + pos;
	return rc;
}

int pii_round_run(struct pii_engine *eng, struct pii_round *r,
		  struct akios_buf *out)
{
	struct pii_engine_view *v = pii_engine_view(eng);
	size_t lo = (size_t)(r->done - r->base);
	size_t hi = (size_t)(r->limit - r->base);
	long n;
	int rc;

	if (hi <= lo)
		return 0;
	v->n_raw = 0;
	v->scan_err = 0;
	v->pf = r->ahead;
	v->pf_end = r->ahead ? r->ahead + r->ahead_len : NULL;
	rc = pii_scan_raw(v, r);
	if (rc)
		return rc;
	n = validate(v, r, lo, hi);
	if (n < 0)
		return (int)n;
	return emit(eng, r, n, hi, out);
}
