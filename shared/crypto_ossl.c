/* crypto_ossl: libcrypto.so.3 through dlopen/dlsym, resolved completely
 * at load (RTLD_NOW, like the binary's own -z now), and the preload: one
 * thread that loads it, initialises it the lean way and prepares the
 * signing key bound to it (or warms its Ed25519 code) while the caller
 * goes on. dlopen counts references and libcrypto is NODELETE, so each
 * holder keeps its own handle. */
#include "shared/common.h"
#include "shared/crypto_int.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *sym(void *lib, const char *name, bool *ok)
{
	void *p = dlsym(lib, name);

	*ok = *ok && p;
	return p;
}

/* Test builds can name another library, to test the missing case. */
static const char *lib_name(void)
{
#ifdef AKIOS_TESTING
	const char *t = getenv("AKIOS_TEST_LIBCRYPTO");

	if (t && *t)
		return t;
#endif
	return CRYPTO_OSSL_LIB;
}

static void resolve(struct crypto_ossl *o, bool *ok)
{
	void *l = o->lib;

	o->init_crypto = sym(l, "OPENSSL_init_crypto", ok);
	o->new_raw_private = sym(l, "EVP_PKEY_new_raw_private_key", ok);
	o->new_raw_public = sym(l, "EVP_PKEY_new_raw_public_key", ok);
	o->get_raw_public = sym(l, "EVP_PKEY_get_raw_public_key", ok);
	o->pkey_free = sym(l, "EVP_PKEY_free", ok);
	o->md_new = sym(l, "EVP_MD_CTX_new", ok);
	o->md_free = sym(l, "EVP_MD_CTX_free", ok);
	o->sign_init = sym(l, "EVP_DigestSignInit", ok);
	o->sign = sym(l, "EVP_DigestSign", ok);
	o->verify_init = sym(l, "EVP_DigestVerifyInit", ok);
	o->verify = sym(l, "EVP_DigestVerify", ok);
}

/* Lean: no openssl.cnf (the cage must not depend on the host's OpenSSL
 * configuration, and akios's Ed25519 comes from the built-in default
 * provider either way), no exit-time cleanup (the process is about to
 * end), no error strings (failures map to errno values) and no legacy
 * cipher/digest name tables (providers fetch by their own names; those
 * tables are most of OpenSSL's first use). */
static int init_lean(const struct crypto_ossl *o)
{
	uint64_t flags = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT |
			 OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
			 OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			 OPENSSL_INIT_NO_ADD_ALL_DIGESTS;

	return o->init_crypto(flags, NULL) == 1 ? 0 : -ELIBACC;
}

int crypto_ossl_open(struct crypto_ossl *o, bool lean, char *why,
		     size_t why_len)
{
	bool ok = true;

	memset(o, 0, sizeof(*o));
	o->lib = dlopen(lib_name(), RTLD_NOW | RTLD_LOCAL);
	if (!o->lib) {
		if (why)
			snprintf(why, why_len, "%s", dlerror());
		return -ELIBACC;
	}
	resolve(o, &ok);
	if (ok && (!lean || init_lean(o) == 0))
		return 0;
	if (why)
		snprintf(why, why_len, "%s lacks the OpenSSL 3 EVP API",
			 lib_name());
	crypto_ossl_close(o);
	return -ELIBACC;
}

void crypto_ossl_close(struct crypto_ossl *o)
{
	if (o->lib)
		dlclose(o->lib);
	memset(o, 0, sizeof(*o));
}

/* rc, ossl and why are written by the thread before it ends and read
 * by the owner only after a join; key and taken are shared under mu. */
struct crypto_preload {
	pthread_t thread;
	bool joined;
	int rc;
	struct crypto_ossl ossl;
	char why[200];
	pthread_mutex_t mu;
	struct crypto_key *key; /* offered; prepared by the thread */
	bool taken;		/* the thread has looked at key */
#ifdef AKIOS_TESTING
	sigset_t mask; /* the thread's signal mask */
#endif
};

