/* http_upload: libcurl through dlopen/dlsym, resolved completely at load
 * (RTLD_NOW, like the binary's own -z now) and closed after each upload.
 * Only the curl headers' types and constants are used at compile time, so
 * the binary has no DT_NEEDED on libcurl; a host without libcurl4 gets a
 * precise error on upload and every other command works. */
#define CURL_DISABLE_TYPECHECK 1
#include "shared/common.h"
#include "shared/http_upload.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>

struct curl_api {
	void *lib;
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
};

static void *sym(void *lib, const char *name, bool *ok)
{
	void *p = dlsym(lib, name);

	*ok = *ok && p;
	return p;
}

static int curl_load(struct curl_api *a, const char *url, struct akios_err *err)
{
	bool ok = true;

	a->lib = dlopen(HTTP_UPLOAD_LIBCURL, RTLD_NOW | RTLD_LOCAL);
	if (!a->lib)
		return akios_err_set(err, url, 0, 0,
				     "upload needs %s (Debian: apt-get install "
				     "libcurl4): %s",
				     HTTP_UPLOAD_LIBCURL, dlerror());
	a->easy_init = (CURL * (*)(void)) sym(a->lib, "curl_easy_init", &ok);
	a->easy_setopt = (CURLcode(*)(CURL *, CURLoption, ...))sym(
	    a->lib, "curl_easy_setopt", &ok);
	a->easy_perform =
	    (CURLcode(*)(CURL *))sym(a->lib, "curl_easy_perform", &ok);
	a->easy_cleanup =
	    (void (*)(CURL *))sym(a->lib, "curl_easy_cleanup", &ok);
	a->easy_strerror =
	    (const char *(*)(CURLcode))sym(a->lib, "curl_easy_strerror", &ok);
	if (ok)
		return 0;
	dlclose(a->lib);
	return akios_err_set(err, url, 0, 0, "%s lacks the curl_easy API",
			     HTTP_UPLOAD_LIBCURL);
}

static size_t read_cb(char *buf, size_t size, size_t n, void *ctx)
{
	return fread(buf, size, n, (FILE *)ctx);
}

static void set_options(const struct curl_api *a, CURL *c, FILE *f,
			const char *url, bool post, long size, char *ebuf)
{
	a->easy_setopt(c, CURLOPT_URL, url);
	a->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	a->easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	a->easy_setopt(c, CURLOPT_READDATA, f);
	a->easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	a->easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	a->easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (post) {
		a->easy_setopt(c, CURLOPT_POST, 1L);
		a->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			       (curl_off_t)size);
	} else {
		a->easy_setopt(c, CURLOPT_UPLOAD, 1L);
		a->easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	}
}

int http_upload(FILE *f, const char *url, bool post, long size,
		struct akios_err *err)
{
	struct curl_api a = {0};
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *c;
	int rc = curl_load(&a, url, err);

	if (rc)
		return rc;
	c = a.easy_init();
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	set_options(&a, c, f, url, post, size, ebuf);
	cc = a.easy_perform(c);
	a.easy_cleanup(c);
	if (cc != CURLE_OK)
		rc = akios_err_set(err, url, 0, 0, "upload failed: %s",
				   ebuf[0] ? ebuf : a.easy_strerror(cc));
out:
	dlclose(a.lib);
	return rc;
}
