package main

// validate: what each consumer of /debug/pprof/* requires of a profile, one rule per line.
//   pprof.*  the pprof package (go tool pprof, Parca's scraper): ParseData + CheckValid
//   parca.*  Parca's ingest validation (pkg/normalizer/validate.go), on the raw protobuf
//   alloy.*  Grafana Alloy's pyroscope.scrape: the body check (validate.go) and what its
//            delta (internal/fastdelta) keys samples on: each location's address
//   http.*   the response's status and headers, for a URL
//   mode.*, flag.*  what the caller said this profile must be

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

type result struct {
	rule   string
	ok     bool
	detail string
}

type report struct {
	src     string
	results []result
}

// check records rule's outcome: a failure when err is set, else a pass with detail.
func (r *report) check(rule string, err error, detail string) bool {
	if err != nil {
		r.results = append(r.results, result{rule, false, err.Error()})
		return false
	}
	r.results = append(r.results, result{rule, true, detail})
	return true
}

func (r *report) failed() bool {
	for _, x := range r.results {
		if !x.ok {
			return true
		}
	}
	return false
}

func (r *report) print() {
	for _, x := range r.results {
		if x.ok {
			d := ""
			if x.detail != "" {
				d = " (" + x.detail + ")"
			}
			fmt.Printf("ok   %-26s %s%s\n", x.rule, r.src, d)
		} else {
			fmt.Printf("FAIL %-26s %s: %s\n", x.rule, r.src, x.detail)
		}
	}
}

type validateOpts struct {
	cumulative, delta bool
	defaultType       *string // nil: not checked; "" wants none
	types             string  // "type/unit,..." or "" for not checked
	filename          *string
}

// violations collects a rule's failures: the first few in full, then a count.
type violations struct {
	n     int
	first []string
}

func (v *violations) add(format string, args ...interface{}) {
	v.n++
	if len(v.first) < 3 {
		v.first = append(v.first, fmt.Sprintf(format, args...))
	}
}

func (v *violations) err() error {
	if v.n == 0 {
		return nil
	}
	s := strings.Join(v.first, "; ")
	if v.n > len(v.first) {
		s += fmt.Sprintf("; %d in all", v.n)
	}
	return fmt.Errorf("%s", s)
}

// validateBody runs every rule on one profile body (gzip or raw protobuf).
func validateBody(r *report, body []byte, o *validateOpts) {
	if !r.check("alloy.body-format", bodyFormat(body), fmt.Sprintf("%d bytes", len(body))) {
		return
	}
	data, err := uncompress(body)
	if !r.check("body.uncompress", err, fmt.Sprintf("%d bytes", len(data))) {
		return
	}
	p, err := profile.ParseData(body)
	if err == nil {
		err = p.CheckValid()
	}
	r.check("pprof.parse", err, "ParseData and CheckValid")
	raw, err := decodeRaw(data)
	if !r.check("proto.decode", err, "") {
		return
	}
	parcaRules(r, raw)
	alloyRules(r, raw)
	defaultTypeRule(r, raw)
	modeRules(r, raw, o)
}

// bodyFormat is Alloy's validateProfileData on a body (the Content-Type is an http.* rule):
// not empty, not an HTML or JSON error page, gzip or a protobuf whose first wire type is
// valid.
func bodyFormat(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("empty body")
	}
	if len(b) >= 10 {
		t := bytes.TrimLeft(b, " \t\r\n")
		if htmlStart(t) || (len(t) > 0 && (t[0] == '{' || t[0] == '[') && len(b) > 20) {
			return fmt.Errorf("text instead of pprof: %q", preview(b))
		}
	}
	if len(b) <= 2 {
		return fmt.Errorf("%d bytes: too short for pprof", len(b))
	}
	if b[0] == 0x1f && b[1] == 0x8b {
		return nil
	}
	if b[0]&7 >= 6 {
		return fmt.Errorf("neither gzip nor protobuf: wire type %d in the first byte %#02x",
			b[0]&7, b[0])
	}
	return nil
}

// htmlStart: Alloy's heuristic for an HTML page, "<!D..." or "<h", "<b", "<t" (any case).
func htmlStart(t []byte) bool {
	if len(t) < 2 || t[0] != '<' {
		return false
	}
	c := t[1] | 0x20
	return (t[1] == '!' && len(t) >= 9 && t[2]|0x20 == 'd') ||
		(len(t) >= 5 && (c == 'h' || c == 'b' || c == 't'))
}