/* Without a key to prepare: one signature with a throwaway key. The
 * provider fetches (key management, signature) are cached in libcrypto,
 * so a key prepared later costs only its own arithmetic. */
static void warm(const struct crypto_ossl *o)
{
	static const uint8_t seed[32] = {1};
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	size_t n = sizeof(sig);
	EVP_PKEY *k = o->new_raw_private(EVP_PKEY_ED25519, NULL, seed, 32);
	EVP_MD_CTX *c = k ? o->md_new() : NULL;

	if (c && o->sign_init(c, NULL, NULL, NULL, k) == 1)
		(void)!o->sign(c, sig, &n, (const uint8_t *)"", 0);
	o->md_free(c);
	o->pkey_free(k);
}

static void *preload_main(void *arg)
{
	struct crypto_preload *p = arg;
	struct crypto_key *key;

#ifdef AKIOS_TESTING
	(void)pthread_sigmask(SIG_BLOCK, NULL, &p->mask);
#endif
	p->rc = crypto_ossl_open(&p->ossl, true, p->why, sizeof(p->why));
	if (p->rc)
		return NULL;
	pthread_mutex_lock(&p->mu);
	p->taken = true;
	key = p->key;
	pthread_mutex_unlock(&p->mu);
	/* The key's owner touches its libcrypto side only after a join. */
	if (!key || crypto_key_prepare_with(key, &p->ossl) != 0)
		warm(&p->ossl);
	return NULL;
}

void crypto_preload_offer(struct crypto_preload *p, struct crypto_key *key)
{
	pthread_mutex_lock(&p->mu);
	if (!p->taken)
		p->key = key;
	pthread_mutex_unlock(&p->mu);
}

/* The thread blocks every signal (it inherits the mask it is created
 * with): a signal to the process goes to a thread that handles it (akios
 * run's signalfd), never takes its default action here. */
int crypto_preload_start(struct crypto_preload **out)
{
	struct crypto_preload *p = calloc(1, sizeof(*p));
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	sigfillset(&all);
	rc = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc == 0) {
		rc = pthread_create(&p->thread, NULL, preload_main, p);
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -rc;
	}
	*out = p;
	return 0;
}

int crypto_preload_ossl(struct crypto_preload *p, bool block,
			const struct crypto_ossl **o)
{
	if (!p->joined) {
		int rc = block ? pthread_join(p->thread, NULL)
			       : pthread_tryjoin_np(p->thread, NULL);

		if (rc == EBUSY)
			return -EAGAIN;
		if (rc)
			return -rc;
		p->joined = true;
	}
	*o = &p->ossl;
	return p->rc;
}

int crypto_preload_wait(struct crypto_preload *p, struct akios_err *err)
{
	const struct crypto_ossl *o;
	int rc = crypto_preload_ossl(p, true, &o);

	if (rc == -ELIBACC)
		akios_err_set(err, NULL, 0, 0, "%s: %s", crypto_strerror(rc),
			      p->why);
	else if (rc)
		akios_err_set(err, NULL, 0, 0, "loading %s: %s",
			      CRYPTO_OSSL_LIB, strerror(-rc));
	return rc;
}

void crypto_preload_free(struct crypto_preload *p)
{
	if (!p)
		return;
	if (!p->joined)
		(void)pthread_join(p->thread, NULL);
	crypto_ossl_close(&p->ossl);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

const char *crypto_strerror(int rc)
{
	if (rc == -ELIBACC)
		return "Ed25519 signatures need OpenSSL 3's " CRYPTO_OSSL_LIB
		       ", which cannot be loaded (Debian: apt-get install "
		       "" CRYPTO_OSSL_PKG ")";
	return strerror(rc < 0 ? -rc : rc);
}

#ifdef AKIOS_TESTING
bool crypto_preload_blocks(struct crypto_preload *p, int sig)
{
	const struct crypto_ossl *o;

	(void)!crypto_preload_ossl(p, true, &o);
	return sigismember(&p->mask, sig) == 1;
}
#endif
