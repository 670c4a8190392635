package main

// Where profiles come from: a file, or an http(s) URL whose response is checked as Alloy
// and go tool pprof would see it. Sizes are bounded: a body over maxBody or a profile that
// inflates past maxProfile is refused.

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

const (
	maxBody    = 64 << 20
	maxProfile = 512 << 20
)

type source struct {
	name   string
	body   []byte
	status int         // for a URL
	header http.Header // nil for a file
}

type fetchOpts struct {
	headers []string // "Name: value"
	timeout time.Duration
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func load(arg string, o *fetchOpts) (*source, error) {
	if !isURL(arg) {
		f, err := os.Open(arg)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := readBounded(f, maxBody)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", arg, err)
		}
		return &source{name: arg, body: b}, nil
	}
	req, err := http.NewRequest("GET", arg, nil)
	if err != nil {
		return nil, err
	}
	for _, h := range o.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	// No proxy from the environment, and no transparent gunzip: the body is checked as sent.
	client := &http.Client{
		Timeout:   o.timeout,
		Transport: &http.Transport{Proxy: nil, DisableCompression: true},
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := readBounded(resp.Body, maxBody)
	if err != nil {
		return nil, fmt.Errorf("%s: body: %v", arg, err)
	}
	return &source{name: arg, body: b, status: resp.StatusCode, header: resp.Header}, nil
}

func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return b, nil
}

// uncompress returns the protobuf of a gzip or raw body.
func uncompress(body []byte) ([]byte, error) {
	if len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gzip: %v", err)
	}
	b, err := readBounded(zr, maxProfile)
	if err != nil {
		return nil, fmt.Errorf("gzip: %v", err)
	}
	return b, nil
}

var dispositionRe = regexp.MustCompile(`^attachment; filename="([^"]+)"$`)

// httpRules checks the response as Alloy (status, Content-Type) and Go's handlers (nosniff,
// Content-Disposition) have it. Returns false when the body is no profile to check.
func httpRules(r *report, s *source, o *validateOpts) bool {
	if s.status != http.StatusOK {
		line, _, _ := strings.Cut(string(s.body), "\n")
		r.check("http.status", fmt.Errorf("status %d, want 200: %q", s.status,
			preview([]byte(line))), "")
		return false
	}
	r.check("http.status", nil, "200")
	ct := s.header.Get("Content-Type")
	var err error
	if !strings.HasPrefix(ct, "application/octet-stream") {
		err = fmt.Errorf("Content-Type %q, want application/octet-stream", ct)
	}
	r.check("http.content-type", err, ct)
	err = nil
	if v := s.header.Get("X-Content-Type-Options"); v != "nosniff" {
		err = fmt.Errorf("X-Content-Type-Options %q, want nosniff", v)
	}
	r.check("http.nosniff", err, "")
	cd := s.header.Get("Content-Disposition")
	m := dispositionRe.FindStringSubmatch(cd)
	err = nil
	if m == nil {
		err = fmt.Errorf("Content-Disposition %q, want attachment; filename=\"...\"", cd)
	}
	r.check("http.disposition", err, cd)
	if o.filename != nil {
		err = nil
		if m == nil || m[1] != *o.filename {
			err = fmt.Errorf("Content-Disposition %q, want filename=%q", cd, *o.filename)
		}
		r.check("flag.filename", err, *o.filename)
	}
	return true
}

// parsed loads a source and parses it with the pprof package, for delta, sum and info.
func parsed(arg string, o *fetchOpts) (*profile.Profile, error) {
	s, err := load(arg, o)
	if err != nil {
		return nil, err
	}
	if s.header != nil && s.status != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", arg, s.status)
	}
	data, err := uncompress(s.body)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", arg, err)
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", arg, err)
	}
	return p, nil
}
