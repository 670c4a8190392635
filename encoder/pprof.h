/* pprof writer: a builder with deduplicated strings, functions, locations and mappings,
 * encoded with protobuf-c, gzipped with zlib, written atomically with mode 0600. */
#ifndef CPROF_PPROF_H
#define CPROF_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pprof_builder;

struct pprof_value_type {
	const char *type;	/* e.g. "samples", "cpu" */
	const char *unit;	/* e.g. "count", "nanoseconds" */
};

struct pprof_opts {
	const struct pprof_value_type *sample_types;
	size_t n_sample_types;
	struct pprof_value_type period_type;
	int64_t period;
	int64_t time_nanos;	/* wall-clock start of the collection */
	int64_t duration_nanos;
	const char *default_sample_type;	/* NULL: the last one */
};

struct pprof_mapping {
	uint64_t memory_start;
	uint64_t memory_limit;
	uint64_t file_offset;
	const char *filename;
	const char *build_id;	/* hex string, NULL if none */
	bool has_functions;
	bool has_filenames;
	bool has_line_numbers;
	bool has_inline_frames;
};

/* One function frame of a location; several per location for inlined code, innermost first. */
struct pprof_line {
	const char *name;		/* demangled, as shown */
	const char *system_name;	/* mangled/linker name; NULL = same as name */
	const char *filename;		/* NULL if unknown */
	int64_t start_line;
	int64_t line;
};

struct pprof_label {
	const char *key;
	const char *str;	/* string label if non-NULL */
	int64_t num;		/* numeric label otherwise */
	const char *num_unit;	/* optional unit of a numeric label */
};

/* Returns NULL with errno set: ENOMEM, or EINVAL when default_sample_type names none of
 * the sample types (pprof would refuse the file). */
struct pprof_builder *pprof_builder__new(const struct pprof_opts *opts);
void pprof_builder__free(struct pprof_builder *b);

/* Returns a mapping id (> 0), the same id for an identical mapping; 0 on allocation failure. */
uint64_t pprof_builder__mapping(struct pprof_builder *b, const struct pprof_mapping *m);

/* Returns a location id (> 0), deduplicated on (mapping_id, address): the lines of the
 * first call for a given key win. mapping_id may be 0 (no mapping, e.g. synthetic frames).
 * Address 0 means "no address": such locations are deduplicated on (mapping_id, lines), so
 * "[lost samples]" and "[truncated]" stay apart. 0 with errno set on failure: ENOMEM, or
 * EINVAL for a mapping id this builder did not return. */
uint64_t pprof_builder__location(struct pprof_builder *b, uint64_t mapping_id, uint64_t address,
				 const struct pprof_line *lines, size_t n_lines);

/* Adds a sample: locations leaf first, one value per sample type. Samples are stored as
 * given (no merging here; callers aggregate). A label with str set is a string label (num is
 * then ignored). Returns 0, -ENOMEM, or -EINVAL for a location id this builder did not
 * return or a label without key (pprof rejects the whole file for either). */
int pprof_builder__add_sample(struct pprof_builder *b, const uint64_t *location_ids, size_t n_locs,
			      const int64_t *values, const struct pprof_label *labels,
			      size_t n_labels);

/* Adds a free-text comment (shown by `pprof -comments`). Returns 0 or -ENOMEM. */
int pprof_builder__add_comment(struct pprof_builder *b, const char *comment);

/* Encodes, gzips and writes to path atomically (temp file in the same directory + fsync +
 * rename), mode 0600. Returns 0 or -errno; on error path is untouched. */
int pprof_builder__write(struct pprof_builder *b, const char *path);

/* Encodes and gzips into a malloc'ed buffer (for tests and other sinks). Returns 0 or -errno. */
int pprof_builder__encode(struct pprof_builder *b, void **buf, size_t *len);
/* The same, not gzipped: for a reader in this process (the live view), which spares both
 * sides the compression. Returns 0 or -errno. */
int pprof_builder__encode_plain(struct pprof_builder *b, void **buf, size_t *len);

#endif
