/* Inside the pii module only: the pattern table, the validators, and the
 * decision round shared by whole-buffer and streaming redaction. */
#ifndef AKIOS_PII_INT_H
#define AKIOS_PII_INT_H

#include "shared/common.h"
#include "shared/pii/pii.h"
#include "shared/pii/pii_hs.h"

#include <stdbool.h>
#include <stdint.h>

/* W: no candidate span (raw match, or value span after a validator
 * narrowed or extended it) is longer than this. Every regex has a finite
 * width <= W (checked when the engine is built). */
#define PII_MAX_MATCH 1536u
/* Validators may peek this many bytes before and after a raw match
 * (enough for "version " before a dotted quad). */
#define PII_CTX 12u

/* A candidate handed to a validator. text[0..len) is the scanned window;
 * [s, e) the raw match. The validator sets the value span [vs, ve) (it
 * starts as [s, e)). Every byte a validator reads, and the value span,
 * lie in [vs - PII_CTX, vs + W + PII_CTX): the scanner's window proof
 * relies on it. A validator may extend the value left (e-mail local
 * part) or right (tokens) within that rule. */
struct pii_cand {
	const char *text;
	size_t len;
	size_t s, e;
	size_t vs, ve;
	unsigned flags;	  /* enum pii_flags */
	unsigned max_len; /* from the pattern */
	bool open;	  /* private key body continues past ve */
};

typedef bool (*pii_check_fn)(struct pii_cand *c);

/* Between the start-of-match rescan pieces joined in one scan
 * (pii_scan.c). No PII_SCAN_ALL row may match across it: the only
 * classes that take 0xff are '.' and negated ones, which take no '\n'
 * ('.' without HS_FLAG_DOTALL, negated classes that exclude \s), and
 * no row has a '\n'-taking item both right before and right after a
 * 0xff-taking one; no row starts with a class taking '\n' or 0xff.
 * Check a new row against this (tests/fuzz/fuzz_pii_digits.c compares
 * with the pieces scanned apart). */
#define PII_JOIN "\n\xff\n"

/* How pii_scan.c runs a row; one Vectorscan database per kind. */
enum pii_scan_kind {
	/* over every byte of the window */
	PII_SCAN_ALL,
	/* every match holds an ASCII digit: only around the digits of the
	 * window (most prose has few) */
	PII_SCAN_DIGITS,
	PII_SCAN_KINDS
};

struct pii_pattern {
	const char *name;  /* stable name (pii_names.c) */
	const char *label; /* replacement label */
	const char *regex;
	unsigned hs_flags;  /* extra Vectorscan flags (HS_FLAG_CASELESS) */
	enum pii_mode mode; /* lowest mode that includes it */
	pii_check_fn check;
	/* Non-zero: the regex matches a fixed-width head and the validator
	 * extends the value over its characters up to this many bytes from
	 * the start (Vectorscan's leftmost-start tracking cannot afford
	 * long bounded repeats). */
	unsigned max_len;
	enum pii_scan_kind scan;
	/* PII_SCAN_ALL rows: anchors every match holds (pii_lit.c syntax),
	 * found by a C literal scan instead of the trigger database; NULL:
	 * the row stays in the trigger database */
	const char *lit;
};

/* The regex table, in priority order (earlier wins a tie). */
const struct pii_pattern *pii_patterns(unsigned *n) AKIOS_NONNULL(1);

/* Validators (pii_validate*.c), exported for the tests. */
bool pii_luhn(const char *digits, size_t n);
bool pii_iban_valid(const char *s, size_t n);
bool pii_aba_valid(const char *d9);
uint32_t pii_crc32(const void *p, size_t n);
bool pii_base62_crc_ok(const char *body, size_t n, const char *six);

/* Character helpers for validators. */
int pii_peek(const struct pii_cand *c, long off); /* -1 outside text */
/* False when the match is one piece of a longer dashed, dotted or
 * slashed token (a UUID, a version, a path). */
