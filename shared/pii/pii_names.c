/* pii_names: the table of pattern and category names.
 * Invariant: the table is sorted by name (bsearch) and the names never
 * change once released: policies in the field refer to them. */
#include "shared/common.h"
#include "shared/pii/pii_names.h"

static const struct pii_name names[] = {
    {"aba_routing", "financial"},
    {"anthropic_key", "api_key"},
    {"aws_access_key", "api_key"},
    {"aws_secret_key", "api_key"},
    {"azure_storage_key", "api_key"},
    {"bank_account", "financial"},
    {"basic_auth", "api_key"},
    {"bearer_token", "api_key"},
    {"bitcoin_address", "financial"},
    {"br_cpf", "government"},
    {"ca_sin", "government"},
    {"credit_card", "financial"},
    {"cvv", "financial"},
    {"date_of_birth", "health"},
    {"dea_number", "health"},
    {"ein", "government"},
    {"email", "contact"},
    {"es_dni", "government"},
    {"fr_nir", "government"},
    {"github_token", "api_key"},
    {"gitlab_token", "api_key"},
    {"google_api_key", "api_key"},
    {"huggingface_token", "api_key"},
    {"iban", "financial"},
    {"in_aadhaar", "government"},
    {"in_pan", "government"},
    {"ip_address", "contact"},
    {"it_fiscal_code", "government"},
    {"itin", "government"},
    {"jwt", "api_key"},
    {"mac_address", "contact"},
    {"medical_record", "health"},
    {"medicare_mbi", "health"},
    {"npm_token", "api_key"},
    {"openai_key", "api_key"},
    {"passport", "government"},
    {"password", "api_key"},
    {"phone", "contact"},
    {"private_key", "api_key"},
    {"pypi_token", "api_key"},
    {"sendgrid_key", "api_key"},
    {"sg_nric", "government"},
    {"shopify_token", "api_key"},
    {"slack_token", "api_key"},
    {"slack_webhook", "api_key"},
    {"ssn", "government"},
    {"stripe_key", "api_key"},
    {"swift_bic", "financial"},
    {"telegram_bot_token", "api_key"},
    {"uk_nhs_number", "health"},
    {"uk_nino", "government"},
    {"url_credentials", "contact"},
    {"us_npi", "health"},
};

const struct pii_name *pii_names(unsigned *n)
{
	*n = AKIOS_ARRAY_SIZE(names);
	return names;
}

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pii_name *)elem)->name);
}

const char *pii_name_category(const char *name)
{
	const struct pii_name *p = bsearch(name, names, AKIOS_ARRAY_SIZE(names),
					   sizeof(names[0]), cmp);

	return p ? p->category : NULL;
}

bool pii_name_known(const char *name)
{
	if (bsearch(name, names, AKIOS_ARRAY_SIZE(names), sizeof(names[0]),
		    cmp))
		return true;
	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(names); i++) {
		if (strcmp(names[i].category, name) == 0)
			return true;
	}
	return false;
}

/* Optimal string alignment distance, capped: names are short. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	unsigned d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *pii_name_suggest(const char *name)
{
	const char *best = NULL;
	unsigned best_d = 3; /* suggest only within distance 2 */

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(names); i++) {
		unsigned dn = distance(name, names[i].name);
		unsigned dc = distance(name, names[i].category);

		if (dn < best_d) {
			best_d = dn;
			best = names[i].name;
		}
		if (dc < best_d) {
			best_d = dc;
			best = names[i].category;
		}
	}
	return best;
}
