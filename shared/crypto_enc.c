/* crypto_enc: hex, base64 (RFC 4648, padded) and the kernel CSPRNG.
 * Decoders are strict: one canonical spelling per byte string except
 * hex's letter case, no whitespace, padding only at the end. */
#include "shared/common.h"
#include "shared/crypto.h"

#include <errno.h>
#include <sys/random.h>

int crypto_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

void crypto_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crypto_hex_decode(const char *in, size_t in_len, uint8_t *out,
		      size_t out_len)
{
	if (in_len != 2 * out_len)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t crypto_base64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		size_t left = len - i;
		uint32_t v = (uint32_t)in[i] << 16;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = left > 1 ? b64[v >> 6 & 63] : '=';
		out[o++] = left > 2 ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One quantum of 4 characters, pad of them '=' at its end: the bytes
 * written, or -EINVAL (also for bits set that the padding drops, so each
 * byte string has one encoding). */
static int quantum(const char *in, unsigned pad, uint8_t *out)
{
	uint32_t v = 0;

	for (unsigned j = 0; j < 4; j++) {
		int d = j < 4 - pad ? b64_value(in[j]) : 0;

		if (d < 0 || (j >= 4 - pad && in[j] != '='))
			return -EINVAL;
		v = v << 6 | (uint32_t)d;
	}
	if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
		return -EINVAL;
	out[0] = (uint8_t)(v >> 16);
	out[1] = (uint8_t)(v >> 8);
	out[2] = (uint8_t)v;
	return 3 - (int)pad;
}

long crypto_base64_decode(const char *in, size_t in_len, uint8_t *out,
			  size_t out_size)
{
	size_t n = 0;

	if (in_len % 4 || in_len > (size_t)1 << 30 || out_size < in_len / 4 * 3)
		return -EINVAL;
	for (size_t i = 0; i < in_len; i += 4) {
		unsigned pad = 0;
		uint8_t q[3];
		int got;

		if (i + 4 == in_len)
			pad = (in[i + 3] == '=') + (in[i + 2] == '=');
		got = quantum(in + i, pad, q);
		if (got < 0)
			return -EINVAL;
		memcpy(out + n, q, (size_t)got);
		n += (size_t)got;
	}
	return (long)n;
}