bool pii_standalone(const struct pii_cand *c);
/* True when the match continues a space-grouped number on its left
 * ("CH13 5338 9387 ..." is an IBAN, not a card). */
bool pii_after_group(const struct pii_cand *c);
/* Narrows the value span to the trailing run of chars in set. */
bool pii_tail_value(struct pii_cand *c, const char *set, size_t min);
/* Narrows the value span to the last n digits (seps allowed between). */
bool pii_tail_digits(struct pii_cand *c, size_t n, const char *seps);
size_t pii_digits(const char *s, size_t n, char *out, size_t max);
/* Offset of the first ASCII digit in p[from, len), or len (pii_scan.c). */
size_t pii_next_digit(const char *p, size_t from, size_t len);

/* Validators referenced by the table. */
bool pii_chk_card(struct pii_cand *c);
bool pii_chk_iban(struct pii_cand *c);
bool pii_chk_aba_ctx(struct pii_cand *c);
bool pii_chk_bank(struct pii_cand *c);
bool pii_chk_acct_ctx(struct pii_cand *c);
bool pii_chk_bic(struct pii_cand *c);
bool pii_chk_cvv(struct pii_cand *c);
bool pii_chk_btc(struct pii_cand *c);
bool pii_chk_ssn(struct pii_cand *c);
bool pii_chk_ein(struct pii_cand *c);
bool pii_chk_tail_id(struct pii_cand *c);
bool pii_chk_nino(struct pii_cand *c);
bool pii_chk_sin(struct pii_cand *c);
bool pii_chk_nir(struct pii_cand *c);
bool pii_chk_dni(struct pii_cand *c);
bool pii_chk_cf(struct pii_cand *c);
bool pii_chk_aadhaar(struct pii_cand *c);
bool pii_chk_cpf(struct pii_cand *c);
bool pii_chk_nric(struct pii_cand *c);
bool pii_chk_email(struct pii_cand *c);
bool pii_chk_phone(struct pii_cand *c);
bool pii_chk_phone_bare(struct pii_cand *c);
bool pii_chk_azure(struct pii_cand *c);
bool pii_chk_ipv4(struct pii_cand *c);
bool pii_chk_ipv6(struct pii_cand *c);
bool pii_chk_mac(struct pii_cand *c);
bool pii_chk_urlcred(struct pii_cand *c);
bool pii_chk_token(struct pii_cand *c);
bool pii_chk_ghtoken(struct pii_cand *c);
bool pii_chk_jwt(struct pii_cand *c);
bool pii_chk_secret_ctx(struct pii_cand *c);
bool pii_chk_assign(struct pii_cand *c);
bool pii_chk_bearer(struct pii_cand *c);
bool pii_chk_basic(struct pii_cand *c);
bool pii_chk_pem(struct pii_cand *c);
bool pii_chk_dob(struct pii_cand *c);
bool pii_chk_mrn(struct pii_cand *c);
bool pii_chk_nhs(struct pii_cand *c);
bool pii_chk_dea(struct pii_cand *c);
bool pii_chk_npi(struct pii_cand *c);
bool pii_chk_any(struct pii_cand *c);

/* Extends a private key body from `from` (continuation). */
void pii_pem_body(struct pii_cand *c, size_t from);

/* The digit rows matched in C (pii_digits.c): for each row and each end
 * of a match in text[0..len), fn gets the leftmost start, as Vectorscan
 * with HS_FLAG_SOM_LEFTMOST reports it; non-zero from fn stops the scan
 * and is returned. pii_digits_new fails (-ENOTSUP) on regex syntax the
 * parser lacks or a row more than DG_BLOCK bytes wide. */
struct pii_digits;
struct dg_scan;
typedef int (*pii_digits_fn)(void *ctx, unsigned idx, size_t s, size_t e);
int pii_digits_new(const struct pii_pattern *pats, const unsigned *idx,
		   unsigned n, struct pii_digits **out) AKIOS_NODISCARD;
void pii_digits_free(struct pii_digits *d);
/* dbits[0..nw): bit i of word k: text[64k + i] is a digit (the literal
 * scan's by-product); the rest is found here. */
