/* RFC 6962 hashing and proofs (shared/audit/merkle.c) against the
 * published reference vectors in tests/fixtures/rfc6962_vectors.txt, plus
 * exhaustive cross-checks of the frontier, proofs and verifiers on small
 * trees, and corrupted proofs that must fail. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>

#define VEC "tests/fixtures/rfc6962_vectors.txt"

struct vec_line {
	char kind[16];
	uint64_t a, b;
	uint8_t hashes[16][32];
	size_t n;
	uint8_t data[64];
	size_t data_len;
};

static void hex_or_die(const char *s, uint8_t *out, size_t n)
{
	cr_assert_eq(crypto_hex_decode(s, strlen(s), out, n), 0, "hex %s", s);
}

/* Reads the next non-comment line of the fixture; false at EOF. */
static bool next_vec(FILE *f, struct vec_line *v)
{
	char line[2048];
	char *save = NULL;
	char *tok;

	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		memset(v, 0, sizeof(*v));
		tok = strtok_r(line, " ", &save);
		snprintf(v->kind, sizeof(v->kind), "%s", tok);
		if (!strcmp(v->kind, "leaf")) {
			tok = strtok_r(NULL, " ", &save);
			if (strcmp(tok, "-") != 0) {
				v->data_len = strlen(tok) / 2;
				hex_or_die(tok, v->data, v->data_len);
			}
			return true;
		}
		v->a = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
		if (strcmp(v->kind, "root") != 0)
			v->b = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
		while ((tok = strtok_r(NULL, " ", &save)) != NULL)
			hex_or_die(tok, v->hashes[v->n++], 32);
		return true;
	}
	return false;
}

struct vectors {
	uint8_t leaves[8][32];
	size_t n_leaves;
	unsigned roots, incl, cons;
};

static void check_line(struct vectors *t, struct vec_line *v)
{
	uint8_t root[32], proof[AUDIT_MAX_PROOF][32];
	size_t len;

	if (!strcmp(v->kind, "leaf")) {
		audit_leaf_hash(v->data, v->data_len, t->leaves[t->n_leaves++]);
	} else if (!strcmp(v->kind, "root")) {
		audit_root_of((const uint8_t(*)[32])t->leaves, v->a, root);
		cr_assert_arr_eq(root, v->hashes[0], 32, "root %" PRIu64, v->a);
		t->roots++;
	} else if (!strcmp(v->kind, "inclusion")) {
		cr_assert_eq(
		    audit_inclusion_proof((const uint8_t(*)[32])t->leaves, v->b,
					  v->a, proof, &len),
		    0);
		cr_assert_eq(len, v->n, "inclusion %" PRIu64, v->a);
		if (len)
			cr_assert_arr_eq(proof, v->hashes, 32 * len);
		audit_root_of((const uint8_t(*)[32])t->leaves, v->b, root);
		cr_assert_eq(audit_inclusion_verify(
				 v->a, v->b, t->leaves[v->a],
				 (const uint8_t(*)[32])v->hashes, v->n, root),
			     0);
		t->incl++;
	} else {
		uint8_t r1[32];

		cr_assert_eq(
		    audit_consistency_proof((const uint8_t(*)[32])t->leaves,
					    v->a, v->b, proof, &len),
		    0);
		cr_assert_eq(len, v->n, "consistency %" PRIu64, v->a);
		if (len)
			cr_assert_arr_eq(proof, v->hashes, 32 * len);
		audit_root_of((const uint8_t(*)[32])t->leaves, v->a, r1);
		audit_root_of((const uint8_t(*)[32])t->leaves, v->b, root);
		cr_assert_eq(audit_consistency_verify(
				 v->a, v->b, r1, root,
				 (const uint8_t(*)[32])v->hashes, v->n),
			     0);
		t->cons++;
	}
}

Test(audit_merkle, rfc6962_reference_vectors)
{
	FILE *f = fopen(VEC, "r");
	struct vectors t = {0};
	struct vec_line v;

	cr_assert_not_null(f, "cannot open %s", VEC);
	while (next_vec(f, &v))
		check_line(&t, &v);
	fclose(f);
	cr_assert_eq(t.n_leaves, 8);
	cr_assert_eq(t.roots, 8);
	cr_assert_eq(t.incl, 5);
	cr_assert_eq(t.cons, 5);
}

Test(audit_merkle, empty_tree_is_sha256_of_nothing)
{
	struct audit_frontier f;
	uint8_t root[32], want[32];

	audit_frontier_init(&f);
	audit_frontier_root(&f, root);
	hex_or_die("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		   "7852b855",
		   want, 32);
	cr_assert_arr_eq(root, want, 32);
}

