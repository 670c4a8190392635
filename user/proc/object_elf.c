/* Mapped objects' ELF header, PT_LOADs, build id and .gnu_debuglink (see object.h), read with
 * strict bounds from a file descriptor or a memory image through one reader, so that the
 * fuzzed path (memory) and the real path (file) run the same parser. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc/object.h"

/* Real objects stay far below these; they bound the work an adversarial file can cause. */
#define MAX_PHNUM 4096
#define MAX_SHNUM 4096
#define NOTE_BUDGET (256u << 10)	/* note bytes scanned per object */
#define WINDOW_SIZE 4096

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* A bounded view of an ELF image: a memory buffer, or a file read through a one-window
 * cache (headers and notes sit close together, so most reads need no syscall). */
struct elf_src {
	const unsigned char *mem;
	int fd;
	uint64_t size;
	uint64_t win_off;
	size_t win_len;
	unsigned char win[WINDOW_SIZE];
};

/* The ELF header fields we use, class-independent. */
struct ehdr_info {
	bool is64;
	uint16_t type;
	uint64_t phoff, shoff;
	uint32_t phnum, shnum, shstrndx;
	uint16_t phentsize, shentsize;
};

struct phdr_info {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz, align;
};

static int pread_full(int fd, void *dst, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)dst + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

/* Copies [off, off+n) of the image to dst; -EINVAL if any of it lies outside. */
static int src_read(struct elf_src *src, uint64_t off, void *dst, size_t n)
{
	size_t got;
	int err;

	if (off > src->size || n > src->size - off)
		return -EINVAL;
	if (src->mem) {
		memcpy(dst, src->mem + off, n);
		return 0;
	}
	if (n > WINDOW_SIZE) {
		err = pread_full(src->fd, dst, n, off, &got);
		return err ? err : got == n ? 0 : -EINVAL;
	}
	if (off < src->win_off || off + n > src->win_off + src->win_len) {
		src->win_len = 0;
		err = pread_full(src->fd, src->win, WINDOW_SIZE, off, &got);
		if (err)
			return err;
		src->win_off = off;
		src->win_len = got;
		if (got < n)
			return -EINVAL; /* the file shrank under us */
	}
	memcpy(dst, src->win + (off - src->win_off), n);
	return 0;
}

static int read_shdr(struct elf_src *src, const struct ehdr_info *eh, uint64_t i, Elf64_Shdr *sh)
{
	uint64_t off = eh->shoff + i * eh->shentsize;
	Elf32_Shdr s32;
	int err;

	if (eh->is64)
		return src_read(src, off, sh, sizeof(*sh));
	err = src_read(src, off, &s32, sizeof(s32));
	if (err)
		return err;
	sh->sh_name = s32.sh_name;
	sh->sh_type = s32.sh_type;
	sh->sh_offset = s32.sh_offset;
	sh->sh_size = s32.sh_size;
	sh->sh_addralign = s32.sh_addralign;
	sh->sh_info = s32.sh_info;
	return 0;
}

static int read_phdr(struct elf_src *src, const struct ehdr_info *eh, uint32_t i,
		     struct phdr_info *ph)
{
	uint64_t off = eh->phoff + (uint64_t)i * eh->phentsize;
	Elf64_Phdr p64;
	Elf32_Phdr p32;
	int err;

	if (eh->is64) {
		err = src_read(src, off, &p64, sizeof(p64));
		if (err)
			return err;
		*ph = (struct phdr_info){ p64.p_type, p64.p_flags, p64.p_offset, p64.p_vaddr,
					  p64.p_filesz, p64.p_memsz, p64.p_align };
		return 0;
	}
	err = src_read(src, off, &p32, sizeof(p32));
	if (err)
		return err;
	*ph = (struct phdr_info){ p32.p_type, p32.p_flags, p32.p_offset, p32.p_vaddr,
				  p32.p_filesz, p32.p_memsz, p32.p_align };
	return 0;
}

static int parse_ident(struct elf_src *src, struct ehdr_info *eh)
{
	unsigned char ident[EI_NIDENT];
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;
	int err;

	err = src_read(src, 0, ident, sizeof(ident));
	if (err)
		return err;
	if (memcmp(ident, ELFMAG, SELFMAG) || ident[EI_DATA] != NATIVE_DATA ||
	    ident[EI_VERSION] != EV_CURRENT)
		return -EINVAL;
	if (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32)
		return -EINVAL;
	eh->is64 = ident[EI_CLASS] == ELFCLASS64;
	if (eh->is64) {
		err = src_read(src, 0, &e64, sizeof(e64));
		if (err)
			return err;
		*eh = (struct ehdr_info){ true, e64.e_type, e64.e_phoff, e64.e_shoff,
					  e64.e_phnum, e64.e_shnum, e64.e_shstrndx,
					  e64.e_phentsize, e64.e_shentsize };
	} else {
		err = src_read(src, 0, &e32, sizeof(e32));
		if (err)
			return err;
		*eh = (struct ehdr_info){ false, e32.e_type, e32.e_phoff, e32.e_shoff,
					  e32.e_phnum, e32.e_shnum, e32.e_shstrndx,
					  e32.e_phentsize, e32.e_shentsize };
	}
	return 0;
}

