/* libFuzzer harness over the ledger's parsers of untrusted bytes: the log
 * file header and record framing (audit_record_decode walked over the
 * input as the scanner does), the signed checkpoint parser (with and
 * without a key) and the proof text parser and checker. The first input
 * byte picks the target; none may crash, hang or read out of bounds. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_records(const uint8_t *p, size_t n)
{
	char id[AUDIT_LOG_ID_HEX + 1];
	uint64_t index = 0;

	if (audit_file_header_parse(p, n, id) == 0) {
		p += AUDIT_FILE_HDR_LEN;
		n -= AUDIT_FILE_HDR_LEN;
	}
	while (n > 0) {
		struct audit_rec rec;
		const char *why;

		if (audit_record_decode(p, n, &rec, &why) != AUDIT_REC_OK)
			return;
		(void)audit_record_seq_ok(&rec, index++);
		p += rec.total;
		n -= rec.total;
	}
}

static void checkpoint(const uint8_t *p, size_t n)
{
	static const uint8_t raw[32] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct crypto_key *pub = NULL;
	struct audit_checkpoint cp;
	struct akios_err err;

	(void)!audit_checkpoint_verify((const char *)p, n, NULL, &cp, &err);
	if (crypto_key_from_raw_public(raw, &pub) == 0) {
		(void)!audit_checkpoint_verify((const char *)p, n, pub, &cp,
					       &err);
		crypto_key_free(pub);
	}
}

static void proof(const uint8_t *p, size_t n)
{
	struct audit_proof *pr = malloc(sizeof(*pr));
	struct akios_err err;

	if (!pr)
		return;
	if (audit_proof_parse((const char *)p, n, pr, &err) == 0)
		(void)!audit_proof_check(pr);
	free(pr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		walk_records(data + 1, size - 1);
		break;
	case 1:
		checkpoint(data + 1, size - 1);
		break;
	default:
		proof(data + 1, size - 1);
		break;
	}
	return 0;
}
