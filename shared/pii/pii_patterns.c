/* pii_patterns: the regex table. Each entry is one Vectorscan expression
 * plus the C validator that confirms it and picks the value span.
 * Invariants: every regex has a finite width <= PII_MAX_MATCH (the engine
 * refuses to build otherwise); names are the stable ones of pii_names.c;
 * order is priority (a more specific pattern before a generic one). */
#include "shared/common.h"
#include "shared/pii/pii_int.h"

#include <hs/hs.h>

#define S PII_MODE_STRICT
#define B PII_MODE_BALANCED
#define A PII_MODE_AGGRESSIVE
/* Every match holds a digit (pii_int.h): check each row so marked. */
#define DIGIT PII_SCAN_DIGITS
/* "keyword [number|no|#] [:#=] value" context prefix, caseless part. */
#define NUM "(?:[ _-]?(?:number|num|no\\.?|#|id))?\\s{0,2}[:#=]?\\s{0,3}"

/* .lit anchors (pii_lit.c): \s and a hex digit */
#define WS  "[ \t\n\v\f\r]"
#define HEX "[0-9A-Fa-f]"

/* Rows leave max_len out unless the validator extends the value. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct pii_pattern table[] = {
    /* secrets with an unmistakable prefix first */
    {"private_key", "PRIVATE_KEY",
     "-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----", 0, S,
     pii_chk_pem, .lit = "-----BEGIN "},
    {"anthropic_key", "ANTHROPIC_KEY",
     "\\bsk-ant-(?:api|admin|sid)\\d{2}-[A-Za-z0-9_-]{20}", 0, S, pii_chk_token,
     200, .lit = "^sk-"},
    {"openai_key", "OPENAI_KEY",
     "\\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20}", 0, S, pii_chk_token, 300,
     .lit = "^sk-"},
    {"openai_key", "OPENAI_KEY", "\\bsk-[A-Za-z0-9]{32,64}\\b", 0, S,
     pii_chk_token, .lit = "^sk-"},
    {"github_token", "GITHUB_TOKEN", "\\bgh[pousr]_[A-Za-z0-9]{36}\\b", 0, S,
     pii_chk_ghtoken, .lit = "^gh[pousr]_"},
    {"github_token", "GITHUB_TOKEN",
     "\\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\\b", 0, S, pii_chk_any,
     .lit = "^github_pat_"},
    {"npm_token", "NPM_TOKEN", "\\bnpm_[A-Za-z0-9]{36}\\b", 0, S,
     pii_chk_ghtoken, .lit = "^npm_"},
    {"gitlab_token", "GITLAB_TOKEN", "\\bglpat-[A-Za-z0-9_-]{20}", 0, S,
     pii_chk_token, .lit = "^glpat-"},
    {"aws_access_key", "AWS_ACCESS_KEY",
     "\\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}\\b",
     0, S, pii_chk_any, .lit = "^A[KSBCGIRN][ICPDOV]A[A-Z2-7]"},
    {"google_api_key", "GOOGLE_API_KEY", "\\bAIza[0-9A-Za-z_-]{35}", 0, S,
     pii_chk_token, .lit = "^AIza"},
    {"slack_webhook", "SLACK_WEBHOOK",
     "https://hooks\\.slack\\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/"
     "[A-Za-z0-9]{20,32}",
     0, S, pii_chk_any, .lit = "https://hooks.slack.com/services/T"},
    {"slack_token", "SLACK_TOKEN", "\\bxox[abeoprs]-[A-Za-z0-9-]{10}", 0, S,
     pii_chk_token, 250, .lit = "^xox[abeoprs]-"},
    {"stripe_key", "STRIPE_KEY",
     "\\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,250}\\b", 0, S, pii_chk_any,
     .lit = "^[sr]k_[lt][ie][vs][et]_"},
    {"sendgrid_key", "SENDGRID_KEY",
     "\\bSG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}", 0, S, pii_chk_token,
     .lit = "^SG."},
    {"huggingface_token", "HUGGINGFACE_TOKEN", "\\bhf_[A-Za-z]{34}\\b", 0, S,
     pii_chk_any, .lit = "^hf_"},
    {"pypi_token", "PYPI_TOKEN", "\\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50}", 0,
     S, pii_chk_token, 300, .lit = "^pypi-AgEIcHlwaS5vcmc"},
    {"shopify_token", "SHOPIFY_TOKEN",
     "\\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\\b", 0, S, pii_chk_any,
     .lit = "^shp[acps][tas]_"},
    {"telegram_bot_token", "TELEGRAM_BOT_TOKEN",
     "\\b\\d{8,10}:AA[A-Za-z0-9_-]{33}", 0, S, pii_chk_token, 0, DIGIT},
    {"azure_storage_key", "AZURE_STORAGE_KEY", "AccountKey=[A-Za-z0-9+/]{86}==",
     0, S, pii_chk_azure, .lit = "AccountKey="},
    {"jwt", "JWT", "\\beyJ[A-Za-z0-9_-]{10}", 0, S, pii_chk_jwt, .lit = "^eyJ"},
    {"url_credentials", "URL_CREDENTIALS",
     /* anchored on "://": a scheme-first regex wakes on every word */
     "[A-Za-z0-9]://[^\\s:/@\"'<>]{1,64}:[^\\s/@\"'<>]{1,128}@", 0, S,
     pii_chk_urlcred, .lit = "[A-Za-z0-9]://"},
    {"aws_secret_key", "AWS_SECRET_KEY",
     "(?i:aws).{0,24}(?i:secret|sk).{0,24}[:=]\\s{0,3}[\"']?"
     "[A-Za-z0-9/+]{40}\\b",
     0, B, pii_chk_secret_ctx, .lit = "~aws"},
    {"bearer_token", "BEARER_TOKEN",
     "(?i:\\bbearer)\\s{1,3}[A-Za-z0-9._~+/-]{20,600}={0,2}", 0, B,
     pii_chk_bearer, .lit = "^~bearer" WS},
    {"basic_auth", "BASIC_AUTH",
     "(?i:\\bbasic)\\s{1,3}[A-Za-z0-9+/]{8,300}={0,2}", 0, B, pii_chk_basic,
     .lit = "^~basic" WS},
    {"password", "PASSWORD",
     "(?i:\\b(?:password|passwd|pwd|passphrase|secret|client_secret|"
     "api[_-]?key|access[_-]?token|auth[_-]?token|secret[_-]?key))[\"']?"
     "\\s{0,3}[:=]\\s{0,3}[\"']?[^\\s\"',;]{4}",
     0, B, pii_chk_assign, 128,
     .lit = "^~passw|^~pwd|^~passphrase|^~secret|^~client_secret|"
	    "^~api[_\\-k]|^~access[_\\-t]|^~auth[_\\-t]"},
    /* financial */
    {"credit_card", "CREDIT_CARD", "\\b(?:\\d[ -]?){12,18}\\d\\b", 0, S,
     pii_chk_card, 0, DIGIT},
    {"iban", "IBAN", "\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11,30}\\b", 0, S,
     pii_chk_iban, 0, DIGIT},
    {"bank_account", "BANK_ACCOUNT", "\\b\\d{9}[ /-]\\d{4,17}\\b", 0, B,
     pii_chk_bank, 0, DIGIT},
    {"aba_routing", "ABA_ROUTING",
     "(?i:\\b(?:routing|aba|rtn|transit)" NUM ")\\d{9}\\b", 0, S,
     pii_chk_aba_ctx, 0, DIGIT},
    {"bank_account", "BANK_ACCOUNT",
     "(?i:\\b(?:account|acct|a/c)" NUM ")\\d{6,17}\\b", 0, B, pii_chk_acct_ctx,
     0, DIGIT},
    {"swift_bic", "SWIFT_BIC",
     "(?i:\\b(?:swift|bic)(?: code)?\\s{0,2}[:#=]?\\s{0,3})[A-Z]{6}[A-Z0-9]{2}"
     "(?:[A-Z0-9]{3})?\\b",
     0, B, pii_chk_bic, .lit = "^~swift|^~bic"},
    {"cvv", "CVV",
     "(?i:\\b(?:cvv2?|cvc2?|csc|security code)" NUM ")\\d{3,4}\\b", 0, A,
     pii_chk_cvv, 0, DIGIT},
    {"bitcoin_address", "BITCOIN_ADDRESS",
     "\\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\\b", 0, S, pii_chk_btc, 0, DIGIT},
    /* government ids */
    {"ssn", "SSN", "\\b\\d{3}-\\d{2}-\\d{4}\\b", 0, S, pii_chk_ssn, 0, DIGIT},
    {"ssn", "SSN", "\\b\\d{3} \\d{2} \\d{4}\\b", 0, B, pii_chk_ssn, 0, DIGIT},
    {"ssn", "SSN", "(?i:\\b(?:ssn|social security)" NUM ")\\d{9}\\b", 0, B,
     pii_chk_ssn, 0, DIGIT},
    {"itin", "ITIN",
     "\\b9\\d{2}[- ](?:5\\d|6[0-5]|7\\d|8[0-8]|9[0-2]|9[4-9])[- ]\\d{4}\\b", 0,
     S, pii_chk_any, 0, DIGIT},
    {"ein", "EIN", "\\b\\d{2}-\\d{7}\\b", 0, B, pii_chk_ein, 0, DIGIT},
    {"passport", "PASSPORT", "(?i:\\bpassport" NUM ")[A-Z0-9]{6,9}\\b", 0, B,
     pii_chk_tail_id, .lit = "^~passport"},
    {"uk_nino", "UK_NINO",
     "\\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b",
     0, S, pii_chk_nino, 0, DIGIT},
    {"ca_sin", "CA_SIN",
     "(?i:\\b(?:sin|social insurance)" NUM ")\\d{3}[ -]?\\d{3}[ -]?\\d{3}\\b",
     0, B, pii_chk_sin, 0, DIGIT},
    {"fr_nir", "FR_NIR",
     "\\b[12] ?\\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\\d) ?(?:\\d{2}|2[AB]) ?\\d{3} "
     "?\\d{3} ?\\d{2}\\b",
     0, B, pii_chk_nir, 0, DIGIT},
    {"es_dni", "ES_DNI", "\\b[XYZ0-9]\\d{7}-?[A-HJ-NP-TV-Z]\\b", 0, B,
     pii_chk_dni, 0, DIGIT},
    {"it_fiscal_code", "IT_FISCAL_CODE",
     "\\b[A-Z]{6}\\d{2}[A-EHLMPR-T]\\d{2}[A-Z]\\d{3}[A-Z]\\b", 0, S, pii_chk_cf,
     0, DIGIT},
    {"in_aadhaar", "IN_AADHAAR", "\\b[2-9]\\d{3}[ -]?\\d{4}[ -]?\\d{4}\\b", 0,
     A, pii_chk_aadhaar, 0, DIGIT},
    {"in_pan", "IN_PAN", "\\b[A-Z]{3}[ABCFGHLJPT][A-Z]\\d{4}[A-Z]\\b", 0, B,
     pii_chk_any, 0, DIGIT},
    {"br_cpf", "BR_CPF", "\\b\\d{3}\\.\\d{3}\\.\\d{3}-\\d{2}\\b", 0, S,
     pii_chk_cpf, 0, DIGIT},
    {"sg_nric", "SG_NRIC", "\\b[STFG]\\d{7}[A-Z]\\b", 0, B, pii_chk_nric, 0,
     DIGIT},
    /* contact */
    {"email", "EMAIL", "[A-Za-z0-9._%+-]@[A-Za-z0-9-]", 0, S, pii_chk_email,
     .lit = "[A-Za-z0-9._%+\\-]@[A-Za-z0-9\\-]"},
    /* dates and health */
    {"date_of_birth", "DATE_OF_BIRTH",
     "(?i:\\b(?:dob|d\\.o\\.b\\.?|date of birth|birth ?date|born(?: on)?)"
     "\\s{0,2}[:#=-]?\\s{0,3})(?:\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2,4}|"
     "\\d{4}-\\d{2}-\\d{2}|\\d{1,2} [A-Za-z]{3,9},? \\d{4}|"
     "[A-Za-z]{3,9} \\d{1,2},? \\d{4})\\b",
     0, B, pii_chk_dob, 0, DIGIT},
    {"medical_record", "MEDICAL_RECORD",
     "(?i:\\b(?:mrn|medical record|patient)" NUM ")[A-Z0-9-]{5,15}\\b", 0, B,
     pii_chk_mrn, .lit = "^~mrn|^~medical record|^~patient"},
    {"uk_nhs_number", "UK_NHS_NUMBER",
     "(?i:\\bnhs" NUM ")\\d{3}[ -]?\\d{3}[ -]?\\d{4}\\b", 0, B, pii_chk_nhs, 0,
     DIGIT},
    {"medicare_mbi", "MEDICARE_MBI",
     "\\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\\d-?[AC-HJKMNP-RT-Y]"
     "[AC-HJKMNP-RT-Y0-9]\\d-?[AC-HJKMNP-RT-Y]{2}\\d{2}\\b",
     0, B, pii_chk_any, 0, DIGIT},
    {"dea_number", "DEA_NUMBER", "\\b[ABCDEFGHJKLMPRSTUX][A-Z9]\\d{7}\\b", 0, B,
     pii_chk_dea, 0, DIGIT},
    {"us_npi", "US_NPI", "(?i:\\bnpi" NUM ")\\d{10}\\b", 0, B, pii_chk_npi, 0,
     DIGIT},
    /* generic contact data last: a context id wins a tie */
    {"phone", "PHONE",
     "(?:\\+1[ .-]?)?(?:\\(\\d{3}\\)|\\b\\d{3})[ .-]?\\d{3}[ .-]?\\d{4}\\b", 0,
     B, pii_chk_phone, 0, DIGIT},
    {"phone", "PHONE", "(?:\\+|\\b00)[1-9](?:[ .-]?\\(?\\d\\)?){7,14}\\b", 0, B,
     pii_chk_phone, 0, DIGIT},
    {"phone", "PHONE", "\\b0[1-9]\\d{1,4}(?:[ /-]?\\d{2,5}){1,3}\\b", 0, B,
     pii_chk_phone, 0, DIGIT},
    {"ip_address", "IP_ADDRESS", "\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b", 0, B,
     pii_chk_ipv4, 0, DIGIT},
    {"ip_address", "IP_ADDRESS",
     "(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\\d{1,3}(?:\\.\\d{1,3}){3}|"
     "[0-9A-Fa-f]{0,4})",
     0, B, pii_chk_ipv6, .lit = "4<:[0-9A-Fa-f:]"},
    {"mac_address", "MAC_ADDRESS",
     "\\b[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}\\b", 0, B, pii_chk_mac,
     .lit = "^" HEX HEX "[:\\-]" HEX HEX "[:\\-]"},
    /* aggressive, context-free variants */
    {"ssn", "SSN", "\\b\\d{9}\\b", 0, A, pii_chk_ssn, 0, DIGIT},
    {"phone", "PHONE", "\\b[2-9]\\d{2}[2-9]\\d{6}\\b", 0, A, pii_chk_phone_bare,
     0, DIGIT},
};
#pragma GCC diagnostic pop

const struct pii_pattern *pii_patterns(unsigned *n)
{
	*n = AKIOS_ARRAY_SIZE(table);
	return table;
}
