/* pii_names: the table of pattern and category names.
 * Invariant: the table is sorted by name (bsearch) and the names never
 * change once released: policies in the field refer to them. */
#include "shared/common.h"
#include "shared/pii/pii_names.h"
#include "shared/strdist.h"

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

const char *pii_name_suggest(const char *name)
{
	const char *best = NULL;
	unsigned best_d = 3; /* suggest only within distance 2 */

	for (size_t i = 0; i < AKIOS_ARRAY_SIZE(names); i++) {
		unsigned dn = akios_edit_distance(name, names[i].name);
		unsigned dc = akios_edit_distance(name, names[i].category);

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
