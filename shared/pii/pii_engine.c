/* pii_engine: builds an engine from a config (which patterns, which
 * replacement style) and compiles them into Vectorscan block-mode
 * databases with leftmost start-of-match, once per engine. Also makes the
 * replacement text. Invariant: a replacement never contains the value;
 * the hash style is an HMAC under the engine's key, never a bare hash. */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/limits.h"
#include "shared/pii/pii_int.h"
#include "shared/pii/pii_names.h"

#include <ctype.h>
#include <errno.h>
#include <hs/hs.h>
#include <stdio.h>

#define PII_TAG_MAX 40u /* "[LABEL]" and its NUL */

struct pii_engine {
	struct pii_engine_view v;
	unsigned n_ids;
	unsigned n_all;	      /* PII_SCAN_ALL rows: Vectorscan ids [0, n_all) */
	unsigned digit_first; /* first Vectorscan id of a digit row */
	enum pii_style style;
	uint8_t key[PII_HASH_KEY_LEN];
	char *win; /* stream window scratch */
	size_t win_cap;
	/* "[LABEL]" of each table row, made once (PII_STYLE_LABEL) */
	char (*tag)[PII_TAG_MAX];
	uint8_t *tag_len;
};

static bool named(const struct pii_config *cfg, const char *name)
{
	const char *cat = pii_name_category(name);

	for (unsigned i = 0; i < cfg->n_names; i++) {
		if (strcmp(cfg->names[i], name) == 0 ||
		    (cat && strcmp(cfg->names[i], cat) == 0))
			return true;
	}
	return false;
}

static const char *mode_name(enum pii_mode m)
{
	static const char *const names[] = {"strict", "balanced", "aggressive"};

	return (unsigned)m < 3 ? names[m] : "?";
}

/* Every configured name must be known, and a pattern named explicitly
 * must have at least one expression in the mode. */
static int check_names(const struct pii_config *cfg, struct akios_err *err)
{
	unsigned n;
	const struct pii_pattern *t = pii_patterns(&n);

	for (unsigned i = 0; i < cfg->n_names; i++) {
		const char *nm = cfg->names[i];
		const char *sug;
		bool pattern = false;
		bool in_mode = false;

		if (!pii_name_known(nm)) {
			sug = pii_name_suggest(nm);
			return akios_err_set(err, NULL, 0, 0,
					     "unknown PII pattern '%s'%s%s%s",
					     nm, sug ? " (did you mean '" : "",
					     sug ? sug : "", sug ? "'?)" : "");
		}
		for (unsigned k = 0; k < n; k++) {
			if (strcmp(t[k].name, nm) != 0)
				continue;
			pattern = true;
			in_mode |= t[k].mode <= cfg->mode;
		}
		if (pattern && !in_mode)
			return akios_err_set(err, NULL, 0, 0,
					     "PII pattern '%s' is not part of "
					     "mode %s; use a broader mode",
					     nm, mode_name(cfg->mode));
	}
	return 0;
}

static int width_ok(const struct pii_hs *hs, const char *re, size_t *width,
		    struct akios_err *err)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *ce = NULL;
	int rc = 0;

	if (hs->expression_info(re, HS_FLAG_SOM_LEFTMOST, &info, &ce) !=
	    HS_SUCCESS) {
		rc = akios_err_set(err, NULL, 0, 0, "PII regex /%s/: %s", re,
				   ce ? ce->message : "invalid");
		hs->free_compile_error(ce);
		return rc;
	}
	if (info->max_width > PII_MAX_MATCH)
		rc = akios_err_set(err, NULL, 0, 0,
				   "PII regex /%s/ may match more than %u "
				   "bytes",
				   re, PII_MAX_MATCH);
	*width = info->max_width;
	free(info);
	return rc;
}

