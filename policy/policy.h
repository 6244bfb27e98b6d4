/* The policy: a signed YAML file compiled into this typed, validated,
 * plain-data struct. Deny by default: every field's zero/default value is
 * the narrower choice, and the loader refuses anything it does not know.
 * Lifecycle: policy_load_file()/policy_load_default() → use → policy_free().
 * All strings are owned by the struct and freed by policy_free(). */
#ifndef AKIOS_POLICY_H
#define AKIOS_POLICY_H

#include "shared/common.h"
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
 * them all). Errors past the cap are counted in `dropped`. */
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

/* The same from memory; name is used in error locations. */
int policy_load_buffer(const char *name, const char *data, size_t len,
		       struct akios_policy **out, struct policy_errors *errs)
    AKIOS_NONNULL(1, 2, 4, 5) AKIOS_NODISCARD;

/* The embedded default policy (deny network, cwd writable, system
 * directories read-only, PII redaction and audit on). */
int policy_load_default(struct akios_policy **out, struct policy_errors *errs)
    AKIOS_NONNULL(1, 2) AKIOS_NODISCARD;

/* The default policy's YAML text, as `akios policy show --default` prints
 * it. Static storage; never freed. */
const char *policy_default_yaml(void);

void policy_free(struct akios_policy *policy);

#endif
