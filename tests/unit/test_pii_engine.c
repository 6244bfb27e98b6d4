/* The engine around the patterns: names and categories, each mode's
 * exact pattern set, configuration errors, the keyed hash style,
 * findings, JSON-aware redaction and the audit hook. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_int.h"
#include "shared/pii/pii_names.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>

static const char *const strict_set =
    "aba_routing anthropic_key aws_access_key azure_storage_key "
    "bitcoin_address br_cpf credit_card email github_token gitlab_token "
    "google_api_key huggingface_token iban it_fiscal_code itin jwt npm_token "
    "openai_key private_key pypi_token sendgrid_key shopify_token "
    "slack_token slack_webhook ssn stripe_key telegram_bot_token uk_nino "
    "url_credentials";
static const char *const balanced_adds =
    "aws_secret_key bank_account basic_auth bearer_token ca_sin "
    "date_of_birth dea_number ein es_dni fr_nir in_pan ip_address "
    "mac_address medical_record medicare_mbi passport password phone "
    "sg_nric swift_bic uk_nhs_number us_npi";
static const char *const aggressive_adds = "cvv in_aadhaar";

static int lowest_mode(const char *name)
{
	unsigned n;
	const struct pii_pattern *t = pii_patterns(&n);
	int best = 99;

	for (unsigned i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) == 0 && (int)t[i].mode < best)
			best = (int)t[i].mode;
	}
	return best;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(list, name); p; p = strstr(p + 1, name)) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	}
	return false;
}

Test(pii_engine, names_table_matches_patterns)
{
	unsigned n;
	unsigned np;
	const struct pii_name *names = pii_names(&n);
	const struct pii_pattern *t = pii_patterns(&np);

	cr_assert_geq(n, 44);
	for (unsigned i = 0; i + 1 < n; i++)
		cr_assert_lt(strcmp(names[i].name, names[i + 1].name), 0);
	for (unsigned i = 0; i < np; i++)
		cr_assert(pii_name_category(t[i].name) != NULL, "%s",
			  t[i].name);
	for (unsigned i = 0; i < n; i++) {
		cr_assert_lt(lowest_mode(names[i].name), 3, "%s unused",
			     names[i].name);
		cr_assert(strstr("financial government contact api_key health",
				 names[i].category));
	}
	cr_assert(pii_name_known("api_key"));
	cr_assert(pii_name_known("health"));
	cr_assert_not(pii_name_known("credit_cards_x"));
	cr_assert_str_eq(pii_name_suggest("credit_crad"), "credit_card");
}

Test(pii_engine, each_mode_exact_set)
{
	unsigned n;
	const struct pii_name *names = pii_names(&n);

	for (unsigned i = 0; i < n; i++) {
		const char *nm = names[i].name;
		int m = lowest_mode(nm);

		cr_expect_eq(listed(strict_set, nm), m == 0, "%s", nm);
		cr_expect_eq(listed(balanced_adds, nm), m == 1, "%s", nm);
		cr_expect_eq(listed(aggressive_adds, nm), m == 2, "%s", nm);
	}
}

Test(pii_engine, config_errors)
{
	const char *unknown[] = {"emial"};
	const char *narrow[] = {"phone"};
	struct pii_config cfg = {
	    .mode = PII_MODE_STRICT, .names = unknown, .n_names = 1};
	struct pii_engine *eng = NULL;
	struct akios_err err = {0};

	cr_assert_eq(pii_engine_new(&cfg, &eng, &err), -EINVAL);
	cr_assert(strstr(err.msg, "did you mean 'email'"), "%s", err.msg);
	cfg.names = narrow;
	cr_assert_eq(pii_engine_new(&cfg, &eng, &err), -EINVAL);
	cr_assert(strstr(err.msg, "not part of mode strict"), "%s", err.msg);
	cr_assert_null(eng);
	cfg.mode = (enum pii_mode)7;
	cr_assert_eq(pii_engine_new(&cfg, &eng, &err), -EINVAL);
}

static char *run(struct pii_engine *eng, const char *in)
{
	struct akios_buf out;

	akios_buf_init(&out, 1 << 20);
	cr_assert_eq(pii_redact_buffer(eng, in, strlen(in), &out, NULL, NULL),
		     0);
	return akios_buf_take(&out, NULL);
}

Test(pii_engine, pattern_and_category_selection)
{
	const char *names[] = {"email", "api_key"};
	struct pii_config cfg = {
	    .mode = PII_MODE_BALANCED, .names = names, .n_names = 2};
	struct pii_engine *eng = NULL;
	char *got;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	got = run(eng, "a@b.example.org 4111111111111111 "
		       "AKIAIOSFODNN7EXAMPLE password=hunter22");
	cr_assert_str_eq(got, "[EMAIL] 4111111111111111 [AWS_ACCESS_KEY] "
			      "password=[PASSWORD]");
	free(got);
	pii_engine_free(eng);
}

Test(pii_engine, hash_style_is_keyed_and_stable)
{
	uint8_t k1[PII_HASH_KEY_LEN] = {1};
	uint8_t k2[PII_HASH_KEY_LEN] = {2};
	struct pii_config cfg = {
	    .mode = PII_MODE_STRICT, .style = PII_STYLE_HASH, .hash_key = k1};
	struct pii_engine *e1 = NULL;
	struct pii_engine *e2 = NULL;
	char *a;
	char *b;
	char *c;
	uint8_t mac[CRYPTO_SHA256_LEN];
	char hex[9];
	char want[64];

	cr_assert_eq(pii_engine_new(&cfg, &e1, NULL), 0);
	cfg.hash_key = k2;
	cr_assert_eq(pii_engine_new(&cfg, &e2, NULL), 0);
	a = run(e1, "4111 1111 1111 1111 / 4111-1111-1111-1111 / Bob@X.io");
	b = run(e2, "4111 1111 1111 1111");
	c = run(e1, "bob@x.io");
	cr_assert_eq(strlen(a), strlen("[CREDIT_CARD:12345678] / "
				       "[CREDIT_CARD:12345678] / "
				       "[EMAIL:12345678]"));
	/* One card, two layouts: one tag; the tag is the keyed HMAC. */
	cr_assert_eq(strncmp(a, a + 25, 22), 0, "%s", a);
	crypto_hmac_sha256(k1, sizeof(k1), "credit_card\0004111111111111111",
			   28, mac);
	crypto_hex_encode(mac, 4, hex);
	snprintf(want, sizeof(want), "[CREDIT_CARD:%s]", hex);
	cr_assert_eq(strncmp(a, want, strlen(want)), 0, "%s vs %s", a, want);
	cr_assert_neq(strncmp(a, b, 22), 0, "another key, another tag");
	cr_assert_str_eq(strstr(a, "[EMAIL"), c);
	cr_assert_null(strstr(a, "4111"));
	free(a);
	free(b);
	free(c);
	pii_engine_free(e1);
	pii_engine_free(e2);
}