func preview(b []byte) string {
	if len(b) > 50 {
		b = b[:50]
	}
	return string(b)
}

// stringIndexes checks every string index of the profile against the table.
func stringIndexes(p *rawProfile) error {
	var v violations
	n := uint64(len(p.strings))
	chk := func(idx uint64, what string, args ...interface{}) {
		if idx >= n {
			v.add("%s: string %d of %d", fmt.Sprintf(what, args...), idx, n)
		}
	}
	for i, st := range p.sampleTypes {
		chk(st.typ, "sample_type[%d].type", i)
		chk(st.unit, "sample_type[%d].unit", i)
	}
	for i, s := range p.samples {
		for j, l := range s.labels {
			chk(l.key, "sample[%d].label[%d].key", i, j)
			chk(l.str, "sample[%d].label[%d].str", i, j)
			chk(l.unit, "sample[%d].label[%d].num_unit", i, j)
		}
	}
	for i, m := range p.mappings {
		chk(m.file, "mapping[%d].filename", i)
		chk(m.buildID, "mapping[%d].build_id", i)
	}
	for i, f := range p.functions {
		chk(f.name, "function[%d].name", i)
		chk(f.sysName, "function[%d].system_name", i)
		chk(f.filename, "function[%d].filename", i)
	}
	if p.periodType != nil {
		chk(p.periodType.typ, "period_type.type")
		chk(p.periodType.unit, "period_type.unit")
	}
	for i, c := range p.comments {
		chk(c, "comment[%d]", i)
	}
	chk(p.defaultType, "default_sample_type")
	chk(p.dropFrames, "drop_frames")
	chk(p.keepFrames, "keep_frames")
	return v.err()
}

// sequentialIDs checks that ids[i] == i + 1 (Parca looks tables up by ID - 1).
func sequentialIDs(what string, ids []uint64) error {
	var v violations
	for i, id := range ids {
		if id != uint64(i)+1 {
			v.add("%s[%d] has id %d, want %d", what, i, id, i+1)
		}
	}
	return v.err()
}

func parcaRules(r *report, p *rawProfile) {
	var err error
	if len(p.strings) == 0 || p.strings[0] != "" {
		err = fmt.Errorf("string_table[0] is %q, want \"\"", p.str(0))
	}
	r.check("parca.string0", err, fmt.Sprintf("%d strings", len(p.strings)))
	r.check("parca.string-index", stringIndexes(p), "")

	ids := make([]uint64, len(p.mappings))
	for i, m := range p.mappings {
		ids[i] = m.id
	}
	r.check("parca.mapping-ids", sequentialIDs("mapping", ids),
		fmt.Sprintf("%d mappings", len(ids)))
	ids = make([]uint64, len(p.functions))
	for i, f := range p.functions {
		ids[i] = f.id
	}
	r.check("parca.function-ids", sequentialIDs("function", ids),
		fmt.Sprintf("%d functions", len(ids)))
	ids = make([]uint64, len(p.locations))
	for i, l := range p.locations {
		ids[i] = l.id
	}
	r.check("parca.location-ids", sequentialIDs("location", ids),
		fmt.Sprintf("%d locations", len(ids)))
	parcaReferences(r, p)
	parcaSamples(r, p)
}

// parcaReferences: what locations point to exists.
func parcaReferences(r *report, p *rawProfile) {
	var vm, vf violations
	for i, l := range p.locations {
		if l.mapping > uint64(len(p.mappings)) {
			vm.add("location[%d] (id %d) has mapping_id %d of %d mappings", i, l.id,
				l.mapping, len(p.mappings))
		}
		for j, ln := range l.lines {
			if ln.function > uint64(len(p.functions)) {
				vf.add("location[%d].line[%d] has function_id %d of %d functions", i, j,
					ln.function, len(p.functions))
			}
		}
	}
	r.check("parca.location-mapping", vm.err(), "")
	r.check("parca.line-function", vf.err(), "")
}

