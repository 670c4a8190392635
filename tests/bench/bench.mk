# Benchmark tools built from our sources (tests/bench/NAME.c → build/bench/NAME) that no unit
# fixture fragment builds already.
#   flame_gen  a pprof file with 100k distinct stacks for tests/bench/flame_big.sh
TEST_TARGETS += $(OUT)/bench/flame_gen

$(OUT)/bench/flame_gen: tests/bench/flame_gen.c $(LIB)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ $(LIB) $(LIBS)
