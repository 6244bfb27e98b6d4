/* Runs a libFuzzer harness over files without libFuzzer, so make test can
 * replay the committed corpus (tests/fuzz/corpus/<harness>/) with gcc and
 * ASan builds. Usage: replay FILE... ; a crash fails the run. */
#include "shared/common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t cap = 0;
	size_t len = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *p = realloc(data, cap ? cap * 2 : 4096);

			if (!p) {
				free(data);
				fclose(f);
				return 1;
			}
			data = p;
			cap = cap ? cap * 2 : 4096;
		}
		size_t n = fread(data + len, 1, cap - len, f);

		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay_file(argv[i]);
	return bad;
}
