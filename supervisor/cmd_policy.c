/* akios policy check|show|sign|verify: the policy commands. Each is a
 * thin shell over policy/: parse options, load (honouring
 * --require-signed), print, map the outcome to an exit code. Every error
 * a load finds is printed, not just the first. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/exitcodes.h"
#include "shared/limits.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"
#include "supervisor/policy_cli.h"
#include "supervisor/selfguard.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

static const struct cli_opt check_opts[] = {POLICY_CLI_TRUST_OPTS};
static const struct cli_spec check_spec = {
    .name = "policy check",
    .usage = "[options] FILE...",
    .summary = "Validate policy files; print every error with its place.",
    .details = "Prints 'ok: FILE (name NAME)' for a valid policy, or each "
	       "error as\n'akios: FILE:LINE:COL: message'. Exit 0 when all "
	       "are valid, 1 otherwise.",
    .opts = check_opts,
    .n_opts = AKIOS_ARRAY_SIZE(check_opts),
    .min_pos = 1,
    .max_pos = CLI_MAX_POS,
};

static const struct cli_opt show_opts[] = {
    {"default", 0, NULL, "show the embedded default policy", 0},
    {"json", 0, NULL, "print JSON instead of canonical YAML", 0},
    POLICY_CLI_TRUST_OPTS,
};
static const struct cli_spec show_spec = {
    .name = "policy show",
    .usage = "[options] FILE | --default",
    .summary = "Print the effective policy (defaults filled in).",
    .details = "The canonical YAML loads back to the same policy.",
    .opts = show_opts,
    .n_opts = AKIOS_ARRAY_SIZE(show_opts),
    .max_pos = 1,
};

static const struct cli_opt sign_opts[] = {
    {"key", 0, "KEY", "private key (default: akios.key in the key directory)",
     0},
};
static const struct cli_spec sign_spec = {
    .name = "policy sign",
    .usage = "[--key KEY] FILE",
    .summary = "Check a policy, then write its detached signature FILE.sig.",
    .opts = sign_opts,
    .n_opts = AKIOS_ARRAY_SIZE(sign_opts),
    .min_pos = 1,
    .max_pos = 1,
};

static const struct cli_opt verify_opts[] = {
    {"pub", 0, "PUB", "the signer's public key", 0},
    {"trusted-keys", 0, "DIR", "accept any *.pub key in DIR", 0},
};
static const struct cli_spec verify_spec = {
    .name = "policy verify",
    .usage = "[--pub PUB | --trusted-keys DIR] FILE",
    .summary = "Verify FILE against FILE.sig.",
    .details = "Without --pub or --trusted-keys, the keys in the default "
	       "key directory\nare trusted. Exit 0 when the signature is "
	       "valid, 1 otherwise.",
    .opts = verify_opts,
    .n_opts = AKIOS_ARRAY_SIZE(verify_opts),
    .min_pos = 1,
    .max_pos = 1,
};

/* Policies are untrusted input: they are parsed by a process that can no
 * longer write any file. A kernel without Landlock runs unconfined; a
 * Landlock that refuses is an error (fail closed). */
static int confine_reader(const char *context)
{
	int rc = selfguard_no_fs_writes();

	if (rc == 0 || rc == -EOPNOTSUPP)
		return 0;
	cli_error(context, "cannot drop write rights: %s", strerror(-rc));
	return rc;
}

static int cmd_policy_check(int argc, char **argv)
{
	struct cli_args args;
	struct policy_trust trust;
	bool done;
	int rc = cli_parse_or_help(&check_spec, argc, argv, &args, &done);
	int status = AKIOS_EXIT_OK;

	if (done)
		return rc;
	rc = policy_cli_trust(&check_spec, &args, &trust);
	if (rc)
		return rc;
	if (confine_reader("policy check"))
		return AKIOS_EXIT_INTERNAL;
	for (unsigned i = 0; i < args.n_pos; i++) {
		struct akios_policy *p = NULL;

		if (policy_cli_load(&trust, args.pos[i], &p)) {
			status = AKIOS_EXIT_FAIL;
			continue;
		}
		printf("ok: %s (name %s)\n", args.pos[i],
		       p->name ? p->name : "unnamed");
		policy_free(p);
	}
	return status;
}

