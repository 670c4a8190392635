// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flame.html: the profiles' data (flame_data.c) becomes binary sections and a JSON head (the
 * format is in docs/flame-format.md), gzipped as it is written, base64-encoded into the page
 * in chunks, and the page written atomically. The page's own HTML, CSS and JS come from encoder/flame/, built in as
 * one string (scripts/embed-page). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomicfile.h"
#include "flame.h"
#include "flame_data.h"
#include "flame_page.h"
#include "gzbuf.h"
#include "jsonw.h"

/* Where the page template takes the title (HTML-escaped) and the data (base64). */
#define MARK_TITLE "@TITLE@"
#define MARK_DATA "@DATA@"
/* The data goes in as many elements of CHUNK_BYTES (64 KiB of base64): the HTML parser
 * appends one long text node's pieces again and again, where it takes short nodes as they
 * come, and each piece decodes on its own (a multiple of 3 bytes). */
#define CHUNK_BYTES 49152
#define CHUNK_OPEN "<script class=\"cprof-data\" type=\"application/octet-stream\">"
#define CHUNK_CLOSE "</script>\n"
/* Level 4: on the varint sections it writes within 2% of level 6's size in two thirds of
 * its time (level 1: 4% larger); every byte saved is one the browser parses less. */
#define FLAME_GZIP_LEVEL 4

/* Where one profile's sections are and how much they hold, for the head written after
 * them all. */
struct prof_meta {
	size_t at;
	size_t n_procs, n_threads, n_nodes, n_rows, n_base_rows;
};

/* v[from], v[from + stride], ... below v[n]. (Indices, not a pointer moved to from: v may be
 * NULL when n is 0, or hold fewer than from elements.) */
static void write_varints(struct jsonw *w, const uint32_t *v, size_t from, size_t n,
			  size_t stride)
{
	size_t i;

	for (i = from; i < n; i += stride)
		jsonw__varint(w, v[i]);
}

/* Rows column by column (each column's numbers alike, which gzip likes): the nodes as
 * differences from the row before (rows come in trie order), processes, threads, then each
 * type's values. */
static void write_agg(struct jsonw *w, const struct fl_agg *a, size_t n_types)
{
	size_t row, t, n_rows = a->keys.n / 3;
	uint32_t prev = 0;

	for (row = 0; row < n_rows; row++) {
		jsonw__zigzag(w, (int64_t)a->keys.v[row * 3] - prev);
		prev = a->keys.v[row * 3];
	}
	write_varints(w, a->keys.v, 1, a->keys.n, 3);
	write_varints(w, a->keys.v, 2, a->keys.n, 3);
	for (t = 0; t < n_types; t++)
		for (row = 0; row < n_rows; row++)
			jsonw__zigzag(w, a->vals.v[row * n_types + t]);
}

/* One profile's binary sections (docs/flame-format.md): its names, its trie, its rows. */
static void write_prof(struct jsonw *w, const struct fl_prof *p, bool has_base,
		       struct prof_meta *m)
{
	size_t t;

	*m = (struct prof_meta){ .at = jsonw__offset(w), .n_procs = p->procs.n,
				 .n_threads = p->threads.n, .n_nodes = p->nodes.n / 3,
				 .n_rows = p->cur.keys.n / 3, .n_base_rows = p->base.keys.n / 3 };
	write_varints(w, p->procs.v, 0, p->procs.n, 1);
	write_varints(w, p->threads.v, 0, p->threads.n, 1);
	/* Each node's parent as the distance back to it: in depth-first order it is mostly 1,
	 * which gzip makes almost free, where indices would not be. Node 0, the root, is
	 * implied. */
	for (t = 3; t < p->nodes.n; t += 3)
		jsonw__varint(w, t / 3 - p->nodes.v[t]);
	write_varints(w, p->nodes.v, 4, p->nodes.n, 3);
	for (t = 5; t < p->nodes.n; t += 3)
		jsonw__byte(w, (uint8_t)p->nodes.v[t]);
	write_agg(w, &p->cur, p->n_types);
	if (has_base)
		write_agg(w, &p->base, p->n_types);
}

