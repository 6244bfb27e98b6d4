/* policy/sign.c: detached Ed25519 signatures of policy files in a small
 * text format (see policy.h). Signs and verifies the file's exact bytes.
 * Invariant: a signature is accepted only when its text is exactly the
 * canonical encoding, so no byte of it can change without failing. */
#include "shared/common.h"
#include "policy/policy.h"
#include "shared/buf.h"
#include "shared/crypto.h"
#include "shared/fileio.h"
#include "shared/keys.h"
#include "shared/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#define SIG_HEADER "akios-policy-signature v1\n"
#define KEYID_HEX  ((size_t)2 * CRYPTO_KEY_ID_LEN)
#define SHA_HEX	   ((size_t)2 * CRYPTO_SHA256_LEN)
#define SIG_B64	   88 /* base64 of 64 bytes */

struct sig_fields {
	uint8_t key_id[CRYPTO_KEY_ID_LEN];
	char key_id_hex[KEYID_HEX + 1];
	uint8_t sha[CRYPTO_SHA256_LEN];
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
};

int policy_sig_make(const struct crypto_key *key, const void *data, size_t len,
		    struct akios_buf *out)
{
	uint8_t id[CRYPTO_KEY_ID_LEN];
	uint8_t sha[CRYPTO_SHA256_LEN];
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	char id_hex[KEYID_HEX + 1];
	char sha_hex[SHA_HEX + 1];
	char sig_b64[SIG_B64 + 1];
	int rc = crypto_key_id(key, id);

	if (rc)
		return rc;
	rc = crypto_key_sign(key, data ? data : "", len, sig);
	if (rc)
		return rc;
	crypto_sha256(data ? data : "", len, sha);
	crypto_hex_encode(id, sizeof(id), id_hex);
	crypto_hex_encode(sha, sizeof(sha), sha_hex);
	if (crypto_base64_encode(sig, sizeof(sig), sig_b64) != SIG_B64)
		return -EINVAL;
	return akios_buf_appendf(out,
				 SIG_HEADER "key-id: %s\nsha256: %s\n"
					    "signature: %s\n",
				 id_hex, sha_hex, sig_b64);
}

/* Reads "<label><value>\n" at *p, value exactly n bytes; advances *p. */
static const char *field(const char **p, const char *end, const char *label,
			 size_t n)
{
	size_t ll = strlen(label);
	const char *v = *p + ll;

	if ((size_t)(end - *p) < ll + n + 1 || memcmp(*p, label, ll) != 0 ||
	    v[n] != '\n')
		return NULL;
	*p = v + n + 1;
	return v;
}

/* Decodes hex and insists it re-encodes to the same (lower-case) text. */
static bool hex_exact(const char *in, uint8_t *out, size_t n)
{
	char again[SHA_HEX + 1];

	if (crypto_hex_decode(in, 2 * n, out, n) != 0)
		return false;
	crypto_hex_encode(out, n, again);
	return memcmp(again, in, 2 * n) == 0;
}

static bool b64_exact(const char *in, uint8_t out[CRYPTO_ED25519_SIG_LEN])
{
	uint8_t tmp[SIG_B64];
	char again[SIG_B64 + 1];

	if (crypto_base64_decode(in, SIG_B64, tmp, sizeof(tmp)) !=
	    CRYPTO_ED25519_SIG_LEN)
		return false;
	memcpy(out, tmp, CRYPTO_ED25519_SIG_LEN);
	crypto_base64_encode(out, CRYPTO_ED25519_SIG_LEN, again);
	return memcmp(again, in, SIG_B64) == 0;
}

static int sig_parse(const char *name, const char *s, size_t len,
		     struct sig_fields *f, struct akios_err *err)
{
	const char *end = s + len;
	const char *p = s;
	const char *id = NULL;
	const char *sha = NULL;
	const char *sig = NULL;