int pii_digits_scan(struct pii_digits *d, const char *text, size_t len,
		    const uint64_t *dbits, size_t nw, pii_digits_fn fn,
		    void *ctx) AKIOS_NODISCARD;

/* Anchored rows: pii_lit.c's rows run by the same programs from the
 * starts their anchors give, instead of a Vectorscan rescan. Built from
 * the table rows idx[0..n): row_of[i] is the row taken for idx[i], or -1
 * (syntax the parser lacks, wider than DG_BLOCK: Vectorscan keeps it);
 * -ENOENT when it takes none. */
int pii_anch_new(const struct pii_pattern *pats, const unsigned *idx,
		 unsigned n, int *row_of,
		 struct pii_digits **out) AKIOS_NODISCARD;
/* A window text[0..len): no start tried yet. */
void pii_anch_begin(struct pii_digits *d, const char *text, size_t len);
/* Row r from the starts in [from, to] not tried yet in the window (each
 * row's ranges must come with from and to nondecreasing): fn gets each
 * end not reported before, with its leftmost start, as pii_digits_scan
 * does. */
int pii_anch_try(struct pii_digits *d, unsigned r, size_t from, size_t to,
		 pii_digits_fn fn, void *ctx) AKIOS_NODISCARD;
/* Bytes of pii_digits.c's scan state (pii_digits.as). */
size_t pii_digits_scan_size(void);

/* pii_digits.c's compiled rows; pii_digits_parse.c fills the tree. */
#define DG_MAX_NODES 2048u
#define DG_MAX_ROWS  64u
#define DG_MAX_CLS   128u
#define DG_SPAN	     128u
#define DG_AHEAD     8u	 /* bytes checked before a row is tried */
#define DG_BLOCK     64u /* pii_digits.c's scan step; every lead < it */
#define DG_RANGES    8u	 /* byte ranges of a class tested with SIMD */
#define DG_MAX_OPS   4096u
#define DG_DEPTH     16u /* nested groups and repeats of a row's program */

/* A set of positions: past a start (bit i: i bytes), or in a scan block
 * (bit i: its byte i); positions stay below DG_SPAN. */
#define DG_SET unsigned __int128

enum dg_kind { DG_CLS, DG_BND, DG_CAT, DG_ALT, DG_REP };

struct dg_node {
	uint8_t kind;
	uint8_t cls;	      /* DG_CLS, or the kid class of a DG_REP run */
	bool run;	      /* DG_REP over a single class */
	bool flat;	      /* DG_REP over a DG_CAT of classes and runs */
	uint16_t min, max;    /* DG_REP */
	uint16_t kid0, n_kid; /* DG_CAT, DG_ALT: kid[kid0 ..]; DG_REP: 1 */
	int16_t thru, part;   /* digit-free lengths (lead()) */
};

/* A row's tree as a program over sets of positions (pii_digits.c runs
 * it; pii_digits_build.c makes it). Every op but the openers maps the
 * set `in` to a set; when that set is empty the program goes on at
 * `fail`, the end of the innermost sequence holding the op (its
 * branch's DG_OP_OR or DG_OP_END_ALT, its body's DG_OP_END_REP, or
 * DG_OP_END), which an empty set would reach anyway. */
enum dg_opk {
	DG_OP_CLS,     /* one byte of class cls */
	DG_OP_RUN,     /* min..max bytes of class cls */
	DG_OP_BND,     /* \b */
	DG_OP_FLAT,    /* min..max rounds of the n DG_OP_CLS/RUN after it */
	DG_OP_ALT,     /* opens: branches split by DG_OP_OR */
	DG_OP_OR,      /* ends a branch, starts the next one */
	DG_OP_END_ALT, /* the union of the branches */
	DG_OP_REP,     /* opens min..max rounds of its body */
	DG_OP_END_REP, /* ends a round: back to jmp, or the union */
	DG_OP_END,
};

