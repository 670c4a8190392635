/* Unwind-table compiler: rows checked against two independent readers of the same CFI,
 * binutils' readelf (--debug-dump=frames-interp, every location row of every FDE) and
 * libdw (dwarf_cfi_addrframe at both ends of every row), on fixtures and on the real libc;
 * the special rows (PLT, DEREF, SIGNAL, STOP, END); the page index; the disk cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>

#include "unwind/cfi.h"
#include "check.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"

static char fixture_dir[512];

static const char *fixture(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

/* path's table, with debug_path's .debug_frame (NULL: none) and sym_path's symbols. */
static int build_files(const char *path, const char *debug_path, const char *sym_path,
		       struct cfi_table **t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int dfd = debug_path ? open(debug_path, O_RDONLY | O_CLOEXEC) : -1;
	int sfd = sym_path ? open(sym_path, O_RDONLY | O_CLOEXEC) : -1;
	int err = fd < 0 || (debug_path && dfd < 0) || (sym_path && sfd < 0) ?
		  -errno : cfi_table__build(fd, dfd, sfd, t);

	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

/* path's table, with the separate debuginfo file debug_path (NULL: none), as the
 * unwinder builds an object without CFI of its own. */
static int build_file(const char *path, const char *debug_path, struct cfi_table **t)
{
	return build_files(path, debug_path, debug_path, t);
}

static bool same_row(const struct cprof_unwind_row *a, const struct cprof_unwind_row *b)
{
	return a->kind == b->kind && a->rbp_slot == b->rbp_slot && a->cfa_off == b->cfa_off;
}

/* Whether a and b have the same rows; *na and *nb get their numbers. */
static bool same_rows(const struct cfi_table *a, const struct cfi_table *b, size_t *na,
		      size_t *nb)
{
	const struct cprof_unwind_row *ra = cfi_table__rows(a, na), *rb = cfi_table__rows(b, nb);

	return *na == *nb && !memcmp(ra, rb, *na * sizeof(*ra));
}

static void fmt_row(char *buf, size_t len, const struct cprof_unwind_row *r)
{
	if (!r)
		snprintf(buf, len, "(none)");
	else
		snprintf(buf, len, "kind %u cfa_off %u rbp_slot %u", r->kind, r->cfa_off,
			 r->rbp_slot);
}

/* ---- symbols and sections of an ELF file (libelf) ---- */

struct elf_file {
	int fd;
	Elf *elf;
};

static bool elf_file__open(struct elf_file *f, const char *path)
{
	elf_version(EV_CURRENT);
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	f->elf = f->fd < 0 ? NULL : elf_begin(f->fd, ELF_C_READ, NULL);
	return f->elf != NULL;
}

static void elf_file__close(struct elf_file *f)
{
	elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
}

/* [lo, hi) of the symbol name (a function's, if func) in .symtab or .dynsym; false if
 * absent. */
static bool find_sym(const char *path, const char *name, bool func, uint64_t *lo,
		     uint64_t *hi)
{
	struct elf_file f;
	Elf_Scn *scn = NULL;
	bool found = false;

	if (!elf_file__open(&f, path))
		goto out;
	while (!found && (scn = elf_nextscn(f.elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym) ||
			    (func && GELF_ST_TYPE(sym.st_info) != STT_FUNC))
				continue;
			n = elf_strptr(f.elf, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name) && sym.st_value) {
				*lo = sym.st_value;
				*hi = sym.st_value + sym.st_size;
				found = true;
				break;
			}
		}
	}
out:
	elf_file__close(&f);
	return found;
}

static bool find_symbol(const char *path, const char *name, uint64_t *lo, uint64_t *hi)
{
	return find_sym(path, name, true, lo, hi);
}

static bool find_section(const char *path, const char *name, uint64_t *addr, uint64_t *size)
{
	struct elf_file f;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	if (!elf_file__open(&f, path) || elf_getshdrstrndx(f.elf, &shstrndx))
		goto out;
	while (!found && (scn = elf_nextscn(f.elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(f.elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*addr = sh.sh_addr;
			*size = sh.sh_size;
			found = true;
		}
	}
out:
	elf_file__close(&f);
	return found;
}

/* Lowercase hex build id of path into buf (at least 129 bytes); false if none. */
static bool build_id_of(const char *path, char *buf)
{
	struct elf_file f;
	const void *id = NULL;
	ssize_t n = 0;

	if (elf_file__open(&f, path))
		n = dwelf_elf_gnu_build_id(f.elf, &id);
	for (ssize_t i = 0; i < n && i < 64; i++)
		sprintf(buf + 2 * i, "%02x", ((const uint8_t *)id)[i]);
	elf_file__close(&f);
	return n > 0;
}

/* Counts rows of each kind whose range intersects [lo, hi). */
static void kinds_in(const struct cfi_table *t, uint64_t lo, uint64_t hi,
		     unsigned count[CPROF_ROW_NR])
{
	size_t n;
	const struct cprof_unwind_row *rows = cfi_table__rows(t, &n);
	uint64_t base = cfi_table__base(t);

	memset(count, 0, CPROF_ROW_NR * sizeof(count[0]));
	for (size_t i = 0; i < n; i++) {
		uint64_t start = base + rows[i].pc;
		uint64_t end = i + 1 < n ? base + rows[i + 1].pc : UINT64_MAX;

		if (start < hi && end > lo)
			count[rows[i].kind]++;
	}
}

/* ---- readelf --debug-dump=frames-interp ---- */

#define K(kind) (1u << (kind))
#define MAX_FAILURES_SHOWN 8

/* What readelf's columns should compile to. readelf prints "exp" for any expression, so an
 * expression CFA may be PLT, DEREF or UNSUPPORTED and an expression rbp AT_RBP or
 * UNSUPPORTED; the comparison with libdw pins those down. */
struct expect {
	unsigned kinds;		/* bit per acceptable kind */
	int cfa_off;		/* -1: any */
	int rbp_slot;		/* -1: any */
};

static struct expect expect_of(const char *cfa, const char *rbp, const char *ra, bool signal)
{
	struct expect e = { K(CPROF_ROW_UNSUPPORTED), -1, -1 };
	bool rbp_exp = !strcmp(rbp, "exp");
	char reg[8];
	int slot = 0;
	long n;

	if (signal || !strcmp(ra, "u")) {
		e.kinds = K(signal ? CPROF_ROW_SIGNAL : CPROF_ROW_STOP);
		return e;
	}
	if (strcmp(ra, "c-8"))
		return e;
	if (rbp[0] == 'c' && sscanf(rbp + 1, "%ld", &n) == 1) {
		if (n >= 0 || n % 8 || -n / 8 >= CPROF_RBP_AT_RBP)
			return e;
		slot = (int)(-n / 8);
	} else if (rbp_exp) {
		slot = -1;
	} else if (rbp[0] && strcmp(rbp, "u") && strcmp(rbp, "s")) {
		return e;
	}
	if (sscanf(cfa, "%7[a-z0-9]+%ld", reg, &n) == 2 &&
	    (!strcmp(reg, "rsp") || !strcmp(reg, "rbp"))) {
		if (n < 0 || n % 8 || n / 8 > UINT16_MAX)
			return e;
		e.kinds = K(!strcmp(reg, "rsp") ? CPROF_ROW_CFA_RSP : CPROF_ROW_CFA_RBP);
		e.cfa_off = (int)(n / 8);
		e.rbp_slot = slot;
	} else if (!strcmp(cfa, "exp")) {
		e.kinds = K(CPROF_ROW_PLT) | K(CPROF_ROW_DEREF) | K(CPROF_ROW_UNSUPPORTED);
	}
	if (rbp_exp)
		e.kinds |= K(CPROF_ROW_UNSUPPORTED);
	return e;
}

static bool matches(const struct expect *e, const struct cprof_unwind_row *r)
{
	if (!r || !(e->kinds & K(r->kind)))
		return false;
	if (r->kind != CPROF_ROW_CFA_RSP && r->kind != CPROF_ROW_CFA_RBP)
		return true;
	return (e->cfa_off < 0 || e->cfa_off == r->cfa_off) &&
	       (e->rbp_slot < 0 || e->rbp_slot == r->rbp_slot);
}

struct rules {
	char cfa[32], rbp[32], ra[32];
};

struct re_cie {
	uint64_t off;
	bool signal;
	struct rules init;
};

struct range {
	uint64_t lo, hi;
};

#define RE_MAX_CIES 256

/* readelf output is read line by line; a location row is checked when the next one (or
 * the end of its FDE) tells where it ends. */
struct re_state {
	const struct cfi_table *t;
	struct re_cie cies[RE_MAX_CIES];
	size_t n_cies;
	bool in_fde;
	struct re_cie *cur_cie;		/* a CIE's rows are being read */
	uint64_t lo, hi;
	bool signal;
	const struct re_cie *fde_cie;
	int col_rbp, col_ra;
	bool pending;
	uint64_t pending_loc;
	struct rules pending_rules;
	bool fde_had_rows;
	struct range *ranges;
	size_t n_ranges, cap_ranges;
	size_t n_rows_checked, n_failed;
};

static void re_check(struct re_state *s, uint64_t loc, uint64_t end, const struct rules *r)
{
	struct expect e = expect_of(r->cfa, r->rbp, r->ra, s->signal);
	uint64_t pcs[2];

	end = end < s->hi ? end : s->hi;
	if (loc < s->lo || loc >= end)
		return;	/* a repeated location, or past the FDE */
	pcs[0] = loc;
	pcs[1] = end - 1;
	for (int i = 0; i < 2; i++) {
		const struct cprof_unwind_row *row = cfi_table__find(s->t, pcs[i]);
		char got[64];

		if (matches(&e, row))
			continue;
		if (s->n_failed++ < MAX_FAILURES_SHOWN) {
			fmt_row(got, sizeof(got), row);
			printf("    readelf: pc %#lx: CFA %s rbp %s ra %s%s, table has %s\n",
			       (unsigned long)pcs[i], r->cfa, r->rbp[0] ? r->rbp : "-", r->ra,
			       s->signal ? " (signal)" : "", got);
		}
	}
	s->n_rows_checked++;
}

static void re_end_entry(struct re_state *s)
{
	if (s->in_fde) {
		if (s->pending)
			re_check(s, s->pending_loc, s->hi, &s->pending_rules);
		else if (!s->fde_had_rows && s->fde_cie)
			re_check(s, s->lo, s->hi, &s->fde_cie->init);
		if (s->lo < s->hi && s->n_ranges < s->cap_ranges)
			s->ranges[s->n_ranges++] = (struct range){ s->lo, s->hi };
	}
	s->in_fde = false;
	s->cur_cie = NULL;
	s->pending = false;
}

/* Splits a row into columns; "r9 (r9)" (a register rule) is one column. */
static int split_columns(char *line, char **col, int max)
{
	int n = 0;

	for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		if (tok[0] == '(' && n > 0)
			continue;
		if (n < max)
			col[n++] = tok;
	}
	return n;
}

static void re_columns(struct re_state *s, char *line)
{
	char *col[64];
	int n = split_columns(line, col, 64);

	s->col_rbp = s->col_ra = -1;
	for (int i = 2; i < n; i++) {
		if (!strcmp(col[i], "rbp"))
			s->col_rbp = i;
		else if (!strcmp(col[i], "ra"))
			s->col_ra = i;
	}
}

static void re_row(struct re_state *s, char *line)
{
	char *col[64];
	int n = split_columns(line, col, 64);
	struct rules r;
	uint64_t loc = strtoull(col[0], NULL, 16);

	if (n < 2)
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.cfa, sizeof(r.cfa), "%s", col[1]);
	if (s->col_rbp > 0 && s->col_rbp < n)
		snprintf(r.rbp, sizeof(r.rbp), "%s", col[s->col_rbp]);
	if (s->col_ra > 0 && s->col_ra < n)
		snprintf(r.ra, sizeof(r.ra), "%s", col[s->col_ra]);
	if (s->cur_cie) {
		s->cur_cie->init = r;
	} else if (s->in_fde) {
		if (s->pending)
			re_check(s, s->pending_loc, loc, &s->pending_rules);
		s->pending = true;
		s->pending_loc = loc;
		s->pending_rules = r;
		s->fde_had_rows = true;
	}
}

