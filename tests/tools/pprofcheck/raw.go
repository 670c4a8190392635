package main

import "fmt"

// The profile as it is on the wire: IDs and string indexes as written, before the pprof
// package resolves them. Only what the checks read is kept (and what the self-test needs to
// write a profile back).

type rawValueType struct{ typ, unit uint64 }

type rawLabel struct{ key, str, num, unit uint64 }

type rawSample struct {
	locs   []uint64
	values []int64
	labels []rawLabel
}

type rawMapping struct{ id, start, limit, offset, file, buildID uint64 }

type rawLine struct{ function, line uint64 }

type rawLocation struct {
	id, mapping, address uint64
	lines                []rawLine
}

type rawFunction struct{ id, name, sysName, filename uint64 }

type rawProfile struct {
	sampleTypes   []rawValueType
	samples       []rawSample
	mappings      []rawMapping
	locations     []rawLocation
	functions     []rawFunction
	strings       []string
	dropFrames    uint64
	keepFrames    uint64
	timeNanos     int64
	durationNanos int64
	periodType    *rawValueType
	period        int64
	comments      []uint64
	defaultType   uint64
}

// scalars decodes a message whose fields 1..len(dst) are varints into dst, in field order,
// skipping others: ValueType, Label, Mapping (up to build_id), Line, Function.
func scalars(msg []byte, dst ...*uint64) error {
	return fields(msg, func(w *wire, num, wt int) (bool, error) {
		if num > len(dst) {
			return false, nil
		}
		v, err := w.scalar(wt)
		*dst[num-1] = v
		return true, err
	})
}

// message reads a length-delimited field and decodes it with dec.
func message(w *wire, wt int, dec func(msg []byte) error) error {
	if wt != wtBytes {
		return errWireType(wt)
	}
	p, err := w.bytes()
	if err != nil {
		return err
	}
	return dec(p)
}

func decodeSample(msg []byte) (rawSample, error) {
	var s rawSample
	var vals []uint64
	err := fields(msg, func(w *wire, num, wt int) (bool, error) {
		var err error
		switch num {
		case 1:
			s.locs, err = w.repeated(wt, s.locs)
		case 2:
			vals, err = w.repeated(wt, vals)
		case 3:
			err = message(w, wt, func(p []byte) error {
				var l rawLabel
				err := scalars(p, &l.key, &l.str, &l.num, &l.unit)
				s.labels = append(s.labels, l)
				return err
			})
		default:
			return false, nil
		}
		return true, err
	})
	for _, v := range vals {
		s.values = append(s.values, int64(v))
	}
	return s, err
}

func decodeLocation(msg []byte) (rawLocation, error) {
	var l rawLocation
	err := fields(msg, func(w *wire, num, wt int) (bool, error) {
		var err error
		switch num {
		case 1:
			l.id, err = w.scalar(wt)
		case 2:
			l.mapping, err = w.scalar(wt)
		case 3:
			l.address, err = w.scalar(wt)
		case 4:
			err = message(w, wt, func(p []byte) error {
				var ln rawLine
				err := scalars(p, &ln.function, &ln.line)
				l.lines = append(l.lines, ln)
				return err
			})
		default:
			return false, nil
		}
		return true, err
	})
	return l, err
}

func errWireType(wt int) error { return fmt.Errorf("wire type %d for a message field", wt) }

// decodeMessage decodes one message-typed field of Profile into p.
func (p *rawProfile) decodeMessage(num int, msg []byte) error {
	var err error
	switch num {
	case fProfSampleType:
		var vt rawValueType
		err = scalars(msg, &vt.typ, &vt.unit)
		p.sampleTypes = append(p.sampleTypes, vt)
	case fProfSample:
		var s rawSample
		s, err = decodeSample(msg)
		p.samples = append(p.samples, s)
	case fProfMapping:
		var m rawMapping
		err = scalars(msg, &m.id, &m.start, &m.limit, &m.offset, &m.file, &m.buildID)
		p.mappings = append(p.mappings, m)
	case fProfLocation:
		var l rawLocation
		l, err = decodeLocation(msg)
		p.locations = append(p.locations, l)
	case fProfFunction:
		var f rawFunction
		err = scalars(msg, &f.id, &f.name, &f.sysName, &f.filename)
		p.functions = append(p.functions, f)
	case fProfString:
		p.strings = append(p.strings, string(msg))
	case fProfPeriodType:
		var vt rawValueType
		err = scalars(msg, &vt.typ, &vt.unit)
		p.periodType = &vt
	}
	return err
}

// decodeScalar decodes one varint field of Profile into p.
func (p *rawProfile) decodeScalar(w *wire, num, wt int) error {
	var err error
	switch num {
	case fProfComment:
		p.comments, err = w.repeated(wt, p.comments)
	case fProfDrop:
		p.dropFrames, err = w.scalar(wt)
	case fProfKeep:
		p.keepFrames, err = w.scalar(wt)
	case fProfDefault:
		p.defaultType, err = w.scalar(wt)
	default:
		var v uint64
		v, err = w.scalar(wt)
		signed := map[int]*int64{fProfTime: &p.timeNanos, fProfDuration: &p.durationNanos,
			fProfPeriod: &p.period}
		*signed[num] = int64(v)
	}
	return err
}

// decodeRaw decodes an uncompressed profile.
func decodeRaw(data []byte) (*rawProfile, error) {
	p := &rawProfile{}
	err := fields(data, func(w *wire, num, wt int) (bool, error) {
		switch num {
		case fProfSampleType, fProfSample, fProfMapping, fProfLocation, fProfFunction,
			fProfString, fProfPeriodType:
			if wt != wtBytes {
				return true, errWireType(wt)
			}
			msg, err := w.bytes()
			if err != nil {
				return true, err
			}
			return true, p.decodeMessage(num, msg)
		case fProfDrop, fProfKeep, fProfTime, fProfDuration, fProfPeriod, fProfComment,
			fProfDefault:
			return true, p.decodeScalar(w, num, wt)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// str is string s of the table, or a placeholder for an index out of range.
func (p *rawProfile) str(i uint64) string {
	if i >= uint64(len(p.strings)) {
		return fmt.Sprintf("<string %d?>", i)
	}
	return p.strings[i]
}