static void write_num(struct jsonw *w, const char *key, size_t v)
{
	jsonw__raw(w, key);
	jsonw__i64(w, (int64_t)v);
}

/* A profile's entry in the head: its labels and types, where its sections are. */
static int write_prof_head(struct jsonw *w, struct fl_doc *d, const struct flame_input *in,
			   const struct prof_meta *m)
{
	const struct pmodel *pm = in->pm;
	uint32_t name, unit;
	size_t t;
	int err = 0;

	jsonw__raw(w, "{\"label\":");
	jsonw__str(w, in->label ? in->label : "profile");
	jsonw__raw(w, ",\"types\":[");
	for (t = 0; !err && t < pm->n_types; t++) {
		err = flame_doc__str(d, pm->type_names[t], &name);
		if (!err)
			err = flame_doc__str(d, pm->type_units[t], &unit);
		jsonw__raw(w, t ? ",[" : "[");
		jsonw__u32(w, name);
		jsonw__raw(w, ",");
		jsonw__u32(w, unit);
		jsonw__raw(w, "]");
	}
	write_num(w, "],\"default\":", pm->default_type < pm->n_types ? pm->default_type : 0);
	write_num(w, ",\"at\":", m->at);
	write_num(w, ",\"procs\":", m->n_procs);
	write_num(w, ",\"threads\":", m->n_threads);
	write_num(w, ",\"nodes\":", m->n_nodes);
	write_num(w, ",\"samples\":", m->n_rows);
	if (in->base)
		write_num(w, ",\"base\":", m->n_base_rows);
	else
		jsonw__raw(w, ",\"base\":null");
	jsonw__raw(w, "}");
	return err;
}

/* The head, after the sections it describes: the profiles, then the strings they named. */
static int write_head(struct jsonw *w, struct fl_doc *d, const struct flame_input *in,
		      size_t n_in, const struct prof_meta *m, size_t funcs_at, const char *title)
{
	size_t i;
	int err = 0;

	jsonw__raw(w, "{\"v\":2,\"title\":");
	jsonw__str(w, title);
	jsonw__raw(w, ",\"profiles\":[");
	for (i = 0; !err && i < n_in; i++) {
		jsonw__raw(w, i ? "," : "");
		err = write_prof_head(w, d, &in[i], &m[i]);
	}
	jsonw__raw(w, "],\"strings\":[");
	for (i = 0; i < d->strs.n; i++) {
		jsonw__raw(w, i ? "," : "");
		jsonw__str(w, d->strs.v[i]);
	}
	write_num(w, "],\"funcs\":", d->funcs.n / 3);
	write_num(w, ",\"funcs_at\":", funcs_at);
	jsonw__raw(w, "}");
	return err;
}

/* The sections of every profile, the functions, the head and its length, into w. */
static int write_doc(struct jsonw *w, struct fl_doc *d, const struct flame_input *in,
		     size_t n_in, const char *title)
{
	struct prof_meta *m = calloc(n_in, sizeof(*m));
	size_t i, funcs_at, head_at, head_len;
	struct fl_prof p;
	int err = m ? 0 : -ENOMEM;

	for (i = 0; !err && i < n_in; i++) {
		err = flame_prof__build(&p, d, &in[i]);
		if (!err)
			write_prof(w, &p, in[i].base != NULL, &m[i]);
		flame_prof__free(&p);
	}
	funcs_at = jsonw__offset(w);
	write_varints(w, d->funcs.v, 0, d->funcs.n, 1);
	head_at = jsonw__offset(w);
	if (!err)
		err = write_head(w, d, in, n_in, m, funcs_at, title);
	head_len = jsonw__offset(w) - head_at;
	if (!err && head_len > UINT32_MAX)
		err = -E2BIG;
	/* The head's length last, little-endian: the page finds the head from the end. */
	for (i = 0; i < 4; i++)
		jsonw__byte(w, (uint8_t)(head_len >> (8 * i)));
	free(m);
	return err;
}

