/* akios entry point: everything goes through the CLI dispatcher, which
 * maps every outcome to an exit code from shared/exitcodes.h. */
#include "shared/common.h"
#include "supervisor/cli.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	int rc = cli_main(argc, argv);

	if (fflush(stdout) != 0 && rc == 0)
		rc = 1;
	return rc;
}
