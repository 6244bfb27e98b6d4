/* elfinfo: the program headers and dynamic section of an ELF file, read
 * with pread and checked against the file size before use. */
#include "shared/common.h"
#include "tests/lib/elfinfo.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#ifndef DT_RELR
#define DT_RELR 36
#endif

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -ENOEXEC;
}

static int read_dynamic(int fd, const Elf64_Phdr *ph, struct test_elf *out)
{
	for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= ph->p_filesz;
	     off += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;

		if (read_at(fd, &d, sizeof(d), ph->p_offset + off))
			return -ENOEXEC;
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_NEEDED)
			out->needed++;
		if (d.d_tag == DT_RELR)
			out->relr = true;
		if ((d.d_tag == DT_FLAGS && (d.d_un.d_val & DF_BIND_NOW)) ||
		    (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_NOW)))
			out->bind_now = true;
	}
	return 0;
}

static int read_phdrs(int fd, const Elf64_Ehdr *eh, struct test_elf *out)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		if (read_at(fd, &ph, sizeof(ph),
			    eh->e_phoff + (uint64_t)i * eh->e_phentsize))
			return -ENOEXEC;
		if (ph.p_type == PT_INTERP)
			out->interp = true;
		if (ph.p_type == PT_GNU_RELRO)
			out->relro = true;
		if (ph.p_type == PT_GNU_STACK)
			out->nx_stack = !(ph.p_flags & PF_X);
		if (ph.p_type == PT_DYNAMIC && read_dynamic(fd, &ph, out))
			return -ENOEXEC;
	}
	return 0;
}

int test_elf_read(const char *path, struct test_elf *out)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	rc = read_at(fd, &eh, sizeof(eh), 0);
	if (!rc && (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
		    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
		    eh.e_phentsize != sizeof(Elf64_Phdr)))
		rc = -ENOEXEC;
	if (!rc) {
		out->pie = eh.e_type == ET_DYN;
		rc = read_phdrs(fd, &eh, out);
	}
	close(fd);
	return rc;
}
