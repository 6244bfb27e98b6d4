/* The ledger's pure text and byte formats: record framing, the signed
 * checkpoint (round trip, signed-note key id, malformed inputs rejected
 * with their line), the proof text form and the event JSON serialiser. */
#include "shared/common.h"
#include "shared/audit/audit_int.h"
#include "shared/audit/audit_read.h"
#include "shared/limits.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <time.h>

Test(audit_format, record_round_trip_and_damage)
{
	const char *ev = "{\"seq\":0,\"x\":1}";
	size_t n = strlen(ev);
	uint8_t buf[64], leaf[32];
	struct audit_rec rec;
	const char *why;

	audit_leaf_hash(ev, n, leaf);
	audit_record_header(n, leaf, buf);
	memcpy(buf + AUDIT_REC_HDR_LEN, ev, n);
	buf[AUDIT_REC_HDR_LEN + n] = '\n';
	cr_assert_eq(
	    audit_record_decode(buf, n + AUDIT_REC_OVERHEAD, &rec, &why),
	    AUDIT_REC_OK);
	cr_assert_eq(rec.len, n);
	cr_assert(audit_record_seq_ok(&rec, 0));
	cr_assert_not(audit_record_seq_ok(&rec, 1));
	cr_assert_eq(audit_record_decode(buf, n + 3, &rec, &why),
		     AUDIT_REC_SHORT);
	cr_assert_eq(audit_record_decode(buf, 5, &rec, &why), AUDIT_REC_SHORT);
	buf[AUDIT_REC_HDR_LEN + 3] ^= 1;
	cr_assert_eq(
	    audit_record_decode(buf, n + AUDIT_REC_OVERHEAD, &rec, &why),
	    AUDIT_REC_BAD);
	cr_assert(strstr(why, "checksum"), "%s", why);
	buf[3] = 0x7f; // length far beyond the limit
	cr_assert_eq(
	    audit_record_decode(buf, n + AUDIT_REC_OVERHEAD, &rec, &why),
	    AUDIT_REC_BAD);
}

static struct crypto_key *key(void)
{
	struct crypto_key *k = NULL;

	cr_assert_eq(crypto_key_generate(&k), 0);
	return k;
}

static void signed_cp(struct crypto_key *k, struct akios_buf *out)
{
	struct audit_checkpoint cp = {.size = 12345};

	snprintf(cp.origin, sizeof(cp.origin), "akios.local/audit/abc");
	memset(cp.root, 0xab, 32);
	akios_buf_init(out, AKIOS_MAX_CHECKPOINT_BYTES);
	cr_assert_eq(audit_checkpoint_sign(&cp, k, out), 0);
}

