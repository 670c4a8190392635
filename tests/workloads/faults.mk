# Workloads of the fault tests (tests/e2e/fault_*.sh), sources in tests/workloads/faults/.
# fault_img_a and fault_img_b are one source built twice: the same code at the same offsets
# under two names (see fault_img.c). The others are built like every workload.
FAULTWL_SRCS := $(filter-out %/fault_img.c,$(wildcard tests/workloads/faults/*.c))
FAULTWL_BINS := $(patsubst tests/workloads/faults/%.c,$(OUT)/workloads/%,$(FAULTWL_SRCS)) \
	$(OUT)/workloads/fault_img_a $(OUT)/workloads/fault_img_b
TEST_TARGETS += $(FAULTWL_BINS)
workloads: $(FAULTWL_BINS)

$(OUT)/workloads/fault_img_%: tests/workloads/faults/fault_img.c tests/workloads/workload.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) -DIMG=$* $< -o $@

$(filter-out %/fault_img_a %/fault_img_b,$(FAULTWL_BINS)): $(OUT)/workloads/%: \
		tests/workloads/faults/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $(WARN) $(DEPFLAGS) -pthread $< -o $@
