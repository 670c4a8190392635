package main

// delta, sum and info: figures from profiles parsed by the pprof package.
//
// delta computes what Grafana Alloy's pyroscope.scrape makes of two successive scrapes of
// a cumulative endpoint (internal/fastdelta): a sample is identified by the addresses of
// its locations, in order, and its labels, sorted (key, string value, number, unit);
// samples with the same identity are summed; the delta is new - old for each identity of
// the new profile (identities only in the old one vanish); all-zero deltas are dropped.
// Function names, mappings and location IDs are not part of the identity, which is why
// every location needs its own non-zero address. (A label with a key and nothing else is
// dropped by the pprof package and so missing here; validate's parca.* rules see it.)

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// typeIndex finds a sample type by "type" or "type/unit".
func typeIndex(p *profile.Profile, name string) (int, error) {
	var have []string
	for i, st := range p.SampleType {
		if st.Type == name || st.Type+"/"+st.Unit == name {
			return i, nil
		}
		have = append(have, st.Type+"/"+st.Unit)
	}
	return 0, fmt.Errorf("no sample type %q (have %s)", name, strings.Join(have, ","))
}

// sampleKey is fastdelta's identity of a sample, as an exact string rather than a hash.
func sampleKey(s *profile.Sample) string {
	var b strings.Builder
	var u [8]byte
	binary.LittleEndian.PutUint64(u[:], uint64(len(s.Location)))
	b.Write(u[:])
	for _, l := range s.Location {
		binary.LittleEndian.PutUint64(u[:], l.Address)
		b.Write(u[:])
	}
	var labels []string
	for k, vs := range s.Label {
		for _, v := range vs {
			labels = append(labels, fmt.Sprintf("%q %q %d %q", k, "", 0, v))
		}
	}
	for k, ns := range s.NumLabel {
		units := s.NumUnit[k]
		for i, n := range ns {
			unit := ""
			if i < len(units) {
				unit = units[i]
			}
			labels = append(labels, fmt.Sprintf("%q %q %d %q", k, unit, n, ""))
		}
	}
	sort.Strings(labels)
	for _, l := range labels {
		b.WriteString(l)
		b.WriteByte(0)
	}
	return b.String()
}

// inFocus: some frame of the sample is a function whose name matches re (nil: none).
func inFocus(s *profile.Sample, re *regexp.Regexp) bool {
	if re == nil {
		return false
	}
	for _, l := range s.Location {
		for _, ln := range l.Line {
			if ln.Function != nil && re.MatchString(ln.Function.Name) {
				return true
			}
		}
	}
	return false
}

type aggregate struct {
	value int64
	focus bool
}

// aggregateByKey sums value idx of the samples with the same identity.
func aggregateByKey(p *profile.Profile, idx int, re *regexp.Regexp) map[string]*aggregate {
	m := make(map[string]*aggregate, len(p.Sample))
	for _, s := range p.Sample {
		k := sampleKey(s)
		a := m[k]
		if a == nil {
			a = &aggregate{focus: inFocus(s, re)}
			m[k] = a
		}
		a.value += s.Value[idx]
	}
	return m
}

type deltaResult struct {
	total, focus int64
	negative     int // identities whose value went down
	keys         int // identities with a non-zero delta
}

func computeDelta(old, cur *profile.Profile, typ string, re *regexp.Regexp) (*deltaResult, error) {
	io, err := typeIndex(old, typ)
	if err != nil {
		return nil, fmt.Errorf("old profile: %v", err)
	}
	in, err := typeIndex(cur, typ)
	if err != nil {
		return nil, fmt.Errorf("new profile: %v", err)
	}
	before := aggregateByKey(old, io, nil)
	var d deltaResult
	for k, a := range aggregateByKey(cur, in, re) {
		v := a.value
		if b := before[k]; b != nil {
			v -= b.value
		}
		if v == 0 {
			continue
		}
		d.keys++
		d.total += v
		if a.focus {
			d.focus += v
		}
		if v < 0 {
			d.negative++
		}
	}
	return &d, nil
}

type tagFilter struct{ key, value string }

// tagValues: the sample's values for label key, string or numeric, in order.
func tagValues(s *profile.Sample, key string) []string {
	vs := append([]string(nil), s.Label[key]...)
	for _, n := range s.NumLabel[key] {
		vs = append(vs, strconv.FormatInt(n, 10))
	}
	return vs
}

func matchesTags(s *profile.Sample, tags []tagFilter) bool {
	for _, t := range tags {
		found := false
		for _, v := range tagValues(s, t.key) {
			found = found || v == t.value
		}
		if !found {
			return false
		}
	}
	return true
}

type sumResult struct {
	total, focus int64
	samples      int
	byTag        map[string]int64
}

func computeSum(p *profile.Profile, typ string, re *regexp.Regexp, tags []tagFilter,
	byTag string) (*sumResult, error) {
	idx, err := typeIndex(p, typ)
	if err != nil {
		return nil, err
	}
	r := &sumResult{byTag: map[string]int64{}}
	for _, s := range p.Sample {
		if !matchesTags(s, tags) {
			continue
		}
		v := s.Value[idx]
		r.samples++
		r.total += v
		if inFocus(s, re) {
			r.focus += v
		}
		if byTag != "" {
			tv := strings.Join(tagValues(s, byTag), ",")
			if tv == "" {
				tv = "<none>"
			}
			r.byTag[tv] += v
		}
	}
	return r, nil
}

func printInfo(p *profile.Profile) {
	fmt.Printf("time_nanos %d\n", p.TimeNanos)
	fmt.Printf("duration_nanos %d\n", p.DurationNanos)
	fmt.Printf("period %d\n", p.Period)
	pt := ""
	if p.PeriodType != nil {
		pt = p.PeriodType.Type + "/" + p.PeriodType.Unit
	}
	fmt.Printf("period_type %s\n", pt)
	var types []string
	for _, st := range p.SampleType {
		types = append(types, st.Type+"/"+st.Unit)
	}
	fmt.Printf("sample_types %s\n", strings.Join(types, ","))
	fmt.Printf("default_sample_type %s\n", p.DefaultSampleType)
	fmt.Printf("samples %d\n", len(p.Sample))
	fmt.Printf("locations %d\n", len(p.Location))
	fmt.Printf("mappings %d\n", len(p.Mapping))
	fmt.Printf("functions %d\n", len(p.Function))
	for _, c := range p.Comments {
		fmt.Printf("comment %s\n", c)
	}
}