/* Reads and checks the ELF header, resolving the extended numbering (gABI: e_phnum ==
 * PN_XNUM, e_shnum == 0 and e_shstrndx == SHN_XINDEX keep the real values in section
 * header 0). */
static int parse_ehdr(struct elf_src *src, struct ehdr_info *eh)
{
	size_t min_ph, min_sh;
	Elf64_Shdr sh0;
	int err;

	err = parse_ident(src, eh);
	if (err)
		return err;
	min_ph = eh->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	min_sh = eh->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	if (eh->shoff && eh->shentsize < min_sh)
		eh->shoff = 0; /* unusable section headers: notes from segments only */
	if (eh->shoff && (eh->phnum == PN_XNUM || eh->shnum == 0 || eh->shstrndx == SHN_XINDEX)) {
		if (read_shdr(src, eh, 0, &sh0))
			eh->shoff = 0;
		else {
			if (eh->phnum == PN_XNUM)
				eh->phnum = sh0.sh_info;
			if (eh->shnum == 0)
				eh->shnum = sh0.sh_size > UINT32_MAX ? UINT32_MAX : (uint32_t)sh0.sh_size;
			if (eh->shstrndx == SHN_XINDEX)
				eh->shstrndx = sh0.sh_link;
		}
	}
	if (!eh->shoff)
		eh->shnum = 0;
	if (eh->phnum > MAX_PHNUM || (eh->phnum && eh->phentsize < min_ph))
		return -EINVAL;
	return 0;
}

static void hex_encode(char *out, size_t out_size, const unsigned char *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < out_size; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * i] = '\0';
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Scans the notes in [off, off+size) for NT_GNU_BUILD_ID. Note entries are padded to 4
 * bytes, or 8 in segments/sections aligned to 8 (GNU property notes). Returns true when
 * found. *budget bounds the bytes scanned across all calls. */
static bool scan_notes(struct elf_src *src, uint64_t off, uint64_t size, uint64_t align,
		       uint64_t *budget, char *build_id, size_t build_id_size)
{
	unsigned char desc[20];
	uint64_t end, namesz, descsz;
	Elf64_Nhdr nh; /* same layout as Elf32_Nhdr */
	char name[4];

	align = align == 8 ? 8 : 4;
	if (size > *budget)
		size = *budget;
	*budget -= size;
	if (off > src->size || size > src->size - off)
		size = off > src->size ? 0 : src->size - off;
	end = off + size;
	while (end - off >= sizeof(nh)) {
		if (src_read(src, off, &nh, sizeof(nh)))
			return false;
		off += sizeof(nh);
		namesz = align_up(nh.n_namesz, align);
		descsz = align_up(nh.n_descsz, align);
		if (namesz > end - off || nh.n_descsz > end - off - namesz)
			return false;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && nh.n_descsz > 0) {
			if (src_read(src, off, name, 4) == 0 && memcmp(name, "GNU", 4) == 0) {
				size_t n = nh.n_descsz < sizeof(desc) ? nh.n_descsz : sizeof(desc);

				if (src_read(src, off + namesz, desc, n))
					return false;
				hex_encode(build_id, build_id_size, desc, n);
				return true;
			}
		}
		off += namesz;
		if (descsz > end - off)
			return false;
		off += descsz;
	}
	return false;
}

static int parse_phdrs(struct elf_src *src, const struct ehdr_info *eh, struct object *obj,
		       uint64_t *budget)
{
	struct phdr_info ph;
	uint32_t i;
	int err;

	for (i = 0; i < eh->phnum; i++) {
		err = read_phdr(src, eh, i, &ph);
		if (err)
			return err;
		if (ph.type == PT_LOAD && obj->n_loads < OBJECT_MAX_LOADS) {
			obj->loads[obj->n_loads++] = (struct object_load){
				.vaddr = ph.vaddr, .memsz = ph.memsz,
				.offset = ph.offset, .filesz = ph.filesz, .flags = ph.flags,
			};
		}
		if (ph.type == PT_NOTE && !obj->build_id[0])
			scan_notes(src, ph.offset, ph.filesz, ph.align, budget, obj->build_id,
				   sizeof(obj->build_id));
	}
	return 0;
}

