package main

// The self-test's profiles: valid ones, and one broken copy per rule.

func strp(s string) *string { return &s }

func validCases(valid *rawProfile) []brokenCase {
	cumulative := valid.clone()
	cumulative.durationNanos, cumulative.defaultType = 0, 0
	return []brokenCase{
		{name: "valid", body: gzipped(encodeRaw(valid))},
		{name: "valid_raw"},
		{name: "valid_flags", opts: validateOpts{delta: true, defaultType: strp("cpu"),
			types: "samples/count,cpu/nanoseconds"}},
		{name: "valid_cumulative", body: gzipped(encodeRaw(cumulative)),
			opts: validateOpts{cumulative: true, defaultType: strp("")}},
		{name: "valid_empty", edit: func(p *rawProfile) {
			p.samples, p.locations, p.functions, p.mappings = nil, nil, nil, nil
		}},
	}
}

func bodyCases() []brokenCase {
	return []brokenCase{
		{name: "body_html", rule: "alloy.body-format", msg: "text instead of pprof",
			body: []byte("<!DOCTYPE html><html><body>404 page not found</body></html>")},
		{name: "body_json", rule: "alloy.body-format", msg: "text instead of pprof",
			body: []byte(`{"error": "profile not found", "code": 404}`)},
		{name: "body_wiretype", rule: "alloy.body-format", msg: "wire type 7",
			body: []byte{0x0f, 0x01, 0x02, 0x03}},
		{name: "body_gzip", rule: "body.uncompress", msg: "gzip",
			body: []byte{0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00}},
		{name: "body_truncated", rule: "proto.decode", msg: "past the end",
			body: []byte{0x0a, 0x7f, 0x08, 0x01}},
	}
}

// idCases break what ParseData renumbers or resolves away: IDs and references.
func idCases() []brokenCase {
	return []brokenCase{
		{name: "string0", rule: "parca.string0", msg: `string_table[0] is "x"`,
			edit: func(p *rawProfile) { p.strings[0] = "x" }},
		{name: "string_index", rule: "parca.string-index", msg: "function[2].name: string",
			edit: func(p *rawProfile) { p.functions[2].name = uint64(len(p.strings)) + 3 }},
		{name: "label_string_index", rule: "parca.string-index", msg: "sample[1].label[0].str",
			edit: func(p *rawProfile) { p.samples[1].labels[0].str = 1 << 40 }},
		{name: "mapping_ids", rule: "parca.mapping-ids", msg: "mapping[0] has id 2, want 1",
			pprofOK: true, edit: func(p *rawProfile) {
				swap(&p.mappings[0].id, 1, 2)
				swap(&p.mappings[1].id, 1, 2)
				for i := range p.locations {
					swap(&p.locations[i].mapping, 1, 2)
				}
			}},
		{name: "function_ids", rule: "parca.function-ids", msg: "function[0] has id 3, want 1",
			pprofOK: true, edit: func(p *rawProfile) {
				swap(&p.functions[0].id, 1, 3)
				swap(&p.functions[2].id, 1, 3)
				for i := range p.locations {
					swap(&p.locations[i].lines[0].function, 1, 3)
				}
			}},
		{name: "location_ids", rule: "parca.location-ids", msg: "location[0] has id 2, want 1",
			pprofOK: true, edit: func(p *rawProfile) {
				swap(&p.locations[0].id, 1, 2)
				swap(&p.locations[1].id, 1, 2)
				for i := range p.samples {
					for j := range p.samples[i].locs {
						swap(&p.samples[i].locs[j], 1, 2)
					}
				}
			}},
		{name: "location_mapping", rule: "parca.location-mapping",
			msg: "has mapping_id 9 of 2 mappings", pprofOK: true,
			edit: func(p *rawProfile) { p.locations[1].mapping = 9 }},
		{name: "line_function", rule: "parca.line-function", msg: "function_id 9 of 5",
			edit: func(p *rawProfile) { p.locations[0].lines[0].function = 9 }},
	}
}

func sampleCases() []brokenCase {
	return []brokenCase{
		{name: "sample_values", rule: "parca.sample-values", msg: "sample[2] has 1 values for 2",
			edit: func(p *rawProfile) { p.samples[2].values = p.samples[2].values[:1] }},
		{name: "sample_no_types", rule: "parca.sample-values", msg: "no sample_type",
			edit: func(p *rawProfile) { p.sampleTypes, p.defaultType = nil, 0 }},
		{name: "sample_location_zero", rule: "parca.sample-locations",
			msg:  "sample[0].location_id[1] is 0",
			edit: func(p *rawProfile) { p.samples[0].locs[1] = 0 }},
		{name: "sample_location_range", rule: "parca.sample-locations",
			msg:  "sample[3].location_id[0] is 6 (5 locations)",
			edit: func(p *rawProfile) { p.samples[3].locs[0] = 6 }},
		{name: "label_key", rule: "parca.label-key", msg: `sample[4].label[1] has no key`,
			pprofOK: true, edit: func(p *rawProfile) { p.samples[4].labels[1].key = 0 }},
	}
}

func alloyCases() []brokenCase {
	return []brokenCase{
		{name: "address_zero", rule: "alloy.address-nonzero",
			msg: `location 5 "[truncated]" (mapping 0) has address 0`, pprofOK: true,
			edit: func(p *rawProfile) { p.locations[locTrunc-1].address = 0 }},
		{name: "address_shared", rule: "alloy.address-unique",
			msg:     `locations 2 "work" and 3 "leaf" share address 0x401100 in mapping 1`,
			pprofOK: true, edit: func(p *rawProfile) {
				p.locations[locLeaf-1].address = p.locations[locWork-1].address
			}},
		{name: "time_nanos", rule: "alloy.time-nanos", msg: "time_nanos is 0", pprofOK: true,
			edit: func(p *rawProfile) { p.timeNanos = 0 }},
		{name: "default_type", rule: "pprof.default-type",
			msg: `"bytes" names no sample type`, pprofOK: true,
			edit: func(p *rawProfile) { p.defaultType = p.intern("bytes") }},
	}
}

func flagCases() []brokenCase {
	return []brokenCase{
		{name: "flag_cumulative", rule: "mode.cumulative", msg: "duration_nanos 1000000000",
			pprofOK: true, opts: validateOpts{cumulative: true}},
		{name: "flag_delta", rule: "mode.delta", msg: "duration_nanos 0, want > 0",
			pprofOK: true, opts: validateOpts{delta: true},
			edit: func(p *rawProfile) { p.durationNanos = 0 }},
		{name: "flag_types", rule: "flag.types",
			msg:     "sample types samples/count,cpu/nanoseconds, want contentions/count",
			pprofOK: true, opts: validateOpts{types: "contentions/count"}},
		{name: "flag_default_type", rule: "flag.default-type", msg: `"cpu", want "alloc_space"`,
			pprofOK: true, opts: validateOpts{defaultType: strp("alloc_space")}},
	}
}

func validateCases(valid *rawProfile) []brokenCase {
	var all []brokenCase
	all = append(all, validCases(valid)...)
	all = append(all, bodyCases()...)
	all = append(all, idCases()...)
	all = append(all, sampleCases()...)
	all = append(all, alloyCases()...)
	return append(all, flagCases()...)
}
