/* The PII harnesses' engines: compiling the databases takes long
 * (seconds under ASan), so each harness keeps one engine per mode per
 * process, built on first use. libFuzzer calls LLVMFuzzerInitialize once
 * before any input, so the compile is not charged to (nor reported as a
 * slow) first input; the replayer does not call it and engine() builds
 * lazily there. Included by one harness per program only. */
#ifndef AKIOS_TESTS_FUZZ_PII_ENGINES_H
#define AKIOS_TESTS_FUZZ_PII_ENGINES_H

#include "shared/pii/pii.h"

static struct pii_engine *engines[3];

static struct pii_engine *engine(unsigned mode)
{
	struct pii_config cfg = {.mode = (enum pii_mode)mode};

	if (!engines[mode] && pii_engine_new(&cfg, &engines[mode], NULL))
		__builtin_trap();
	return engines[mode];
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned m = 0; m < 3; m++)
		(void)engine(m);
	return 0;
}

#endif