static int collect(void *ctx, const struct pii_finding *f)
{
	return akios_buf_appendf(ctx, "%s:%llu:%llu ", f->pattern,
				 (unsigned long long)f->offset,
				 (unsigned long long)f->length);
}

static struct pii_engine *balanced(void)
{
	struct pii_config cfg = {.mode = PII_MODE_BALANCED};
	struct pii_engine *eng = NULL;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	return eng;
}

Test(pii_engine, findings_never_carry_the_value)
{
	struct pii_engine *eng = balanced();
	struct akios_buf out;
	struct akios_buf log;
	const char *in = "x a.b@example.com y 123-45-6789";

	akios_buf_init(&out, 4096);
	akios_buf_init(&log, 4096);
	cr_assert_eq(
	    pii_redact_buffer(eng, in, strlen(in), &out, collect, &log), 0);
	cr_assert_str_eq(log.ptr, "email:2:15 ssn:20:11 ");
	akios_buf_free(&out);
	akios_buf_free(&log);
	pii_engine_free(eng);
}

Test(pii_engine, json_aware_keeps_structure)
{
	struct pii_engine *eng = balanced();
	struct akios_buf out;
	struct akios_buf log;
	struct akios_err err = {0};
	const char *in = "{\"user\": \"a.b\\u0040example.com\", \"n\": 1.50,\n"
			 " \"a.b@example.com\": [\"card 4111111111111111\", "
			 "true, \"caf\\u00e9 \\ud83d\\ude00 ok\"]}";
	cJSON *doc;

	akios_buf_init(&out, 1 << 16);
	akios_buf_init(&log, 4096);
	cr_assert_eq(
	    pii_redact_json(eng, in, strlen(in), &out, collect, &log, &err), 0);
	cr_assert_str_eq(out.ptr,
			 "{\"user\": \"[EMAIL]\", \"n\": 1.50,\n"
			 " \"a.b@example.com\": [\"card [CREDIT_CARD]\", "
			 "true, \"caf\\u00e9 \\ud83d\\ude00 ok\"]}");
	cr_assert_str_eq(log.ptr, "email:10:20 credit_card:71:16 ");
	doc = cJSON_Parse(out.ptr);
	cr_assert_not_null(doc);
	cJSON_Delete(doc);
	akios_buf_free(&out);
	akios_buf_free(&log);
	pii_engine_free(eng);
}

Test(pii_engine, json_escapes_in_replacement_context)
{
	struct pii_engine *eng = balanced();
	struct akios_buf out;
	const char *in = "[\"q\\\"a.b@example.com\\\"\\n\\t\"]";
	cJSON *doc;

	akios_buf_init(&out, 4096);
	cr_assert_eq(
	    pii_redact_json(eng, in, strlen(in), &out, NULL, NULL, NULL), 0);
	cr_assert_str_eq(out.ptr, "[\"q\\\"[EMAIL]\\\"\\n\\u0009\"]");
	doc = cJSON_Parse(out.ptr);
	cr_assert_not_null(doc);
	cr_assert_str_eq(cJSON_GetArrayItem(doc, 0)->valuestring,
			 "q\"[EMAIL]\"\n\t");
	cJSON_Delete(doc);
	akios_buf_free(&out);
	pii_engine_free(eng);
}

