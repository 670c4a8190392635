# Test workloads: tests/workloads/NAME.c → build/workloads/NAME, programs whose CPU profile is
# known in advance (see the comment at the top of each). Built with frame pointers and without
# inlining, tail calls or identical-code folding: user stacks are unwound with frame pointers,
# and the e2e tests assert exact call paths such as main → level1 → level2 → hot_a.
WORKLOAD_CFLAGS := -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline \
	-fno-optimize-sibling-calls -fno-ipa-icf -D_GNU_SOURCE
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOAD_BINS := $(patsubst tests/workloads/%.c,$(OUT)/workloads/%,$(WORKLOAD_SRCS))
TEST_TARGETS += $(WORKLOAD_BINS)

.PHONY: workloads
workloads: $(WORKLOAD_BINS)

$(WORKLOAD_BINS): $(OUT)/workloads/%: tests/workloads/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) $(DEPFLAGS) -pthread $< -o $@

# Go workloads: tests/workloads/NAME.go → build/workloads/NAME where Go is installed (the
# tests that run them read profiles with go tool pprof, and skip without Go). One file,
# no module: GO111MODULE=off is exported by the Makefile, and -mod needs modules.
ifneq ($(shell command -v $(GO) 2>/dev/null),)
GO_WORKLOAD_BINS := $(patsubst tests/workloads/%.go,$(OUT)/workloads/%,\
	$(wildcard tests/workloads/*.go))
TEST_TARGETS += $(GO_WORKLOAD_BINS)

$(GO_WORKLOAD_BINS): $(OUT)/workloads/%: tests/workloads/%.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)GOFLAGS= $(GO) build -o $@ $<
endif
