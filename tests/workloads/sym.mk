# Symbolizer workloads (tests/e2e/sym_*.sh, sources in tests/workloads/sym/): unlike the
# other workloads, built -O2 -g so that the compiler inlines, and shipped with their debug
# information in each place the symbolizer looks for it:
#   sym_inline           DWARF in the binary
#   sym_inline_stripped  stripped; DWARF only under $(SYMWL_DEBUGDIR)/.build-id/ (by build
#                        id, found with --debuginfo-dir)
#   sym_inline_mini      stripped; MiniDebugInfo only (names, no lines)
#   sym_jit              stripped; DWARF in sym_jit.debug next to it (.gnu_debuglink only);
#                        its JIT code named by /tmp/perf-PID.map
#   gospin               Go, stripped (-s -w): .gopclntab only
SYMWL := $(OUT)/workloads
SYMWL_DEBUGDIR := $(SYMWL)/sym_debugdir
SYMWL_CFLAGS := -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer $(WARN)
SYMWL_BINS := $(addprefix $(SYMWL)/,sym_inline sym_inline_stripped sym_inline_mini sym_jit \
	sym_jit.debug gospin)
TEST_TARGETS += $(SYMWL_BINS)

$(SYMWL)/sym_inline: tests/workloads/sym/sym_inline.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SYMWL_CFLAGS) -Wl,--build-id $< -o $@

$(SYMWL)/sym_jit.full: tests/workloads/sym/sym_jit.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SYMWL_CFLAGS) -Wl,--build-id $< -o $@

$(SYMWL)/sym_inline_stripped: $(SYMWL)/sym_inline
	$(call msg,STRIP,$@)
	$(Q)id=$$(readelf -n $< | sed -n 's/^.*Build ID: *//p'); test -n "$$id" && \
	d=$(SYMWL_DEBUGDIR)/.build-id/$$(echo $$id | cut -c1-2) && mkdir -p $$d && \
	objcopy --only-keep-debug $< $$d/$$(echo $$id | cut -c3-).debug && \
	objcopy --strip-all $< $@

$(SYMWL)/sym_inline_mini: $(SYMWL)/sym_inline
	$(call msg,MINIDBG,$@)
	$(Q)$(call sym_minidebug,$<,$@)

$(SYMWL)/sym_jit.debug: $(SYMWL)/sym_jit.full
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@

$(SYMWL)/sym_jit: $(SYMWL)/sym_jit.full $(SYMWL)/sym_jit.debug
	$(call msg,STRIP,$@)
	$(Q)objcopy --strip-all --add-gnu-debuglink=$(SYMWL)/sym_jit.debug $< $@

$(SYMWL)/gospin: tests/workloads/sym/gospin/main.go
	@mkdir -p $(@D) $(GOCACHE)
	$(call msg,GO,$@)
	$(Q)GO111MODULE=off $(GO) build -ldflags='-s -w' -o $@ $<