struct dg_op {
	uint8_t op; /* enum dg_opk */
	uint8_t cls;
	uint8_t n;	   /* DG_OP_FLAT */
	uint16_t min, max; /* DG_OP_RUN, FLAT, REP, END_REP */
	uint16_t jmp;	   /* DG_OP_END_REP: its body's first op */
	uint16_t fail;
};

struct dg_row {
	unsigned idx;  /* table row */
	unsigned root; /* node */
	unsigned prog; /* first op */
	/* every match holds at least min_digits digits at the offsets in
	 * span (bit i: i bytes past the start; 0: not checked) */
	unsigned min_digits;
	uint64_t span;
	DG_SET done; /* ends reported, relative to done_at */
	size_t done_at;
	size_t next; /* anchored rows: the first start not tried */
};

struct pii_digits {
	struct dg_node node[DG_MAX_NODES];
	uint16_t kid[DG_MAX_NODES];
	unsigned n_node, n_kid;
	uint64_t cls_bits[DG_MAX_CLS][4];
	unsigned n_cls;
	uint64_t cls_of[256][2]; /* bit c: the byte is in class c */
	/* class c is the union of the byte ranges [lo, lo + span] of
	 * cls_lo/cls_span[c][0 .. cls_nr[c]), or cls_nr[c] > DG_RANGES */
	uint8_t cls_nr[DG_MAX_CLS];
	uint8_t cls_lo[DG_MAX_CLS][DG_RANGES], cls_span[DG_MAX_CLS][DG_RANGES];
	int digit_cls; /* the class [0-9], or -1 */
	/* class masks by AVX-512 (the CPU has it; tests may clear it) */
	bool avx512;
	struct dg_scan *as; /* pii_anch_*'s scan state */
	/* at_of[j][c]: rows with a match whose byte j can be c (or that
	 * may be shorter than j + 1 bytes): a start s is tried only for
	 * the rows in every at_of[j][t[s + j]] */
	uint64_t at_of[DG_AHEAD][256];
	/* nb_first[c]: rows with a match that starts with byte c where no
	 * \b holds (at_of[0] without the starts that need one) */
	uint64_t nb_first[256];
	bool nb_any[256]; /* nb_first[c] != 0 */
	/* byte ranges holding every c with at_of[0][c] != 0 (and maybe
	 * more: ranges are merged down to DG_RANGES): where a start at a
	 * word boundary can be */
	uint8_t first_nr, first_lo[DG_RANGES], first_span[DG_RANGES];
	/* near[k]: rows whose first digit may lie k bytes past the start */
	uint64_t near[DG_SPAN];
	struct dg_row row[DG_MAX_ROWS];
	unsigned n_row;
	struct dg_op op[DG_MAX_OPS];
	unsigned n_op;
	size_t lead; /* most bytes a match holds before its first digit */
	/* lead of the rows that can start where no \b holds */
	size_t lead_nb;
	bool word[256]; /* pii_word_byte() */
};

/* Word bytes for \b: [A-Za-z0-9_], ASCII only, as in Vectorscan. */
static inline bool pii_word_byte(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || c == '_';
}

/* Parses re into d's tree; returns the root node or -errno. */
int pii_digits_parse(struct pii_digits *d, const char *re,
		     bool ci) AKIOS_NODISCARD;

/* The PII_SCAN_ALL rows with literal anchors (pii_lit.c). ids[0..n)
 * are Vectorscan ids, pats[ids[i]] their rows, width[i] their widest
 * match; rows without .lit are skipped. -EINVAL: a bad anchor;
 * -ENOENT: no such rows; -ENOTSUP: no AVX2 (the trigger database is
 * faster than the C scan there). */
struct pii_lit;
struct pii_engine_view;
int pii_lit_new(const struct pii_pattern *pats, const unsigned *ids,
		const unsigned *width, unsigned n,
		struct pii_lit **out) AKIOS_NODISCARD;
void pii_lit_free(struct pii_lit *l);
/* True when the row of Vectorscan id `id` is matched in C from its
 * anchors (pii_anch_*): the rescan database leaves it out. */