	if (len >= strlen(SIG_HEADER) &&
	    memcmp(s, SIG_HEADER, strlen(SIG_HEADER)) == 0) {
		p += strlen(SIG_HEADER);
		id = field(&p, end, "key-id: ", KEYID_HEX);
		sha = id ? field(&p, end, "sha256: ", SHA_HEX) : NULL;
		sig = sha ? field(&p, end, "signature: ", SIG_B64) : NULL;
	}
	if (!sig || p != end || !hex_exact(id, f->key_id, CRYPTO_KEY_ID_LEN) ||
	    !hex_exact(sha, f->sha, CRYPTO_SHA256_LEN) ||
	    !b64_exact(sig, f->sig))
		return akios_err_set(err, name, 0, 0,
				     "not an akios policy signature (malformed "
				     "or altered)");
	memcpy(f->key_id_hex, id, KEYID_HEX);
	f->key_id_hex[KEYID_HEX] = '\0';
	return 0;
}

static int check_parsed(const char *name, const struct sig_fields *f,
			const void *data, size_t len,
			const struct crypto_key *pub, struct akios_err *err)
{
	uint8_t id[CRYPTO_KEY_ID_LEN];
	uint8_t sha[CRYPTO_SHA256_LEN];
	char id_hex[KEYID_HEX + 1];
	int rc = crypto_key_id(pub, id);

	if (rc)
		return akios_err_set(err, name, 0, 0, "cannot read key id");
	crypto_hex_encode(id, sizeof(id), id_hex);
	if (memcmp(id, f->key_id, sizeof(id)) != 0)
		return akios_err_set(
		    err, name, 0, 0,
		    "signed by key %s, not by the given key %s", f->key_id_hex,
		    id_hex);
	crypto_sha256(data ? data : "", len, sha);
	if (memcmp(sha, f->sha, sizeof(sha)) != 0)
		return akios_err_set(err, name, 0, 0,
				     "the policy was changed after it was "
				     "signed (SHA-256 differs)");
	rc = crypto_verify(pub, data ? data : "", len, f->sig);
	if (rc == -EBADMSG || rc == 0) {
		if (rc)
			akios_err_set(err, name, 0, 0, "bad signature");
		return rc;
	}
	/* Not checked is not valid: fail closed, saying why. */
	akios_err_set(err, name, 0, 0, "cannot check the signature: %s",
		      crypto_strerror(rc));
	return rc;
}

int policy_sig_check(const char *sig_name, const char *sig, size_t sig_len,
		     const void *data, size_t len, const struct crypto_key *pub,
		     struct akios_err *err)
{
	struct sig_fields f;
	int rc = sig_parse(sig_name, sig, sig_len, &f, err);

	if (rc)
		return rc;
	return check_parsed(sig_name, &f, data, len, pub, err);
}

