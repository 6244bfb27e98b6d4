/* Inside the crypto module only: shared/sha256.c's block functions,
 * visible to the tests that compare them. */
#ifndef AKIOS_CRYPTO_INT_H
#define AKIOS_CRYPTO_INT_H

#include "shared/common.h"
#include "shared/crypto.h"

#ifdef AKIOS_TESTING
/* shared/sha256.c's block functions, compared by tests/unit/test_sha256.c:
 * n 64-byte blocks into the state h. */
void sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t n);
void sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t n);
bool sha256_have_ni(void);
#endif

#endif