static int show_one(const struct cli_args *args, const char *path, bool json)
{
	struct policy_trust trust;
	struct akios_policy *p = NULL;
	struct akios_buf out;
	int rc = policy_cli_trust(&show_spec, args, &trust);

	if (rc)
		return rc;
	if (confine_reader("policy show"))
		return AKIOS_EXIT_INTERNAL;
	if (policy_cli_load(&trust, path, &p))
		return AKIOS_EXIT_FAIL;
	akios_buf_init(&out, AKIOS_MAX_POLICY_BYTES * 4);
	rc = json ? policy_emit_json(p, &out) : policy_emit_yaml(p, &out);
	if (rc == 0)
		fwrite(out.ptr, 1, out.len, stdout);
	else
		cli_error("policy show", "%s", strerror(-rc));
	akios_buf_free(&out);
	policy_free(p);
	return rc ? AKIOS_EXIT_INTERNAL : AKIOS_EXIT_OK;
}

static int cmd_policy_show(int argc, char **argv)
{
	struct cli_args args;
	bool done;
	int rc = cli_parse_or_help(&show_spec, argc, argv, &args, &done);
	bool def;

	if (done)
		return rc;
	def = cli_has(&show_spec, &args, "default");
	if (def == (args.n_pos == 1)) {
		cli_error("policy show", "give either FILE or --default");
		return AKIOS_EXIT_USAGE;
	}
	return show_one(&args, def ? NULL : args.pos[0],
			cli_has(&show_spec, &args, "json"));
}

static int cmd_policy_sign(int argc, char **argv)
{
	struct cli_args args;
	struct policy_errors errs = {0};
	struct akios_policy *p = NULL;
	struct akios_err err = {0};
	char sig_path[PATH_MAX];
	bool done;
	int rc = cli_parse_or_help(&sign_spec, argc, argv, &args, &done);

	if (done)
		return rc;
	/* Only a valid policy gets signed: a signature vouches for it. */
	if (policy_load_file(args.pos[0], &p, &errs)) {
		policy_cli_print_errors(&errs, args.pos[0]);
		return AKIOS_EXIT_FAIL;
	}
	policy_free(p);
	if (policy_sign_file(args.pos[0], cli_get(&sign_spec, &args, "key"),
			     sig_path, sizeof(sig_path), &err)) {
		cli_error_err("policy sign", &err);
		return AKIOS_EXIT_FAIL;
	}
	printf("signed: %s -> %s\n", args.pos[0], sig_path);
	return AKIOS_EXIT_OK;
}

static int cmd_policy_verify(int argc, char **argv)
{
	struct cli_args args;
	struct akios_err err = {0};
	char key_id[2 * CRYPTO_KEY_ID_LEN + 1];
	bool done;
	int rc = cli_parse_or_help(&verify_spec, argc, argv, &args, &done);
	const char *pub;
	const char *dir;

	if (done)
		return rc;
	pub = cli_get(&verify_spec, &args, "pub");
	dir = cli_get(&verify_spec, &args, "trusted-keys");
	if (pub && dir) {
		cli_error("policy verify", "give --pub or --trusted-keys, "
					   "not both");
		return AKIOS_EXIT_USAGE;
	}
	if (confine_reader("policy verify"))
		return AKIOS_EXIT_INTERNAL;
	if (policy_verify_file(args.pos[0], pub, dir, key_id, &err)) {
		cli_error_err("policy verify", &err);
		return AKIOS_EXIT_FAIL;
	}
	printf("ok: %s (signed by key %s)\n", args.pos[0], key_id);
	return AKIOS_EXIT_OK;
}

const struct cli_command cmd_policy_subs[] = {
    {.name = "check",
     .summary = "validate policy files",
     .run = cmd_policy_check},
    {.name = "show",
     .summary = "print the effective policy",
     .run = cmd_policy_show},
    {.name = "sign", .summary = "write FILE.sig", .run = cmd_policy_sign},
    {.name = "verify", .summary = "verify FILE.sig", .run = cmd_policy_verify},
    {0},
};
