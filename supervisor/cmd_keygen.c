/* akios keygen: creates the Ed25519 key pair that signs policies and
 * audit checkpoints. The private key is written 0600; existing keys are
 * never replaced without --force, and neither file is written when
 * either exists (no half-replaced pair). */
#include "shared/common.h"
#include "shared/crypto.h"
#include "shared/exitcodes.h"
#include "shared/keys.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

static const struct cli_opt keygen_opts[] = {
    {"out", 0, "DIR", "directory for akios.key and akios.pub", 0},
    {"force", 0, NULL, "replace an existing key pair", 0},
};

static const struct cli_spec keygen_spec = {
    .name = "keygen",
    .usage = "[--out DIR] [--force]",
    .summary = "Create an Ed25519 key pair (akios.key 0600, akios.pub).",
    .details = "The default directory is $AKIOS_KEY_DIR, else "
	       "$XDG_CONFIG_HOME/akios/keys,\nelse ~/.config/akios/keys.",
    .opts = keygen_opts,
    .n_opts = AKIOS_ARRAY_SIZE(keygen_opts),
};

static bool exists(const char *path)
{
	return faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	       errno != ENOENT;
}

static int paths(const char *dir, char *priv, char *pub, size_t size)
{
	if (keys_path(dir, KEYS_PRIVATE_NAME, priv, size) ||
	    keys_path(dir, KEYS_PUBLIC_NAME, pub, size)) {
		cli_error("keygen", "no key directory: give --out DIR or set "
				    "HOME");
		return AKIOS_EXIT_USAGE;
	}
	return 0;
}

static int generate(const char *dir, const char *priv, const char *pub,
		    bool force)
{
	struct crypto_key *key = NULL;
	struct akios_err err = {0};
	uint8_t id[CRYPTO_KEY_ID_LEN];
	char id_hex[2 * CRYPTO_KEY_ID_LEN + 1];
	int rc = keys_make_dir(dir);

	if (rc) {
		cli_error("keygen", "%s: %s", dir, strerror(-rc));
		return AKIOS_EXIT_FAIL;
	}
	rc = crypto_key_generate(&key);
	if (rc == 0)
		rc = crypto_key_id(key, id);
	if (rc) {
		crypto_key_free(key);
		cli_error("keygen", "key generation failed: %s",
			  crypto_strerror(rc));
		return AKIOS_EXIT_INTERNAL;
	}
	rc = crypto_key_save(key, priv, pub, force, &err);
	crypto_key_free(key);
	if (rc) {
		cli_error_err("keygen", &err);
		return AKIOS_EXIT_FAIL;
	}
	crypto_hex_encode(id, sizeof(id), id_hex);
	printf("wrote %s (private, 0600) and %s\nkey id %s\n", priv, pub,
	       id_hex);
	return AKIOS_EXIT_OK;
}

int cmd_keygen(int argc, char **argv)
{
	struct cli_args args;
	char def[PATH_MAX];
	char priv[PATH_MAX];
	char pub[PATH_MAX];
	bool done;
	int rc = cli_parse_or_help(&keygen_spec, argc, argv, &args, &done);
	const char *dir;
	bool force;

	if (done)
		return rc;
	dir = cli_get(&keygen_spec, &args, "out");
	if (!dir && keys_default_dir(def, sizeof(def)) == 0)
		dir = def;
	rc = dir ? paths(dir, priv, pub, sizeof(priv)) : AKIOS_EXIT_USAGE;
	if (rc) {
		if (!dir)
			cli_error("keygen", "no key directory: give --out DIR "
					    "or set HOME");
		return rc;
	}
	force = cli_has(&keygen_spec, &args, "force");
	if (!force && (exists(priv) || exists(pub))) {
		cli_error("keygen",
			  "%s already exists; use --force to replace "
			  "the key pair",
			  exists(priv) ? priv : pub);
		return AKIOS_EXIT_FAIL;
	}
	return generate(dir, priv, pub, force);
}
