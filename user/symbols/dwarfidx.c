/* See dwarfidx.h.
 *
 * libdw's own per-address answers (dwarf_getscopes, as eu-addr2line -i uses) walk the
 * unit's DIE tree on every call. Here a unit's tree is walked once: every concrete
 * function (DW_TAG_subprogram with code) and inlined call (DW_TAG_inlined_subroutine)
 * becomes a node with its parent, and their address ranges, which DWARF nests, are swept
 * into disjoint segments that each name their innermost node (ranges.h). A lookup is then a binary
 * search for the segment plus libdw's binary search of the unit's line table (which
 * libdw reads once per unit and keeps).
 *
 * The DWARF comes from the profiled process's files: libdw parses it with its own checks;
 * here depths, counts and ranges are bounded, and ranges that do not nest are clipped. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/demangle.h"
#include "symbols/dwarfidx.h"
#include "symbols/ranges.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/util.h"
#include "util/vec.h"

/* Beyond any real unit; they bound what hostile DWARF can make us allocate or walk. */
#define DW_MAX_DEPTH 128		/* DIE nesting followed */
#define DW_MAX_RANGES_PER_DIE 65536	/* (ranges.h bounds those of a unit, and of all units) */
#define DW_MAX_DIES (1u << 26)		/* DIEs visited per unit */
#define DW_MAX_CHAIN 256		/* inline depth followed at lookup */

struct node {
	int32_t parent;		/* the enclosing function or inlined call; -1 for a function */
	uint32_t call_file;	/* inlined calls: where the parent calls this one */
	uint32_t call_line;
	uint32_t decl_line;
	uint64_t entry;		/* start of the first range */
	const char *linkage;	/* libdw strings, valid while the Dwarf is open */
	const char *name;
	const char *demangled;	/* of linkage; set on first lookup */
	bool named;
};

/* A file name of the line table made absolute, once. */
struct path {
	const char *raw;	/* libdw's name: the key */
	const char *full;	/* arena */
};

struct cu {
	Dwarf_Die die;
	bool built, failed, has_lines;
	struct seg *segs;
	size_t n_segs;
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	Dwarf_Files *files;
	size_t n_files;
	const char *comp_dir;
	struct hashmap paths;	/* struct path, keyed by the raw pointer */
};

struct dwarf_index {
	Dwarf *dw;
	struct cu *cus;
	size_t n_cus;
	struct seg *cu_segs;	/* id = index in cus */
	size_t n_cu_segs;
	bool has_lines;
	struct arena arena;
};

/* Adds die's address ranges as id's. Address 0 is where --gc-sections leaves discarded
 * functions (and never code in a loaded object): such ranges are dropped. *first is the
 * start of the first range kept: a function's entry (DWARF lists a split function's
 * main part first). Returns the number added, or -errno. */
static int add_ranges(struct ranges *rv, Dwarf_Die *die, uint32_t id, uint32_t depth,
		      uint64_t *first)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	int n = 0, k = 0, err;

	while (k++ < DW_MAX_RANGES_PER_DIE && (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (!lo || hi <= lo)
			continue;
		err = ranges__add(rv, lo, hi, id, depth);
		if (err)
			return err;
		if (!n++)
			*first = lo;
	}
	return n;
}

/* ---- one unit ---- */

static const char *die_linkage_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));

	return s ? s : dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a));
}

static uint32_t die_udata(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (dwarf_formudata(dwarf_attr(die, name, &a), &w) || w > UINT32_MAX)
		return 0;
	return (uint32_t)w;
}

/* A function or inlined call with code becomes node cu->n_nodes; its ranges go to rv.
 * Returns the node index, -1 if it has no code, or -errno < -1. */
static int64_t cu__add_node(struct cu *cu, struct ranges *rv, Dwarf_Die *die,
			    int32_t parent, uint32_t depth)
{
	uint64_t entry = 0;
	struct node *nd;
	int n, line;

	if (cu->n_nodes >= INT32_MAX)
		return -1;
	if (VEC_GROW(cu->nodes, cu->cap_nodes, cu->n_nodes + 1))
		return -ENOMEM;
	n = add_ranges(rv, die, (uint32_t)cu->n_nodes, depth, &entry);
	if (n <= 0)
		return n < 0 ? n : -1;
	nd = &cu->nodes[cu->n_nodes];
	memset(nd, 0, sizeof(*nd));
	nd->parent = parent;
	nd->entry = entry;
	nd->linkage = die_linkage_name(die);
	nd->name = dwarf_diename(die);
	if (!dwarf_decl_line(die, &line) && line > 0)
		nd->decl_line = (uint32_t)line;
	if (parent >= 0) {
		nd->call_file = die_udata(die, DW_AT_call_file);
		nd->call_line = die_udata(die, DW_AT_call_line);
	}
	return (int64_t)cu->n_nodes++;
}

/* Tags whose children may hold functions or inlined calls. */
static bool scope_tag(int tag)
{
	switch (tag) {
	case DW_TAG_lexical_block:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_interface_type:
		return true;
	default:
		return false;
	}
}