// parcaSamples: values match the sample types, locations exist, labels have keys.
func parcaSamples(r *report, p *rawProfile) {
	var vv, vl, vk violations
	if len(p.sampleTypes) == 0 && len(p.samples) > 0 {
		vv.add("%d samples but no sample_type", len(p.samples))
	}
	for i, s := range p.samples {
		if len(p.sampleTypes) > 0 && len(s.values) != len(p.sampleTypes) {
			vv.add("sample[%d] has %d values for %d sample types", i, len(s.values),
				len(p.sampleTypes))
		}
		for j, id := range s.locs {
			if id == 0 || id > uint64(len(p.locations)) {
				vl.add("sample[%d].location_id[%d] is %d (%d locations)", i, j, id,
					len(p.locations))
			}
		}
		for j, l := range s.labels {
			if l.key == 0 {
				vk.add("sample[%d].label[%d] has no key (str %q, num %d)", i, j,
					p.str(l.str), int64(l.num))
			}
		}
	}
	r.check("parca.sample-values", vv.err(), fmt.Sprintf("%d samples", len(p.samples)))
	r.check("parca.sample-locations", vl.err(), "")
	r.check("parca.label-key", vk.err(), "")
}

// locationName names a location for a message: its first line's function, if any.
func locationName(p *rawProfile, l *rawLocation) string {
	if len(l.lines) > 0 {
		fid := l.lines[0].function
		if fid >= 1 && fid <= uint64(len(p.functions)) {
			return fmt.Sprintf("%q", p.str(p.functions[fid-1].name))
		}
	}
	return "(no function)"
}

// alloyRules: fastdelta keys a sample on its locations' addresses, so a location at
// address 0 or two locations of one mapping at the same address make different stacks one.
func alloyRules(r *report, p *rawProfile) {
	var vz, vd violations
	type key struct{ mapping, addr uint64 }
	seen := make(map[key]int, len(p.locations))
	for i := range p.locations {
		l := &p.locations[i]
		if l.address == 0 {
			vz.add("location %d %s (mapping %d) has address 0", l.id, locationName(p, l),
				l.mapping)
			continue
		}
		k := key{l.mapping, l.address}
		if j, dup := seen[k]; dup {
			o := &p.locations[j]
			vd.add("locations %d %s and %d %s share address %#x in mapping %d", o.id,
				locationName(p, o), l.id, locationName(p, l), l.address, l.mapping)
			continue
		}
		seen[k] = i
	}
	r.check("alloy.address-nonzero", vz.err(), fmt.Sprintf("%d locations", len(p.locations)))
	r.check("alloy.address-unique", vd.err(), "")
	var err error
	if p.timeNanos <= 0 {
		err = fmt.Errorf("time_nanos is %d: Alloy's delta takes the window from it", p.timeNanos)
	}
	r.check("alloy.time-nanos", err, "")
}

// defaultTypeRule: go tool pprof refuses a default_sample_type that names no sample type.
func defaultTypeRule(r *report, p *rawProfile) {
	if p.defaultType == 0 {
		return
	}
	name := p.str(p.defaultType)
	for _, st := range p.sampleTypes {
		if p.str(st.typ) == name {
			r.check("pprof.default-type", nil, name)
			return
		}
	}
	r.check("pprof.default-type", fmt.Errorf("default_sample_type %q names no sample type (%s)",
		name, typeList(p)), "")
}

func typeList(p *rawProfile) string {
	var s []string
	for _, st := range p.sampleTypes {
		s = append(s, p.str(st.typ)+"/"+p.str(st.unit))
	}
	return strings.Join(s, ",")
}

// modeRules: what the caller asked of this profile.
func modeRules(r *report, p *rawProfile, o *validateOpts) {
	d := fmt.Sprintf("duration_nanos %d", p.durationNanos)
	if o.cumulative {
		var err error
		if p.durationNanos != 0 {
			err = fmt.Errorf("%s, want 0 for a cumulative profile (Parca reads non-zero as a delta)",
				d)
		}
		r.check("mode.cumulative", err, d)
	}
	if o.delta {
		var err error
		if p.durationNanos <= 0 {
			err = fmt.Errorf("%s, want > 0 for a delta profile", d)
		}
		r.check("mode.delta", err, d)
	}
	if o.types != "" {
		var err error
		if got := typeList(p); got != o.types {
			err = fmt.Errorf("sample types %s, want %s", got, o.types)
		}
		r.check("flag.types", err, o.types)
	}
	if o.defaultType != nil {
		var err error
		got := ""
		if p.defaultType != 0 {
			got = p.str(p.defaultType)
		}
		if got != *o.defaultType {
			err = fmt.Errorf("default_sample_type %q, want %q", got, *o.defaultType)
		}
		r.check("flag.default-type", err, fmt.Sprintf("%q", got))
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