static int build_db(const struct pii_hs *hs, const char *const *exprs,
		    const unsigned *flags, const unsigned *ids, unsigned n,
		    void **db, struct akios_err *err)
{
	hs_compile_error_t *ce = NULL;
	int rc = 0;

	if (n &&
	    hs->compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, hs->platform,
			      (hs_database_t **)db, &ce) != HS_SUCCESS) {
		akios_err_set(err, NULL, 0, 0,
			      "PII patterns do not compile: %s",
			      ce ? ce->message : "?");
		rc = -EIO;
	}
	hs->free_compile_error(ce);
	return rc;
}

typedef bool row_pick(const struct pii_engine *eng, unsigned id);

static bool every_row(const struct pii_engine *eng, unsigned id)
{
	(void)eng;
	(void)id;
	return true;
}

/* The rows without literal anchors (pii_lit.c finds the others). */
static bool unanchored_row(const struct pii_engine *eng, unsigned id)
{
	return !(eng->v.pats[eng->v.ids[id]].lit && eng->v.lit);
}

/* The rows pii_lit.c does not match in C. */
static bool row_not_in_c(const struct pii_engine *eng, unsigned id)
{
	return !(eng->v.lit && pii_lit_takes(eng->v.lit, id));
}

/* Compiles the PII_SCAN_ALL rows (Vectorscan ids [0, n_all)) that pick
 * admits into *db, unless it is already built, with extra flags on each
 * row's own, and sizes the scratch for it. */