Test(audit_format, checkpoint_round_trip_and_layout)
{
	struct crypto_key *k = key();
	struct akios_buf t;
	struct audit_checkpoint cp;
	struct akios_err err = {0};
	uint8_t pub[32], id[4];
	char want[64];

	signed_cp(k, &t);
	cr_assert(strncmp(t.ptr, "akios.local/audit/abc\n12345\n", 28) == 0);
	cr_assert(strstr(t.ptr, "=\n\n\xe2\x80\x94 akios.local/audit/abc "),
		  "%s", t.ptr);
	cr_assert_eq(audit_checkpoint_verify(t.ptr, t.len, k, &cp, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(cp.size, 12345);
	cr_assert_str_eq(cp.origin, "akios.local/audit/abc");
	// The signature blob starts with the signed-note key id.
	cr_assert_eq(crypto_key_public_raw(k, pub), 0);
	audit_note_key_id("akios.local/audit/abc", pub, id);
	{
		const char *b64 = strrchr(t.ptr, ' ') + 1;
		uint8_t blob[96];

		cr_assert_eq(crypto_base64_decode(b64, strlen(b64) - 1, blob,
						  sizeof(blob)),
			     68);
		cr_assert_arr_eq(blob, id, 4);
	}
	snprintf(want, sizeof(want), "%s", "ok");
	cr_assert_str_eq(want, "ok");
	akios_buf_free(&t);
	crypto_key_free(k);
}

static void expect_bad(const char *text, unsigned line, const char *what)
{
	struct audit_checkpoint cp;
	struct akios_err err = {0};

	cr_assert_neq(
	    audit_checkpoint_verify(text, strlen(text), NULL, &cp, &err), 0,
	    "accepted: %s", text);
	cr_assert_eq(err.line, line, "%s: line %u (%s)", text, err.line,
		     err.msg);
	cr_assert(strstr(err.msg, what), "%s", err.msg);
}

Test(audit_format, malformed_checkpoints_name_their_line)
{
	const char *root = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
	char buf[512];

	expect_bad("", 1, "origin");
	expect_bad("o\n01\n", 2, "size");
	expect_bad("o\n18446744073709551616\n", 2, "size");
	expect_bad("o\n5\nshort\n", 3, "root");
	snprintf(buf, sizeof(buf), "o\n5\n%s\n", root);
	expect_bad(buf, 4, "blank");
	snprintf(buf, sizeof(buf), "o\n5\n%s\n\n", root);
	expect_bad(buf, 5, "no signature");
	snprintf(buf, sizeof(buf), "o\n5\n%s\n\n- o AAAA\n", root);
	expect_bad(buf, 5, "must start");
	snprintf(buf, sizeof(buf), "o\n5\n%s\n\n\xe2\x80\x94 o !!!\n", root);
	expect_bad(buf, 5, "encoding");
}

Test(audit_format, checkpoint_tampering_is_refused)
{
	struct crypto_key *k = key();
	struct crypto_key *other = key();
	struct akios_buf t;
	struct audit_checkpoint cp;
	struct akios_err err = {0};

	signed_cp(k, &t);
	cr_assert_neq(audit_checkpoint_verify(t.ptr, t.len, other, &cp, &err),
		      0);
	cr_assert(strstr(err.msg, "no signature by the trusted key"));
	t.ptr[24] = '9'; // size 12345 -> 12395
	cr_assert_neq(audit_checkpoint_verify(t.ptr, t.len, k, &cp, &err), 0);
	cr_assert(strstr(err.msg, "does not verify"), "%s", err.msg);
	akios_buf_free(&t);
	crypto_key_free(k);
	crypto_key_free(other);
}

Test(audit_format, proof_text_round_trip_and_errors)
{
	uint8_t leaves[5][32];
	struct audit_proof p = {.index = 3}, q;
	struct akios_buf t;
	struct akios_err err = {0};

	for (unsigned i = 0; i < 5; i++)
		audit_leaf_hash(&i, sizeof(i), leaves[i]);
	audit_root_of((const uint8_t(*)[32])leaves, 5, p.root);
	memcpy(p.leaf, leaves[3], 32);
	p.size = 5;
	cr_assert_eq(audit_inclusion_proof((const uint8_t(*)[32])leaves, 5, 3,
					   p.hashes, &p.len),
		     0);
	akios_buf_init(&t, 1 << 16);
	cr_assert_eq(audit_proof_format(&p, &t), 0);
	cr_assert_eq(audit_proof_parse(t.ptr, t.len, &q, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(q.len, p.len);
	cr_assert_eq(audit_proof_check(&q), 0);
	q.hashes[0][0] ^= 1;
	cr_assert_eq(audit_proof_check(&q), -EBADMSG);
	t.ptr[strlen("akios-audit-proof inclusion\nindex ")] = 'x';
	cr_assert_neq(audit_proof_parse(t.ptr, t.len, &q, &err), 0);
	cr_assert_eq(err.line, 2);
	akios_buf_free(&t);
	cr_assert_neq(
	    audit_proof_parse("akios-audit-proof other\n", 24, &q, &err), 0);
}

/* The tree comes from our parser; cJSON (a test-only dependency) is the
 * independent oracle that what we store means the same as the input. */
Test(audit_format, json_serialiser_escapes_and_numbers)
{
	static const char in[] = "{\"s\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\","
				 "\"n\":-42,\"f\":1.5,\"big\":1e300,"
				 "\"a\":[true,false,null,{}],\"o\":{\"k\":0}}";
	struct json *o = json_parse(in, sizeof(in) - 1, NULL);
	cJSON *want = cJSON_Parse(in);
	cJSON *back;
	struct akios_buf b;

	cr_assert_not_null(o);
	cr_assert_not_null(want);
	akios_buf_init(&b, 4096);
	cr_assert_eq(audit_json_value(&b, o, 0), 0);
	cr_assert_str_eq(b.ptr,
			 "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\","
			 "\"n\":-42,\"f\":1.5,\"big\":1.0000000000000001e+"
			 "300,\"a\":[true,false,null,{}],\"o\":{\"k\":0}}");
	// What we store parses back to the same tree.
	back = cJSON_Parse(b.ptr);
	cr_assert(cJSON_Compare(want, back, 1));
	cJSON_Delete(back);
	cJSON_Delete(want);
	akios_buf_free(&b);
	json_free(o);
}

/* A string is stored up to its first NUL, as the ledger always did: a
 * parsed "\u0000" ends the stored value. */
Test(audit_format, json_serialiser_stops_strings_at_nul)
{
	static const char in[] = "{\"a\":\"x\\u0000y\"}";
	struct json *o = json_parse(in, sizeof(in) - 1, NULL);
	struct akios_buf b;

	cr_assert_not_null(o);
	cr_assert_eq(o->child->len, 3);
	akios_buf_init(&b, 64);
	cr_assert_eq(audit_json_value(&b, o, 0), 0);
	cr_assert_str_eq(b.ptr, "{\"a\":\"x\"}");
	akios_buf_free(&b);
	json_free(o);
}

/* Thousandths (run.end's milliseconds) print short, without printf, and
 * parse back to the same double; other fractions keep 17 digits. */
Test(audit_format, json_thousandths_print_short_and_round_trip)
{
	static const struct {
		double d;
		const char *text;
	} cases[] = {
	    {5.927, "5.927"},
	    {0.001, "0.001"},
	    {0.1, "0.1"},
	    {12.5, "12.5"},
	    {-3.25, "-3.25"},
	    {123456.789, "123456.789"},
	    {0.012, "0.012"},
	    {999999999.999, "999999999.999"},
	    {1.0 / 3.0, "0.33333333333333331"},
	    {0.0005, "0.00050000000000000001"},
	};
	struct akios_buf b;

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(cases); i++) {
		struct json *n = json_new_number(cases[i].d);
		cJSON *back;

		akios_buf_init(&b, 64);
		cr_assert_eq(audit_json_value(&b, n, 0), 0);
		cr_assert_str_eq(b.ptr, cases[i].text);
		back = cJSON_Parse(b.ptr);
		cr_assert_not_null(back);
		cr_assert(back->valuedouble == cases[i].d,
			  "%s parses back to %.17g", b.ptr, back->valuedouble);
		cJSON_Delete(back);
		json_free(n);
		akios_buf_free(&b);
	}
}

/* A record's time is formatted without gmtime_r (which reads the local
 * time zone file): it must agree with gmtime_r + strftime everywhere,
 * leap days, century years and negative times included (years
 * 1000-9999: strftime's %Y does not pad shorter ones). */
static void utc_matches_gmtime(int64_t sec)
{
	char want[32], got[20];
	time_t t = (time_t)sec;
	struct tm tm;

	cr_assert_not_null(gmtime_r(&t, &tm));
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
	audit_utc_text(sec, got);
	cr_assert_str_eq(got, want, "at %lld", (long long)sec);
}

Test(audit_format, utc_time_text_matches_gmtime)
{
	static const int64_t fixed[] = {
	    0,		 -1,	      86399,	    86400,	 951782399,
	    951782400,	 951868800,   4107542399,   4107542400,	 4107628800,
	    -2203891200, -2208988800, 253402300799, -30610224000};
	uint64_t x = 0x9e3779b97f4a7c15u;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		utc_matches_gmtime(fixed[i]);
	for (int i = 0; i < 200000; i++) { // years 1000-9999, xorshift
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		utc_matches_gmtime((int64_t)(x % 284012524800u) - 30610224000);
	}
}