bool pii_lit_takes(const struct pii_lit *l, unsigned id) AKIOS_NONNULL(1);
/* Adds to v's rescan pieces one piece [s - 1, e + 1) for every match of
 * a .lit row in text[0..len) (and some that are not matches). */
int pii_lit_scan(const struct pii_lit *l, struct pii_engine_view *v,
		 const char *text, size_t len) AKIOS_NODISCARD;

/* One decision round over a window of the input (pii_scan.c).
 * text[0..len) holds input bytes [base, base+len). Output has been
 * emitted for [0, done); done >= base + PII_MAX_MATCH + PII_CTX + 1
 * unless base == 0, so every raw match of a value starting at or after
 * done lies in the window with its context. The round decides every
 * value starting in [done, limit), where limit + PII_MAX_MATCH +
 * PII_CTX < base + len unless eof (then limit = base + len), appends
 * the output for [done, new done) and advances done (to limit, or past
 * a redaction that crosses it). */
struct pii_round {
	const char *text;
	size_t len;
	uint64_t base;
	uint64_t done;
	uint64_t limit;
	bool eof;
	bool pem_open; /* a private key body continues at done */
	pii_finding_fn fn;
	void *fn_ctx;
	/* the input the next round reads first (whole-buffer redaction):
	 * fetched into the cache while this round computes, or NULL */
	const char *ahead;
	size_t ahead_len;
};

struct pii_engine;
int pii_round_run(struct pii_engine *eng, struct pii_round *r,
		  struct akios_buf *out) AKIOS_NODISCARD;

/* The engine's internals that pii_scan.c needs. */
struct pii_raw {
	uint32_t idx; /* table index */
	uint32_t s, e;
};
struct pii_sel {
	uint32_t idx;
	uint32_t vs, ve;
	bool open;
};

struct pii_engine_view {
	struct pii_hs hs;	  /* libhs, loaded per engine */
	void *db[PII_SCAN_KINDS]; /* hs_database_t per kind, or NULL */
	void *trigger;		  /* PII_SCAN_ALL rows without .lit, no SOM */
	void *trigger_all; /* every PII_SCAN_ALL row, no SOM (reference) */
	/* PII_SCAN_ALL rows with SOM: db[PII_SCAN_ALL] has every one (the
	 * reference's; the default's without pii_lit.c), rest those that
	 * pii_lit.c does not run in C; som: the default's for pieces */
	void *rest;
	void *som;
	bool any_all;	     /* there are PII_SCAN_ALL rows */
	struct pii_lit *lit; /* the rows with .lit (pii_lit.c), or NULL */
	/* tests: which pii_lit.c scan (the best, AVX2, scalar) */
	enum { PII_LIT_BEST, PII_LIT_AVX2, PII_LIT_SCALAR } lit_path;
	size_t reach;	 /* widest match of a digit row + 1 */
	size_t scan_off; /* window offset of the bytes being scanned */
	void *scratch;	 /* hs_scratch_t, fits every database */
	const struct pii_pattern *pats;
	const unsigned *ids;   /* Vectorscan id -> table index */
	const unsigned *width; /* Vectorscan id -> widest match */
	/* pieces of the window to scan with start-of-match (pii_scan.c) */
	struct pii_piece {
		uint32_t a, b; /* window [a, b) */
		uint32_t j;    /* where it sits in joined */
	} * piece;
	size_t n_piece, cap_piece;
	char *joined; /* the pieces end to end, PII_JOIN between */
	size_t joined_cap;
	/* the digit rows matched in C, or NULL */
	struct pii_digits *digits;
	/* the digit rows' pieces, for the Vectorscan reference path */
	struct pii_dpiece {
		uint32_t a, b; /* window [a, b) */
	} * dpiece;
	size_t n_dpiece, cap_dpiece;
	/* Tests' reference: the digit rows by Vectorscan, and each piece
	 * (digit rows, start-of-match rescans) scanned on its own, rather
	 * than by pii_digits.c and the pieces joined in one scan. */
	bool reference;
	size_t cut_a, cut_b; /* a match touching these is cut: dropped */
	size_t scan_len;     /* the round's window length */
	unsigned flags;
	struct pii_raw *raw;
	size_t n_raw, cap_raw;
	struct pii_sel *sel;
	size_t cap_sel;
	struct pii_sel *sel_tmp; /* pii_round.c's sort */
	size_t cap_sel_tmp;
	int scan_err;
	char *scan; /* 64-byte aligned copy of what is scanned */
	size_t scan_cap;
	/* the window's digits by 64-byte word, from the AVX-512 literal
	 * scan (n_dbits words; 0: none) for pii_digits_scan */
	uint64_t *dbits;
	size_t n_dbits, cap_dbits;
	/* the next round's input not yet prefetched (pii_prefetch) */
	const char *pf, *pf_end;
};