/* The data (docs/flame-format.md), gzipped, in *out (to free()). */
static int build_data(const struct flame_input *in, size_t n_in, const char *title,
		      void **out, size_t *len)
{
	struct jsonw *w = malloc(sizeof(*w));
	struct gzbuf *gz = gzbuf__new(FLAME_GZIP_LEVEL);
	struct fl_doc d;
	int err;

	err = flame_doc__init(&d);
	if (!err && (!w || !gz))
		err = -ENOMEM;
	if (err)
		goto out;
	jsonw__init(w, gz);
	err = write_doc(w, &d, in, n_in, title);
	if (!err)
		err = jsonw__flush(w);
	if (!err)
		err = gzbuf__finish(gz, out, len);
out:
	gzbuf__free(gz);
	free(w);
	flame_doc__free(&d);
	return err;
}

static size_t base64(char *dst, const unsigned char *src, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *p = dst;
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		*p++ = tab[v >> 18];
		*p++ = tab[(v >> 12) & 63];
		*p++ = tab[(v >> 6) & 63];
		*p++ = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);
		*p++ = tab[v >> 18];
		*p++ = tab[(v >> 12) & 63];
		*p++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*p++ = '=';
	}
	return p - dst;
}

/* s with HTML's five special characters escaped, into dst (room for 6 bytes per byte). */
static size_t html_escape(char *dst, const char *s)
{
	char *p = dst;
	const char *rep;

	for (; *s; s++) {
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: *p++ = *s; continue;
		}
		p = stpcpy(p, rep);
	}
	return p - dst;
}

/* The data as base64 in chunks (CHUNK_BYTES each, the last shorter) at p; returns the end. */
static char *put_chunks(char *p, const unsigned char *data, size_t len)
{
	size_t at, n;

	for (at = 0; at < len; at += n) {
		n = len - at < CHUNK_BYTES ? len - at : CHUNK_BYTES;
		p = stpcpy(p, CHUNK_OPEN);
		p += base64(p, data + at, n);
		p = stpcpy(p, CHUNK_CLOSE);
	}
	return p;
}

/* The page: the template with the title and the data in place. */
static int page__write(const char *path, const char *title, const void *data, size_t len)
{
	const char *mt = strstr(flame_page, MARK_TITLE);
	const char *md = mt ? strstr(mt, MARK_DATA) : NULL;
	size_t tlen = strlen(title), size, chunks;
	char *page, *p;
	int err;

	if (!md)
		return -EINVAL;	/* a template without its marks: a build mistake */
	if (tlen > SIZE_MAX / 8 || len > SIZE_MAX / 2)
		return -ENOMEM;
	chunks = len / CHUNK_BYTES + 1;
	size = sizeof(flame_page) + tlen * 6 + (len + 2) / 3 * 4 +
	       chunks * (sizeof(CHUNK_OPEN) + sizeof(CHUNK_CLOSE));
	page = malloc(size);
	if (!page)
		return -ENOMEM;
	p = mempcpy(page, flame_page, mt - flame_page);
	p += html_escape(p, title);
	mt += strlen(MARK_TITLE);
	p = mempcpy(p, mt, md - mt);
	p = put_chunks(p, data, len);
	md += strlen(MARK_DATA);
	p = mempcpy(p, md, strlen(md));
	err = atomicfile__write(path, page, p - page);
	free(page);
	return err;
}

int flame__write(const char *path, const struct flame_input *in, size_t n_in,
		 const struct flame_opts *o)
{
	const char *title = o && o->title ? o->title : "cprof-bpf";
	void *data = NULL;
	size_t len = 0, i;
	int err;

	if (!path || !in || !n_in)
		return -EINVAL;
	for (i = 0; i < n_in; i++)
		if (!in[i].pm)
			return -EINVAL;
	err = build_data(in, n_in, title, &data, &len);
	if (!err)
		err = page__write(path, title, data, len);
	free(data);
	return err;
}
