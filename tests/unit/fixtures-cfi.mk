# Unwind-table compiler: fixtures, unit test and benchmark.
#
# test_cfi and cfi_build link only the modules they exercise (the cfi*.c files of
# user/unwind and the utilities they use) rather than libcprof.a, so they build and run
# while the rest of the library is incomplete.
# (Set here and in tests/fuzz/fuzz-cfi.mk, whichever is read first.)
CFI_SRCS ?= $(wildcard user/unwind/cfi*.c) user/util/vec.c user/util/cachefile.c
CFI_OBJS := $(patsubst %.c,$(OUT)/%.o,$(CFI_SRCS))
CFI_LIBS := -lelf -ldw -lz
CFI_FIX := $(OUT)/fixtures
CFI_FIXTURES := $(CFI_FIX)/cfi_o2 $(CFI_FIX)/cfi_fp $(CFI_FIX)/cfi_realign \
	$(CFI_FIX)/cfi_nounwind.so $(CFI_FIX)/cfi_nounwind.stripped.so $(CFI_FIX)/cfi_nounwind.debug \
	$(CFI_FIX)/cfi_nounwind.z.so $(CFI_FIX)/cfi_go $(CFI_FIX)/cfi_go.stripped \
	$(CFI_FIX)/cfi_clone.so $(CFI_FIX)/cfi_clone.stripped.so $(CFI_FIX)/cfi_clone.debug \
	$(CFI_FIX)/cfi_entry.so $(CFI_FIX)/cfi_entry.pie
TEST_TARGETS += $(CFI_FIXTURES) $(OUT)/bench/cfi_build

$(CFI_OBJS): $(OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(OUT)/tests/unit/test_cfi: tests/unit/test_cfi.c $(CFI_OBJS) $(CFI_FIXTURES)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -Itests/unit $< -o $@ \
		$(CFI_OBJS) $(CFI_LIBS)

$(OUT)/bench/cfi_build: tests/bench/cfi_build.c $(CFI_OBJS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ $(CFI_OBJS) $(CFI_LIBS)

# Fixtures are compiled with fixed flags (not $(CFLAGS)): their CFI is what is tested.
$(CFI_FIX)/cfi_o2: tests/unit/fixtures/cfi_o2.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O2 -fomit-frame-pointer -fasynchronous-unwind-tables $(WARN) $< -o $@

$(CFI_FIX)/cfi_fp: tests/unit/fixtures/cfi_fp.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O0 -fno-omit-frame-pointer $(WARN) $< -o $@

$(CFI_FIX)/cfi_realign: tests/unit/fixtures/cfi_realign.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O2 $(WARN) $< -o $@

$(CFI_FIX)/cfi_nounwind.so: tests/unit/fixtures/cfi_nounwind.c
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -shared -fPIC -O2 -g -fno-asynchronous-unwind-tables -fno-unwind-tables \
		$(WARN) $< -o $@

$(CFI_FIX)/cfi_nounwind.debug: $(CFI_FIX)/cfi_nounwind.so
	$(Q)objcopy --only-keep-debug $< $@

$(CFI_FIX)/cfi_nounwind.stripped.so: $(CFI_FIX)/cfi_nounwind.so
	$(Q)objcopy --strip-debug $< $@

$(CFI_FIX)/cfi_nounwind.z.so: $(CFI_FIX)/cfi_nounwind.so
	$(Q)objcopy --compress-debug-sections=zlib-gabi $< $@

# glibc's clone/clone3 CFI gap, assembled; stripped of .symtab (its hidden clone3 is then
# named only by the separate debuginfo file).
$(CFI_FIX)/cfi_clone.so: tests/unit/fixtures/cfi_clone.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -shared -nostdlib -Wl,--build-id $< -o $@

$(CFI_FIX)/cfi_clone.debug: $(CFI_FIX)/cfi_clone.so
	$(Q)objcopy --only-keep-debug $< $@

$(CFI_FIX)/cfi_clone.stripped.so: $(CFI_FIX)/cfi_clone.so
	$(Q)objcopy --strip-all $< $@

# An entry point without CFI: entered as ld.so is (no PT_INTERP), and as a program.
$(CFI_FIX)/cfi_entry.so: tests/unit/fixtures/cfi_entry.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -shared -nostdlib -Wl,--build-id -Wl,-e,_start $< -o $@

$(CFI_FIX)/cfi_entry.pie: tests/unit/fixtures/cfi_entry.S
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -pie -nostdlib -Wl,--build-id \
		-Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2 $< -o $@

# A Go program (its .debug_frame) and the same stripped of it and of its symbols (only the
# runtime's function table, .gopclntab, is left).
$(CFI_FIX)/cfi_go: tests/unit/fixtures/cfi_go/main.go
	@mkdir -p $(@D)
	$(call msg,FIXTURE,$@)
	$(Q)cd $(<D) && $(GO) build -o $(abspath $@) .

$(CFI_FIX)/cfi_go.stripped: $(CFI_FIX)/cfi_go
	$(Q)objcopy --strip-all $< $@