static void re_header(struct re_state *s, const char *line)
{
	unsigned long off, cie, lo, hi;
	const char *p;

	re_end_entry(s);
	if ((p = strstr(line, " CIE")) && sscanf(line, "%lx", &off) == 1 &&
	    s->n_cies < RE_MAX_CIES) {
		s->cur_cie = &s->cies[s->n_cies++];
		memset(s->cur_cie, 0, sizeof(*s->cur_cie));
		s->cur_cie->off = off;
		p = strchr(p, '"');
		s->cur_cie->signal = p && strchr(p + 1, 'S') && strchr(p + 1, 'S') < strchr(p + 1, '"');
	} else if ((p = strstr(line, " FDE cie=")) &&
		   sscanf(p, " FDE cie=%lx pc=%lx..%lx", &cie, &lo, &hi) == 3) {
		s->in_fde = true;
		s->lo = lo;
		s->hi = hi;
		s->fde_cie = NULL;
		for (size_t i = 0; i < s->n_cies; i++)
			if (s->cies[i].off == cie)
				s->fde_cie = &s->cies[i];
		s->signal = s->fde_cie && s->fde_cie->signal;
		s->fde_had_rows = false;
	}
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Between FDEs, and after the last, the table must say END, or CLONE throughout a gap of
 * clone's (placed by the symbols: the clone tests check where). */
static void check_gaps(struct re_state *s)
{
	qsort(s->ranges, s->n_ranges, sizeof(*s->ranges), cmp_range);
	for (size_t i = 0; i < s->n_ranges; i++) {
		uint64_t end = s->ranges[i].hi;
		uint64_t next = i + 1 < s->n_ranges ? s->ranges[i + 1].lo : end + 4096;
		const struct cprof_unwind_row *a, *b;

		if (next <= end)
			continue;
		a = cfi_table__find(s->t, end);
		b = cfi_table__find(s->t, next - 1);
		if (a && b && a->kind == b->kind &&
		    (a->kind == CPROF_ROW_END || (a->kind == CPROF_ROW_CLONE && a == b)))
			continue;
		if (s->n_failed++ < MAX_FAILURES_SHOWN)
			printf("    gap [%#lx, %#lx) is not END\n", (unsigned long)end,
			       (unsigned long)next);
	}
}

/* Compares t with every location row readelf prints for path. Returns the number of
 * mismatches; *n_rows gets the number of readelf rows checked. */
static size_t compare_readelf(const char *path, const struct cfi_table *t, size_t *n_rows)
{
	struct re_state *s = calloc(1, sizeof(*s));
	char cmd[1200], line[4096];
	size_t failed;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp -W '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	s->t = t;
	s->cap_ranges = 1 << 20;
	s->ranges = malloc(s->cap_ranges * sizeof(*s->ranges));
	while (p && fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "Contents of", 11)) {
			re_end_entry(s);
			s->n_cies = 0;
		} else if (strstr(line, " CIE") || strstr(line, " FDE cie=")) {
			re_header(s, line);
		} else if (!strncmp(line, "   LOC", 6)) {
			re_columns(s, line);
		} else if (strlen(line) > 17 && line[16] == ' ' && strchr("0123456789abcdef", line[0])) {
			re_row(s, line);
		}
	}
	re_end_entry(s);
	if (p)
		pclose(p);
	check_gaps(s);
	*n_rows = s->n_rows_checked;
	failed = s->n_failed;
	free(s->ranges);
	free(s);
	return failed;
}

/* ---- libdw ---- */

/* libdw's view of the CFI: .eh_frame through dwarf_getcfi_elf, .debug_frame (of the
 * object or its debuginfo file) through dwarf_getcfi. */
struct oracle {
	struct elf_file main, dbg;
	Dwarf_CFI *eh, *df;
	Dwarf *dw;
};

static void oracle__open(struct oracle *o, const char *path, const char *debug_path)
{
	memset(o, 0, sizeof(*o));
	o->dbg.fd = -1;
	if (!elf_file__open(&o->main, path))
		return;
	o->eh = dwarf_getcfi_elf(o->main.elf);
	if (debug_path && elf_file__open(&o->dbg, debug_path))
		o->dw = dwarf_begin_elf(o->dbg.elf, DWARF_C_READ, NULL);
	else
		o->dw = dwarf_begin_elf(o->main.elf, DWARF_C_READ, NULL);
	o->df = o->dw ? dwarf_getcfi(o->dw) : NULL;
}

static void oracle__close(struct oracle *o)
{
	if (o->eh)
		dwarf_cfi_end(o->eh);
	if (o->dw)
		dwarf_end(o->dw);
	elf_file__close(&o->dbg);
	elf_file__close(&o->main);
}

static Dwarf_Frame *oracle__frame(struct oracle *o, uint64_t pc)
{
	Dwarf_Frame *f = NULL;

	if (o->eh && !dwarf_cfi_addrframe(o->eh, pc, &f))
		return f;
	if (o->df && !dwarf_cfi_addrframe(o->df, pc, &f))
		return f;
	return NULL;
}

