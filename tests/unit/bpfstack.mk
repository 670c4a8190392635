# The BPF stack-budget test (tests/unit/test_bpf_stack.c) and its two modules: bpflink links
# the programs of an object as libbpf does, bpfstack counts their stack as the verifier does.
# They serve only this test, so they are linked into it rather than into libcprof.a. The test
# reads every object under $(OUT)/bpf, and a fixture object of its own.
BPFSTACK_OBJS := $(OUT)/tests/unit/bpfstack.o $(OUT)/tests/unit/bpflink.o
BPFSTACK_FIXTURE := $(OUT)/fixtures/bpfstack_prog.bpf.o
TEST_TARGETS += $(BPFSTACK_FIXTURE)

$(BPFSTACK_FIXTURE): tests/unit/fixtures/bpfstack_prog.bpf.c vmlinux/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/tests/unit/test_bpf_stack: tests/unit/test_bpf_stack.c $(BPFSTACK_OBJS) $(LIB) \
		| $(BPF_OBJS) $(BPFSTACK_FIXTURE)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -Itests/unit $< -o $@ \
		$(BPFSTACK_OBJS) $(LIB) $(LIBS)

# Its sanitizer build links the two modules sanitized too.
$(SAN_OUT)/tests/unit/test_bpf_stack: $(patsubst $(OUT)/%,$(SAN_OUT)/obj/%,$(BPFSTACK_OBJS))
