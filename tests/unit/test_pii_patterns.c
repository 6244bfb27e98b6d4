/* Per-pattern tests of shared/pii: a true positive for every pattern
 * (values generated with their real checksums) and near-miss negatives
 * (bad checksums, order numbers, versions, UUIDs, SHAs, timestamps). */
#include "shared/common.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"
#include "shared/pii/pii_names.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>

struct tcase {
	enum pii_mode mode;
	const char *in;
	const char *out;
};

#define STRICT	   PII_MODE_STRICT
#define BALANCED   PII_MODE_BALANCED
#define AGGRESSIVE PII_MODE_AGGRESSIVE

static const char pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIHN0cmluZ3Nhc2VjcmV0a2V5Zm9ydGVzdGluZzEyMzQ=\n"
    "-----END PRIVATE KEY-----";

static const struct tcase positives[] = {
    {STRICT,
     "k -----BEGIN RSA PRIVATE "
     "KEY-----"
     "\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
     "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE "
     "KEY-----",
     "k [PRIVATE_KEY]"},
    {STRICT, "card 4111 1111 1111 1111.", "card [CREDIT_CARD]."},
    {STRICT, "mc 5555-5555-5555-4444", "mc [CREDIT_CARD]"},
    {STRICT, "amex 3782 822463 10005", "amex [CREDIT_CARD]"},
    {STRICT, "disc 6011111111111117", "disc [CREDIT_CARD]"},
    {STRICT, "iban GB82 WEST 1234 5698 7654 32 ok", "iban [IBAN] ok"},
    {STRICT, "DE89370400440532013000", "[IBAN]"},
    {STRICT, "routing number: 021000021", "routing number: [ABA_ROUTING]"},
    {BALANCED, "wire 021000021 123456789", "wire [BANK_ACCOUNT]"},
    {BALANCED, "account no. 12345678", "account no. [BANK_ACCOUNT]"},
    {BALANCED, "SWIFT: DEUTDEFF", "SWIFT: [SWIFT_BIC]"},
    {AGGRESSIVE, "cvv 123", "cvv [CVV]"},
    {STRICT, "btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "btc [BITCOIN_ADDRESS]"},
    {STRICT, "ssn 123-45-6789", "ssn [SSN]"},
    {BALANCED, "SSN: 123456789", "SSN: [SSN]"},
    {STRICT, "itin 912-70-1234", "itin [ITIN]"},
    {BALANCED, "ein 12-3456789", "ein [EIN]"},
    {BALANCED, "passport no: X1234567", "passport no: [PASSPORT]"},
    {STRICT, "nino AB 12 34 56 C", "nino [UK_NINO]"},
    {BALANCED, "SIN 130 692 544", "SIN [CA_SIN]"},
    {BALANCED, "nir 1 85 05 78 006 084 91", "nir [FR_NIR]"},
    {BALANCED, "dni 12345678Z", "dni [ES_DNI]"},
    {STRICT, "cf RSSMRA85T10A562S", "cf [IT_FISCAL_CODE]"},
    {AGGRESSIVE, "uid 2345 6789 0124", "uid [IN_AADHAAR]"},
    {BALANCED, "pan ABCPE1234F", "pan [IN_PAN]"},
    {STRICT, "cpf 529.982.247-25", "cpf [BR_CPF]"},
    {BALANCED, "nric S1234567D", "nric [SG_NRIC]"},
    {STRICT, "mail a.b@example.com!", "mail [EMAIL]!"},
    {STRICT, "<x_y+z@mail.co.uk>", "<[EMAIL]>"},
    {BALANCED, "call (415) 555-2671 now", "call [PHONE] now"},
    {BALANCED, "call +1 415 555 2671", "call [PHONE]"},
    {BALANCED, "uk +44 20 7946 0958", "uk [PHONE]"},
    {BALANCED, "uk 020 7946 0958", "uk [PHONE]"},
    {BALANCED, "de +49 (0)30 1234567", "de [PHONE]"},
    {BALANCED, "de 030/1234567", "de [PHONE]"},
    {AGGRESSIVE, "tel 4155552671", "tel [PHONE]"},
    {BALANCED, "ip 203.0.113.7:80", "ip [IP_ADDRESS]:80"},
    {BALANCED, "net 10.0.0.0/8.", "net [IP_ADDRESS]/8."},
    {BALANCED, "range 10.0.0.1-10.0.0.9", "range [IP_ADDRESS]-[IP_ADDRESS]"},
    {BALANCED, "v6 2001:db8::1 up", "v6 [IP_ADDRESS] up"},
    {BALANCED, "mac 00:1A:2B:3C:4D:5E", "mac [MAC_ADDRESS]"},
    {STRICT, "db postgres://alice:s3cret@db.example.com/x",
     "db postgres://[URL_CREDENTIALS]@db.example.com/x"},
    {STRICT, "k AKIAIOSFODNN7EXAMPLE", "k [AWS_ACCESS_KEY]"},
    {BALANCED,
     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "aws_secret_access_key = [AWS_SECRET_KEY]"},
    {STRICT, "t 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", "t [GITHUB_TOKEN]"},
    {STRICT,
     "t github_pat_11ABCDEFG0123456789abc_"
     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
     "t [GITHUB_TOKEN]"},
    {STRICT, "t 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", "t [NPM_TOKEN]"},
    {STRICT, "t glpat-abcdefghij0123456789", "t [GITLAB_TOKEN]"},
    {STRICT, "g AIzaSyA-1234567890abcdefghijklmnopqrstu", "g [GOOGLE_API_KEY]"},
    {STRICT, "s xoxb-1234567890-abcdefghij", "s [SLACK_TOKEN]"},
    {STRICT,
     "h https://hooks.slack.com/services/T00000000/B00000000/"
     "XXXXXXXXXXXXXXXXXXXXXXXX",
     "h [SLACK_WEBHOOK]"},
    {STRICT, "s sk_live_abcdefghijklmnopqrstuvwx", "s [STRIPE_KEY]"},
    {STRICT,
     "s SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
     "s [SENDGRID_KEY]"},
    {STRICT, "h hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
     "h [HUGGINGFACE_TOKEN]"},
    {STRICT,
     "p pypi-AgEIcHlwaS5vcmcabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN",
     "p [PYPI_TOKEN]"},
    {STRICT, "s shpat_0123456789abcdef0123456789abcdef", "s [SHOPIFY_TOKEN]"},
    {STRICT, "t 123456789:AAabcdefghijklmnopqrstuvwxyz0123456",
     "t [TELEGRAM_BOT_TOKEN]"},
    {STRICT,
     "AccountKey=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
     "abcdefghijklmnopqrstuvwx==;",
     "AccountKey=[AZURE_STORAGE_KEY];"},
    {STRICT, "key sk-proj-Ab3dEfGh1jKlMnOpQrStUvWxYz0123456789_-abcdEFGH end",
     "key [OPENAI_KEY] end"},
    {STRICT, "key sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
     "key [OPENAI_KEY]"},
    {STRICT,
     "key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJ_xyz",
     "key [ANTHROPIC_KEY]"},
    {STRICT,
     "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmF"
     "tZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36"
     "POk6yJV_adQssw5c.",
     "jwt [JWT]."},
    {BALANCED, "Authorization: Bearer abcdef1234567890abcdef",
     "Authorization: Bearer [BEARER_TOKEN]"},
    {BALANCED, "Authorization: Basic dXNlcjpwYXNzd29yZA==",
     "Authorization: Basic [BASIC_AUTH]"},
    {BALANCED, "password=hunter22 next", "password=[PASSWORD] next"},
    {BALANCED, "{\"secret\": \"s3cr3t-v@lue\"}",
     "{\"secret\": \"[PASSWORD]\"}"},
    {BALANCED, "DOB: 04/12/1985", "DOB: [DATE_OF_BIRTH]"},
    {BALANCED, "born on March 3, 1990", "born on [DATE_OF_BIRTH]"},
    {BALANCED, "MRN: 12345678", "MRN: [MEDICAL_RECORD]"},
    {BALANCED, "NHS number 943 476 5919", "NHS number [UK_NHS_NUMBER]"},
    {BALANCED, "mbi 1EG4-TE5-MK73", "mbi [MEDICARE_MBI]"},
    {BALANCED, "dea AB1234563", "dea [DEA_NUMBER]"},
    {BALANCED, "NPI: 1234567893", "NPI: [US_NPI]"},
};

static const struct tcase negatives[] = {
    {AGGRESSIVE, "order 4111111111111112 shipped", NULL},
    {AGGRESSIVE, "ref 1234 5678 9012 3456", NULL},
    {STRICT, "version 1.2.3.4 released", NULL},
    {BALANCED, "pi 3.1415926535897932", NULL},
    {AGGRESSIVE, "id 123e4567-e89b-12d3-a456-426614174000", NULL},
    {AGGRESSIVE, "commit 3f786850e387550fdab836ed7e6dc881de23001b", NULL},
    {BALANCED, "at 2024-01-15T10:30:00Z (10:30:00)", NULL},
    {BALANCED, "ts 1700000000000", NULL},
    {AGGRESSIVE, "iban GB82WEST12345698765431", NULL},
    {AGGRESSIVE, "ssn 000-12-3456 666-12-3456 123-00-4567 123-45-0000", NULL},
    {AGGRESSIVE, "ssn 900-12-3456", NULL},
    {AGGRESSIVE, "t ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM", NULL},
    {AGGRESSIVE, "std::vector<int> a; x::y", NULL},
    {AGGRESSIVE, "price $1,234.56 and 10%", NULL},
    {AGGRESSIVE, "routing number: 021000022", NULL},
    {AGGRESSIVE, "cpf 111.111.111-11 and 529.982.247-26", NULL},
    {AGGRESSIVE, "nino BG 12 34 56 C", NULL},
    {AGGRESSIVE, "dni 12345678A", NULL},
    {AGGRESSIVE, "btc 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", NULL},
    {AGGRESSIVE, "jwt eyJub3Rqc29u.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", NULL},
    {AGGRESSIVE, "password: ******** and password=${DB_PASS}", NULL},
    {AGGRESSIVE, "user@localhost is not an address", NULL},
    {AGGRESSIVE, "already [EMAIL] and [CREDIT_CARD]", NULL},
    {AGGRESSIVE, "mac 00:1A-2B:3C:4D:5E", NULL},
    {AGGRESSIVE, "ip 256.1.1.1 and 1.2.3.4.5", NULL},
    {AGGRESSIVE, "man1/fpc-3.2.2.1.gz and v1.2.3.4 and build 10.0.0.1", NULL},
    {AGGRESSIVE, "alsa-topology-conf:all 1.2.5.1-2 installed", NULL},
    {AGGRESSIVE, "updated to 2.5.0.0. snapshot (1:10~+20191229111838+6991d57)",
     NULL},
    {STRICT, "call (415) 555-2671 or 203.0.113.7", NULL},
};

/* One engine per mode per test process (Criterion forks per test):
 * compiling the database is the slow part. */
static struct pii_engine *engines[3];

static char *redact(enum pii_mode mode, const char *in)
{
	struct pii_config cfg = {.mode = mode};
	struct akios_err err = {0};
	struct akios_buf out;

	if (!engines[mode])
		cr_assert_eq(pii_engine_new(&cfg, &engines[mode], &err), 0,
			     "%s", err.msg);
	akios_buf_init(&out, 1 << 20);
	cr_assert_eq(
	    pii_redact_buffer(engines[mode], in, strlen(in), &out, NULL, NULL),
	    0);
	return akios_buf_take(&out, NULL);
}

Test(pii_patterns, true_positives)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(positives); i++) {
		char *got = redact(positives[i].mode, positives[i].in);

		cr_expect_str_eq(got, positives[i].out, "input: %s",
				 positives[i].in);
		free(got);
	}
}