/* The rbp_slot libdw's rule for rbp means, or -1 if the format cannot express it. */
static int libdw_rbp_slot(Dwarf_Frame *f)
{
	Dwarf_Op mem[3], *ops;
	size_t n;

	if (dwarf_frame_register(f, 6, mem, &ops, &n))
		return -1;
	if (n == 0)
		return 0;	/* same value or undefined */
	if (n == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_breg6 &&
	    ops[1].number == 0)
		return CPROF_RBP_AT_RBP;
	if (n == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
		int64_t off = (int64_t)ops[1].number;

		if (off < 0 && off % 8 == 0 && -off / 8 < CPROF_RBP_AT_RBP)
			return (int)(-off / 8);
	}
	return -1;
}

static bool libdw_ra_at_cfa_minus_8(Dwarf_Frame *f, bool *undefined)
{
	Dwarf_Op mem[3], *ops;
	size_t n;

	if (dwarf_frame_register(f, 16, mem, &ops, &n))
		return false;
	*undefined = n == 0 && ops == mem;
	return n == 2 && ops[0].atom == DW_OP_call_frame_cfa &&
	       ops[1].atom == DW_OP_plus_uconst && (int64_t)ops[1].number == -8;
}

static bool is_plt_expr(const Dwarf_Op *op, size_t n)
{
	static const uint8_t atoms[] = { DW_OP_breg7, DW_OP_breg16, DW_OP_lit15, DW_OP_and, 0,
					 DW_OP_ge, DW_OP_lit3, DW_OP_shl, DW_OP_plus };

	if (n != sizeof(atoms) || op[1].number != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (atoms[i] ? op[i].atom != atoms[i] : op[i].atom < DW_OP_lit0 || op[i].atom > DW_OP_lit15)
			return false;
	return true;
}

/* Whether libdw knows the CFA here. It gives up (no CFA, or a CFA computed from the CFA)
 * where def_cfa_register follows an expression, which GCC's unwinder and readelf define
 * and the compiler follows; readelf checks those rows. */
static bool libdw_knows_cfa(Dwarf_Frame *f)
{
	Dwarf_Op *op;
	size_t n;

	return !dwarf_frame_cfa(f, &op, &n) && n > 0 && op[0].atom != DW_OP_call_frame_cfa;
}

/* The row libdw's frame state should compile to. */
static struct cprof_unwind_row libdw_row(Dwarf_Frame *f)
{
	struct cprof_unwind_row r = { .kind = CPROF_ROW_UNSUPPORTED };
	int slot = libdw_rbp_slot(f);
	bool signal = false, undefined = false, ra_ok = libdw_ra_at_cfa_minus_8(f, &undefined);
	Dwarf_Op *op;
	size_t n;
	int64_t off;

	dwarf_frame_info(f, NULL, NULL, &signal);
	if (signal || undefined) {
		r.kind = signal ? CPROF_ROW_SIGNAL : CPROF_ROW_STOP;
		return r;
	}
	if (!ra_ok || slot < 0 || dwarf_frame_cfa(f, &op, &n) || n == 0)
		return r;
	off = n == 1 ? (int64_t)op[0].number2 : (int64_t)op[0].number;
	if (n == 1 && op[0].atom == DW_OP_bregx && (op[0].number == 6 || op[0].number == 7) &&
	    off >= 0 && off % 8 == 0 && off / 8 <= UINT16_MAX) {
		r.kind = op[0].number == 7 ? CPROF_ROW_CFA_RSP : CPROF_ROW_CFA_RBP;
		r.cfa_off = (uint16_t)(off / 8);
		r.rbp_slot = (uint8_t)slot;
	} else if (is_plt_expr(op, n) && slot == 0 && off >= 0 && off % 8 == 0) {
		r.kind = CPROF_ROW_PLT;
		r.cfa_off = (uint16_t)(off / 8);
		r.rbp_slot = op[4].atom - DW_OP_lit0;
	} else if (n == 2 && op[0].atom == DW_OP_breg6 && op[1].atom == DW_OP_deref && off < 0 &&
		   off % 8 == 0) {
		r.kind = CPROF_ROW_DEREF;
		r.cfa_off = (uint16_t)(-off / 8);
		r.rbp_slot = (uint8_t)slot;
	}
	return r;
}

static void libdw_check_pc(struct oracle *o, const struct cfi_table *t, uint64_t pc,
			   bool want_end, size_t *failed)
{
	const struct cprof_unwind_row *got = cfi_table__find(t, pc);
	Dwarf_Frame *f = oracle__frame(o, pc);
	struct cprof_unwind_row want = { .kind = CPROF_ROW_END };
	bool known = !f || libdw_knows_cfa(f);
	char a[64], b[64];

	if (f)
		want = libdw_row(f);
	free(f);
	if (!known)
		return;
	if (got && same_row(got, &want) && want_end == (want.kind == CPROF_ROW_END))
		return;
	/* A gap of clone's (placed by the symbols: the clone tests check where). */
	if (got && got->kind == CPROF_ROW_CLONE && want.kind == CPROF_ROW_END)
		return;
	if ((*failed)++ < MAX_FAILURES_SHOWN) {
		fmt_row(a, sizeof(a), &want);
		fmt_row(b, sizeof(b), got);
		printf("    libdw: pc %#lx: libdw says %s, table has %s\n", (unsigned long)pc, a, b);
	}
}

/* Asks libdw about the first and last byte of every row. Returns the mismatches. */
static size_t compare_libdw(const char *path, const char *debug_path, const struct cfi_table *t)
{
	struct oracle o;
	size_t n, failed = 0;
	const struct cprof_unwind_row *rows = cfi_table__rows(t, &n);
	uint64_t base = cfi_table__base(t);

	oracle__open(&o, path, debug_path);
	for (size_t i = 0; i + 1 < n; i++) {
		bool end = rows[i].kind == CPROF_ROW_END;

		libdw_check_pc(&o, t, base + rows[i].pc, end, &failed);
		libdw_check_pc(&o, t, base + rows[i + 1].pc - 1, end, &failed);
	}
	oracle__close(&o);
	return failed;
}

/* Both comparisons, for a table built from path (and debug_path). */
static void compare_all(const char *path, const char *debug_path, const struct cfi_table *t)
{
	size_t n_rows = 0, n_table, bad_re, bad_dw;

	bad_re = compare_readelf(debug_path ? debug_path : path, t, &n_rows);
	bad_dw = compare_libdw(path, debug_path, t);
	printf("    %s: %zu readelf location rows and %zu table rows compared\n", path, n_rows,
	       (cfi_table__rows(t, &n_table), n_table));
	CHECK(n_rows > 0, "%s: readelf printed no location rows", path);
	CHECK(bad_re == 0, "%s: %zu of %zu readelf rows differ", path, bad_re, n_rows);
	CHECK(bad_dw == 0, "%s: %zu rows differ from libdw", path, bad_dw);
	CHECK(cfi_table__stats(t)->fdes_dropped == 0, "%s: %u FDEs dropped", path,
	      cfi_table__stats(t)->fdes_dropped);
}

/* ---- tests ---- */

static uint64_t linear_find(const struct cprof_unwind_row *rows, size_t n, uint64_t pc)
{
	size_t i = 0;

	while (i + 1 < n && rows[i + 1].pc <= pc)
		i++;
	return i;
}

TEST(find_matches_linear_search)
{
	enum { N = 5000 };
	struct cprof_unwind_row *rows = calloc(N, sizeof(*rows));
	struct cfi_table *t = NULL;
	const struct cprof_unwind_row *got;
	const uint32_t *pages;
	size_t n_pages, n_got, bad = 0;
	uint64_t base = 0x7f0000000000;
	uint32_t pc = 0;
	int err;

	REQUIRE(rows, "calloc");
	/* Dense runs, gaps of several pages, rows exactly on page starts. */
	for (int i = 0; i < N; i++) {
		rows[i].pc = pc;
		rows[i].kind = (uint8_t)(i % CPROF_ROW_NR);
		rows[i].cfa_off = (uint16_t)i;
		if (i % 97 == 0)
			pc += 3 * 65536 + 5;
		else if (i % 13 == 0)
			pc = (pc | 0xffff) + 1;	/* the next page start */
		else
			pc += 1 + i % 40;
	}
	rows[N - 1].kind = CPROF_ROW_END;
	err = cfi_table__new(rows, N, base, NULL, &t);
	REQUIRE(err == 0, "cfi_table__new: %s", strerror(-err));
	pages = cfi_table__pages(t, &n_pages);
	got = cfi_table__rows(t, &n_got);
	CHECK(n_got == N, "n_rows %zu", n_got);
	CHECK(n_pages == (rows[N - 1].pc >> CFI_PAGE_SHIFT) + 2, "n_pages %zu", n_pages);
	CHECK(pages[n_pages - 1] == N - 1, "last page entry %u", pages[n_pages - 1]);
	for (uint64_t q = 0; q <= (uint64_t)rows[N - 1].pc + 70000; q += 7) {
		const struct cprof_unwind_row *r = cfi_table__find(t, base + q);

		if (r != &got[linear_find(rows, N, q)])
			bad++;
	}
	CHECK(bad == 0, "%zu lookups differ from a linear search", bad);
	CHECK(cfi_table__find(t, base - 1) == NULL, "below base");
	CHECK(cfi_table__find(t, base + (1ull << 40))->kind == CPROF_ROW_END, "far above");
	cfi_table__free(t);
	free(rows);
}

TEST(new_rejects_bad_rows)
{
	struct cprof_unwind_row rows[3] = {
		{ .pc = 0, .kind = CPROF_ROW_CFA_RSP, .cfa_off = 1 },
		{ .pc = 16, .kind = CPROF_ROW_CFA_RSP, .cfa_off = 2 },
		{ .pc = 32, .kind = CPROF_ROW_END },
	};
	struct cfi_table *t = NULL;

	CHECK(cfi_table__new(rows, 3, 0, NULL, &t) == 0, "valid rows");
	cfi_table__free(t);
	CHECK(cfi_table__new(rows, 0, 0, NULL, &t) == -EINVAL, "no rows");
	CHECK(cfi_table__new(rows, 2, 0, NULL, &t) == -EINVAL, "no END row last");
	rows[1].pc = 32;
	CHECK(cfi_table__new(rows, 3, 0, NULL, &t) == -EINVAL, "pcs not increasing");
	rows[1].pc = 16;
	rows[1].kind = CPROF_ROW_NR;
	CHECK(cfi_table__new(rows, 3, 0, NULL, &t) == -EINVAL, "unknown kind");
	rows[1].kind = CPROF_ROW_CFA_RSP;
	rows[0].pc = 4;
	CHECK(cfi_table__new(rows, 3, 0, NULL, &t) == -EINVAL, "first row not at pc 0");
	CHECK(t == NULL, "no table on failure");
	cfi_table__free(NULL);
}

static void check_has_kind(const struct cfi_table *t, const char *path, const char *sym,
			   enum cprof_row_kind kind, bool want)
{
	unsigned count[CPROF_ROW_NR];
	uint64_t lo, hi;

	if (!find_symbol(path, sym, &lo, &hi)) {
		CHECK(0, "%s: no symbol %s", path, sym);
		return;
	}
	kinds_in(t, lo, hi > lo ? hi : lo + 1, count);
	CHECK((count[kind] > 0) == want, "%s: %s has %u rows of kind %d, want %s", path, sym,
	      count[kind], kind, want ? "some" : "none");
}

TEST(fixture_o2)
{
	const char *path = fixture("cfi_o2");
	struct cfi_table *t = NULL;
	const struct cprof_unwind_row *r;
	unsigned count[CPROF_ROW_NR];
	uint64_t plt, plt_size, lo, hi;
	int err = build_file(path, NULL, &t);

	REQUIRE(err == 0, "%s: %s", path, strerror(-err));
	compare_all(path, NULL, t);
	CHECK(cfi_table__stats(t)->source == CFI_SRC_EH_FRAME, "source %u",
	      cfi_table__stats(t)->source);
	/* Lazy PLT entries are 16 bytes; the CFA grows by 8 after the push at offset 6. */
	REQUIRE(find_section(path, ".plt", &plt, &plt_size) && plt_size >= 32, "no .plt");
	r = cfi_table__find(t, plt + 16);
	CHECK(r->kind == CPROF_ROW_PLT && r->cfa_off == 1 && (r->rbp_slot == 11 || r->rbp_slot == 10),
	      "PLT row: kind %u cfa_off %u threshold %u", r->kind, r->cfa_off, r->rbp_slot);
	check_has_kind(t, path, "_start", CPROF_ROW_STOP, true);
	check_has_kind(t, path, "main", CPROF_ROW_STOP, false);
	/* The 40000-byte frame: an offset a signed 16-bit byte count could not hold. */
	REQUIRE(find_symbol(path, "big_frame", &lo, &hi), "no big_frame");
	kinds_in(t, lo, hi, count);
	CHECK(count[CPROF_ROW_CFA_RSP] >= 2, "big_frame rows");
	r = NULL;
	for (uint64_t pc = lo; pc < hi; pc++) {
		const struct cprof_unwind_row *x = cfi_table__find(t, pc);

		if (x->kind == CPROF_ROW_CFA_RSP && x->cfa_off * 8 > 40000)
			r = x;
	}
	CHECK(r != NULL, "no row with a CFA offset above 40000 in big_frame");
	CHECK(cfi_table__stats(t)->rows[CPROF_ROW_CLONE] == 0, "%u CLONE rows, want none",
	      cfi_table__stats(t)->rows[CPROF_ROW_CLONE]);
	CHECK(cfi_table__find(t, 0)->kind == CPROF_ROW_END, "below the first FDE");
	CHECK(cfi_table__find(t, 1ull << 40)->kind == CPROF_ROW_END, "after the last FDE");
	cfi_table__free(t);
}

TEST(fixture_frame_pointer)
{
	const char *path = fixture("cfi_fp");
	struct cfi_table *t = NULL;
	uint64_t lo, hi;
	int err = build_file(path, NULL, &t);
	const struct cprof_unwind_row *r;

	REQUIRE(err == 0, "%s: %s", path, strerror(-err));
	compare_all(path, NULL, t);
	REQUIRE(find_symbol(path, "depth1", &lo, &hi), "no depth1");
	r = cfi_table__find(t, lo + (hi - lo) / 2);
	CHECK(r->kind == CPROF_ROW_CFA_RBP && r->cfa_off == 2 && r->rbp_slot == 2,
	      "depth1 body: kind %u cfa_off %u rbp_slot %u", r->kind, r->cfa_off, r->rbp_slot);
	cfi_table__free(t);
}

TEST(fixture_realigned_main)
{
	const char *path = fixture("cfi_realign");
	struct cfi_table *t = NULL;
	const struct cprof_unwind_row *r = NULL;
	uint64_t lo, hi;
	int err = build_file(path, NULL, &t);

	REQUIRE(err == 0, "%s: %s", path, strerror(-err));
	compare_all(path, NULL, t);
	REQUIRE(find_symbol(path, "main", &lo, &hi), "no main");
	for (uint64_t pc = lo; pc < hi && !r; pc++)
		if (cfi_table__find(t, pc)->kind == CPROF_ROW_DEREF)
			r = cfi_table__find(t, pc);
	REQUIRE(r != NULL, "main has no DEREF row");
	CHECK(r->cfa_off >= 1 && r->rbp_slot == CPROF_RBP_AT_RBP,
	      "DEREF row: cfa_off %u rbp_slot %u", r->cfa_off, r->rbp_slot);
	cfi_table__free(t);
}

TEST(debug_frame_and_debuginfo_file)
{
	const char *so = fixture("cfi_nounwind.so");
	char stripped[1024], debug[1024];
	struct cfi_table *a = NULL, *b = NULL, *c = NULL;
	size_t na, nb;
	int err;

	snprintf(stripped, sizeof(stripped), "%s", fixture("cfi_nounwind.stripped.so"));
	snprintf(debug, sizeof(debug), "%s", fixture("cfi_nounwind.debug"));
	err = build_file(so, NULL, &a);
	REQUIRE(err == 0, "%s: %s", so, strerror(-err));
	CHECK(cfi_table__stats(a)->source & CFI_SRC_DEBUG_FRAME, "source %u",
	      cfi_table__stats(a)->source);
	compare_all(so, NULL, a);
	CHECK(build_file(stripped, NULL, &c) == -ENOENT, "stripped object without debuginfo");
	err = build_file(stripped, debug, &b);
	REQUIRE(err == 0, "%s + %s: %s", stripped, debug, strerror(-err));
	CHECK(cfi_table__stats(b)->source & CFI_SRC_DEBUG_FILE, "source %u",
	      cfi_table__stats(b)->source);
	compare_all(stripped, debug, b);
	CHECK(same_rows(a, b, &na, &nb), "the debuginfo file gives other rows (%zu vs %zu)", na,
	      nb);
	cfi_table__free(b);
	b = NULL;
	/* The same .debug_frame, compressed (SHF_COMPRESSED). */
	err = build_file(fixture("cfi_nounwind.z.so"), NULL, &b);
	REQUIRE(err == 0, "cfi_nounwind.z.so: %s", strerror(-err));
	CHECK(same_rows(a, b, &na, &nb),
	      "the compressed .debug_frame gives other rows (%zu vs %zu)", na, nb);
	cfi_table__free(a);
	cfi_table__free(b);
	cfi_table__free(c);
}

/* ---- clone gaps (cfi_clone.c) ---- */

/* The gap of fn in the cfi_clone fixture, [fn_gap, fn_entry) (labels of the unstripped
 * object): CLONE with the rule before it (cfa_off > 0), else END, and the new thread's
 * root after it. */
static void check_clone_gap(const struct cfi_table *t, const char *fn, int cfa_off)
{
	const struct cprof_unwind_row *r;
	uint64_t gap, entry, x;
	char so[1024], name[64];

	snprintf(so, sizeof(so), "%s", fixture("cfi_clone.so"));
	snprintf(name, sizeof(name), "%s_gap", fn);
	if (!find_sym(so, name, false, &gap, &x)) {
		CHECK(0, "no symbol %s", name);
		return;
	}
	snprintf(name, sizeof(name), "%s_entry", fn);
	if (!find_sym(so, name, false, &entry, &x) || entry <= gap) {
		CHECK(0, "no symbol %s after %s_gap", name, fn);
		return;
	}
	r = cfi_table__find(t, gap - 1);
	CHECK(r->kind == CPROF_ROW_CFA_RSP && r->cfa_off == (cfa_off > 0 ? cfa_off : 1),
	      "%s: before the gap: kind %u cfa_off %u", fn, r->kind, r->cfa_off);
	for (uint64_t pc = gap; pc < entry; pc++) {
		r = cfi_table__find(t, pc);
		if (cfa_off > 0 ? r->kind != CPROF_ROW_CLONE || r->cfa_off != cfa_off ||
				  r->rbp_slot != 0 : r->kind != CPROF_ROW_END) {
			CHECK(0, "%s_gap+%#llx: kind %u cfa_off %u, want %s", fn,
			      (unsigned long long)(pc - gap), r->kind, r->cfa_off,
			      cfa_off > 0 ? "CLONE" : "END");
			return;
		}
	}
	r = cfi_table__find(t, entry);
	CHECK(r->kind == (cfa_off > 0 ? CPROF_ROW_STOP : r->kind), "%s_entry: kind %u", fn,
	      r->kind);
}

/* glibc's pattern gets CLONE rows where a clone function has it, with the rule before the
 * gap (CFA = rsp + 8, or + 16 after a push); the same code under another name, or a gap
 * not followed by the new thread's root, keeps its END rows. The hidden clone3 is named
 * only by .symtab: once that is stripped, by the separate debuginfo file. */
TEST(fixture_clone)
{
	char so[1024], stripped[1024], debug[1024];
	struct cfi_table *t = NULL, *s = NULL, *d = NULL;
	size_t nt, nd;
	int err;

	snprintf(so, sizeof(so), "%s", fixture("cfi_clone.so"));
	snprintf(stripped, sizeof(stripped), "%s", fixture("cfi_clone.stripped.so"));
	snprintf(debug, sizeof(debug), "%s", fixture("cfi_clone.debug"));
	err = build_file(so, NULL, &t);
	REQUIRE(err == 0, "%s: %s", so, strerror(-err));
	compare_all(so, NULL, t);
	CHECK(cfi_table__stats(t)->rows[CPROF_ROW_CLONE] == 2, "%u CLONE rows, want 2",
	      cfi_table__stats(t)->rows[CPROF_ROW_CLONE]);
	check_clone_gap(t, "clone3", 1);
	check_clone_gap(t, "__clone", 2);
	check_clone_gap(t, "spawn_like", 0);
	check_clone_gap(t, "clone", 0);
	err = build_files(stripped, NULL, NULL, &s);
	REQUIRE(err == 0, "%s: %s", stripped, strerror(-err));
	CHECK(cfi_table__stats(s)->rows[CPROF_ROW_CLONE] == 1, "stripped: %u CLONE rows, want 1",
	      cfi_table__stats(s)->rows[CPROF_ROW_CLONE]);
	check_clone_gap(s, "clone3", 0);
	check_clone_gap(s, "__clone", 2);
	err = build_files(stripped, NULL, debug, &d);
	REQUIRE(err == 0, "%s + %s: %s", stripped, debug, strerror(-err));
	CHECK(same_rows(t, d, &nt, &nd),
	      "stripped + debuginfo symbols: other rows than unstripped (%zu vs %zu)", nd, nt);
	cfi_table__free(t);
	cfi_table__free(s);
	cfi_table__free(d);
}

/* ---- entry code (cfi_build.c) ---- */

#define LD_SO "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"

/* The kinds of the rows of name's table over [before_end, _start), [_start, start_c) and
 * start_c (labels of the cfi_entry fixture): want for the middle one, END before it. */
static void check_entry_gap(const char *name, enum cprof_row_kind want)
{
	const char *path = fixture(name);
	struct cfi_table *t = NULL;
	uint64_t pad, entry, fn, x;
	int err;

	REQUIRE(find_sym(path, "before_end", false, &pad, &x) &&
		find_sym(path, "_start", false, &entry, &x) &&
		find_sym(path, "start_c", false, &fn, &x) && pad < entry && entry < fn,
		"%s: no labels before_end < _start < start_c", path);
	err = build_file(path, NULL, &t);
	REQUIRE(err == 0, "%s: %s", path, strerror(-err));
	/* The readers see no CFI at the entry: compared where the table agrees. */
	if (want == CPROF_ROW_END)
		compare_all(path, NULL, t);
	for (uint64_t pc = pad; pc < fn; pc++) {
		const struct cprof_unwind_row *r = cfi_table__find(t, pc);
		enum cprof_row_kind k = pc < entry ? CPROF_ROW_END : want;

		if (r->kind != k) {
			CHECK(0, "%s: _start%+lld: kind %u, want %u", name,
			      (long long)(pc - entry), r->kind, k);
			break;
		}
	}
	CHECK(cfi_table__find(t, fn)->kind == CPROF_ROW_CFA_RSP, "%s: start_c: kind %u", name,
	      cfi_table__find(t, fn)->kind);
	cfi_table__free(t);
}

/* An entry point in a gap of the CFI is the main thread's root where the object asks for
 * no program interpreter (it is ld.so, or a static program), and is left alone elsewhere.
 * The system's ld.so has one such entry (glibc's RTLD_START). */
TEST(entry_code)
{
	struct cfi_table *t = NULL;
	struct elf_file f;
	GElf_Ehdr eh;
	int err;

	check_entry_gap("cfi_entry.so", CPROF_ROW_STOP);
	check_entry_gap("cfi_entry.pie", CPROF_ROW_END);
	err = elf_file__open(&f, LD_SO) && gelf_getehdr(f.elf, &eh) ? 0 : -EINVAL;
	elf_file__close(&f);
	REQUIRE(err == 0, "%s: not read", LD_SO);
	err = build_file(LD_SO, NULL, &t);
	REQUIRE(err == 0, "%s: %s", LD_SO, strerror(-err));
	CHECK(cfi_table__find(t, eh.e_entry)->kind != CPROF_ROW_END,
	      "%s: entry %#llx: no CFI, and no STOP row", LD_SO, (unsigned long long)eh.e_entry);
	cfi_table__free(t);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* libc's own symbols are in its debuginfo file (libc6-dbg), if installed. */
static bool libc_debug_file(char *path, size_t len)
{
	char id[129] = "";

	if (!build_id_of(LIBC, id) || strlen(id) < 4)
		return false;
	snprintf(path, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
	return access(path, R_OK) == 0;
}

/* fn of path (a symbol file of libc) has one CLONE row, with CFA = rsp + 8, followed by
 * the new thread's root. */
static void check_libc_clone(const struct cfi_table *t, const char *path, const char *fn)
{
	size_t n, k = 0, i;
	const struct cprof_unwind_row *rows = cfi_table__rows(t, &n);
	uint64_t lo, hi, base = cfi_table__base(t);

	if (!find_symbol(path, fn, &lo, &hi)) {
		CHECK(0, "%s: no symbol %s", path, fn);
		return;
	}
	for (i = 0; i + 1 < n; i++) {
		if (rows[i].kind != CPROF_ROW_CLONE || base + rows[i].pc < lo ||
		    base + rows[i].pc >= hi)
			continue;
		k++;
		CHECK(rows[i].cfa_off == 1 && rows[i + 1].kind == CPROF_ROW_STOP &&
		      base + rows[i + 1].pc < hi,
		      "%s+%#llx: CLONE cfa_off %u, then kind %u at +%#llx", fn,
		      (unsigned long long)(base + rows[i].pc - lo), rows[i].cfa_off,
		      rows[i + 1].kind, (unsigned long long)(base + rows[i + 1].pc - lo));
	}
	CHECK(k == 1, "%s: %zu CLONE rows, want 1", fn, k);
}

/* With the debuginfo's .symtab, which names __clone3, its gap gets a CLONE row too; every
 * other row stays as it was. */
static void libc_with_debuginfo_symbols(const struct cfi_table *t, const char *dbg)
{
	struct cfi_table *u = NULL;
	size_t n, nu, diff = 0;
	const struct cprof_unwind_row *a, *b;
	int err = build_files(LIBC, NULL, dbg, &u);

	if (err) {
		CHECK(0, "%s with symbols from %s: %s", LIBC, dbg, strerror(-err));
		return;
	}
	a = cfi_table__rows(t, &n);
	b = cfi_table__rows(u, &nu);
	CHECK(cfi_table__stats(u)->rows[CPROF_ROW_CLONE] == 2, "%u CLONE rows, want 2",
	      cfi_table__stats(u)->rows[CPROF_ROW_CLONE]);
	check_libc_clone(u, dbg, "__clone");
	check_libc_clone(u, dbg, "__clone3");
	for (size_t i = 0; i < n && n == nu; i++)
		diff += !same_row(&a[i], &b[i]) || a[i].pc != b[i].pc;
	CHECK(n == nu && diff == 1, "%zu rows (%zu before), %zu changed, want 1", nu, n, diff);
	cfi_table__free(u);
}

TEST(libc)
{
	struct cfi_table *t = NULL;
	const struct cfi_stats *st;
	struct timespec t0;
	char dbg[512];
	size_t n_rows;
	double ms;
	int err;

	if (access(LIBC, R_OK))
		SKIP("%s not found", LIBC);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = build_file(LIBC, NULL, &t);
	ms = ms_since(&t0);
	REQUIRE(err == 0, "%s: %s", LIBC, strerror(-err));
	st = cfi_table__stats(t);
	cfi_table__rows(t, &n_rows);
	printf("    libc: built in %.1f ms: %zu rows (%zu bytes), %u FDEs, %u unsupported rows\n",
	       ms, n_rows, n_rows * sizeof(struct cprof_unwind_row), st->fdes,
	       st->rows[CPROF_ROW_UNSUPPORTED]);
	compare_all(LIBC, NULL, t);
	CHECK(st->rows[CPROF_ROW_SIGNAL] >= 1, "no SIGNAL row");
	CHECK(st->rows[CPROF_ROW_PLT] >= 1, "no PLT row");
	/* clone's child path says DW_CFA_undefined rip: the thread root. */
	check_has_kind(t, LIBC, "__clone", CPROF_ROW_STOP, true);
	/* .dynsym names __clone, not __clone3: only clone's gap is known without debuginfo. */
	check_libc_clone(t, LIBC, "__clone");
	CHECK(st->rows[CPROF_ROW_CLONE] == 1, "%u CLONE rows, want 1 (clone)",
	      st->rows[CPROF_ROW_CLONE]);
	if (libc_debug_file(dbg, sizeof(dbg))) {
		check_has_kind(t, dbg, "__restore_rt", CPROF_ROW_SIGNAL, true);
		check_has_kind(t, dbg, "__clone3", CPROF_ROW_STOP, true);
		/* start_thread is an ordinary frame; clone3's child path below it is the root. */
		check_has_kind(t, dbg, "start_thread", CPROF_ROW_STOP, false);
		libc_with_debuginfo_symbols(t, dbg);
	} else {
		printf("    (no libc debuginfo: __restore_rt/__clone3 checked by readelf only)\n");
	}
	cfi_table__free(t);
}

static int flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	uint8_t b = 0;
	int err = fd < 0 || pread(fd, &b, 1, off) != 1 ? -EIO : 0;

	b ^= 0x40;
	if (!err && pwrite(fd, &b, 1, off) != 1)
		err = -EIO;
	if (fd >= 0)
		close(fd);
	return err;
}

/* The same rows, base and stats, but for CFI_SRC_CACHE (where each came from). */
static bool same_table(const struct cfi_table *a, const struct cfi_table *b)
{
	struct cfi_stats sa = *cfi_table__stats(a), sb = *cfi_table__stats(b);
	size_t na, nb;

	sa.source &= ~(uint32_t)CFI_SRC_CACHE;
	sb.source &= ~(uint32_t)CFI_SRC_CACHE;
	return same_rows(a, b, &na, &nb) && cfi_table__base(a) == cfi_table__base(b) &&
	       !memcmp(&sa, &sb, sizeof(sa));
}

/* Whether t was read from the cache rather than compiled. */
static bool from_cache(const struct cfi_table *t)
{
	return t && (cfi_table__stats(t)->source & CFI_SRC_CACHE);
}

/* A valid file that is not a regular file of ours is never read: another user's (root
 * only: chown), a symlink to a valid file, a FIFO (which must not block). */
static void cache_not_ours(const char *dir, const char *id, const char *file)
{
	char moved[600], fifo[600];
	struct cfi_table *u = NULL;

	if (geteuid() == 0) {
		CHECK(chown(file, 65534, 65534) == 0, "chown: %s", strerror(errno));
		CHECK(cfi_cache__load(dir, id, &u) == -EPERM && !u, "another user's file read");
		CHECK(chown(file, 0, 0) == 0, "chown back: %s", strerror(errno));
	} else {
		printf("    (not root: another user's cache file not tried)\n");
	}
	snprintf(moved, sizeof(moved), "%s.real", file);
	CHECK(rename(file, moved) == 0 && symlink(moved, file) == 0, "symlink: %s",
	      strerror(errno));
	CHECK(cfi_cache__load(dir, id, &u) == -EPERM && !u, "read through a symlink");
	CHECK(unlink(file) == 0 && rename(moved, file) == 0, "restore: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/%s.cfi", dir, "0fff");
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
	CHECK(cfi_cache__load(dir, "0fff", &u) == -EPERM && !u, "FIFO read");
	unlink(fifo);
	CHECK(cfi_cache__load(dir, id, &u) == 0, "restored file rejected");
	cfi_table__free(u);
}

static void cache_corruptions(const char *dir, const char *id, const char *file)
{
	struct cfi_table *u = NULL;
	struct stat st;
	int err;

	CHECK(cfi_cache__load(dir, "0badc0de", &u) == -ENOENT, "missing file");
	CHECK(cfi_cache__load(dir, "../x", &u) == -EINVAL, "path in build id");
	CHECK(cfi_cache__load(dir, "ABCD", &u) == -EINVAL, "uppercase build id");
	CHECK(cfi_cache__load(dir, "", &u) == -EINVAL, "empty build id");
	CHECK(cfi_cache__store(dir, "x/y", NULL) == -EINVAL, "store with a path in the id");
	err = stat(file, &st) ? -errno : 0;
	REQUIRE(err == 0, "stat %s: %s", file, strerror(-err));
	CHECK((st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);
	/* A flipped bit anywhere: header, build id, rows. */
	for (off_t off = 0; off < st.st_size; off += st.st_size / 7 + 1) {
		err = flip_byte(file, off);
		REQUIRE(err == 0, "flip");
		CHECK(cfi_cache__load(dir, id, &u) == -EINVAL, "corrupt byte %ld accepted", (long)off);
		err = flip_byte(file, off);
		REQUIRE(err == 0, "flip back");
	}
	CHECK(cfi_cache__load(dir, id, &u) == 0, "restored file rejected");
	cfi_table__free(u);
	u = NULL;
	cache_not_ours(dir, id, file);
	err = truncate(file, st.st_size - 8) ? -errno : 0;
	REQUIRE(err == 0, "truncate: %s", strerror(-err));
	CHECK(cfi_cache__load(dir, id, &u) == -EINVAL, "truncated file accepted");
	CHECK(u == NULL, "table after failure");
}

TEST(cache_roundtrip)
{
	char dir[] = "/tmp/cprof-test-cfi-XXXXXX", file[512], sub[128];
	const char *path = fixture("cfi_o2");
	struct cfi_table *t = NULL, *u = NULL;
	char id[129] = "";
	bool ok = build_id_of(path, id);
	int fd, err;

	REQUIRE(ok, "%s has no build id", path);
	ok = mkdtemp(dir) != NULL;
	REQUIRE(ok, "mkdtemp: %s", strerror(errno));
	err = build_file(path, NULL, &t);
	REQUIRE(err == 0, "build: %s", strerror(-err));
	snprintf(file, sizeof(file), "%s/%s.cfi", dir, id);
	CHECK(cfi_cache__load(dir, id, &u) == -ENOENT, "empty cache");
	CHECK(cfi_cache__store(dir, id, t) == 0, "store");
	CHECK(cfi_cache__load(dir, id, &u) == 0 && same_table(t, u), "loaded table differs");
	CHECK(!from_cache(t) && from_cache(u), "built: not from the cache; loaded: from it");
	cfi_table__free(u);
	u = NULL;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	CHECK(cfi_cache__load_fd(fd, "00112233", &u) == -EINVAL, "file of another build id");
	close(fd);
	cache_corruptions(dir, id, file);
	/* get: builds and stores into a directory it creates, then loads. */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(cfi_cache__get(sub, id, fd, -1, -1, &u) == 0 && same_table(t, u) && !from_cache(u),
	      "get (build)");
	cfi_table__free(u);
	u = NULL;
	snprintf(file, sizeof(file), "%s/%s.cfi", sub, id);
	CHECK(access(file, R_OK) == 0, "get did not store %s", file);
	CHECK(cfi_cache__get(sub, id, -1, -1, -1, &u) == 0 && same_table(t, u) && from_cache(u),
	      "get (load)");
	close(fd);
	cfi_table__free(u);
	cfi_table__free(t);
	unlink(file);
	rmdir(sub);
	snprintf(file, sizeof(file), "%s/%s.cfi", dir, id);
	unlink(file);
	rmdir(dir);
}

TEST(not_an_object)
{
	struct cfi_table *t = NULL;
	int fd = memfd_create("not-elf", MFD_CLOEXEC);
	ssize_t n;

	REQUIRE(fd >= 0, "memfd_create: %s", strerror(errno));
	n = write(fd, "\177ELF but not really", 20);
	REQUIRE(n == 20, "write");
	CHECK(cfi_table__build(fd, -1, -1, &t) == -ENOEXEC, "junk accepted");
	CHECK(cfi_table__build(-1, -1, -1, &t) == -ENOEXEC, "bad fd accepted");
	CHECK(t == NULL, "table after failure");
	close(fd);
}

/* CPROF_CFI_EXTRA=FILE:FILE... compares the tables of more objects with readelf and libdw
 * (a slow, thorough check of the compiler against a whole system's libraries). */
TEST(extra_objects)
{
	const char *env = getenv("CPROF_CFI_EXTRA");
	char *list, *save = NULL;

	list = strdup(env);
	REQUIRE(list, "strdup");
	for (char *path = strtok_r(list, ":", &save); path; path = strtok_r(NULL, ":", &save)) {
		struct cfi_table *t = NULL;
		int err = build_file(path, NULL, &t);

		CHECK(err == 0 || err == -ENOENT, "%s: %s", path, strerror(-err));
		if (!err)
			compare_all(path, NULL, t);
		cfi_table__free(t);
	}
	free(list);
}

/* ---- Go (cfi_go.c) ---- */

/* A Go function's [lo, hi): assembly functions are named NAME.abi0 in .symtab. */
static bool go_symbol(const char *path, const char *name, uint64_t *lo, uint64_t *hi)
{
	char abi0[128];

	snprintf(abi0, sizeof(abi0), "%s.abi0", name);
	return find_symbol(path, abi0, lo, hi) || find_symbol(path, name, lo, hi);
}

/* Every pc of name is covered by rows of kind (cfa_off, if >= 0, as well). */
static void check_go_func(const struct cfi_table *t, const char *path, const char *name,
			  enum cprof_row_kind kind, int cfa_off)
{
	uint64_t lo, hi;

	if (!go_symbol(path, name, &lo, &hi)) {
		CHECK(0, "%s: no symbol %s", path, name);
		return;
	}
	for (uint64_t pc = lo; pc < hi; pc++) {
		const struct cprof_unwind_row *r = cfi_table__find(t, pc);

		if (!r || r->kind != kind || (cfa_off >= 0 && r->cfa_off != cfa_off)) {
			CHECK(0, "%s: %s+%#llx: kind %d cfa_off %d, want kind %d cfa_off %d", path,
			      name, (unsigned long long)(pc - lo), r ? r->kind : -1,
			      r ? r->cfa_off : -1, kind, cfa_off);
			return;
		}
	}
}

/* The largest CFA offset in [lo, hi). */
static unsigned max_cfa_off(const struct cfi_table *t, uint64_t lo, uint64_t hi)
{
	unsigned best = 0;

	for (uint64_t pc = lo; pc < hi; pc++) {
		const struct cprof_unwind_row *r = cfi_table__find(t, pc);

		if (r && r->kind == CPROF_ROW_CFA_RSP && r->cfa_off > best)
			best = r->cfa_off;
	}
	return best;
}

/* The runtime's roots, signal return and stack switches get their rows in t (the table of
 * cfi_go or of cfi_go.stripped, whose addresses are the same: symbols come from cfi_go); Go
 * frames restore rbp from CFA - 16 once the prologue has saved it there, not on the
 * instruction saving it. */
static void check_go_runtime(const struct cfi_table *t, const char *path)
{
	const struct cprof_unwind_row *r = NULL;
	uint64_t lo, hi, cg_lo, cg_hi, pc;

	check_go_func(t, path, "runtime.goexit", CPROF_ROW_STOP, -1);
	check_go_func(t, path, "runtime.mstart", CPROF_ROW_STOP, -1);
	check_go_func(t, path, "runtime.mcall", CPROF_ROW_STOP, -1);
	check_go_func(t, path, "runtime.rt0_go", CPROF_ROW_STOP, -1);
	check_go_func(t, path, "_rt0_amd64_linux", CPROF_ROW_STOP, -1);
	check_go_func(t, path, "_rt0_amd64", CPROF_ROW_STOP, -1);
	check_go_func(t, path, "runtime.systemstack", CPROF_ROW_FP_SWITCH, 0);
	if (go_symbol(path, "runtime.cgocall", &cg_lo, &cg_hi)) {
		unsigned want = max_cfa_off(t, cg_lo, cg_hi);

		CHECK(want > 1, "runtime.cgocall has no frame in the table");
		check_go_func(t, path, "runtime.asmcgocall", CPROF_ROW_FP_SWITCH, (int)want);
	} else {
		CHECK(0, "no runtime.cgocall");
	}
	check_has_kind(t, path, "runtime.nanotime1.abi0", CPROF_ROW_FP, true);
	if (go_symbol(path, "runtime.sigreturn", &lo, &hi)) {
		r = cfi_table__find(t, lo - 1);
		CHECK(r && r->kind == CPROF_ROW_SIGNAL, "the byte before runtime.sigreturn: kind %d",
		      r ? r->kind : -1);
	} else {
		CHECK(0, "no runtime.sigreturn");
	}
	/* main.level1: the first pc with a frame is "MOVQ BP, off(SP)": rbp not saved yet. */
	if (!go_symbol(path, "main.level1", &lo, &hi)) {
		CHECK(0, "no main.level1");
		return;
	}
	for (pc = lo; pc < hi; pc++) {
		r = cfi_table__find(t, pc);
		if (r && r->kind == CPROF_ROW_CFA_RSP && r->cfa_off > 1)
			break;
	}
	if (pc == hi || !r) {
		CHECK(0, "main.level1 has no frame in the table");
		return;
	}
	CHECK(r->rbp_slot == 0, "main.level1+%#llx (saving rbp): rbp_slot %u, want 0",
	      (unsigned long long)(pc - lo), r->rbp_slot);
	r = cfi_table__find(t, pc + 5);
	CHECK(r && r->kind == CPROF_ROW_CFA_RSP && r->rbp_slot == 2,
	      "main.level1+%#llx (after saving rbp): kind %d rbp_slot %d, want CFA_RSP and 2",
	      (unsigned long long)(pc + 5 - lo), r ? r->kind : -1, r ? r->rbp_slot : -1);
}

/* The Go fixture and the same stripped of .debug_frame and symbols: both tables have the
 * runtime's rows, from the stack-pointer tables of .gopclntab, and they are equal. */
TEST(go_runtime)
{
	const char *path = fixture("cfi_go"), *stripped;
	struct cfi_table *t = NULL, *ts = NULL;
	size_t n, ns;
	int err;

	path = strdup(path);
	REQUIRE(path, "out of memory");
	stripped = fixture("cfi_go.stripped");
	err = build_file(path, NULL, &t);
	if (err) {
		CHECK(0, "%s: %s", path, strerror(-err));
		goto out;
	}
	err = build_file(stripped, NULL, &ts);
	if (err) {
		CHECK(0, "%s: %s", stripped, strerror(-err));
		goto out;
	}
	CHECK(cfi_table__stats(t)->source == (CFI_SRC_DEBUG_FRAME | CFI_SRC_GO | CFI_SRC_GO_PCSP),
	      "%s: source %u", path, cfi_table__stats(t)->source);
	CHECK(cfi_table__stats(ts)->source == (CFI_SRC_GO | CFI_SRC_GO_PCSP),
	      "%s: source %u", stripped, cfi_table__stats(ts)->source);
	check_go_runtime(t, path);
	check_go_runtime(ts, path);
	CHECK(same_rows(t, ts, &n, &ns), "%zu rows with .debug_frame, %zu without", n, ns);
out:
	cfi_table__free(t);
	cfi_table__free(ts);
	free((void *)path);
}

/* The bytes of path's section name, malloc'd, into *data and *addr, *size; false if none. */
static bool section_bytes(const char *path, const char *name, uint8_t **data, uint64_t *addr,
			  uint64_t *size)
{
	struct elf_file f;
	uint64_t off;
	bool ok = false;

	*data = NULL;
	if (!find_section(path, name, addr, size) || !elf_file__open(&f, path))
		return false;
	for (Elf_Scn *scn = NULL; !ok && (scn = elf_nextscn(f.elf, scn));) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_addr != *addr || sh.sh_size != *size ||
		    sh.sh_type != SHT_PROGBITS)
			continue;
		off = sh.sh_offset;
		*data = malloc(*size ? *size : 1);
		ok = *data && pread(f.fd, *data, *size, (off_t)off) == (ssize_t)*size;
	}
	elf_file__close(&f);
	if (!ok) {
		free(*data);
		*data = NULL;
	}
	return ok;
}

struct pcsp_cmp {
	size_t same, runtime, padding, bad, not_int3;
};

/* One pc of Go's text: the table's row t against .debug_frame's (libdw's) f (NULL: no
 * FDE covers pc, whose byte code is, if known). */
static void pcsp_cmp_pc(struct pcsp_cmp *c, const struct cfi_table *t, uint64_t pc,
			Dwarf_Frame *f, int code)
{
	const struct cprof_unwind_row *got = cfi_table__find(t, pc);
	struct cprof_unwind_row want;
	char a[64], b[64];

	if (!f) {
		c->padding++;
		c->not_int3 += code != 0xcc;
		return;
	}
	want = libdw_row(f);
	if (got && (got->kind == CPROF_ROW_STOP || got->kind == CPROF_ROW_SIGNAL ||
		    got->kind == CPROF_ROW_FP_SWITCH || got->kind == CPROF_ROW_FP)) {
		c->runtime++;
	} else if (got && got->kind == want.kind && got->cfa_off == want.cfa_off) {
		c->same++;
	} else if (c->bad++ < MAX_FAILURES_SHOWN) {
		fmt_row(a, sizeof(a), &want);
		fmt_row(b, sizeof(b), got);
		printf("    pc %#llx: .debug_frame says %s, the table has %s\n",
		       (unsigned long long)pc, a, b);
	}
}

/* Go's linker writes .debug_frame from the same stack-pointer tables (cmd/link's
 * writeframes): the CFA of the table built from .gopclntab (of the binary stripped of
 * .debug_frame) equals libdw's reading of .debug_frame at every pc of Go's text, but
 * where the table says otherwise on purpose: the runtime's whole-function rows (roots,
 * signal return, stack switches) and frame-pointer rows (vDSO calls on the system stack:
 * cfi_go.h), and the alignment padding after a function (INT3 bytes), which no FDE covers
 * and the table gives the function's last row. */
TEST(go_pcsp_cfa)
{
	const char *path = fixture("cfi_go");
	struct pcsp_cmp c = { 0 };
	struct cfi_table *t = NULL;
	uint64_t lo, hi, end, text, text_size;
	uint8_t *code = NULL;
	struct timespec t0;
	struct oracle o;
	int err;

	path = strdup(path);
	REQUIRE(path, "out of memory");
	if (!find_sym(path, "runtime.text", false, &lo, &end) ||
	    !find_sym(path, "runtime.etext", false, &hi, &end) ||
	    !section_bytes(path, ".text", &code, &text, &text_size) || lo < text ||
	    hi - text > text_size) {
		CHECK(0, "%s: no runtime.text, runtime.etext or .text around them", path);
		goto out;
	}
	err = build_file(fixture("cfi_go.stripped"), NULL, &t);
	if (err) {
		CHECK(0, "cfi_go.stripped: %s", strerror(-err));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	oracle__open(&o, path, NULL);
	CHECK(o.df != NULL, "%s: libdw reads no .debug_frame", path);
	for (uint64_t pc = lo; pc < hi && o.df; pc++) {
		Dwarf_Frame *f = oracle__frame(&o, pc);

		pcsp_cmp_pc(&c, t, pc, f, code[pc - text]);
		free(f);
	}
	oracle__close(&o);
	printf("    %s: %llu pcs of Go text: %zu with the same CFA as .debug_frame, %zu in the "
	       "runtime's own rows, %zu in padding (%.0f ms)\n", path,
	       (unsigned long long)(hi - lo), c.same, c.runtime, c.padding, ms_since(&t0));
	CHECK(c.bad == 0, "%zu pcs differ from .debug_frame", c.bad);
	CHECK(c.not_int3 == 0, "%zu pcs outside every FDE are not INT3 padding", c.not_int3);
	CHECK(c.same > 0.9 * (double)(hi - lo), "only %zu of %llu pcs compared", c.same,
	      (unsigned long long)(hi - lo));
out:
	cfi_table__free(t);
	free(code);
	free((void *)path);
}

/* The rows expected over [lo, hi) (ELF addresses) of a forged table. */
struct forged_span {
	uint64_t lo, hi;
	int kind;		/* -1: whatever the table without .gopclntab has there */
	int cfa_off;		/* -1: any */
};

static void check_forged(const char *path, const struct cfi_table *plain,
			 const struct forged_span *sp, size_t n)
{
	struct cfi_table *t = NULL;
	int err = build_file(path, NULL, &t);

	if (err) {
		CHECK(0, "%s: %s", path, strerror(-err));
		return;
	}
	CHECK(cfi_table__stats(t)->source & CFI_SRC_GO_PCSP, "%s: source %u", path,
	      cfi_table__stats(t)->source);
	for (size_t i = 0; i < n; i++) {
		for (uint64_t pc = sp[i].lo; pc < sp[i].hi; pc++) {
			const struct cprof_unwind_row *r = cfi_table__find(t, pc);
			const struct cprof_unwind_row *w = plain ? cfi_table__find(plain, pc) : NULL;
			int kind = sp[i].kind >= 0 ? sp[i].kind : w ? w->kind : CPROF_ROW_FP;
			int off = sp[i].kind >= 0 ? sp[i].cfa_off : w ? w->cfa_off : -1;

			if (r && r->kind == kind && (off < 0 || r->cfa_off == off))
				continue;
			CHECK(0, "%s: pc %#llx: kind %d cfa_off %d, want kind %d cfa_off %d", path,
			      (unsigned long long)pc, r ? r->kind : -1, r ? r->cfa_off : -1, kind,
			      off);
			break;
		}
	}
	cfi_table__free(t);
}

/* Forged tables (tests/fuzz/mkseed_gopcsp.py) of both layouts: rows as the stack-pointer
 * tables say, the last value held over the padding, a run past the function's end cut
 * there, an offset the rows cannot hold UNSUPPORTED; and where a function has no table or
 * its table breaks off, the rows underneath: frame pointers without CFI, else the
 * object's .eh_frame (whose table is built from tiny.so without .gopclntab). */
TEST(go_pcsp_forged)
{
	char dir[512], path[600];
	const char *root = getenv("CPROF_ROOT");
	struct cfi_table *plain = NULL;
	const struct forged_span spans[] = {
		{ 0x260, 0x270, CPROF_ROW_STOP, -1 },		/* runtime.goexit */
		{ 0x270, 0x274, CPROF_ROW_CFA_RSP, 1 },		/* main.f */
		{ 0x274, 0x28c, CPROF_ROW_CFA_RSP, 4 },
		{ 0x28c, 0x2a0, CPROF_ROW_CFA_RSP, 1 },		/* its last 8 bytes, padding */
		{ 0x2a0, 0x2b0, -1, -1 },			/* main.nopcsp */
		{ 0x2b0, 0x2b4, CPROF_ROW_CFA_RSP, 3 },		/* main.bad */
		{ 0x2b4, 0x2c0, -1, -1 },
		{ 0x2c0, 0x2d0, CPROF_ROW_UNSUPPORTED, -1 },	/* main.odd */
	};
	int err;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/cfi", root && *root ? root : ".");
	snprintf(path, sizeof(path), "%s/tiny.so", dir);
	err = build_file(path, NULL, &plain);
	REQUIRE(!err, "%s: %s", path, strerror(-err));
	snprintf(path, sizeof(path), "%s/tiny-gopcsp.so", dir);
	check_forged(path, NULL, spans, sizeof(spans) / sizeof(spans[0]));
	snprintf(path, sizeof(path), "%s/tiny-gopcsp120.so", dir);
	check_forged(path, plain, spans, sizeof(spans) / sizeof(spans[0]));
	cfi_table__free(plain);
}

int main(void)
{
	const char *out = getenv("OUT");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/fixtures", out && *out ? out : "build");
	CHECK_SUITE("cfi");
	RUN(find_matches_linear_search);
	RUN(new_rejects_bad_rows);
	RUN(fixture_o2);
	RUN(fixture_frame_pointer);
	RUN(fixture_realigned_main);
	RUN(debug_frame_and_debuginfo_file);
	RUN(fixture_clone);
	RUN(entry_code);
	RUN(libc);
	RUN(cache_roundtrip);
	RUN(not_an_object);
	RUN(go_runtime);
	RUN(go_pcsp_cfa);
	RUN(go_pcsp_forged);
	if (getenv("CPROF_CFI_EXTRA") && *getenv("CPROF_CFI_EXTRA"))
		RUN(extra_objects);
	return CHECK_EXIT();
}
