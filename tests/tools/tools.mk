# Test tools: tests/tools/NAME/ (Go, package main) → build/tools/NAME, where Go is installed.
#   pprofcheck  reads profiles with the pprof package (Debian's golang-github-google-pprof-dev
#               under /usr/share/gocode, no module download) and checks what go tool pprof,
#               Parca and Grafana Alloy need of them; tests/e2e/pprofcheck.sh.
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