Test(pii_patterns, near_miss_negatives)
{
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(negatives); i++) {
		char *got = redact(negatives[i].mode, negatives[i].in);

		cr_expect_str_eq(got, negatives[i].in, "input changed: %s",
				 negatives[i].in);
		free(got);
	}
}

Test(pii_patterns, every_pattern_has_a_positive_case)
{
	unsigned n;
	const struct pii_name *names = pii_names(&n);

	for (unsigned i = 0; i < n; i++) {
		char label[64];
		bool seen = false;

		snprintf(label, sizeof(label), "[%s]", names[i].name);
		for (size_t k = 0; label[k]; k++)
			label[k] = (char)toupper((unsigned char)label[k]);
		for (size_t k = 0; k < AKIOS_ARRAY_SIZE(positives); k++)
			seen |= strstr(positives[k].out, label) != NULL;
		cr_expect(seen, "no positive test for %s", names[i].name);
	}
}

Test(pii_patterns, private_key_block)
{
	char in[512];
	char *got;

	snprintf(in, sizeof(in), "key:\n%s\nafter", pem);
	got = redact(STRICT, in);
	cr_assert_str_eq(got, "key:\n[PRIVATE_KEY]\nafter");
	free(got);
}

Test(pii_patterns, phone_matched_whole)
{
	static const char *const phones[] = {
	    "+1 (415) 555-2671", "+1-415-555-2671", "415.555.2671",
	    "+44 7911 123456",	 "07911 123456",    "+49 30 12345678",
	    "0049 30 12345678"};

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(phones); i++) {
		char in[128];
		char *got;

		snprintf(in, sizeof(in), "tel: %s.", phones[i]);
		got = redact(BALANCED, in);
		cr_expect_str_eq(got, "tel: [PHONE].", "for %s", phones[i]);
		free(got);
	}
}

