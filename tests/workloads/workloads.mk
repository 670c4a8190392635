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

# Heap workload variants: C++ new/delete, the same C program linked with jemalloc, tcmalloc
# or mimalloc, the C++ one with each of them too (their operators new/delete are their
# own), statically linked (the allocator is in the executable itself), and a library with
# its own allocator for heap_dlopen. --no-as-needed: the allocator must be loaded even where
# the linker would judge it unneeded (it only interposes).
HEAP_ALLOCATORS := jemalloc tcmalloc mimalloc
HEAP_VARIANTS := $(OUT)/workloads/heap_cxx $(OUT)/workloads/heap_static \
	$(patsubst %,$(OUT)/workloads/heap_%,$(HEAP_ALLOCATORS)) \
	$(patsubst %,$(OUT)/workloads/heap_cxx_%,$(HEAP_ALLOCATORS)) \
	$(OUT)/workloads/libheapdl.so
TEST_TARGETS += $(HEAP_VARIANTS)
HEAP_LIB_jemalloc := -ljemalloc
HEAP_LIB_tcmalloc := -ltcmalloc
HEAP_LIB_mimalloc := -lmimalloc
# The C++ variants use tcmalloc's minimal library (no heap profiler of its own).
HEAP_CXX_LIB_jemalloc := -ljemalloc
HEAP_CXX_LIB_tcmalloc := -ltcmalloc_minimal
HEAP_CXX_LIB_mimalloc := -lmimalloc

$(patsubst %,$(OUT)/workloads/heap_%,$(HEAP_ALLOCATORS)): $(OUT)/workloads/heap_%: \
		tests/workloads/heap.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) -MMD -MP -MF $@.d $< -o $@ \
		-Wl,--no-as-needed $(HEAP_LIB_$*)

$(patsubst %,$(OUT)/workloads/heap_cxx_%,$(HEAP_ALLOCATORS)): $(OUT)/workloads/heap_cxx_%: \
		tests/workloads/heap_cxx.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(WORKLOAD_CFLAGS) $(WARN) -MMD -MP -MF $@.d $< -o $@ \
		-Wl,--no-as-needed $(HEAP_CXX_LIB_$*)

$(OUT)/workloads/libheapdl.so: tests/workloads/heapdl/heapdl.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) -MMD -MP -MF $@.d -shared -fPIC $< -o $@ \
		-Wl,--no-as-needed -lmimalloc

$(OUT)/workloads/heap_cxx: tests/workloads/heap_cxx.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(WORKLOAD_CFLAGS) $(WARN) $(DEPFLAGS) $< -o $@

$(OUT)/workloads/heap_static: tests/workloads/heap.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) -MMD -MP -MF $@.d -static $< -o $@

# Unwinding workloads (tests/workloads/unwind/): built like distro code, -O2 without frame
# pointers, so that their stacks can only be unwound from .eh_frame. Their ground truth is
# kept exact in the source (see uw.h), not by compiler flags.
UW_CFLAGS := -O2 -g -fomit-frame-pointer -D_GNU_SOURCE
UW_DIR := tests/workloads/unwind
UW_C_BINS := $(patsubst $(UW_DIR)/%.c,$(OUT)/workloads/%,$(wildcard $(UW_DIR)/*.c))
UW_CXX_BINS := $(patsubst $(UW_DIR)/%.cc,$(OUT)/workloads/%,$(wildcard $(UW_DIR)/*.cc))
UW_GO_BINS := $(patsubst $(UW_DIR)/%/main.go,$(OUT)/workloads/%,$(wildcard $(UW_DIR)/*/main.go))
TEST_TARGETS += $(UW_C_BINS) $(UW_CXX_BINS) $(UW_GO_BINS)
workloads: $(UW_C_BINS) $(UW_CXX_BINS) $(UW_GO_BINS)

$(UW_C_BINS): $(OUT)/workloads/%: $(UW_DIR)/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(UW_CFLAGS) $(WARN) $(DEPFLAGS) -pthread $< -o $@ $(UW_LIBS)

# uw_lzma's hot code is Debian's own liblzma (stripped, no frame pointers).
$(OUT)/workloads/uw_lzma: UW_LIBS := -llzma

$(UW_CXX_BINS): $(OUT)/workloads/%: $(UW_DIR)/%.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(UW_CFLAGS) $(WARN) $(DEPFLAGS) -pthread $< -o $@

# Go programs: uw_cgo's C part is compiled with the flags in its #cgo line (no frame
# pointers); CGO_ENABLED is forced so that uw_go is not silently linked differently either.
$(UW_GO_BINS): $(OUT)/workloads/%: $(UW_DIR)/%/main.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)cd $(<D) && CGO_ENABLED=1 $(GO) build -o $(abspath $@) .

# uw_gosha built as release binaries often are, without symbols and DWARF (no .debug_frame):
# only .gopclntab's stack-pointer tables describe its frames.
TEST_TARGETS += $(OUT)/workloads/uw_gosha_stripped
workloads: $(OUT)/workloads/uw_gosha_stripped

$(OUT)/workloads/uw_gosha_stripped: $(UW_DIR)/uw_gosha/main.go
	@mkdir -p $(@D)
	$(call msg,GO,$@)
	$(Q)cd $(<D) && CGO_ENABLED=1 $(GO) build -ldflags='-s -w' -o $(abspath $@) .

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

# A stripped library's hot spot (tests/e2e/sym_fde.sh): libfde.so with symbols and DWARF,
# libfde_stripped.so the same file stripped (its hidden hot functions are known only by
# their .eh_frame FDEs), and the program that dlopens either. Built like distro code.
FDE_DIR := tests/workloads/fdelib
FDE_BINS := $(addprefix $(OUT)/workloads/,libfde.so libfde_stripped.so fdelib_run)
TEST_TARGETS += $(FDE_BINS)
workloads: $(FDE_BINS)

$(OUT)/workloads/libfde.so: $(FDE_DIR)/fdelib.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(UW_CFLAGS) $(WARN) -MMD -MP -MF $@.d -shared -fPIC $< -o $@

$(OUT)/workloads/libfde_stripped.so: $(OUT)/workloads/libfde.so
	$(call msg,STRIP,$@)
	$(Q)objcopy --strip-all $< $@

$(OUT)/workloads/fdelib_run: $(FDE_DIR)/fdelib_run.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(UW_CFLAGS) $(WARN) $(DEPFLAGS) $< -o $@