Test(pii_engine, json_errors_have_a_location)
{
	struct pii_engine *eng = balanced();
	struct akios_buf out;
	struct akios_err err = {0};
	const char *in = "{\"a\": 1,\n \"b\": tru}";

	akios_buf_init(&out, 4096);
	cr_assert_eq(
	    pii_redact_json(eng, in, strlen(in), &out, NULL, NULL, &err),
	    -EINVAL);
	cr_assert_eq(err.line, 2);
	cr_assert_eq(err.col, 10); /* the byte that ends the literal */
	cr_assert_str_eq(err.msg, "not valid JSON: invalid literal");
	cr_assert_null(out.ptr);
	cr_assert_eq(pii_redact_json(eng, "{} x", 4, &out, NULL, NULL, &err),
		     -EINVAL);
	cr_assert_eq(err.col, 4);
	cr_assert_str_eq(err.msg, "not valid JSON: trailing characters");
	/* a lone surrogate is not valid JSON */
	cr_assert_eq(
	    pii_redact_json(eng, "[\"\\udc00\"]", 10, &out, NULL, NULL, &err),
	    -EINVAL);
	cr_assert_eq(err.col, 3);
	pii_engine_free(eng);
}

Test(pii_engine, audit_hook_signature)
{
	struct pii_engine *eng = balanced();
	int (*hook)(void *, const char *, size_t, struct akios_buf *) =
	    pii_audit_redact;
	struct akios_buf out;

	akios_buf_init(&out, 4096);
	cr_assert_eq(hook(eng, "mail a.b@example.com", 20, &out), 0);
	cr_assert_str_eq(out.ptr, "mail [EMAIL]");
	akios_buf_free(&out);
	cr_assert_eq(hook(eng, "", 0, &out), 0);
	cr_assert_str_eq(out.ptr, "");
	akios_buf_free(&out);
	cr_assert_eq(hook(NULL, "x", 1, &out), -EINVAL);
	pii_engine_free(eng);
}

Test(pii_engine, output_limit_fails_closed)
{
	struct pii_engine *eng = balanced();
	struct akios_buf out;
	const char *in = "mail a.b@example.com and more text";

	akios_buf_init(&out, 8);
	cr_assert_eq(pii_redact_buffer(eng, in, strlen(in), &out, NULL, NULL),
		     -E2BIG);
	cr_assert_null(out.ptr);
	pii_engine_free(eng);
}

/* The digit finder behind the digit-row pieces: every byte value, at
 * every position of a buffer longer than one SIMD step, and from every
 * start offset. */
Test(pii_engine, next_digit_finds_the_first_digit)
{
	char buf[40];

	for (int c = 0; c < 256; c++) {
		bool digit = c >= '0' && c <= '9';

		for (size_t at = 0; at < sizeof(buf); at++) {
			memset(buf, 'a', sizeof(buf));
			buf[at] = (char)c;
			for (size_t from = 0; from <= at; from += 7) {
				size_t got =
				    pii_next_digit(buf, from, sizeof(buf));

				cr_assert_eq(got, digit ? at : sizeof(buf),
					     "byte %d at %zu from %zu", c, at,
					     from);
			}
		}
	}
	cr_assert_eq(pii_next_digit("12", 2, 2), 2);
}

/* Digit rows run only around digits: a match whose first digit is far
 * from its start (a context word, then a spelled-out month) is found in
 * long digit-free prose, at the very start and the very end of the
 * input, and next to other digits. */
Test(pii_engine, digit_rows_found_far_from_other_digits)
{
	static const char dob[] = "date of birth:  September 15, 1990";
	struct pii_config cfg = {.mode = PII_MODE_AGGRESSIVE};
	struct pii_engine *eng = NULL;
	struct akios_buf in;
	struct akios_buf out;

	cr_assert_eq(pii_engine_new(&cfg, &eng, NULL), 0);
	akios_buf_init(&in, 1 << 20);
	akios_buf_init(&out, 1 << 20);
	cr_assert_eq(akios_buf_appendf(&in, "%s ", dob), 0);
	for (int i = 0; i < 700; i++)
		cr_assert_eq(akios_buf_appendf(&in, "quiet words here "), 0);
	cr_assert_eq(
	    akios_buf_appendf(&in, "%s and ssn 123-45-6789 %s", dob, dob), 0);
	cr_assert_eq(pii_redact_buffer(eng, in.ptr, in.len, &out, NULL, NULL),
		     0);
	cr_assert(strstr(out.ptr, "1990") == NULL, "%s", out.ptr);
	cr_assert(strstr(out.ptr, "6789") == NULL);
	cr_assert(
	    strncmp(out.ptr, "date of birth:  [DATE_OF_BIRTH] quiet", 37) == 0,
	    "%.60s", out.ptr);
	cr_assert(
	    strstr(out.ptr, "and ssn [SSN] date of birth:  [DATE_OF_BIRTH]") !=
	    NULL);
	akios_buf_free(&in);
	akios_buf_free(&out);
	pii_engine_free(eng);
}