Test(pii_patterns, keep_private_ips)
{
	struct pii_config cfg = {.mode = BALANCED,
				 .flags = PII_KEEP_PRIVATE_IPS};
	struct pii_engine *eng = NULL;
	struct akios_buf out;
	const char *in = "a 10.0.0.1 b 127.0.0.1 c ::1 d 8.8.8.8 e fe80::1";

	akios_buf_init(&out, 4096);
	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	cr_assert_eq(pii_redact_buffer(eng, in, strlen(in), &out, NULL, NULL),
		     0);
	cr_assert_str_eq(
	    out.ptr, "a 10.0.0.1 b 127.0.0.1 c ::1 d [IP_ADDRESS] e fe80::1");
	akios_buf_free(&out);
	pii_engine_free(eng);
	{
		char *got = redact(BALANCED, "a 10.0.0.1");

		cr_assert_str_eq(got, "a [IP_ADDRESS]");
		free(got);
	}
}

Test(pii_patterns, checksums)
{
	cr_assert(pii_luhn("79927398713", 11));
	cr_assert_not(pii_luhn("79927398710", 11));
	cr_assert(pii_iban_valid("FR1420041010050500013M02606", 27));
	cr_assert_not(pii_iban_valid("FR1420041010050500013M02607", 27));
	cr_assert_not(pii_iban_valid("FR14200410100505000", 19));
	cr_assert(pii_aba_valid("011000015"));
	cr_assert_not(pii_aba_valid("011000016"));
	cr_assert_eq(pii_crc32("123456789", 9), 0xcbf43926u);
}
