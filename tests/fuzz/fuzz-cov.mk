# The coverage variant of the fuzz harnesses, for tests/fuzz/campaign.sh only (not part of
# test-build): build/fuzz-cov/fuzz_NAME, the library and the harness compiled with clang's
# source-based coverage and no sanitizer, so that a corpus replayed through it
# (-runs=0) writes a profile for llvm-profdata and llvm-cov. `make fuzz-cov`.
FUZZCOV_FLAGS := -g -O1 -fprofile-instr-generate -fcoverage-mapping
FUZZCOV_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz-cov/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZCOV_LIB_OBJS := $(patsubst %.c,$(OUT)/fuzz-cov/obj/%.o,$(LIB_SRCS)) \
	$(OUT)/fuzz-cov/obj/profile.pb-c.o
FUZZCOV_LIB := $(OUT)/fuzz-cov/libcprof-fuzzcov.a

.PHONY: fuzz-cov
fuzz-cov: $(FUZZCOV_BINS)

$(OUT)/fuzz-cov/obj/%.o: %.c tests/fuzz/fuzz-cov.mk | $(SKELS) $(PROTO_HDR)
	@mkdir -p $(@D)
	$(call msg,COV-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZCOV_FLAGS) $(DEPFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(OUT)/fuzz-cov/obj/profile.pb-c.o: $(PROTO_SRC)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZCOV_FLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(FUZZCOV_LIB): $(FUZZCOV_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/fuzz-cov/%: tests/fuzz/%.c $(FUZZCOV_LIB)
	@mkdir -p $(@D)
	$(call msg,COV,$@)
	$(Q)$(FUZZ_CC) $(FUZZCOV_FLAGS) -fsanitize=fuzzer $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ \
		$(FUZZCOV_LIB) $(LIBS)