/* Depth-first over the unit's DIEs, iteratively (hostile nesting must not recurse). */
static int cu__walk(struct cu *cu, struct ranges *rv)
{
	Dwarf_Die stack[DW_MAX_DEPTH];
	int32_t parents[DW_MAX_DEPTH];
	size_t depth = 0, visited = 0;

	if (dwarf_child(&cu->die, &stack[0]) != 0)
		return 0;
	parents[0] = -1;
	while (visited++ < DW_MAX_DIES) {
		Dwarf_Die *d = &stack[depth];
		int tag = dwarf_tag(d);
		int32_t inner = parents[depth];
		bool descend = scope_tag(tag);

		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
			/* A function is nobody's inline, even nested in another (GNU C). */
			int64_t id = cu__add_node(cu, rv, d, tag == DW_TAG_subprogram ? -1 : inner,
						  (uint32_t)depth);

			if (id < -1)
				return (int)id;
			descend = id >= 0;
			if (id >= 0)
				inner = (int32_t)id;
		}
		if (descend && depth + 1 < DW_MAX_DEPTH && dwarf_child(d, &stack[depth + 1]) == 0) {
			parents[++depth] = inner;
			continue;
		}
		while (dwarf_siblingof(&stack[depth], &stack[depth]) != 0) {
			if (!depth)
				return 0;
			depth--;
		}
	}
	return 0;
}

static int cu__build(struct cu *cu)
{
	struct ranges rv = { 0 };
	Dwarf_Attribute a;
	int err;

	cu->built = true;
	cu->comp_dir = dwarf_formstring(dwarf_attr(&cu->die, DW_AT_comp_dir, &a));
	cu->has_lines = dwarf_getsrcfiles(&cu->die, &cu->files, &cu->n_files) == 0;
	err = cu__walk(cu, &rv);
	if (!err || err == -E2BIG)
		err = ranges__sweep(&rv, &cu->segs, &cu->n_segs);
	ranges__free(&rv);
	cu->failed = err != 0;
	return err;
}

/* ---- the object ---- */

static void node__names(struct dwarf_index *di, struct node *nd, struct dwarf_frame *f)
{
	if (!nd->named) {
		nd->named = true;
		nd->demangled = nd->linkage ? demangle__cxx(&di->arena, nd->linkage) : NULL;
	}
	/* The linkage name first, as addr2line: in C it is the assembler name when the
	 * source renames a function (glibc's hidden __GI_ aliases). */
	f->system_name = nd->linkage ? nd->linkage : nd->name;
	f->name = nd->demangled ? nd->demangled : f->system_name;
	f->decl_line = nd->decl_line;
}

static bool path_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return ((const struct path *)ent)->raw == key;
}

/* comp_dir/raw in the index's arena, or NULL. */
static const char *join_path(struct dwarf_index *di, const char *comp_dir, const char *raw)
{
	size_t dlen = strlen(comp_dir), rlen = strlen(raw);
	const char *full;
	char *buf;

	buf = malloc(dlen + rlen + 2);
	if (!buf)
		return NULL;
	memcpy(buf, comp_dir, dlen);
	buf[dlen] = '/';
	memcpy(buf + dlen + 1, raw, rlen + 1);
	full = arena__strdup(&di->arena, buf, dlen + rlen + 1);
	free(buf);
	return full;
}

/* raw joined to the unit's compilation directory when it is relative, as eu-addr2line
 * shows it (and as `pprof -list` needs it), once per name; raw itself if that fails. */
static const char *cu__path(struct dwarf_index *di, struct cu *cu, const char *raw)
{
	struct path *p;
	bool added;

	if (!raw || raw[0] == '/' || !cu->comp_dir || !cu->comp_dir[0] ||
	    !strcmp(cu->comp_dir, "."))
		return raw;
	p = hashmap__insert(&cu->paths, hash__u64((uintptr_t)raw), raw, path_eq, NULL, &added);
	if (!p)
		return raw;
	if (added) {
		p->full = join_path(di, cu->comp_dir, raw);
		if (!p->full) {
			hashmap__remove(&cu->paths, p);
			return raw;
		}
		p->raw = raw;
	}
	return p->full;
}

static const char *cu__file(struct dwarf_index *di, struct cu *cu, uint32_t idx)
{
	if (!cu->has_lines || idx >= cu->n_files)
		return NULL;
	return cu__path(di, cu, dwarf_filesrc(cu->files, idx, NULL, NULL));
}

/* The chain from node id outwards; keeps the innermost max - 1 and the outermost. */
static size_t cu__chain(const struct cu *cu, uint32_t id, uint32_t *chain, size_t max)
{
	size_t n = 0;
	int64_t cur = id;

	while (cur >= 0 && (size_t)cur < cu->n_nodes && n < DW_MAX_CHAIN) {
		if (n < max)
			chain[n++] = (uint32_t)cur;
		else
			chain[max - 1] = (uint32_t)cur;
		cur = cu->nodes[cur].parent;
	}
	return n;
}

