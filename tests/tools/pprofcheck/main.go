// pprofcheck: checks pprof profiles the way their consumers read them, with the pprof
// package itself (github.com/google/pprof/profile) and the rules of Parca's ingest and
// Grafana Alloy's scraper, for the tests of cprof-bpf's files and /debug/pprof endpoints.
//
//	pprofcheck validate [flags] FILE|URL...
//	pprofcheck delta -type NAME [-focus RE] OLD NEW
//	pprofcheck sum -type NAME [-focus RE] [-tag K=V]... [-by-tag K] FILE|URL
//	pprofcheck info FILE|URL
//	pprofcheck selftest [-write DIR]
//
// Each check prints one line, "ok   RULE SOURCE (detail)" or "FAIL RULE SOURCE: why";
// the exit status is 0 when all hold, 1 when one fails, 2 for bad usage or an unreadable
// input.
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

const usageText = `usage:
  pprofcheck validate [-cumulative|-delta] [-default-type NAME] [-types T/U,...]
                      [-filename NAME] [-H 'Name: value']... FILE|URL...
  pprofcheck delta -type NAME [-focus REGEX] OLD NEW
  pprofcheck sum -type NAME [-focus REGEX] [-tag KEY=VALUE]... [-by-tag KEY] FILE|URL
  pprofcheck info FILE|URL
  pprofcheck selftest [-write DIR]
FILE is gzip or raw protobuf; for an http(s) URL the response is checked too.
`

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseArgs lets flags and operands mix ("validate FILE -delta"), unlike flag.Parse.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func fetchFlags(fs *flag.FlagSet) *fetchOpts {
	o := &fetchOpts{}
	fs.Var((*multiFlag)(&o.headers), "H", "request header 'Name: value' (repeatable)")
	fs.DurationVar(&o.timeout, "timeout", 120*time.Second, "HTTP request timeout")
	return o
}

func die(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, "pprofcheck: "+format+"\n", args...)
	return 2
}

func cmdValidate(args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fo := fetchFlags(fs)
	o := &validateOpts{}
	fs.BoolVar(&o.cumulative, "cumulative", false, "duration_nanos must be 0")
	fs.BoolVar(&o.delta, "delta", false, "duration_nanos must be > 0")
	dflt := fs.String("default-type", "", "default_sample_type must be NAME ('' for none)")
	fs.StringVar(&o.types, "types", "", "the sample types, exactly: type/unit,...")
	fname := fs.String("filename", "", "Content-Disposition's filename (URLs)")
	srcs, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(srcs) == 0 {
		return die("validate: no FILE or URL")
	}
	if o.cumulative && o.delta {
		return die("validate: -cumulative and -delta exclude each other")
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "default-type":
			o.defaultType = dflt
		case "filename":
			o.filename = fname
		}
	})
	rc := 0
	for _, arg := range srcs {
		r := &report{src: arg}
		if s, err := load(arg, fo); err != nil {
			r.check("load", err, "")
		} else if s.header == nil || httpRules(r, s, o) {
			validateBody(r, s.body, o)
		}
		r.print()
		if r.failed() {
			rc = 1
		}
	}
	return rc
}

func compileFocus(s string) (*regexp.Regexp, error) {
	if s == "" {
		return nil, nil
	}
	return regexp.Compile(s)
}

// printTotals prints "total N", and "focus N" when there is a -focus.
func printTotals(total, focus int64, re *regexp.Regexp) {
	fmt.Printf("total %d\n", total)
	if re != nil {
		fmt.Printf("focus %d\n", focus)
	}
}

func cmdDelta(args []string) int {
	fs := flag.NewFlagSet("delta", flag.ContinueOnError)
	fo := fetchFlags(fs)
	typ := fs.String("type", "", "sample type (type or type/unit)")
	focus := fs.String("focus", "", "regexp of function names")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 || *typ == "" {
		return die("delta: want -type NAME OLD NEW")
	}
	re, err := compileFocus(*focus)
	if err != nil {
		return die("delta: -focus: %v", err)
	}
	old, err := parsed(pos[0], fo)
	if err != nil {
		return die("%v", err)
	}
	cur, err := parsed(pos[1], fo)
	if err != nil {
		return die("%v", err)
	}
	d, err := computeDelta(old, cur, *typ, re)
	if err != nil {
		return die("delta: %v", err)
	}
	printTotals(d.total, d.focus, re)
	fmt.Printf("negative %d\n", d.negative)
	fmt.Printf("keys %d\n", d.keys)
	return 0
}

func cmdSum(args []string) int {
	fs := flag.NewFlagSet("sum", flag.ContinueOnError)
	fo := fetchFlags(fs)
	typ := fs.String("type", "", "sample type (type or type/unit)")
	focus := fs.String("focus", "", "regexp of function names")
	byTag := fs.String("by-tag", "", "a line per value of this label")
	var tagArgs multiFlag
	fs.Var(&tagArgs, "tag", "only samples with label KEY=VALUE (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || *typ == "" {
		return die("sum: want -type NAME FILE|URL")
	}
	var tags []tagFilter
	for _, t := range tagArgs {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return die("sum: -tag %q: want KEY=VALUE", t)
		}
		tags = append(tags, tagFilter{k, v})
	}
	re, err := compileFocus(*focus)
	if err != nil {
		return die("sum: -focus: %v", err)
	}
	p, err := parsed(pos[0], fo)
	if err != nil {
		return die("%v", err)
	}
	r, err := computeSum(p, *typ, re, tags, *byTag)
	if err != nil {
		return die("sum: %v", err)
	}
	printTotals(r.total, r.focus, re)
	fmt.Printf("samples %d\n", r.samples)
	for _, k := range sortedKeys(r.byTag) {
		fmt.Printf("tag %s=%s %d\n", *byTag, k, r.byTag[k])
	}
	return 0
}

func cmdInfo(args []string) int {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	fo := fetchFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		return die("info: want FILE|URL")
	}
	p, err := parsed(pos[0], fo)
	if err != nil {
		return die("%v", err)
	}
	printInfo(p)
	return 0
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usageText)
		os.Exit(2)
	}
	cmds := map[string]func([]string) int{
		"validate": cmdValidate, "delta": cmdDelta, "sum": cmdSum, "info": cmdInfo,
		"selftest": cmdSelftest,
	}
	cmd := cmds[os.Args[1]]
	if cmd == nil {
		fmt.Fprint(os.Stderr, usageText)
		os.Exit(2)
	}
	os.Exit(cmd(os.Args[2:]))
}
