package main

// The self-test's other parts: responses from a loopback HTTP server, the wire reader on
// the pprof package's own encoding, and the figures of delta and sum.

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"time"

	"github.com/google/pprof/profile"
)

type httpCase struct {
	brokenCase
	path    string
	headers []string
}

// serveCases answers /NAME as Go's net/http/pprof would, but for what NAME breaks.
func serveCases(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="profile"`)
		switch r.URL.Path {
		case "/text":
			h.Set("Content-Type", "text/plain; charset=utf-8")
		case "/sniff":
			h.Del("X-Content-Type-Options")
		case "/inline":
			h.Set("Content-Disposition", "inline")
		case "/missing":
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Del("Content-Disposition")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintln(w, "Unknown profile")
			return
		case "/auth":
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				h.Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintln(w, "unauthorized")
				return
			}
		}
		w.Write(body)
	})
}

func (t *selftest) runHTTP(valid *rawProfile) {
	srv := httptest.NewServer(serveCases(gzipped(encodeRaw(valid))))
	defer srv.Close()
	cases := []httpCase{
		{brokenCase{name: "http_valid", opts: validateOpts{filename: strp("profile")}}, "/ok", nil},
		{brokenCase{name: "http_filename", rule: "flag.filename", msg: `want filename="heap"`,
			opts: validateOpts{filename: strp("heap")}}, "/ok", nil},
		{brokenCase{name: "http_content_type", rule: "http.content-type",
			msg: `"text/plain; charset=utf-8"`}, "/text", nil},
		{brokenCase{name: "http_nosniff", rule: "http.nosniff", msg: `""`}, "/sniff", nil},
		{brokenCase{name: "http_disposition", rule: "http.disposition", msg: `"inline"`},
			"/inline", nil},
		{brokenCase{name: "http_status", rule: "http.status",
			msg: `status 404, want 200: "Unknown profile"`}, "/missing", nil},
		{brokenCase{name: "http_auth_missing", rule: "http.status", msg: "status 401"},
			"/auth", nil},
		{brokenCase{name: "http_auth"}, "/auth", []string{"Authorization: Bearer s3cret"}},
	}
	for i := range cases {
		c := &cases[i]
		r := &report{src: c.name}
		s, err := load(srv.URL+c.path, &fetchOpts{headers: c.headers, timeout: 10 * time.Second})
		if err != nil {
			r.check("load", err, "")
		} else if httpRules(r, s, &c.opts) {
			validateBody(r, s.body, &c.opts)
		}
		c.pprofOK = false
		t.judge(&c.brokenCase, r)
	}
}

// roundTrip: the pprof package re-encodes the valid profile its own way (renumbered,
// packed, gzip); the wire reader must read the same profile back and every rule accept it.
func (t *selftest) roundTrip(valid *rawProfile) {
	var why []string
	p, err := profile.ParseData(encodeRaw(valid))
	var buf bytes.Buffer
	if err == nil {
		err = p.Write(&buf)
	}
	var raw *rawProfile
	if err == nil {
		var data []byte
		if data, err = uncompress(buf.Bytes()); err == nil {
			raw, err = decodeRaw(data)
		}
	}
	if err != nil {
		t.verdict("reader_roundtrip", []string{err.Error()}, "")
		return
	}
	var total int64
	for _, s := range raw.samples {
		total += s.values[0]
	}
	got := fmt.Sprintf("%d samples (%d), %d locations, %d functions, %d mappings, %q",
		len(raw.samples), total, len(raw.locations), len(raw.functions), len(raw.mappings),
		raw.str(raw.defaultType))
	want := `6 samples (16), 5 locations, 5 functions, 2 mappings, "cpu"`
	if got != want {
		why = append(why, fmt.Sprintf("read %s, want %s", got, want))
	}
	r := &report{src: "roundtrip"}
	validateBody(r, buf.Bytes(), &validateOpts{})
	if r.failed() {
		why = append(why, "a rule rejects the pprof package's own encoding")
		r.print()
	}
	t.verdict("reader_roundtrip", why, got)
}

// edited is the valid profile after edit, parsed by the pprof package.
func edited(valid *rawProfile, edit func(p *rawProfile)) *profile.Profile {
	c := valid.clone()
	if edit != nil {
		edit(c)
	}
	p, err := profile.ParseData(encodeRaw(c))
	if err != nil {
		panic(err)
	}
	return p
}

// addValue adds n samples to sample i (both values).
func addValue(i int, n int64) func(p *rawProfile) {
	return func(p *rawProfile) {
		p.samples[i].values[0] += n
		p.samples[i].values[1] += n * 10000000
	}
}

func (t *selftest) runDelta(valid *rawProfile) {
	leaf := regexp.MustCompile(`^leaf$`)
	cases := []struct {
		name    string
		old, cu func(p *rawProfile)
		want    string
	}{
		{"delta_same", nil, nil, "total 0 focus 0 negative 0 keys 0"},
		{"delta_grows", nil, addValue(0, 4), "total 4 focus 4 negative 0 keys 1"},
		// Samples 0 and 5 have one identity: their sum is compared, 6 then 8.
		{"delta_duplicates", nil, addValue(5, 2), "total 2 focus 2 negative 0 keys 1"},
		// Samples 0 and 2 differ only in their thread label: two identities.
		{"delta_labels", nil, func(p *rawProfile) { addValue(0, -3)(p); addValue(2, 3)(p) },
			"total 0 focus 0 negative 1 keys 2"},
		// Sample 2 (thread main) vanishes: its identity is not in the new profile at all.
		{"delta_only_old", nil, func(p *rawProfile) {
			p.samples = append(p.samples[:2:2], p.samples[3:]...)
		}, "total 0 focus 0 negative 0 keys 0"},
		{"delta_only_new", func(p *rawProfile) { p.samples = p.samples[1:] }, nil,
			"total 5 focus 5 negative 0 keys 1"},
		{"delta_empty", func(p *rawProfile) { p.samples = nil },
			func(p *rawProfile) { p.samples = nil }, "total 0 focus 0 negative 0 keys 0"},
		{"delta_from_empty", func(p *rawProfile) { p.samples = nil }, nil,
			"total 16 focus 12 negative 0 keys 5"},
	}
	for _, c := range cases {
		var why []string
		d, err := computeDelta(edited(valid, c.old), edited(valid, c.cu), "samples", leaf)
		got := ""
		if err != nil {
			why = append(why, err.Error())
		} else {
			got = fmt.Sprintf("total %d focus %d negative %d keys %d", d.total, d.focus,
				d.negative, d.keys)
			if got != c.want {
				why = append(why, fmt.Sprintf("%s, want %s", got, c.want))
			}
		}
		t.verdict(c.name, why, got)
	}
}

func (t *selftest) runSum(valid *rawProfile) {
	p := edited(valid, nil)
	leaf := regexp.MustCompile(`^leaf$`)
	cases := []struct {
		name, typ string
		tags      []tagFilter
		byTag     string
		want      string
	}{
		{"sum_all", "samples", nil, "thread", "total 16 focus 12 samples 6 [main=2 worker=14]"},
		{"sum_cpu", "cpu/nanoseconds", nil, "", "total 160000000 focus 120000000 samples 6 []"},
		{"sum_tag", "samples", []tagFilter{{"thread", "worker"}}, "bytes",
			"total 14 focus 10 samples 5 [4096=4 <none>=10]"},
		{"sum_num_tag", "samples", []tagFilter{{"bytes", "4096"}, {"thread", "worker"}}, "",
			"total 4 focus 4 samples 1 []"},
	}
	for _, c := range cases {
		var why []string
		r, err := computeSum(p, c.typ, leaf, c.tags, c.byTag)
		got := ""
		if err != nil {
			why = append(why, err.Error())
		} else {
			got = fmt.Sprintf("total %d focus %d samples %d [", r.total, r.focus, r.samples)
			for i, k := range sortedKeys(r.byTag) {
				if i > 0 {
					got += " "
				}
				got += fmt.Sprintf("%s=%d", k, r.byTag[k])
			}
			got += "]"
			if got != c.want {
				why = append(why, fmt.Sprintf("%s, want %s", got, c.want))
			}
		}
		t.verdict(c.name, why, got)
	}
}
