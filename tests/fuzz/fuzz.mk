# libFuzzer harnesses: tests/fuzz/fuzz_NAME.c → build/fuzz/fuzz_NAME, linked against the library
# sources rebuilt with clang, coverage and ASan/UBSan. smoke.sh runs each briefly on its corpus.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(patsubst %.c,$(OUT)/fuzz/obj/%.o,$(LIB_SRCS)) $(OUT)/fuzz/obj/profile.pb-c.o
FUZZ_LIB := $(OUT)/fuzz/libcprof-fuzz.a
TEST_TARGETS += $(FUZZ_BINS)

# Objects depend on their headers (-MMD) and on the flags set here.
$(OUT)/fuzz/obj/%.o: %.c tests/fuzz/fuzz.mk | $(SKELS) $(PROTO_HDR)
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(DEPFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(OUT)/fuzz/obj/profile.pb-c.o: $(PROTO_SRC)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ \
		$(FUZZ_LIB) $(LIBS)