#define N 70

static void make_leaves(uint8_t leaves[N][32])
{
	for (unsigned i = 0; i < N; i++)
		audit_leaf_hash(&i, sizeof(i), leaves[i]);
}

/* The RFC's recursive definition, straight from the text. */
static void mth(uint8_t (*d)[32], uint64_t n, uint8_t out[32])
{
	uint8_t l[32], r[32];
	uint64_t k;

	if (n == 1) {
		memcpy(out, d[0], 32);
		return;
	}
	k = audit_split(n);
	mth(d, k, l);
	mth(d + k, n - k, r);
	audit_node_hash(l, r, out);
}

Test(audit_merkle, frontier_matches_recursive_definition)
{
	uint8_t leaves[N][32], a[32], b[32];
	struct audit_frontier f;

	make_leaves(leaves);
	audit_frontier_init(&f);
	for (uint64_t n = 1; n <= N; n++) {
		audit_frontier_push(&f, leaves[n - 1]);
		audit_frontier_root(&f, a);
		mth(leaves, n, b);
		cr_assert_arr_eq(a, b, 32, "size %" PRIu64, n);
	}
}

Test(audit_merkle, every_inclusion_proof_verifies_and_flips_fail)
{
	uint8_t leaves[N][32], root[32], proof[AUDIT_MAX_PROOF][32];
	size_t len;

	make_leaves(leaves);
	for (uint64_t n = 1; n <= N; n++) {
		audit_root_of((const uint8_t(*)[32])leaves, n, root);
		for (uint64_t i = 0; i < n; i++) {
			cr_assert_eq(
			    audit_inclusion_proof((const uint8_t(*)[32])leaves,
						  n, i, proof, &len),
			    0);
			cr_assert_eq(
			    audit_inclusion_verify(i, n, leaves[i],
						   (const uint8_t(*)[32])proof,
						   len, root),
			    0, "%" PRIu64 "/%" PRIu64, i, n);
			cr_assert_neq(
			    audit_inclusion_verify(i, n, leaves[(i + 1) % N],
						   (const uint8_t(*)[32])proof,
						   len, root),
			    0, "wrong leaf %" PRIu64, i);
			if (len == 0)
				continue;
			proof[len - 1][3] ^= 0x10;
			cr_assert_eq(
			    audit_inclusion_verify(i, n, leaves[i],
						   (const uint8_t(*)[32])proof,
						   len, root),
			    -EBADMSG);
		}
	}
}

Test(audit_merkle, every_consistency_proof_verifies_and_flips_fail)
{
	uint8_t leaves[N][32], r1[32], r2[32], proof[AUDIT_MAX_PROOF][32];
	size_t len;

	make_leaves(leaves);
	for (uint64_t n = 1; n <= 40; n++) {
		audit_root_of((const uint8_t(*)[32])leaves, n, r2);
		for (uint64_t m = 1; m <= n; m++) {
			audit_root_of((const uint8_t(*)[32])leaves, m, r1);
			cr_assert_eq(audit_consistency_proof(
					 (const uint8_t(*)[32])leaves, m, n,
					 proof, &len),
				     0);
			cr_assert_eq(
			    audit_consistency_verify(
				m, n, r1, r2, (const uint8_t(*)[32])proof, len),
			    0, "%" PRIu64 "->%" PRIu64, m, n);
			if (len == 0)
				continue;
			proof[0][0] ^= 0x10;
			cr_assert_eq(
			    audit_consistency_verify(
				m, n, r1, r2, (const uint8_t(*)[32])proof, len),
			    -EBADMSG);
			cr_assert_eq(
			    audit_consistency_verify(
				m, n, r2, r1, (const uint8_t(*)[32])proof, len),
			    -EBADMSG);
		}
	}
}

Test(audit_merkle, out_of_range_requests_are_refused)
{
	uint8_t leaves[4][32], proof[AUDIT_MAX_PROOF][32], root[32];
	size_t len;

	memset(leaves, 1, sizeof(leaves));
	memset(root, 2, sizeof(root));
	cr_assert_eq(audit_inclusion_proof((const uint8_t(*)[32])leaves, 4, 4,
					   proof, &len),
		     -EINVAL);
	cr_assert_eq(audit_consistency_proof((const uint8_t(*)[32])leaves, 5, 4,
					     proof, &len),
		     -EINVAL);
	cr_assert_eq(audit_inclusion_verify(0, 0, leaves[0], NULL, 0, root),
		     -EBADMSG);
	cr_assert_eq(audit_consistency_verify(2, 1, root, root, NULL, 0),
		     -EBADMSG);
}