/* Objects linked without a PT_NOTE for the build id (and separate debug files) still carry
 * it in a SHT_NOTE section. */
static void scan_note_sections(struct elf_src *src, const struct ehdr_info *eh,
			       struct object *obj, uint64_t *budget)
{
	uint32_t i, n = eh->shnum < MAX_SHNUM ? eh->shnum : MAX_SHNUM;
	Elf64_Shdr sh;

	for (i = 0; i < n && *budget && !obj->build_id[0]; i++) {
		if (read_shdr(src, eh, i, &sh))
			return;
		if (sh.sh_type == SHT_NOTE)
			scan_notes(src, sh.sh_offset, sh.sh_size, sh.sh_addralign, budget,
				   obj->build_id, sizeof(obj->build_id));
	}
}

/* .gnu_debuglink: a file name, NUL, padding to 4, then the CRC-32 of the debug file. The
 * name comes from the file: only a plain name (no directory) is kept. */
static void read_debuglink(struct elf_src *src, const struct ehdr_info *eh, struct object *obj)
{
	static const char want[] = ".gnu_debuglink";
	uint32_t i, n = eh->shnum < MAX_SHNUM ? eh->shnum : MAX_SHNUM;
	char name[sizeof(want)], buf[sizeof(obj->debuglink) + 8];
	size_t len, nlen, crc_off;
	Elf64_Shdr str, sh;

	if (eh->shstrndx >= n || read_shdr(src, eh, eh->shstrndx, &str))
		return;
	for (i = 1; i < n; i++) {
		if (read_shdr(src, eh, i, &sh) || sh.sh_type != SHT_PROGBITS ||
		    sh.sh_name >= str.sh_size || str.sh_size - sh.sh_name < sizeof(want) ||
		    src_read(src, str.sh_offset + sh.sh_name, name, sizeof(want)) ||
		    memcmp(name, want, sizeof(want)))
			continue;
		len = sh.sh_size < sizeof(buf) ? sh.sh_size : sizeof(buf);
		if (src_read(src, sh.sh_offset, buf, len))
			return;
		nlen = strnlen(buf, len);
		crc_off = (nlen + 4) & ~(size_t)3;
		if (!nlen || nlen >= sizeof(obj->debuglink) || crc_off + 4 > len ||
		    memchr(buf, '/', nlen) || !strcmp(buf, ".") || !strcmp(buf, ".."))
			return;
		memcpy(obj->debuglink, buf, nlen + 1);
		memcpy(&obj->debuglink_crc, buf + crc_off, 4);
		return;
	}
}

static int parse_src(struct object *obj, struct elf_src *src)
{
	uint64_t budget = NOTE_BUDGET;
	struct ehdr_info eh;
	int err;

	obj->is_elf = false;
	obj->e_type = 0;
	obj->n_loads = 0;
	obj->build_id[0] = '\0';
	obj->debuglink[0] = '\0';
	err = parse_ehdr(src, &eh);
	if (err)
		goto out;
	err = parse_phdrs(src, &eh, obj, &budget);
	if (err)
		goto out;
	if (!obj->build_id[0])
		scan_note_sections(src, &eh, obj, &budget);
	read_debuglink(src, &eh, obj);
	obj->e_type = eh.type;
	obj->is_elf = true;
out:
	if (err) {
		obj->n_loads = 0;
		obj->build_id[0] = '\0';
		obj->debuglink[0] = '\0';
	}
	return err;
}

int object__parse_elf(struct object *obj, const void *buf, size_t len)
{
	struct elf_src src = { .mem = buf, .fd = -1, .size = buf ? len : 0 };

	return parse_src(obj, &src);
}

int object__parse_fd(struct object *obj, int fd)
{
	struct elf_src *src;
	struct stat st;
	int err;

	if (fstat(fd, &st))
		return -errno;
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->fd = fd;
	src->size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	err = parse_src(obj, src);
	free(src);
	return err;
}

int object__file_offset_to_vaddr(const struct object *obj, uint64_t file_offset, uint64_t *vaddr)
{
	const struct object_load *l;
	size_t i;

	/* File bytes first; then the zero-filled tail of a segment (a .bss variable that
	 * shares the last file page of the data mapping). */
	for (i = 0; i < obj->n_loads; i++) {
		l = &obj->loads[i];
		if (file_offset >= l->offset && file_offset - l->offset < l->filesz) {
			*vaddr = l->vaddr + (file_offset - l->offset);
			return 0;
		}
	}
	for (i = 0; i < obj->n_loads; i++) {
		l = &obj->loads[i];
		if (file_offset >= l->offset && file_offset - l->offset < l->memsz) {
			*vaddr = l->vaddr + (file_offset - l->offset);
			return 0;
		}
	}
	return -ENOENT;
}
