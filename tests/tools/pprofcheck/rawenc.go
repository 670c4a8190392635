package main

// Writes a rawProfile back to the wire, IDs and indexes exactly as they are, so that the
// self-test can make profiles that break one rule each (the pprof package's own encoder
// renumbers everything and cannot).

type encoder struct{ b []byte }

func (e *encoder) varint(v uint64) {
	for v >= 0x80 {
		e.b = append(e.b, byte(v)|0x80)
		v >>= 7
	}
	e.b = append(e.b, byte(v))
}

func (e *encoder) key(num, wt int) { e.varint(uint64(num)<<3 | uint64(wt)) }

// u writes a varint field, left out when zero as proto3 does.
func (e *encoder) u(num int, v uint64) {
	if v != 0 {
		e.key(num, wtVarint)
		e.varint(v)
	}
}

func (e *encoder) bytes(num int, b []byte) {
	e.key(num, wtBytes)
	e.varint(uint64(len(b)))
	e.b = append(e.b, b...)
}

func (e *encoder) packed(num int, vs []uint64) {
	if len(vs) == 0 {
		return
	}
	var in encoder
	for _, v := range vs {
		in.varint(v)
	}
	e.bytes(num, in.b)
}

// scalarMsg is a message of varint fields 1..len(vs): ValueType, Label, Mapping (up to
// build_id), Line, Function.
func scalarMsg(vs ...uint64) []byte {
	var e encoder
	for i, v := range vs {
		e.u(i+1, v)
	}
	return e.b
}

func encodeSample(s *rawSample) []byte {
	var e encoder
	e.packed(1, s.locs)
	vals := make([]uint64, len(s.values))
	for i, v := range s.values {
		vals[i] = uint64(v)
	}
	e.packed(2, vals)
	for _, l := range s.labels {
		e.bytes(3, scalarMsg(l.key, l.str, l.num, l.unit))
	}
	return e.b
}

func encodeLocation(l *rawLocation) []byte {
	var e encoder
	e.u(1, l.id)
	e.u(2, l.mapping)
	e.u(3, l.address)
	for _, ln := range l.lines {
		e.bytes(4, scalarMsg(ln.function, ln.line))
	}
	return e.b
}

func encodeRaw(p *rawProfile) []byte {
	var e encoder
	for _, st := range p.sampleTypes {
		e.bytes(fProfSampleType, scalarMsg(st.typ, st.unit))
	}
	for i := range p.samples {
		e.bytes(fProfSample, encodeSample(&p.samples[i]))
	}
	for _, m := range p.mappings {
		e.bytes(fProfMapping, scalarMsg(m.id, m.start, m.limit, m.offset, m.file, m.buildID))
	}
	for i := range p.locations {
		e.bytes(fProfLocation, encodeLocation(&p.locations[i]))
	}
	for _, f := range p.functions {
		e.bytes(fProfFunction, scalarMsg(f.id, f.name, f.sysName, f.filename))
	}
	for _, s := range p.strings {
		e.bytes(fProfString, []byte(s))
	}
	e.u(fProfDrop, p.dropFrames)
	e.u(fProfKeep, p.keepFrames)
	e.u(fProfTime, uint64(p.timeNanos))
	e.u(fProfDuration, uint64(p.durationNanos))
	if p.periodType != nil {
		e.bytes(fProfPeriodType, scalarMsg(p.periodType.typ, p.periodType.unit))
	}
	e.u(fProfPeriod, uint64(p.period))
	e.packed(fProfComment, p.comments)
	e.u(fProfDefault, p.defaultType)
	return e.b
}

// clone deep-copies a profile, so that each broken copy starts from the valid one.
func (p *rawProfile) clone() *rawProfile {
	c := *p
	c.sampleTypes = append([]rawValueType(nil), p.sampleTypes...)
	c.samples = make([]rawSample, len(p.samples))
	for i, s := range p.samples {
		c.samples[i] = rawSample{
			locs:   append([]uint64(nil), s.locs...),
			values: append([]int64(nil), s.values...),
			labels: append([]rawLabel(nil), s.labels...),
		}
	}
	c.mappings = append([]rawMapping(nil), p.mappings...)
	c.locations = make([]rawLocation, len(p.locations))
	for i, l := range p.locations {
		c.locations[i] = l
		c.locations[i].lines = append([]rawLine(nil), l.lines...)
	}
	c.functions = append([]rawFunction(nil), p.functions...)
	c.strings = append([]string(nil), p.strings...)
	c.comments = append([]uint64(nil), p.comments...)
	if p.periodType != nil {
		pt := *p.periodType
		c.periodType = &pt
	}
	return &c
}