static int sig_name_of(const char *path, char *out, size_t size)
{
	int n = snprintf(out, size, "%s%s", path, POLICY_SIG_SUFFIX);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int policy_sign_file(const char *path, const char *key_path, char *sig_path,
		     size_t sig_path_size, struct akios_err *err)
{
	struct akios_buf data;
	struct akios_buf sig;
	struct crypto_key *key = NULL;
	char def[PATH_MAX];
	int rc;

	akios_buf_init(&data, AKIOS_MAX_POLICY_BYTES);
	akios_buf_init(&sig, AKIOS_MAX_SIG_BYTES);
	if (sig_name_of(path, sig_path, sig_path_size))
		return akios_err_set(err, path, 0, 0, "path too long");
	if (!key_path) {
		rc = keys_path(NULL, KEYS_PRIVATE_NAME, def, sizeof(def));
		if (rc)
			return akios_err_set(err, NULL, 0, 0,
					     "no default key directory (set "
					     "HOME or AKIOS_KEY_DIR)");
		key_path = def;
	}
	rc = crypto_key_load(key_path, &key, err);
	if (rc)
		goto out;
	if (!crypto_key_is_private(key)) {
		rc = akios_err_set(err, key_path, 0, 0,
				   "a public key cannot sign; give the "
				   "private key (akios.key)");
		goto out;
	}
	rc = fileio_read_all(path, &data, err);
	if (rc == 0) {
		rc = policy_sig_make(key, data.ptr, data.len, &sig);
		if (rc)
			akios_err_set(err, key_path, 0, 0, "cannot sign: %s",
				      crypto_strerror(rc));
	}
	if (rc == 0)
		rc = fileio_write_atomic(sig_path, sig.ptr, sig.len, 0644,
					 FILEIO_REPLACE, err);
out:
	crypto_key_free(key);
	akios_buf_free(&data);
	akios_buf_free(&sig);
	return rc;
}

/* Finds the *.pub in dir whose id is want; *out set on success. */
static int find_trusted(const char *dir, const struct sig_fields *f,
			const char *name, struct crypto_key **out,
			struct akios_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return akios_err_set(err, dir, 0, 0,
				     "cannot open trusted key directory: %s",
				     strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char path[PATH_MAX];
		struct crypto_key *k = NULL;
		uint8_t id[CRYPTO_KEY_ID_LEN];
		struct akios_err ignored;

		if (n < 5 || strcmp(e->d_name + n - 4, ".pub") != 0 ||
		    keys_path(dir, e->d_name, path, sizeof(path)) != 0 ||
		    crypto_key_load(path, &k, &ignored) != 0)
			continue;
		if (crypto_key_id(k, id) == 0 &&
		    memcmp(id, f->key_id, sizeof(id)) == 0) {
			closedir(d);
			*out = k;
			return 0;
		}
		crypto_key_free(k);
	}
	closedir(d);
	return akios_err_set(err, name, 0, 0,
			     "signed by key %s, which is not among the "
			     "trusted keys in %s",
			     f->key_id_hex, dir);
}

static int load_verifier(const char *name, const struct sig_fields *f,
			 const char *pub_path, const char *trusted_dir,
			 struct crypto_key **key, struct akios_err *err)
{
	char def[PATH_MAX];

	if (pub_path)
		return crypto_key_load(pub_path, key, err);
	if (!trusted_dir) {
		if (keys_default_dir(def, sizeof(def)) != 0)
			return akios_err_set(err, name, 0, 0,
					     "no trusted keys: give --pub or "
					     "--trusted-keys");
		trusted_dir = def;
	}
	return find_trusted(trusted_dir, f, name, key, err);
}

int policy_verify_data(const char *name, const void *data, size_t len,
		       const char *pub_path, const char *trusted_dir,
		       char key_id[2 * CRYPTO_KEY_ID_LEN + 1],
		       struct akios_err *err)
{
	struct akios_buf sig;
	struct crypto_key *key = NULL;
	char sig_path[PATH_MAX];
	struct sig_fields f;
	int rc;

	akios_buf_init(&sig, AKIOS_MAX_SIG_BYTES);
	if (sig_name_of(name, sig_path, sizeof(sig_path)))
		return akios_err_set(err, name, 0, 0, "path too long");
	if (faccessat(AT_FDCWD, sig_path, F_OK, AT_SYMLINK_NOFOLLOW) != 0 &&
	    errno == ENOENT)
		return akios_err_set(err, name, 0, 0,
				     "not signed (no %s; run akios policy "
				     "sign)",
				     sig_path);
	rc = fileio_read_all(sig_path, &sig, err);
	if (rc == 0)
		rc = sig_parse(sig_path, sig.ptr ? sig.ptr : "", sig.len, &f,
			       err);
	if (rc == 0)
		rc = load_verifier(name, &f, pub_path, trusted_dir, &key, err);
	if (rc == 0)
		rc = check_parsed(name, &f, data, len, key, err);
	if (rc == 0 && key_id)
		memcpy(key_id, f.key_id_hex, KEYID_HEX + 1);
	crypto_key_free(key);
	akios_buf_free(&sig);
	return rc;
}

int policy_verify_file(const char *path, const char *pub_path,
		       const char *trusted_dir,
		       char key_id[2 * CRYPTO_KEY_ID_LEN + 1],
		       struct akios_err *err)
{
	struct akios_buf data;
	int rc;

	akios_buf_init(&data, AKIOS_MAX_POLICY_BYTES);
	rc = fileio_read_all(path, &data, err);
	if (rc == 0)
		rc = policy_verify_data(path, data.ptr, data.len, pub_path,
					trusted_dir, key_id, err);
	akios_buf_free(&data);
	return rc;
}
