// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flame.html: the profiles' data (flame_data.c) becomes one JSON document (the format is in
 * docs/flame-format.md), gzipped as it is written, base64-encoded into the page, and the page
 * written atomically. The page's own HTML, CSS and JS come from encoder/flame/, built in as
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

static void write_u32s(struct jsonw *w, const char *key, const uint32_t *v, size_t n)
{
	size_t i;

	jsonw__raw(w, key);
	jsonw__raw(w, "[");
	for (i = 0; i < n; i++) {
		if (i)
			jsonw__raw(w, ",");
		jsonw__u32(w, v[i]);
	}
	jsonw__raw(w, "]");
}

static void write_agg(struct jsonw *w, const struct fl_agg *a, size_t n_types)
{
	size_t row, t, n_rows = a->keys.n / 3;

	jsonw__raw(w, "[");
	for (row = 0; row < n_rows; row++) {
		jsonw__raw(w, row ? "," : "");
		for (t = 0; t < 3; t++) {
			jsonw__raw(w, t ? "," : "");
			jsonw__u32(w, a->keys.v[row * 3 + t]);
		}
		for (t = 0; t < n_types; t++) {
			jsonw__raw(w, ",");
			jsonw__i64(w, a->vals.v[row * n_types + t]);
		}
	}
	jsonw__raw(w, "]");
}

static int write_prof(struct jsonw *w, struct fl_prof *p, const struct flame_input *in)
{
	const struct pmodel *pm = in->pm;
	uint32_t name, unit;
	size_t t;
	int err = 0;

	jsonw__raw(w, "{\"label\":");
	jsonw__str(w, in->label ? in->label : "profile");
	jsonw__raw(w, ",\"types\":[");
	for (t = 0; !err && t < pm->n_types; t++) {
		err = flame_doc__str(p->doc, pm->type_names[t], &name);
		if (!err)
			err = flame_doc__str(p->doc, pm->type_units[t], &unit);
		jsonw__raw(w, t ? ",[" : "[");
		jsonw__u32(w, name);
		jsonw__raw(w, ",");
		jsonw__u32(w, unit);
		jsonw__raw(w, "]");
	}
	jsonw__raw(w, "],\"default\":");
	jsonw__u32(w, pm->default_type < pm->n_types ? pm->default_type : 0);
	write_u32s(w, ",\"procs\":", p->procs.v, p->procs.n);
	write_u32s(w, ",\"threads\":", p->threads.v, p->threads.n);
	/* Each node's parent as the distance back to it (the root's is 0): in depth-first
	 * order it is mostly 1, which gzip makes almost free, where indices would not be. */
	jsonw__raw(w, ",\"nodes\":[0,0,0");
	for (t = 3; t < p->nodes.n; t += 3) {
		jsonw__raw(w, ",");
		jsonw__u32(w, t / 3 - p->nodes.v[t]);
		jsonw__raw(w, ",");
		jsonw__u32(w, p->nodes.v[t + 1]);
		jsonw__raw(w, ",");
		jsonw__u32(w, p->nodes.v[t + 2]);
	}
	jsonw__raw(w, "],\"samples\":");
	write_agg(w, &p->cur, p->n_types);
	jsonw__raw(w, ",\"base\":");
	if (in->base)
		write_agg(w, &p->base, p->n_types);
	else
		jsonw__raw(w, "null");
	jsonw__raw(w, "}");
	return err;
}

/* The strings and functions, after the profiles that named them. */
static void write_tables(struct jsonw *w, const struct fl_doc *d)
{
	size_t i;

	jsonw__raw(w, ",\"strings\":[");
	for (i = 0; i < d->strs.n; i++) {
		jsonw__raw(w, i ? "," : "");
		jsonw__str(w, d->strs.v[i]);
	}
	jsonw__raw(w, "]");
	write_u32s(w, ",\"funcs\":", d->funcs.v, d->funcs.n);
	jsonw__raw(w, "}");
}

/* The JSON document, gzipped, in *out (to free()). */
static int build_data(const struct flame_input *in, size_t n_in, const char *title,
		      void **out, size_t *len)
{
	struct jsonw *w = malloc(sizeof(*w));
	struct gzbuf *gz = gzbuf__new(Z_BEST_SPEED);
	struct fl_prof p;
	struct fl_doc d;
	size_t i;
	int err;

	err = flame_doc__init(&d);
	if (!err && (!w || !gz))
		err = -ENOMEM;
	if (err)
		goto out;
	jsonw__init(w, gz);
	jsonw__raw(w, "{\"v\":1,\"title\":");
	jsonw__str(w, title);
	jsonw__raw(w, ",\"profiles\":[");
	for (i = 0; !err && i < n_in; i++) {
		err = flame_prof__build(&p, &d, &in[i]);
		jsonw__raw(w, i ? "," : "");
		if (!err)
			err = write_prof(w, &p, &in[i]);
		flame_prof__free(&p);
	}
	jsonw__raw(w, "]");
	if (!err)
		write_tables(w, &d);
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

/* The page: the template with the title and the data in place. */
static int page__write(const char *path, const char *title, const void *data, size_t len)
{
	const char *mt = strstr(flame_page, MARK_TITLE);
	const char *md = mt ? strstr(mt, MARK_DATA) : NULL;
	size_t tlen = strlen(title), size;
	char *page, *p;
	int err;

	if (!md)
		return -EINVAL;	/* a template without its marks: a build mistake */
	if (tlen > SIZE_MAX / 8 || len > SIZE_MAX / 2)
		return -ENOMEM;
	size = sizeof(flame_page) + tlen * 6 + (len + 2) / 3 * 4;
	page = malloc(size);
	if (!page)
		return -ENOMEM;
	p = mempcpy(page, flame_page, mt - flame_page);
	p += html_escape(p, title);
	mt += strlen(MARK_TITLE);
	p = mempcpy(p, mt, md - mt);
	p += base64(p, data, len);
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
