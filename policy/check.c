/* policy/check.c: checks of single values with a meaning beyond their
 * type: paths (absolute, normalised, "${CWD}" expanded), URLs, network
 * endpoints (host:port, IP literals normalised) and environment names.
 * Pure: inet_pton/inet_ntop only convert text. */
#include "shared/common.h"
#include "policy/policy_int.h"
#include "shared/limits.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>

#define CWD_TOKEN "${CWD}"

/* "${CWD}" or "${CWD}/rest" → the current directory joined with rest. */
static char *expand_cwd(struct vctx *c, const struct pnode *n)
{
	const char *rest = n->str + strlen(CWD_TOKEN);
	char *out = NULL;

	if (rest[0] != '\0' && rest[0] != '/') {
		verr(c, n, "${CWD} must be followed by '/' or nothing");
		return NULL;
	}
	if (!c->cwd) {
		verr(c, n, "${CWD} is not available here");
		return NULL;
	}
	if (strcmp(c->cwd, "/") == 0)
		out = strdup(rest[0] ? rest : "/");
	else if (asprintf(&out, "%s%s", c->cwd, rest) < 0)
		out = NULL;
	if (!out)
		c->oom = true;
	return out;
}

/* Absolute and already normal: no "//", "/./", "/../", no trailing '/'. */
const char *policy_path_problem(const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '/')
		return "must be absolute (start with '/' or ${CWD})";
	if (len >= AKIOS_MAX_PATH_BYTES)
		return "is too long";
	if (has_control(s, len))
		return "contains a control character";
	if (len > 1 && s[len - 1] == '/')
		return "is not normalised (remove the trailing '/')";
	for (const char *p = s; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/')
			return "is not normalised (contains '//')";
		if (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return "is not normalised (contains '/./')";
		if (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
			return "must not contain '..'";
	}
	return NULL;
}

char *v_path(struct vctx *c, const struct pnode *n)
{
	char *s = v_string(c, n);
	const char *why;

	if (!s)
		return NULL;
	if (strstr(s + (strncmp(s, CWD_TOKEN, 6) == 0 ? 6 : 0), "${")) {
		verr(c, n, "'%s': only ${CWD} is expanded, at the start", s);
		free(s);
		return NULL;
	}
	if (strncmp(s, CWD_TOKEN, strlen(CWD_TOKEN)) == 0) {
		free(s);
		s = expand_cwd(c, n);
		if (!s)
			return NULL;
	}
	why = policy_path_problem(s);
	if (why) {
		verr(c, n, "path '%s' %s", s, why);
		free(s);
		return NULL;
	}
	return s;
}

char *v_url(struct vctx *c, const struct pnode *n)
{
	char *s = v_string(c, n);
	const char *host;

	if (!s)
		return NULL;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		host = NULL;
	if (!host || host[0] == '\0' || host[0] == '/' || strchr(s, ' ')) {
		verr(c, n, "'%s' is not an http:// or https:// URL", s);
		free(s);
		return NULL;
	}
	return s;
}

/* A DNS name: labels of [a-z0-9-], 1..63 long, not starting or ending
 * with '-'; lower-cased in place. */
static bool dns_name_ok(char *h)
{
	size_t label = 0;
	size_t len = strlen(h);

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = (unsigned char)h[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isascii(ch) || !(isalnum(ch) || ch == '-'))
			return false;
		if (label == 0 && ch == '-')
			return false;
		h[i] = (char)tolower(ch);
		label++;
	}
	return true;
}

static bool all_digits_dots(const char *h)
{
	for (; *h; h++) {
		if (!isdigit((unsigned char)*h) && *h != '.')
			return false;
	}
	return true;
}

/* Normalises host into out (IP literals through inet_ntop). */
static const char *host_normalise(char *host, bool bracketed, char *out,
				  size_t size)
{
	unsigned char addr[16];

	if (bracketed) {
		if (inet_pton(AF_INET6, host, addr) != 1 ||
		    !inet_ntop(AF_INET6, addr, out, (socklen_t)size))
			return "is not a valid IPv6 address";
		return NULL;
	}
	if (strchr(host, ':'))
		return "is an IPv6 address: write it as [addr]:port";
	if (all_digits_dots(host)) {
		if (inet_pton(AF_INET, host, addr) != 1 ||
		    !inet_ntop(AF_INET, addr, out, (socklen_t)size))
			return "is not a valid IPv4 address";
		return NULL;
	}
	if (!dns_name_ok(host) || strlen(host) >= size)
		return "is not a valid host name";
	memcpy(out, host, strlen(host) + 1);
	return NULL;
}

static bool parse_port(const char *s, uint16_t *out)
{
	unsigned v = 0;

	if (s[0] == '\0' || s[0] == '0' || strlen(s) > 5)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool endpoint_split(struct vctx *c, const struct pnode *n, char *s,
			   char **host, bool *bracketed, uint16_t *port)
{
	char *colon;

	if (strstr(s, "://")) {
		verr(c, n,
		     "'%s': write host:port (e.g. api.openai.com:443), "
		     "not a URL",
		     s);
		return false;
	}
	*bracketed = s[0] == '[';
	if (*bracketed) {
		char *end = strchr(s, ']');

		if (!end || end[1] != ':') {
			verr(c, n, "'%s': expected [IPv6]:port", s);
			return false;
		}
		*end = '\0';
		*host = s + 1;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			verr(c, n, "'%s': expected host:port", s);
			return false;
		}
		*colon = '\0';
		*host = s;
	}
	if (!parse_port(colon + 1, port)) {
		verr(c, n, "'%s': the port must be a number in 1..65535",
		     colon + 1);
		return false;
	}
	return true;
}

bool v_endpoint(struct vctx *c, const struct pnode *n,
		struct policy_endpoint *out)
{
	char *s = v_string(c, n);
	char norm[INET6_ADDRSTRLEN > 254 ? INET6_ADDRSTRLEN : 254];
	char *host = NULL;
	bool bracketed = false;
	uint16_t port = 0;
	const char *why;

	if (!s)
		return false;
	if (!endpoint_split(c, n, s, &host, &bracketed, &port))
		goto fail;
	why = host_normalise(host, bracketed, norm, sizeof(norm));
	if (why) {
		verr(c, n, "host '%s' %s", host, why);
		goto fail;
	}
	out->host = strdup(norm);
	if (!out->host) {
		c->oom = true;
		goto fail;
	}
	out->port = port;
	out->loc = (struct policy_loc){n->line, n->col};
	free(s);
	return true;
fail:
	free(s);
	return false;
}

char *v_env_name(struct vctx *c, const struct pnode *n)
{
	char *s = v_string(c, n);

	if (!s)
		return NULL;
	for (size_t i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool ok = ch == '_' || (isascii(ch) && isalpha(ch)) ||
			  (i > 0 && isdigit(ch));

		if (!ok) {
			verr(c, n,
			     "'%s' is not a valid environment variable "
			     "name",
			     s);
			goto fail;
		}
	}
	/* The cage sets these itself: a policy must not steer the dynamic
	 * loader or akios's own preload. */
	if (strncmp(s, "LD_", 3) == 0 || strncmp(s, "AKIOS_", 6) == 0) {
		verr(c, n,
		     "'%s' is reserved (LD_* and AKIOS_* are set by "
		     "akios)",
		     s);
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}
