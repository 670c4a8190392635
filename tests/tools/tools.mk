# Test tools: tests/tools/NAME/ → build/tools/NAME.
#   pprofcheck  (Go, package main) reads profiles with the pprof package (Debian's
#               golang-github-google-pprof-dev under /usr/share/gocode, no module download) and
#               checks what go tool pprof, Parca and Grafana Alloy need of them, where Go is
#               installed; tests/e2e/pprofcheck.sh.
#   fdefunc     (C) names a file offset by the .eh_frame_hdr function around it, as the
#               symbolizer names stripped code; tests/e2e/unwind_perf.sh puts perf's frames
#               under the same names.
GOPATH_DEBIAN := /usr/share/gocode
ifneq ($(shell command -v $(GO) 2>/dev/null),)
PPROFCHECK := $(OUT)/tools/pprofcheck
TEST_TARGETS += $(PPROFCHECK)

$(PPROFCHECK): $(wildcard tests/tools/pprofcheck/*.go)
	@mkdir -p $(@D) $(GOCACHE)
	$(call msg,GO,$@)
	$(Q)cd tests/tools/pprofcheck && GOPATH=$(GOPATH_DEBIAN) GOFLAGS= $(GO) build \
		-o $(abspath $@) .
endif

FDEFUNC := $(OUT)/tools/fdefunc
TEST_TARGETS += $(FDEFUNC)

$(FDEFUNC): tests/tools/fdefunc/fdefunc.c $(LIB) | $(SKELS) $(PROTO_HDR)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ $(LIB) $(LIBS)