/* A few cache lines more of the next round's input: called from the
 * round's loops after the literal scan (compute, not memory, bound), so
 * the next round's first pass reads from the cache, not from memory. */
static inline void pii_prefetch(struct pii_engine_view *v)
{
	for (int i = 0; i < 8 && v->pf < v->pf_end; i++, v->pf += 64)
		__builtin_prefetch(v->pf, 0, 3);
}
struct pii_engine_view *pii_engine_view(struct pii_engine *eng);
int pii_engine_replace(struct pii_engine *eng, unsigned idx, const char *v,
		       size_t n, struct akios_buf *out) AKIOS_NODISCARD;
/* Bytes of the window scratch streams copy into (engine-owned). */
char *pii_engine_window(struct pii_engine *eng, size_t *cap);
/* Selects the reference scans (true: all Vectorscan: the digit rows
 * over each piece and every PII_SCAN_ALL row in the trigger database,
 * compiled on first use, each piece rescanned apart) or the default
 * (pii_digits.c, pii_lit.c, rescan pieces joined): both must redact
 * identically (tests/unit/test_pii_digits.c, test_pii_lit.c,
 * tests/fuzz/fuzz_pii_digits.c, fuzz_pii_lit.c). */
int pii_engine_reference(struct pii_engine *eng, bool on) AKIOS_NODISCARD;
/* Compiles the digit rows' Vectorscan database if not yet done (the
 * reference path's; err may be NULL). */
int pii_engine_digit_db(struct pii_engine *eng,
			struct akios_err *err) AKIOS_NODISCARD;
/* qsort order of raw matches: row, then end, then start. */
int pii_raw_cmp(const void *a, const void *b);
/* The digit rows' raw matches over text alone (reference: Vectorscan,
 * else pii_digits.c), sorted by row, end, start; *raw is the engine's
 * and lives until its next call. */
int pii_digit_matches(struct pii_engine *eng, const char *text, size_t len,
		      bool reference, const struct pii_raw **raw,
		      size_t *n) AKIOS_NODISCARD;
/* Every row's raw matches over text alone (reference or default scans,
 * as pii_engine_reference), sorted by row, end, start; as above. */
int pii_raw_matches(struct pii_engine *eng, const char *text, size_t len,
		    bool reference, const struct pii_raw **raw,
		    size_t *n) AKIOS_NODISCARD;
/* Appends the raw match (table row idx, [s, e)) to ctx, a struct
 * pii_engine_view (a pii_digits_fn). */
int pii_add_raw(void *ctx, unsigned idx, size_t s, size_t e) AKIOS_NODISCARD;
/* Grows *p (elements of elem bytes, *cap of them) to hold need, at
 * most AKIOS_MAX_PII_MATCHES (-E2BIG past it). */
int pii_grow(void **p, size_t *cap, size_t elem, size_t need) AKIOS_NODISCARD;
/* The raw matches of one round's window into v->raw (pii_scan.c). */
int pii_scan_raw(struct pii_engine_view *v,
		 const struct pii_round *r) AKIOS_NODISCARD;

#endif
