package main

// selftest: validate must accept a valid profile and reject each broken copy of it with
// the rule the copy breaks; delta and sum must give known figures. One line per case,
// "PASS selftest/CASE (detail)" or "FAIL selftest/CASE: why"; exit 1 on any failure.

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type selftest struct{ failed bool }

func (t *selftest) verdict(name string, why []string, detail string) {
	if len(why) == 0 {
		fmt.Printf("PASS selftest/%s (%s)\n", name, detail)
		return
	}
	t.failed = true
	fmt.Printf("FAIL selftest/%s: %s\n", name, strings.Join(why, "; "))
}

func (p *rawProfile) intern(s string) uint64 {
	for i, x := range p.strings {
		if x == s {
			return uint64(i)
		}
	}
	p.strings = append(p.strings, s)
	return uint64(len(p.strings) - 1)
}

// Location IDs of the valid profile, for the edits.
const (
	locMain = iota + 1
	locWork
	locLeaf
	locMemcpy
	locTrunc
)

// validProfile: a CPU profile of 6 samples (16 in all, 12 of them under leaf, 14 on the
// thread "worker", 4 with bytes=4096), two of them with one identity (summed by delta),
// a synthetic [truncated] frame at its own address outside any mapping.
func validProfile() *rawProfile {
	p := &rawProfile{strings: []string{""}}
	vt := func(t, u string) rawValueType { return rawValueType{p.intern(t), p.intern(u)} }
	p.sampleTypes = []rawValueType{vt("samples", "count"), vt("cpu", "nanoseconds")}
	pt := vt("cpu", "nanoseconds")
	p.periodType, p.period = &pt, 10000000
	p.timeNanos, p.durationNanos = 1764640000000000000, 1000000000
	p.comments = []uint64{p.intern("pprofcheck selftest")}
	p.defaultType = p.intern("cpu")
	p.mappings = []rawMapping{
		{id: 1, start: 0x400000, limit: 0x500000, file: p.intern("/usr/bin/app"),
			buildID: p.intern("4f2a")},
		{id: 2, start: 0x7f0000000000, limit: 0x7f0000100000, file: p.intern("/lib/libc.so.6")},
	}
	fn := func(name string) uint64 {
		id := uint64(len(p.functions) + 1)
		p.functions = append(p.functions, rawFunction{id: id, name: p.intern(name),
			sysName: p.intern(name), filename: p.intern("app.c")})
		return id
	}
	loc := func(mapping, addr, f uint64) {
		p.locations = append(p.locations, rawLocation{id: uint64(len(p.locations) + 1),
			mapping: mapping, address: addr, lines: []rawLine{{function: f, line: 10}}})
	}
	loc(1, 0x401000, fn("main"))
	loc(1, 0x401100, fn("work"))
	loc(1, 0x401200, fn("leaf"))
	loc(2, 0x7f0000001000, fn("memcpy"))
	loc(0, 0x2, fn("[truncated]"))
	thread := func(v string) rawLabel { return rawLabel{key: p.intern("thread"), str: p.intern(v)} }
	size := rawLabel{key: p.intern("bytes"), num: 4096, unit: p.intern("bytes")}
	s := func(locs []uint64, n int64, labels ...rawLabel) {
		p.samples = append(p.samples, rawSample{locs: locs, values: []int64{n, n * 10000000},
			labels: labels})
	}
	s([]uint64{locLeaf, locWork, locMain}, 5, thread("worker"))
	s([]uint64{locWork, locMain}, 3, thread("worker"))
	s([]uint64{locLeaf, locWork, locMain}, 2, thread("main"))
	s([]uint64{locTrunc, locMain}, 1, thread("worker"))
	s([]uint64{locMemcpy, locLeaf, locWork, locMain}, 4, size, thread("worker"))
	s([]uint64{locLeaf, locWork, locMain}, 1, thread("worker"))
	return p
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

type brokenCase struct {
	name    string
	rule    string // the rule that must fail ("" for a valid case: none may)
	msg     string // a part of that rule's message
	pprofOK bool   // ParseData accepts it: only the raw decode can catch it
	body    []byte // as is; else the valid profile after edit
	edit    func(p *rawProfile)
	opts    validateOpts
}

func (c *brokenCase) make(valid *rawProfile) []byte {
	if c.body != nil {
		return c.body
	}
	p := valid.clone()
	if c.edit != nil {
		c.edit(p)
	}
	return encodeRaw(p)
}

// swap exchanges IDs x and y where *a is one of them.
func swap(a *uint64, x, y uint64) {
	switch *a {
	case x:
		*a = y
	case y:
		*a = x
	}
}

func cmdSelftest(args []string) int {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	dir := fs.String("write", "", "also write each case's profile into DIR as CASE.pb")
	if _, err := parseArgs(fs, args); err != nil {
		return 2
	}
	t := &selftest{}
	valid := validProfile()
	cases := validateCases(valid)
	for i := range cases {
		c := &cases[i]
		body := c.make(valid)
		t.runValidate(c, body)
		if *dir != "" {
			if err := os.WriteFile(filepath.Join(*dir, c.name+".pb"), body, 0o644); err != nil {
				return die("selftest: %v", err)
			}
		}
	}
	t.runHTTP(valid)
	t.roundTrip(valid)
	t.runDelta(valid)
	t.runSum(valid)
	if t.failed {
		return 1
	}
	return 0
}

// runValidate checks one case: the named rule fails with its message (and pprof.parse
// passes when the case is one the pprof package cannot see), or nothing fails.
func (t *selftest) runValidate(c *brokenCase, body []byte) {
	r := &report{src: c.name}
	validateBody(r, body, &c.opts)
	t.judge(c, r)
}

func (t *selftest) judge(c *brokenCase, r *report) {
	var why, failed []string
	var got *result
	pprofOK := false
	for i := range r.results {
		x := &r.results[i]
		if !x.ok {
			failed = append(failed, x.rule)
		}
		if x.rule == c.rule {
			got = x
		}
		if x.rule == "pprof.parse" && x.ok {
			pprofOK = true
		}
	}
	if c.rule == "" {
		if len(failed) > 0 {
			why = append(why, "rejected by "+strings.Join(failed, ","))
		}
		t.verdict(c.name, why, fmt.Sprintf("accepted by %d rules", len(r.results)))
		return
	}
	switch {
	case got == nil:
		why = append(why, c.rule+" did not run (failed: "+strings.Join(failed, ",")+")")
	case got.ok:
		why = append(why, c.rule+" accepted it")
	case !strings.Contains(got.detail, c.msg):
		why = append(why, fmt.Sprintf("%s said %q, want %q in it", c.rule, got.detail, c.msg))
	}
	if c.pprofOK && !pprofOK {
		why = append(why, "pprof.parse rejected it too: the case does not isolate the rule")
	}
	detail := c.rule + " rejects it"
	if got != nil {
		detail += ": " + got.detail
	}
	if c.pprofOK {
		detail += "; ParseData accepts it"
	}
	t.verdict(c.name, why, detail)
}
