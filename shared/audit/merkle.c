/* RFC 6962 / RFC 9162 Merkle tree hashing: leaf and node hashes, the right
 * frontier (O(log n) appends), tree heads, and inclusion and consistency
 * proofs with their verifiers. Pure: no syscalls, no allocation; proofs
 * never exceed AUDIT_MAX_PROOF hashes. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/crypto.h"

#include <errno.h>

void audit_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
	struct crypto_sha256_ctx c;
	const uint8_t prefix = 0x00;

	crypto_sha256_init(&c);
	crypto_sha256_update(&c, &prefix, 1);
	crypto_sha256_update(&c, data, len);
	crypto_sha256_final(&c, out);
}

void audit_node_hash(const uint8_t left[32], const uint8_t right[32],
		     uint8_t out[32])
{
	uint8_t in[1 + 2 * AUDIT_HASH_LEN];
	struct crypto_sha256_ctx c;

	in[0] = 0x01;
	memcpy(in + 1, left, AUDIT_HASH_LEN);
	memcpy(in + 1 + AUDIT_HASH_LEN, right, AUDIT_HASH_LEN);
	// Not crypto_sha256(): OpenSSL 3's one-shot SHA256() looks the
	// digest up by name on every call, which dominated append and verify.
	crypto_sha256_init(&c);
	crypto_sha256_update(&c, in, sizeof(in));
	crypto_sha256_final(&c, out);
}

uint64_t audit_split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

void audit_frontier_init(struct audit_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

void audit_frontier_push(struct audit_frontier *f, const uint8_t leaf[32])
{
	uint8_t carry[AUDIT_HASH_LEN];
	unsigned k = 0;

	memcpy(carry, leaf, AUDIT_HASH_LEN);
	// Each set low bit is a perfect subtree that merges with the carry.
	while (k < AUDIT_MAX_HEIGHT && (f->size >> k) & 1) {
		audit_node_hash(f->node[k], carry, carry);
		k++;
	}
	if (k < AUDIT_MAX_HEIGHT)
		memcpy(f->node[k], carry, AUDIT_HASH_LEN);
	f->size++;
}

void audit_frontier_root(const struct audit_frontier *f, uint8_t out[32])
{
	uint8_t acc[AUDIT_HASH_LEN];
	bool have = false;

	if (f->size == 0) {
		crypto_sha256("", 0, out);
		return;
	}
	// Smallest subtrees are rightmost: fold them from the right.
	for (unsigned k = 0; k < AUDIT_MAX_HEIGHT; k++) {
		if (!((f->size >> k) & 1))
			continue;
		if (have) {
			audit_node_hash(f->node[k], acc, acc);
		} else {
			memcpy(acc, f->node[k], AUDIT_HASH_LEN);
			have = true;
		}
	}
	memcpy(out, acc, AUDIT_HASH_LEN);
}

void audit_root_of(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
	struct audit_frontier f;

	audit_frontier_init(&f);
	for (uint64_t i = 0; i < n; i++)
		audit_frontier_push(&f, leaves[i]);
	audit_frontier_root(&f, out);
}

static int proof_add(uint8_t (*proof)[32], size_t *len, const uint8_t h[32])
{
	if (*len >= AUDIT_MAX_PROOF)
		return -E2BIG;
	memcpy(proof[*len], h, AUDIT_HASH_LEN);
	(*len)++;
	return 0;
}

// RFC 6962 §2.1.1 PATH(m, D[n]): the deepest sibling comes first.
static int path(const uint8_t (*d)[32], uint64_t n, uint64_t m,
		uint8_t (*proof)[32], size_t *len)
{
	uint8_t h[AUDIT_HASH_LEN];
	uint64_t k;
	int rc;

	if (n <= 1)
		return 0;
	k = audit_split(n);
	if (m < k) {
		rc = path(d, k, m, proof, len);
		audit_root_of(d + k, n - k, h);
	} else {
		rc = path(d + k, n - k, m - k, proof, len);
		audit_root_of(d, k, h);
	}
	return rc ? rc : proof_add(proof, len, h);
}

int audit_inclusion_proof(const uint8_t (*leaves)[32], uint64_t n,
			  uint64_t index, uint8_t (*proof)[32], size_t *len)
{
	*len = 0;
	if (index >= n)
		return -EINVAL;
	return path(leaves, n, index, proof, len);
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[n], b).
static int subproof(const uint8_t (*d)[32], uint64_t n, uint64_t m, bool b,
		    uint8_t (*proof)[32], size_t *len)
{
	uint8_t h[AUDIT_HASH_LEN];
	uint64_t k;
	int rc;

	if (m == n) {
		if (b)
			return 0;
		audit_root_of(d, n, h);
		return proof_add(proof, len, h);
	}
	k = audit_split(n);
	if (m <= k) {
		rc = subproof(d, k, m, b, proof, len);
		audit_root_of(d + k, n - k, h);
	} else {
		rc = subproof(d + k, n - k, m - k, false, proof, len);
		audit_root_of(d, k, h);
	}
	return rc ? rc : proof_add(proof, len, h);
}

int audit_consistency_proof(const uint8_t (*leaves)[32], uint64_t m, uint64_t n,
			    uint8_t (*proof)[32], size_t *len)
{
	*len = 0;
	if (m > n)
		return -EINVAL;
	if (m == 0 || m == n)
		return 0;
	return subproof(leaves, n, m, true, proof, len);
}

int audit_inclusion_verify(uint64_t index, uint64_t size,
			   const uint8_t leaf[32], const uint8_t (*proof)[32],
			   size_t len, const uint8_t root[32])
{
	uint8_t r[AUDIT_HASH_LEN];
	uint64_t fn = index;
	uint64_t sn = size - 1;

	if (index >= size)
		return -EBADMSG;
	memcpy(r, leaf, AUDIT_HASH_LEN);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			audit_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			audit_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, AUDIT_HASH_LEN) != 0)
		return -EBADMSG;
	return 0;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int audit_consistency_verify(uint64_t m, uint64_t n, const uint8_t root1[32],
			     const uint8_t root2[32],
			     const uint8_t (*proof)[32], size_t len)
{
	uint8_t fr[AUDIT_HASH_LEN];
	uint8_t sr[AUDIT_HASH_LEN];
	uint64_t fn = m - 1;
	uint64_t sn = n - 1;
	size_t i = 0;

	if (m > n)
		return -EBADMSG;
	if (m == n)
		return len == 0 && !memcmp(root1, root2, AUDIT_HASH_LEN)
			   ? 0
			   : -EBADMSG;
	if (m == 0)
		return len == 0 ? 0 : -EBADMSG;
	if (len == 0)
		return -EBADMSG;
	// A power-of-two old tree is itself a node of the new one: it starts
	// the chain instead of the proof's first hash.
	if (is_pow2(m)) {
		memcpy(fr, root1, AUDIT_HASH_LEN);
	} else {
		memcpy(fr, proof[0], AUDIT_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, AUDIT_HASH_LEN);
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			audit_node_hash(proof[i], fr, fr);
			audit_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			audit_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, root1, AUDIT_HASH_LEN) != 0 ||
	    memcmp(sr, root2, AUDIT_HASH_LEN) != 0)
		return -EBADMSG;
	return 0;
}
