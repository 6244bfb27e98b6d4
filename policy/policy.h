/* The policy: a signed YAML file compiled into this typed, validated,
 * plain-data struct. Deny by default: every field's zero/default value is
 * the narrower choice, and the loader refuses anything it does not know.
 * Lifecycle: policy_load_file()/policy_load_default() → use → policy_free().
 * All strings are owned by the struct and freed by policy_free(). */
#ifndef AKIOS_POLICY_H
#define AKIOS_POLICY_H

#include "shared/common.h"
#include "shared/buf.h"
#include "shared/crypto.h"
#include "shared/err.h"

#include <stdbool.h>
#include <stdint.h>

enum policy_sandbox {
	POLICY_SANDBOX_STRICT = 0, /* default; --no-sandbox refused */
	POLICY_SANDBOX_STANDARD,
};

enum policy_network {
	POLICY_NET_ISOLATED = 0, /* default: no connect leaves the cage */
	POLICY_NET_ALLOWLIST,	 /* only security.allowed_endpoints */
};

enum policy_fs_mode {
	POLICY_FS_R = 1,
	POLICY_FS_W = 2,
	POLICY_FS_RW = 3,
};

enum policy_pii_mode {
	POLICY_PII_STRICT = 0,
	POLICY_PII_BALANCED, /* default */
	POLICY_PII_AGGRESSIVE,
};

enum policy_export_format {
	POLICY_EXPORT_JSONL = 0, /* default */
	POLICY_EXPORT_JSON,
	POLICY_EXPORT_CSV,
};

/* Which limits must be enforced exactly (cgroup) rather than approximated
 * with rlimits; a run refuses to start when one of these cannot be. */
enum policy_limit_flags {
	POLICY_LIMIT_MEMORY = 1 << 0,
	POLICY_LIMIT_PIDS = 1 << 1,
	POLICY_LIMIT_CPU = 1 << 2,
};

/* Where a value came from in the YAML file; 0 for defaults. */
struct policy_loc {
	unsigned line;
	unsigned col;
};

struct policy_endpoint {
	char *host;    /* a DNS name or an IP literal (normalised) */
	uint16_t port; /* 1..65535 */
	struct policy_loc loc;
};

struct policy_path {
	char *path; /* absolute, normalised; "${CWD}" already expanded */
	enum policy_fs_mode mode;
	/* false: .git/hooks, .envrc, ... stay read-only inside this path
	 * (the default); true relaxes that for this path only. */
	bool allow_control_files;
	struct policy_loc loc;
};

struct policy_tool {
	char *name; /* a program name ("jq") or an absolute path */
	struct policy_loc loc;
};

struct policy_kv {
	char *key;
	char *value;
};

/* One secret injected into the agent's environment. Exactly one of
 * from_env / from_file is set. The policy names where a secret lives,
 * never the secret itself. */
struct policy_secret {
	char *env;	 /* variable name inside the cage */
	char *from_env;	 /* host variable to copy, or NULL */
	char *from_file; /* absolute host path to read, or NULL */
	struct policy_loc loc;
};

struct policy_string_list {
	char **items;
	unsigned n;
};

struct akios_policy {
	unsigned version; /* must be 1 */
	char *name;
	char *source;	    /* the file it came from, or "<default>" */
	uint8_t sha256[32]; /* hash of the exact source bytes */

	struct {
		enum policy_sandbox sandbox;
		enum policy_network network;
		struct policy_endpoint *allowed_endpoints;
		unsigned n_allowed_endpoints;
	} security;

	struct {
		struct policy_path *allow;
		unsigned n_allow;
		bool deny_writes; /* default true */
	} filesystem;

	struct {
		struct policy_string_list allow;	  /* URL prefixes */
		struct policy_string_list redact_headers; /* lower-case */
	} http;

	struct {
		char *provider; /* "openai", "anthropic", ... or NULL */
		char *model;
		char *base_url;	     /* override of the provider's endpoint */
		unsigned max_tokens; /* 0: no per-request cap */
		double budget_usd;   /* < 0: not set */
		/* the same, exact, in millionths of a dollar; -1: not set */
		int64_t budget_micro_usd;
		bool redact_prompts;   /* default true */
		bool redact_responses; /* default true */
	} llm;

	struct {
		struct policy_tool *allow;
		unsigned n_allow;
		bool allow_set;	      /* tools.allow present (even empty) */
		unsigned timeout_sec; /* 0: none */
		char *working_dir;    /* absolute, or NULL for the cwd */
	} tools;

	struct {
		bool merkle;	    /* default true */
		bool pii_redaction; /* default true */
		enum policy_export_format export_format;
		unsigned retention_days; /* 0: keep forever */
		char *dir;		 /* NULL: ./.akios/audit */
	} audit;

	struct {
		bool enabled; /* default true */
		enum policy_pii_mode mode;
		struct policy_string_list patterns; /* empty: all of the mode */
	} pii_redaction;

	struct {
		uint64_t memory_mb;	   /* 0: no limit */
		unsigned pids;		   /* 0: no limit */
		unsigned cpu_percent;	   /* 0: no limit; 100 = one core */
		unsigned wall_timeout_sec; /* 0: no limit */
		unsigned required;	   /* enum policy_limit_flags */
	} limits;

	struct {
		struct policy_string_list pass; /* host variables passed in */
		struct policy_kv *set;
		unsigned n_set;
	} env;

	struct policy_secret *secrets;
	unsigned n_secrets;
};

/* Every error found in one load, not just the first (policy check prints
 * them all). Errors past the cap are counted in `dropped`. Each error's
 * `file` borrows the name or path given to the loader: keep that string
 * alive while the errors are read. */
