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

# Heap workload variants: C++ new/delete, the same C program linked with jemalloc, and
# statically linked (the allocator is in the executable itself).
HEAP_VARIANTS := $(OUT)/workloads/heap_cxx $(OUT)/workloads/heap_jemalloc \
	$(OUT)/workloads/heap_static
TEST_TARGETS += $(HEAP_VARIANTS)

$(OUT)/workloads/heap_cxx: tests/workloads/heap_cxx.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(WORKLOAD_CFLAGS) $(WARN) $(DEPFLAGS) $< -o $@

$(OUT)/workloads/heap_jemalloc: tests/workloads/heap.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) -MMD -MP -MF $@.d $< -o $@ -ljemalloc

$(OUT)/workloads/heap_static: tests/workloads/heap.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) -MMD -MP -MF $@.d -static $< -o $@