static int rows_db(struct pii_engine *eng, row_pick *pick, unsigned extra,
		   void **db, struct akios_err *err)
{
	unsigned n = eng->n_all;
	const char **exprs = calloc(n + 1, sizeof(*exprs));
	unsigned *flags = calloc(n + 1, sizeof(*flags));
	unsigned *ids = calloc(n + 1, sizeof(*ids));
	unsigned k = 0;
	int rc = exprs && flags && ids ? 0 : -ENOMEM;

	for (unsigned i = 0; !rc && i < n; i++) {
		const struct pii_pattern *p = &eng->v.pats[eng->v.ids[i]];

		if (!pick(eng, i))
			continue;
		exprs[k] = p->regex;
		flags[k] = extra | p->hs_flags;
		ids[k++] = i;
	}
	if (!rc && k && !*db)
		rc = build_db(&eng->v.hs, exprs, flags, ids, k, db, err);
	if (!rc && *db &&
	    eng->v.hs.alloc_scratch(*db, (hs_scratch_t **)&eng->v.scratch))
		rc = -ENOMEM;
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* A trigger database: rows compiled without start-of-match tracking,
 * which costs Vectorscan about half its speed; pii_scan.c only needs
 * their ends to know where to look. all: every row (the tests'
 * reference); else the rows pii_lit.c does not find. */
static int trigger_db(struct pii_engine *eng, bool all, void **db,
		      struct akios_err *err)
{
	return rows_db(eng, all ? every_row : unanchored_row, 0, db, err);
}

/* The start-of-match database for the pieces: rest (the default path's):
 * the rows pii_lit.c does not match in C; else every row (the
 * reference's, or the default's without pii_lit.c's C rows). */
static int som_db(struct pii_engine *eng, bool rest, void **db,
		  struct akios_err *err)
{
	return rows_db(eng, rest ? row_not_in_c : every_row,
		       HS_FLAG_SOM_LEFTMOST, db, err);
}

/* The rows with literal anchors go to pii_lit.c, the rest to the
 * trigger database; pieces are rescanned with the rows pii_lit.c does
 * not run in C. The full databases are compiled only for the
 * reference. */
static int build_trigger(struct pii_engine *eng, struct akios_err *err)
{
	int rc;

	eng->n_all = eng->n_ids;
	eng->v.any_all = eng->n_all > 0;
	rc = pii_lit_new(eng->v.pats, eng->v.ids, eng->v.width, eng->n_all,
			 &eng->v.lit);
	if (rc == -ENOENT || rc == -ENOTSUP) /* no such rows; no AVX2 */
		rc = 0;
	if (rc && rc != -ENOMEM)
		akios_err_set(err, NULL, 0, 0,
			      "PII literal anchors do not parse: %s",
			      strerror(-rc));
	if (!rc)
		rc = trigger_db(eng, false, &eng->v.trigger, err);
	if (!rc && eng->v.lit)
		rc = som_db(eng, true, &eng->v.rest, err);
	else if (!rc)
		rc = som_db(eng, false, &eng->v.db[PII_SCAN_ALL], err);
	eng->v.som = eng->v.lit ? eng->v.rest : eng->v.db[PII_SCAN_ALL];
	return rc;
}

int pii_engine_digit_db(struct pii_engine *eng, struct akios_err *err)
{
	unsigned first = eng->digit_first;
	unsigned n = eng->n_ids - first;
	const char **exprs = calloc(n + 1, sizeof(*exprs));
	unsigned *flags = calloc(n + 1, sizeof(*flags));
	unsigned *ids = calloc(n + 1, sizeof(*ids));
	int rc = exprs && flags && ids ? 0 : -ENOMEM;

	for (unsigned i = 0; !rc && i < n; i++) {
		const struct pii_pattern *p =
		    &eng->v.pats[eng->v.ids[first + i]];

		exprs[i] = p->regex;
		flags[i] = HS_FLAG_SOM_LEFTMOST | p->hs_flags;
		ids[i] = first + i;
	}
	if (!rc && n && !eng->v.db[PII_SCAN_DIGITS])
		rc = build_db(&eng->v.hs, exprs, flags, ids, n,
			      &eng->v.db[PII_SCAN_DIGITS], err);
	if (!rc && eng->v.db[PII_SCAN_DIGITS] &&
	    eng->v.hs.alloc_scratch(eng->v.db[PII_SCAN_DIGITS],
				    (hs_scratch_t **)&eng->v.scratch))
		rc = -ENOMEM;
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* The digit rows (Vectorscan ids [first, n_ids)): the C matcher, and
 * Vectorscan's database only when the matcher cannot take a row (or
 * later, for the tests' reference: compiling it takes more than half
 * of the engine's start-up). */
static int digit_rows(struct pii_engine *eng, unsigned first,
		      struct akios_err *err)
{
	int rc = 0;

	eng->digit_first = first;
	if (eng->n_ids > first)
		rc = pii_digits_new(eng->v.pats, eng->v.ids + first,
				    eng->n_ids - first, &eng->v.digits);
	if (rc == -ENOMEM)
		return rc;
	return rc ? pii_engine_digit_db(eng, err) : 0;
}

/* One database per scan kind (pii_int.h). Vectorscan ids are the
 * positions in kind order; v.ids maps them to table rows. */
static int compile(struct pii_engine *eng, const struct pii_config *cfg,
		   struct akios_err *err)
{
	unsigned n;
	const struct pii_pattern *t = pii_patterns(&n);
	const char **exprs = calloc(n, sizeof(*exprs));
	unsigned *flags = calloc(n, sizeof(*flags));
	unsigned *ids = calloc(n, sizeof(*ids));
	size_t width = 0;
	int rc = exprs && flags && ids ? 0 : -ENOMEM;

	for (unsigned k = 0; !rc && k < PII_SCAN_KINDS; k++) {
		unsigned first = eng->n_ids;

		for (unsigned i = 0; !rc && i < n; i++) {
			if (t[i].scan != k || t[i].mode > cfg->mode ||
			    (cfg->n_names && !named(cfg, t[i].name)))
				continue;
			rc = width_ok(&eng->v.hs, t[i].regex, &width, err);
			if (k != PII_SCAN_ALL && width + 1 > eng->v.reach)
				eng->v.reach = width + 1;
			((unsigned *)eng->v.width)[eng->n_ids] =
			    (unsigned)width;
			exprs[eng->n_ids] = t[i].regex;
			flags[eng->n_ids] =
			    HS_FLAG_SOM_LEFTMOST | t[i].hs_flags;
			ids[eng->n_ids] = eng->n_ids;
			((unsigned *)eng->v.ids)[eng->n_ids++] = i;
		}
		if (!rc && k == PII_SCAN_DIGITS)
			rc = digit_rows(eng, first, err);
		if (!rc && k == PII_SCAN_ALL)
			rc = build_trigger(eng, err);
		/* one scratch, grown to fit every database */
		if (!rc && eng->v.db[k] &&
		    eng->v.hs.alloc_scratch(eng->v.db[k],
					    (hs_scratch_t **)&eng->v.scratch))
			rc = -ENOMEM;
	}
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* The label style's replacement of each table row. */
static int make_tags(struct pii_engine *eng, unsigned n, struct akios_err *err)
{
	eng->tag = calloc(n, sizeof(*eng->tag));
	eng->tag_len = calloc(n, sizeof(*eng->tag_len));
	if (!eng->tag || !eng->tag_len)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(eng->tag[i], sizeof(eng->tag[i]), "[%s]",
				 eng->v.pats[i].label);

		if (k < 0 || (size_t)k >= sizeof(eng->tag[i]))
			return akios_err_set(err, NULL, 0, 0,
					     "PII label %s is too long",
					     eng->v.pats[i].label);
		eng->tag_len[i] = (uint8_t)k;
	}
	return 0;
}

int pii_engine_new(const struct pii_config *cfg, struct pii_engine **out,
		   struct akios_err *err)
{
	struct pii_engine *eng = NULL;
	unsigned n;
	int rc;

	if ((unsigned)cfg->mode > PII_MODE_AGGRESSIVE ||
	    (unsigned)cfg->style > PII_STYLE_HASH)
		return akios_err_set(err, NULL, 0, 0, "bad PII mode or style");
	rc = check_names(cfg, err);
	if (rc)
		return rc;
	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return -ENOMEM;
	eng->v.pats = pii_patterns(&n);
	eng->v.ids = calloc(n, sizeof(unsigned));
	eng->v.width = calloc(n, sizeof(unsigned));
	eng->v.flags = cfg->flags;
	eng->style = cfg->style;
	eng->win_cap = PII_STREAM_MAX_STATE + AKIOS_PII_SLICE;
	eng->win = malloc(eng->win_cap);
	eng->v.scan_cap = eng->win_cap + 128;
	eng->v.scan = aligned_alloc(64, eng->v.scan_cap);
	rc = -ENOMEM;
	if (!eng->v.ids || !eng->v.width || !eng->win || !eng->v.scan)
		goto fail;
	if ((rc = make_tags(eng, n, err)) != 0)
		goto fail;
	if (cfg->hash_key)
		memcpy(eng->key, cfg->hash_key, PII_HASH_KEY_LEN);
	else if ((rc = crypto_random(eng->key, sizeof(eng->key))) != 0)
		goto fail;
	rc = pii_hs_load(&eng->v.hs, err);
	if (rc == 0)
		rc = compile(eng, cfg, err);
	if (rc)
		goto fail;
	*out = eng;
	return 0;
fail:
	pii_engine_free(eng);
	return rc;
}

void pii_engine_free(struct pii_engine *eng)
{
	if (!eng)
		return;
	if (eng->v.hs.lib) {
		eng->v.hs.free_scratch(eng->v.scratch);
		for (unsigned k = 0; k < PII_SCAN_KINDS; k++)
			eng->v.hs.free_database(eng->v.db[k]);
		eng->v.hs.free_database(eng->v.trigger);
		eng->v.hs.free_database(eng->v.trigger_all);
		eng->v.hs.free_database(eng->v.rest);
	}
	pii_hs_unload(&eng->v.hs);
	free((void *)eng->v.ids);
	free((void *)eng->v.width);
	free(eng->v.piece);
	free(eng->v.dpiece);
	free(eng->v.joined);
	pii_digits_free(eng->v.digits);
	pii_lit_free(eng->v.lit);
	free(eng->v.raw);
	free(eng->v.sel);
	free(eng->v.sel_tmp);
	free(eng->v.dbits);
	free(eng->win);
	free(eng->v.scan);
	free(eng->tag);
	free(eng->tag_len);
	explicit_bzero(eng->key, sizeof(eng->key));
	free(eng);
}

size_t pii_engine_max_match(const struct pii_engine *eng)
{
	(void)eng;
	return PII_MAX_MATCH;
}

struct pii_engine_view *pii_engine_view(struct pii_engine *eng)
{
	return &eng->v;
}

int pii_engine_reference(struct pii_engine *eng, bool on)
{
	int rc = on ? pii_engine_digit_db(eng, NULL) : 0;

	if (!rc && on && eng->n_all)
		rc = trigger_db(eng, true, &eng->v.trigger_all, NULL);
	if (!rc && on && eng->n_all)
		rc = som_db(eng, false, &eng->v.db[PII_SCAN_ALL], NULL);

	if (!rc)
		eng->v.reference = on;
	return rc;
}

int pii_raw_matches(struct pii_engine *eng, const char *text, size_t len,
		    bool reference, const struct pii_raw **raw, size_t *n)
{
	struct pii_round r = {.text = text, .len = len};
	bool was = eng->v.reference;
	int rc = pii_engine_reference(eng, reference);

	eng->v.n_raw = 0;
	eng->v.scan_err = 0;
	if (!rc)
		rc = pii_scan_raw(&eng->v, &r);
	eng->v.reference = was;
	if (eng->v.n_raw > 1)
		qsort(eng->v.raw, eng->v.n_raw, sizeof(*eng->v.raw),
		      pii_raw_cmp);
	*raw = eng->v.raw;
	*n = eng->v.n_raw;
	return rc;
}

char *pii_engine_window(struct pii_engine *eng, size_t *cap)
{
	*cap = eng->win_cap;
	return eng->win;
}

/* The hashed form: digits only for numbers written with separators (so
 * one card number formatted two ways gets one tag), lower case otherwise
 * for e-mail and similar case-blind values. */
static size_t normalize(const char *v, size_t n, char *out)
{
	size_t k = 0;
	bool numeric = true;

	for (size_t i = 0; i < n; i++)
		numeric &= isdigit((unsigned char)v[i]) ||
			   strchr(" -.()/+", v[i]) != NULL;
	for (size_t i = 0; i < n; i++) {
		if (numeric && !isdigit((unsigned char)v[i]))
			continue;
		out[k++] = (char)tolower((unsigned char)v[i]);
	}
	return k;
}

int pii_engine_replace(struct pii_engine *eng, unsigned idx, const char *v,
		       size_t n, struct akios_buf *out)
{
	const struct pii_pattern *p = &eng->v.pats[idx];
	char norm[PII_MAX_MATCH + 64];
	uint8_t mac[CRYPTO_SHA256_LEN];
	char hex[9];
	size_t k;
	int rc;

	if (eng->style == PII_STYLE_LABEL) /* no printf per value */
		return akios_buf_append(out, eng->tag[idx], eng->tag_len[idx]);
	k = (size_t)snprintf(norm, sizeof(norm), "%s", p->name) + 1;
	k += normalize(v, n < PII_MAX_MATCH ? n : PII_MAX_MATCH, norm + k);
	crypto_hmac_sha256(eng->key, sizeof(eng->key), norm, k, mac);
	crypto_hex_encode(mac, 4, hex);
	rc = akios_buf_appendf(out, "[%s:%s]", p->label, hex);
	explicit_bzero(norm, sizeof(norm));
	explicit_bzero(mac, sizeof(mac));
	return rc;
}
