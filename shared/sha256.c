/* sha256: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) of our own,
 * so hashing needs no libcrypto (akios links none).
 * Two block functions with one result: portable C, and the x86 SHA
 * extensions chosen at run time when the CPU has them. No allocation;
 * every buffer that held a key or a message tail is wiped. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/crypto_int.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include <sys/platform/x86.h>
#endif

_Static_assert(sizeof(((struct crypto_sha256_ctx *)0)->buf) == 64,
	       "one SHA-256 block");

static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t ror(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One block, the 64 rounds of FIPS 180-4 §6.2.2 with a 16-word ring for
 * the message schedule. */
static void block_c(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[16];
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
	uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];

	for (unsigned t = 0; t < 64; t++) {
		uint32_t wt, t1, t2;

		if (t < 16) {
			wt = load_be32(p + (size_t)4 * t);
		} else {
			uint32_t x = w[(t - 15) & 15], y = w[(t - 2) & 15];

			wt = w[t & 15] + w[(t - 7) & 15] +
			     (ror(x, 7) ^ ror(x, 18) ^ x >> 3) +
			     (ror(y, 17) ^ ror(y, 19) ^ y >> 10);
		}
		w[t & 15] = wt;
		t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + k256[t] + wt;
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
	explicit_bzero(w, sizeof(w));
}

/* tests/unit/test_sha256.c compares the two block functions. */
AKIOS_STATIC void sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		block_c(h, p + 64 * i);
}

#if defined(__x86_64__)
#define SHA_NI __attribute__((target("sha,ssse3,sse4.1")))

/* Four rounds, then the schedule of the group four ahead: m[] holds the
 * last four groups of W (group g in m[g & 3]). */
SHA_NI static inline void ni_rounds(__m128i *s0, __m128i *s1, __m128i w,
				    unsigned g)
{
	__m128i k = _mm_loadu_si128(
	    (const __m128i *)(const void *)&k256[(size_t)4 * g]);
	__m128i x = _mm_add_epi32(w, k);

	*s1 = _mm_sha256rnds2_epu32(*s1, *s0, x);
	x = _mm_shuffle_epi32(x, 0x0e);
	*s0 = _mm_sha256rnds2_epu32(*s0, *s1, x);
}

SHA_NI static void ni_block(__m128i *s0, __m128i *s1, const uint8_t *p)
{
	const __m128i bswap =
	    _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i m[4];
	__m128i a0 = *s0, a1 = *s1;

#pragma GCC unroll 16
	for (unsigned g = 0; g < 16; g++) {
		if (g < 4) {
			__m128i in = _mm_loadu_si128((
			    const __m128i *)(const void *)(p + (size_t)16 * g));

			m[g] = _mm_shuffle_epi8(in, bswap);
		} else {
			/* W[t-16] + s0(W[t-15]), + W[t-7], then s1(W[t-2]) */
			__m128i x =
			    _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);

			x = _mm_add_epi32(
			    x,
			    _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
			m[g & 3] = _mm_sha256msg2_epu32(x, m[(g + 3) & 3]);
		}
		ni_rounds(&a0, &a1, m[g & 3], g);
	}
	*s0 = _mm_add_epi32(*s0, a0);
	*s1 = _mm_add_epi32(*s1, a1);
}

/* The instructions want the state as ABEF and CDGH. */
SHA_NI AKIOS_STATIC void sha256_blocks_ni(uint32_t h[8], const uint8_t *p,
					  size_t n)
{
	__m128i t = _mm_loadu_si128((const __m128i *)(void *)&h[0]);
	__m128i s1 = _mm_loadu_si128((const __m128i *)(void *)&h[4]);
	__m128i s0;

	t = _mm_shuffle_epi32(t, 0xb1);	   /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b);  /* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8);	   /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0); /* CDGH */
	for (size_t i = 0; i < n; i++)
		ni_block(&s0, &s1, p + 64 * i);
	t = _mm_shuffle_epi32(s0, 0x1b);   /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);  /* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xf0); /* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);	   /* ABEF */
	_mm_storeu_si128((__m128i *)(void *)&h[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&h[4], s1);
}

