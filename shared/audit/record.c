/* Record framing of events.log: a length and a checksum per record so a
 * torn tail is told apart from corruption. The checksum is the first 8
 * bytes of the record's RFC 6962 leaf hash, so it costs no extra hashing.
 * Pure: no syscalls; decode never reads past `avail`. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/limits.h"

#include <errno.h>

void audit_record_header(size_t len, const uint8_t leaf[32],
			 uint8_t hdr[AUDIT_REC_HDR_LEN])
{
	hdr[0] = (uint8_t)(len & 0xff);
	hdr[1] = (uint8_t)((len >> 8) & 0xff);
	hdr[2] = (uint8_t)((len >> 16) & 0xff);
	hdr[3] = (uint8_t)((len >> 24) & 0xff);
	memcpy(hdr + 4, leaf, 8);
}

static size_t get_u32le(const uint8_t *p)
{
	return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
	       (size_t)p[3] << 24;
}

enum audit_rec_status audit_record_decode(const uint8_t *p, size_t avail,
					  struct audit_rec *out,
					  const char **why)
{
	size_t len;

	*why = NULL;
	if (avail < AUDIT_REC_HDR_LEN) {
		*why = "incomplete record header";
		return AUDIT_REC_SHORT;
	}
	len = get_u32le(p);
	if (len < 2 || len > AKIOS_MAX_AUDIT_RECORD) {
		*why = "record length out of range";
		return AUDIT_REC_BAD;
	}
	if (avail < len + AUDIT_REC_OVERHEAD) {
		*why = "incomplete record";
		return AUDIT_REC_SHORT;
	}
	if (p[AUDIT_REC_HDR_LEN + len] != '\n') {
		*why = "record terminator missing";
		return AUDIT_REC_BAD;
	}
	out->payload = p + AUDIT_REC_HDR_LEN;
	out->len = len;
	out->total = len + AUDIT_REC_OVERHEAD;
	audit_leaf_hash(out->payload, len, out->leaf);
	if (memcmp(out->leaf, p + 4, 8) != 0) {
		*why = "checksum mismatch (record bytes changed)";
		return AUDIT_REC_BAD;
	}
	return AUDIT_REC_OK;
}

static bool is_lower_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int audit_file_header_parse(const uint8_t *p, size_t len, char *log_id)
{
	size_t m = sizeof(AUDIT_FILE_MAGIC) - 1;

	if (len < AUDIT_FILE_HDR_LEN || memcmp(p, AUDIT_FILE_MAGIC, m) != 0)
		return -EBADMSG;
	for (size_t i = 0; i < AUDIT_LOG_ID_HEX; i++) {
		if (!is_lower_hex(p[m + i]))
			return -EBADMSG;
	}
	if (p[m + AUDIT_LOG_ID_HEX] != '\n')
		return -EBADMSG;
	memcpy(log_id, p + m, AUDIT_LOG_ID_HEX);
	log_id[AUDIT_LOG_ID_HEX] = '\0';
	return 0;
}

bool audit_record_seq_ok(const struct audit_rec *rec, uint64_t index)
{
	static const char pre[] = "{\"seq\":";
	char digits[24];
	size_t n = 0;
	size_t at = sizeof(pre) - 1;

	// Decimal of index, written backwards (no printf: verify is hot).
	do {
		digits[n++] = (char)('0' + index % 10);
		index /= 10;
	} while (index);
	if (rec->len < at + n + 2 || memcmp(rec->payload, pre, at) != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (rec->payload[at + i] != (uint8_t)digits[n - 1 - i])
			return false;
	}
	return rec->payload[at + n] == ',' && rec->payload[rec->len - 1] == '}';
}
