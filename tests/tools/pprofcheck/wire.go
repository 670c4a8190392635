package main

// A bounded reader of the protobuf wire format, for the fields of profile.proto whose raw
// values the pprof package does not keep: ParseData turns IDs into pointers and renumbers
// mappings, so an ID that is not index + 1, a mapping_id that points nowhere, or a label
// without a key no longer shows once parsed. Every length is checked against what is left
// of the buffer; nothing is allocated beyond the input's size.

import (
	"errors"
	"fmt"
)

// Field numbers of perftools.profiles.Profile (google/pprof proto/profile.proto).
const (
	fProfSampleType = 1
	fProfSample     = 2
	fProfMapping    = 3
	fProfLocation   = 4
	fProfFunction   = 5
	fProfString     = 6
	fProfDrop       = 7
	fProfKeep       = 8
	fProfTime       = 9
	fProfDuration   = 10
	fProfPeriodType = 11
	fProfPeriod     = 12
	fProfComment    = 13
	fProfDefault    = 14
)

const (
	wtVarint  = 0
	wtFixed64 = 1
	wtBytes   = 2
	wtFixed32 = 5
)

var errTruncated = errors.New("truncated")

type wire struct {
	b []byte
	i int
}

func (w *wire) done() bool { return w.i >= len(w.b) }

func (w *wire) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		if w.i >= len(w.b) {
			return 0, errTruncated
		}
		c := w.b[w.i]
		w.i++
		if shift == 63 && c > 1 {
			return 0, errors.New("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

// key reads a field's tag: its number and wire type.
func (w *wire) key() (int, int, error) {
	k, err := w.varint()
	if err != nil {
		return 0, 0, err
	}
	num, wt := k>>3, int(k&7)
	if num == 0 || num > 1<<29-1 {
		return 0, 0, fmt.Errorf("bad field number %d", num)
	}
	return int(num), wt, nil
}

// bytes reads a length-delimited field's payload (a slice of the input, not a copy).
func (w *wire) bytes() ([]byte, error) {
	n, err := w.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(w.b)-w.i) {
		return nil, fmt.Errorf("length %d past the end (%d bytes left)", n, len(w.b)-w.i)
	}
	p := w.b[w.i : w.i+int(n)]
	w.i += int(n)
	return p, nil
}

func (w *wire) skip(wt int) error {
	var n int
	switch wt {
	case wtVarint:
		_, err := w.varint()
		return err
	case wtBytes:
		_, err := w.bytes()
		return err
	case wtFixed64:
		n = 8
	case wtFixed32:
		n = 4
	default:
		return fmt.Errorf("wire type %d not allowed", wt)
	}
	if len(w.b)-w.i < n {
		return errTruncated
	}
	w.i += n
	return nil
}

// scalar reads a varint field, refusing another wire type.
func (w *wire) scalar(wt int) (uint64, error) {
	if wt != wtVarint {
		return 0, fmt.Errorf("wire type %d for a varint field", wt)
	}
	return w.varint()
}

// repeated appends one varint (unpacked) or a packed run of them to dst.
func (w *wire) repeated(wt int, dst []uint64) ([]uint64, error) {
	if wt == wtVarint {
		v, err := w.varint()
		return append(dst, v), err
	}
	if wt != wtBytes {
		return dst, fmt.Errorf("wire type %d for a repeated varint", wt)
	}
	p, err := w.bytes()
	if err != nil {
		return dst, err
	}
	sub := wire{b: p}
	for !sub.done() {
		v, err := sub.varint()
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// fields calls fn for every field of msg; fn reads the field's value from w or returns
// handled=false to have it skipped.
func fields(msg []byte, fn func(w *wire, num, wt int) (bool, error)) error {
	w := wire{b: msg}
	for !w.done() {
		num, wt, err := w.key()
		if err != nil {
			return err
		}
		handled, err := fn(&w, num, wt)
		if err != nil {
			return fmt.Errorf("field %d: %w", num, err)
		}
		if !handled {
			if err := w.skip(wt); err != nil {
				return fmt.Errorf("field %d: %w", num, err)
			}
		}
	}
	return nil
}