/* glibc read CPUID once at start-up (and knows what the kernel lets us
 * use): no CPUID, a trap into the hypervisor on these VMs, per hash. */
AKIOS_STATIC bool sha256_have_ni(void)
{
	return CPU_FEATURE_ACTIVE(SHA) && CPU_FEATURE_ACTIVE(SSE4_1) &&
	       CPU_FEATURE_ACTIVE(SSSE3);
}
#else
AKIOS_STATIC bool sha256_have_ni(void)
{
	return false;
}
#endif

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
	if (sha256_have_ni()) {
		sha256_blocks_ni(h, p, n);
		return;
	}
#endif
	sha256_blocks_c(h, p, n);
}

void crypto_sha256_init(struct crypto_sha256_ctx *ctx)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				       0xa54ff53a, 0x510e527f, 0x9b05688c,
				       0x1f83d9ab, 0x5be0cd19};

	memcpy(ctx->h, iv, sizeof(iv));
	ctx->len = 0;
	ctx->n = 0;
}

void crypto_sha256_update(struct crypto_sha256_ctx *ctx, const void *data,
			  size_t len)
{
	const uint8_t *p = data;

	if (len == 0)
		return; /* data may be NULL */
	ctx->len += len;
	if (ctx->n) {
		size_t take = 64 - ctx->n < len ? 64 - ctx->n : len;

		memcpy(ctx->buf + ctx->n, p, take);
		ctx->n += (unsigned)take;
		p += take;
		len -= take;
		if (ctx->n < 64)
			return;
		blocks(ctx->h, ctx->buf, 1);
		ctx->n = 0;
	}
	if (len >= 64) {
		blocks(ctx->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	if (len) {
		memcpy(ctx->buf, p, len);
		ctx->n = (unsigned)len;
	}
}

/* Padding: 0x80, zeros, the bit length big-endian in the last 8 bytes. */
void crypto_sha256_final(struct crypto_sha256_ctx *ctx, uint8_t out[32])
{
	uint64_t bits = ctx->len * 8;

	ctx->buf[ctx->n++] = 0x80;
	if (ctx->n > 56) {
		memset(ctx->buf + ctx->n, 0, 64 - ctx->n);
		blocks(ctx->h, ctx->buf, 1);
		ctx->n = 0;
	}
	memset(ctx->buf + ctx->n, 0, 56 - ctx->n);
	store_be32(ctx->buf + 56, (uint32_t)(bits >> 32));
	store_be32(ctx->buf + 60, (uint32_t)bits);
	blocks(ctx->h, ctx->buf, 1);
	for (unsigned i = 0; i < 8; i++)
		store_be32(out + (size_t)4 * i, ctx->h[i]);
	explicit_bzero(ctx, sizeof(*ctx));
}

void crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct crypto_sha256_ctx c;

	crypto_sha256_init(&c);
	crypto_sha256_update(&c, data, len);
	crypto_sha256_final(&c, out);
}

/* RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K hashed first when
 * longer than a block. */
void crypto_hmac_sha256(const void *key, size_t key_len, const void *data,
			size_t len, uint8_t out[32])
{
	uint8_t k[64] = {0};
	uint8_t pad[64];
	uint8_t inner[32];
	struct crypto_sha256_ctx c;

	if (key_len > sizeof(k))
		crypto_sha256(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);
	for (unsigned i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	crypto_sha256_init(&c);
	crypto_sha256_update(&c, pad, sizeof(pad));
	crypto_sha256_update(&c, data, len);
	crypto_sha256_final(&c, inner);
	for (unsigned i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	crypto_sha256_init(&c);
	crypto_sha256_update(&c, pad, sizeof(pad));
	crypto_sha256_update(&c, inner, sizeof(inner));
	crypto_sha256_final(&c, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(inner, sizeof(inner));
}
