# The BPF stack test (tests/unit/test_bpf_stack.c) and bpfstack, its module that counts a
# program's stack as the verifier does. The module serves only this test, so it is linked into
# it rather than into libcprof.a.
BPFSTACK_OBJS := $(OUT)/tests/unit/bpfstack.o

$(OUT)/tests/unit/test_bpf_stack: tests/unit/test_bpf_stack.c $(BPFSTACK_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -Itests/unit $< -o $@ \
		$(BPFSTACK_OBJS) $(LIB) $(LIBS)
