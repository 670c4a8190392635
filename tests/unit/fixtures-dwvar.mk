# Lock-naming fixtures (tests/unit/test_dwvar.c): tests/unit/fixtures/dwvar_prog.c as non-PIE
# and PIE with DWARF, and a stripped copy whose DWARF is found by build id under the
# symbolizer fixtures' fake debug dir (sym_debugdir, see fixtures-sym.mk).
DWV_FIX := $(OUT)/fixtures
DWV_FIXTURES := $(addprefix $(DWV_FIX)/,dwvar_nopie dwvar_pie dwvar_stripped)
DWV_CFLAGS := -O1 -g $(WARN) -Wl,--build-id
TEST_TARGETS += $(DWV_FIXTURES)

$(OUT)/tests/unit/test_dwvar: | $(DWV_FIXTURES)

$(DWV_FIX)/dwvar_nopie: tests/unit/fixtures/dwvar_prog.c tests/unit/fixtures/dwvar_types.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(DWV_CFLAGS) -fno-pie -no-pie $< -o $@

$(DWV_FIX)/dwvar_pie: tests/unit/fixtures/dwvar_prog.c tests/unit/fixtures/dwvar_types.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(DWV_CFLAGS) -fPIE -pie $< -o $@

$(DWV_FIX)/dwvar_stripped: $(DWV_FIX)/dwvar_pie
	$(call msg,STRIP,$@)
	$(Q)id=$$(readelf -n $< | sed -n 's/^.*Build ID: *//p'); test -n "$$id" && \
	d=$(DWV_FIX)/sym_debugdir/.build-id/$$(echo $$id | cut -c1-2) && mkdir -p $$d && \
	objcopy --only-keep-debug $< $$d/$$(echo $$id | cut -c3-).debug && \
	objcopy --strip-all $< $@