#define POLICY_MAX_ERRORS 32
struct policy_errors {
	struct akios_err e[POLICY_MAX_ERRORS];
	unsigned n;
	unsigned dropped;
};

/* Loads and validates a policy file (O_NOFOLLOW, at most
 * AKIOS_MAX_POLICY_BYTES). On success *out is a new policy that the caller
 * frees with policy_free(); on failure returns -EINVAL (or -errno) with
 * errs filled, and *out is untouched. */
int policy_load_file(const char *path, struct akios_policy **out,
		     struct policy_errors *errs)
    AKIOS_NONNULL(1, 2, 3) AKIOS_NODISCARD;

/* The same from memory (data need not be NUL-terminated); name is used
 * as the file in error locations and as policy->source. */
int policy_load_buffer(const char *name, const char *data, size_t len,
		       struct akios_policy **out, struct policy_errors *errs)
    AKIOS_NONNULL(1, 2, 4, 5) AKIOS_NODISCARD;

/* The embedded default policy (deny network, cwd writable, system
 * directories read-only, PII redaction and audit on). */
int policy_load_default(struct akios_policy **out, struct policy_errors *errs)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* The default policy's YAML source, with "${CWD}" unexpanded (`akios
 * policy show --default` prints its effective, canonical form). Static
 * storage; never freed. */
const char *policy_default_yaml(void);

void policy_free(struct akios_policy *policy);

/* The effective policy (defaults filled in) as canonical YAML: fixed key
 * order, every string double-quoted, ${CWD} already expanded. Loading it
 * again gives the same policy. Appends to out; 0 or -ENOMEM/-E2BIG. */
int policy_emit_yaml(const struct akios_policy *p, struct akios_buf *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;
/* The same as a JSON object (same keys; budget_usd a number). */
int policy_emit_json(const struct akios_policy *p, struct akios_buf *out)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* Names of enum values as a policy writes them ("isolated", "rw", ...). */
const char *policy_sandbox_name(enum policy_sandbox v);
const char *policy_network_name(enum policy_network v);
const char *policy_fs_mode_name(enum policy_fs_mode v);
const char *policy_pii_mode_name(enum policy_pii_mode v);
const char *policy_export_format_name(enum policy_export_format v);

/* ---- Signatures (policy/sign.c) ----
 * A detached signature FILE.sig is four lines of text (README "Policy
 * signatures"):
 *   akios-policy-signature v1
 *   key-id: <16 lower-case hex digits: the signer's key id>
 *   sha256: <64 lower-case hex digits: SHA-256 of the file>
 *   signature: <base64 Ed25519 signature over the file's exact bytes>
 * Parsing is exact (no extra spaces, lines or case changes), so changing
 * any byte of the file or of the signature fails verification. */
#define POLICY_SIG_SUFFIX ".sig"

/* The signature text for data, appended to out. */
int policy_sig_make(const struct crypto_key *key, const void *data, size_t len,
		    struct akios_buf *out) AKIOS_NONNULL(1, 4) AKIOS_NODISCARD;

/* Checks sig (the .sig text) against data with the public key pub.
 * 0, or -EBADMSG/-EINVAL with err set (its file is sig_name). */
int policy_sig_check(const char *sig_name, const char *sig, size_t sig_len,
		     const void *data, size_t len, const struct crypto_key *pub,
		     struct akios_err *err)
    AKIOS_NONNULL(1, 2, 6) AKIOS_NODISCARD;

/* Signs the file at path with the private key at key_path (NULL: the
 * default key, shared/keys.h) and writes path.sig (replacing an old one).
 * The signature's path is written to sig_path. */
int policy_sign_file(const char *path, const char *key_path, char *sig_path,
		     size_t sig_path_size, struct akios_err *err)
    AKIOS_NONNULL(1, 3) AKIOS_NODISCARD;

/* Verifies data (the bytes of the file name) against name.sig, with the
 * public key at pub_path, or else any *.pub key in trusted_dir whose id
 * matches, or else (both NULL) the default key directory. On success
 * key_id (17 bytes, may be NULL) receives the signer's id in hex. */
int policy_verify_data(const char *name, const void *data, size_t len,
		       const char *pub_path, const char *trusted_dir,
		       char key_id[2 * CRYPTO_KEY_ID_LEN + 1],
		       struct akios_err *err) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* The same for a file read from disk (bounded, O_NOFOLLOW). */
int policy_verify_file(const char *path, const char *pub_path,
		       const char *trusted_dir,
		       char key_id[2 * CRYPTO_KEY_ID_LEN + 1],
		       struct akios_err *err) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* ---- Trusted loading (policy/trust.c) ---- */
struct policy_trust {
	/* refuse a policy file without a valid signature by a trusted key */
	bool require_signed;
	/* borrowed; directory of trusted *.pub keys; NULL: the default key
	 * directory (shared/keys.h) */
	const char *trusted_keys_dir;
};

/* Fills t from the flags --require-signed and --trusted-keys DIR plus the
 * environment: AKIOS_REQUIRE_SIGNED=1 requires signatures, unset/""/"0"
 * leaves the flag alone, any other value is an error. flag_trusted_keys
 * is borrowed (NULL when absent). */
int policy_trust_init(struct policy_trust *t, bool flag_require_signed,
		      const char *flag_trusted_keys, struct akios_err *err)
    AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* Loads path (NULL: the embedded default policy, which is compiled into
 * the akios binary and so counts as trusted even when signatures are
 * required) after checking its signature when trust->require_signed.
 * The file is read once: the bytes verified are the bytes parsed. Errors
 * as policy_load_file; a signature failure returns -EPERM. */
int policy_load_checked(const char *path, const struct policy_trust *trust,
			struct akios_policy **out, struct policy_errors *errs)
    AKIOS_NONNULL(2, 3, 4) AKIOS_NODISCARD;

#endif
