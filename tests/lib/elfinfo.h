/* What a test needs to know about an ELF executable's linking: the
 * program headers and the dynamic section, read from the file (no
 * readelf, no loader), so a test can tell a static PIE from a dynamic
 * one and check the hardening properties of each. */
#ifndef AKIOS_TEST_ELFINFO_H
#define AKIOS_TEST_ELFINFO_H

#include "shared/common.h"

#include <stdbool.h>

struct test_elf {
	bool pie;	 /* ET_DYN: loaded at a random base */
	bool interp;	 /* PT_INTERP: the kernel starts a dynamic loader */
	unsigned needed; /* DT_NEEDED entries */
	bool relro;	 /* PT_GNU_RELRO */
	bool bind_now;	 /* DF_BIND_NOW or DF_1_NOW */
	bool nx_stack;	 /* PT_GNU_STACK without PF_X */
	bool relr;	 /* DT_RELR: packed relative relocations */
};

/* Reads a 64-bit little-endian ELF file. 0, or -errno (-ENOEXEC when it
 * is not such a file). */
int test_elf_read(const char *path, struct test_elf *out);

#endif
