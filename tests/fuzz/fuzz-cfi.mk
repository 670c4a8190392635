# fuzz_cfi links only the modules it fuzzes (see tests/unit/fixtures-cfi.mk).
CFI_SRCS ?= $(wildcard user/unwind/cfi*.c) user/util/vec.c user/util/cachefile.c
CFI_FUZZ_OBJS := $(patsubst %.c,$(OUT)/fuzz/obj/%.o,$(CFI_SRCS))

$(CFI_FUZZ_OBJS): $(OUT)/fuzz/obj/%.o: %.c tests/fuzz/fuzz-cfi.mk
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(DEPFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(OUT)/fuzz/fuzz_cfi: tests/fuzz/fuzz_cfi.c $(CFI_FUZZ_OBJS)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ \
		$(CFI_FUZZ_OBJS) \
		-lelf -ldw -lz