size_t dwarf_index__lookup(struct dwarf_index *di, uint64_t addr, struct dwarf_frame *frames,
			   size_t max, uint64_t *func_lo)
{
	const struct seg *cs, *s;
	uint32_t chain[DW_MAX_CHAIN];
	Dwarf_Line *line;
	struct cu *cu;
	size_t n, i;
	int lineno;

	*func_lo = 0;
	if (!di || !max || !(cs = seg__find(di->cu_segs, di->n_cu_segs, addr)))
		return 0;
	if (cs->id >= di->n_cus)
		return 0; /* ranges of a unit dropped when a bound was hit */
	cu = &di->cus[cs->id];
	if (!cu->built)
		cu__build(cu);
	memset(frames, 0, max * sizeof(*frames));
	line = cu->has_lines ? dwarf_getsrc_die(&cu->die, addr) : NULL;
	if (line) {
		frames[0].file = cu__path(di, cu, dwarf_linesrc(line, NULL, NULL));
		if (!dwarf_lineno(line, &lineno) && lineno > 0)
			frames[0].line = lineno;
	}
	s = cu->failed ? NULL : seg__find(cu->segs, cu->n_segs, addr);
	if (!s)
		return 1; /* code without function entries: its line only */
	n = cu__chain(cu, s->id, chain, max < DW_MAX_CHAIN ? max : DW_MAX_CHAIN);
	for (i = 0; i < n; i++) {
		struct node *nd = &cu->nodes[chain[i]];

		node__names(di, nd, &frames[i]);
		if (i + 1 < n) {
			frames[i + 1].file = cu__file(di, cu, nd->call_file);
			frames[i + 1].line = nd->call_line;
		}
	}
	*func_lo = n ? cu->nodes[chain[n - 1]].entry : 0;
	return n ? n : 1;
}

/* The compile units and their ranges. Type and skeleton units hold no code we can use. */
static int dwarf_index__units(struct dwarf_index *di)
{
	struct ranges rv = { 0 };
	Dwarf_CU *unit = NULL;
	Dwarf_Die cudie;
	uint8_t type;
	size_t cap = 0;
	int err = 0;

	while (!err && dwarf_get_units(di->dw, unit, &unit, NULL, &type, &cudie, NULL) == 0) {
		uint64_t first;

		if (dwarf_tag(&cudie) != DW_TAG_compile_unit || di->n_cus >= INT32_MAX)
			continue;
		if (VEC_GROW(di->cus, cap, di->n_cus + 1)) {
			err = -ENOMEM;
			break;
		}
		err = add_ranges(&rv, &cudie, (uint32_t)di->n_cus, 0, &first);
		if (err > 0) {
			di->cus[di->n_cus++] = (struct cu){
				.die = cudie, .paths = HASHMAP_INIT(struct path),
			};
			di->has_lines |= dwarf_hasattr(&cudie, DW_AT_stmt_list);
		}
		err = err == -E2BIG ? 0 : err < 0 ? err : 0;
	}
	if (!err)
		err = ranges__sweep(&rv, &di->cu_segs, &di->n_cu_segs);
	ranges__free(&rv);
	return err;
}

/* libdw hands out pointers into the string sections without checking that a NUL ends
 * them: a file whose last string runs to the end of its section would let callers read
 * past it. By now libdw has read (and decompressed) the sections: look at their end. */
static bool strings_terminated(Elf *elf)
{
	static const char *const names[] = { ".debug_str", ".debug_line_str", ".zdebug_str",
					      ".zdebug_line_str" };
	Elf_Scn *scn = NULL;
	size_t shstrndx, i;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			if (strcmp(name, names[i]))
				continue;
			d = elf_getdata(scn, NULL);
			if (d && d->d_size && (!d->d_buf || ((const char *)d->d_buf)[d->d_size - 1]))
				return false;
		}
	}
	return true;
}

int dwarf_index__open(Elf *elf, struct dwarf_index **out)
{
	struct dwarf_index *di = calloc(1, sizeof(*di));
	int err;

	*out = NULL;
	if (!di)
		return -ENOMEM;
	di->dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!di->dw || !strings_terminated(elf)) {
		err = -ENOENT;
		goto out;
	}
	err = dwarf_index__units(di);
	if (!err && !di->n_cu_segs)
		err = -ENOENT;
out:
	if (err)
		dwarf_index__free(di);
	else
		*out = di;
	return err;
}

Dwarf *dwarf_index__dwarf(const struct dwarf_index *di)
{
	return di ? di->dw : NULL;
}

bool dwarf_index__has_lines(const struct dwarf_index *di)
{
	return di && di->has_lines;
}

bool dwarf_index__has_functions(const struct dwarf_index *di)
{
	return di && di->n_cus;
}

void dwarf_index__free(struct dwarf_index *di)
{
	size_t i;

	if (!di)
		return;
	for (i = 0; i < di->n_cus; i++) {
		free(di->cus[i].segs);
		free(di->cus[i].nodes);
		hashmap__free(&di->cus[i].paths);
	}
	free(di->cus);
	free(di->cu_segs);
	if (di->dw)
		dwarf_end(di->dw);
	arena__free(&di->arena);
	free(di);
}
