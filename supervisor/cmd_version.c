/* akios version: the version, the libraries akios was built against and
 * whether it hands commands to akios-ext, so a bug report carries what
 * matters. */
#include "shared/common.h"
#include "shared/exitcodes.h"
#include "supervisor/cli.h"
#include "supervisor/commands.h"
#include "supervisor/ext.h"

#include <openssl/opensslv.h>
#include <seccomp.h>
#include <stdio.h>
#include <yaml.h>

static const struct cli_spec version_spec = {
    .name = "version",
    .usage = "",
    .summary = "Print the akios version and its library versions.",
};

int cmd_version(int argc, char **argv)
{
	struct cli_args args;
	bool done;
	int rc = cli_parse_or_help(&version_spec, argc, argv, &args, &done);
	const struct scmp_version *sv;

	if (done)
		return rc;
	sv = seccomp_version();
	printf("akios %s\n", AKIOS_VERSION);
	printf("libseccomp %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	printf("libyaml %s\n", yaml_get_version_string());
	printf("%s\n", OPENSSL_VERSION_TEXT);
	/* which build this is: the static akios or one that loads libhs and
	 * libcurl itself (akios-ext, sanitizer and AKIOS_STATIC_LIBS=0) */
	printf("companion: %s\n", ext_required() ? EXT_NAME
				      " (redact, audit export --to)"
						 : "none");
	return AKIOS_EXIT_OK;
}
