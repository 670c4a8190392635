# Fixtures of the object and procmaps tests: one program as PIE and as non-PIE (both with a
# build id), and a tiny static ELF (the ELF fuzzer's seed is a copy of it).
OBJ_FIXTURES := $(OUT)/fixtures/obj_pie $(OUT)/fixtures/obj_nopie $(OUT)/fixtures/obj_tiny
TEST_TARGETS += $(OBJ_FIXTURES)

$(OUT)/fixtures/obj_pie: tests/unit/fixtures/obj_fixture.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) -fPIE -pie -Wl,--build-id=sha1 $< -o $@

$(OUT)/fixtures/obj_nopie: tests/unit/fixtures/obj_fixture.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g $(WARN) -fno-pie -no-pie -Wl,--build-id=sha1 $< -o $@

$(OUT)/fixtures/obj_tiny: tests/unit/fixtures/obj_tiny.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -Os $(WARN) -static -nostdlib -fno-asynchronous-unwind-tables -s \
		-Wl,--build-id=sha1 -Wl,-z,norelro -Wl,-z,noseparate-code $< -o $@

# The tests run the fixtures.
$(OUT)/tests/unit/test_object $(OUT)/tests/unit/test_procmaps: | $(OBJ_FIXTURES)
