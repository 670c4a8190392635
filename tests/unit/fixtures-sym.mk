# Symbolizer fixtures (tests/unit/test_symbolizer.c): programs with functions at known
# places, and stripped copies whose symbols live in separate debuginfo found by build id,
# by .gnu_debuglink next to the binary, in its .debug/ subdirectory or under a debug dir,
# plus one whose debuglink CRC does not match. The fake debug dir is $(SYM_FIX_DEBUG).
SYM_FIX := $(OUT)/fixtures
SYM_FIX_DEBUG := $(SYM_FIX)/sym_debugdir
SYM_FIX_CFLAGS := -O1 -g -fno-omit-frame-pointer -falign-functions=64 $(WARN)
SYM_LINKED := sym_buildid sym_debuglink sym_dotdebug sym_dldir sym_badcrc sym_minidebug
SYM_PLT := sym_plt_lazy sym_plt_ibt sym_plt_now sym_plt_nopie
SYM_FIXTURES := $(addprefix $(SYM_FIX)/,sym_nopie sym_pie sym_cxx $(SYM_LINKED) $(SYM_PLT) \
	sym_cxxbig sym_go sym_go_stripped)
TEST_TARGETS += $(SYM_FIXTURES) $(OUT)/bench/symbolize

$(OUT)/tests/unit/test_symbolizer $(OUT)/tests/unit/test_dwarf: | $(SYM_FIXTURES)

$(SYM_FIX)/sym_nopie: tests/unit/fixtures/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fno-pie -no-pie -Wl,--build-id -DSYM_FIXTURE='"$(@F)"' $< -o $@

$(SYM_FIX)/sym_pie: tests/unit/fixtures/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fPIE -pie -Wl,--build-id -DSYM_FIXTURE='"$(@F)"' $< -o $@

$(SYM_FIX)/sym_cxx: tests/unit/fixtures/sym_cxx.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(SYM_FIX_CFLAGS) -Wl,--build-id $< -o $@

# The unstripped originals (.full) are what the tests compare against. sym_debuglink has
# no build id, so only its debuglink can find its debuginfo.
$(SYM_LINKED:%=$(SYM_FIX)/%.full): $(SYM_FIX)/%.full: tests/unit/fixtures/sym_prog.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SYM_FIX_CFLAGS) -fPIE -pie $(SYM_FIX_LDFLAGS) -DSYM_FIXTURE='"$*"' $< -o $@

SYM_FIX_LDFLAGS = -Wl,--build-id
$(SYM_FIX)/sym_debuglink.full: SYM_FIX_LDFLAGS = -Wl,--build-id=none

$(SYM_FIX)/sym_buildid: $(SYM_FIX)/sym_buildid.full
	$(call msg,STRIP,$@)
	$(Q)id=$$(readelf -n $< | sed -n 's/^.*Build ID: *//p'); test -n "$$id" && \
	d=$(SYM_FIX_DEBUG)/.build-id/$$(echo $$id | cut -c1-2) && mkdir -p $$d && \
	objcopy --only-keep-debug $< $$d/$$(echo $$id | cut -c3-).debug && \
	objcopy --strip-all $< $@

$(SYM_FIX)/sym_debuglink: $(SYM_FIX)/sym_debuglink.full
	$(call msg,STRIP,$@)
	$(Q)objcopy --only-keep-debug $< $@.debug && \
	objcopy --strip-all --add-gnu-debuglink=$@.debug $< $@

$(SYM_FIX)/sym_dotdebug: $(SYM_FIX)/sym_dotdebug.full
	$(call msg,STRIP,$@)
	$(Q)mkdir -p $(SYM_FIX)/.debug && \
	objcopy --only-keep-debug $< $(SYM_FIX)/.debug/$(@F).debug && \
	objcopy --strip-all --add-gnu-debuglink=$(SYM_FIX)/.debug/$(@F).debug $< $@

# <debugdir>/<the binary's directory>/<debuglink>: the .debug file is moved there.
$(SYM_FIX)/sym_dldir: $(SYM_FIX)/sym_dldir.full
	$(call msg,STRIP,$@)
	$(Q)d=$(SYM_FIX_DEBUG)$(abspath $(SYM_FIX)) && mkdir -p $$d && \
	objcopy --only-keep-debug $< $@.debug && \
	objcopy --strip-all --add-gnu-debuglink=$@.debug $< $@ && mv $@.debug $$d/

# The debuginfo changes after the link recorded its CRC: it must be rejected.
$(SYM_FIX)/sym_badcrc: $(SYM_FIX)/sym_badcrc.full
	$(call msg,STRIP,$@)
	$(Q)objcopy --only-keep-debug $< $@.debug && \
	objcopy --strip-all --add-gnu-debuglink=$@.debug $< $@ && printf 'x' >> $@.debug

# MiniDebugInfo only, made as GDB's manual describes: the function symbols that .dynsym
# lacks, in an xz-compressed ELF file stored as .gnu_debugdata in the stripped binary.
# $(call sym_minidebug,UNSTRIPPED,OUTPUT)
define sym_minidebug
nm -D $(1) --format=posix --defined-only | awk '{ print $$1 }' | sort > $(2).dynsyms && \
nm $(1) --format=posix --defined-only | awk '$$2 ~ /^[TtD]$$/ { print $$1 }' | sort > $(2).funcsyms && \
comm -13 $(2).dynsyms $(2).funcsyms > $(2).keep && \
objcopy --only-keep-debug $(1) $(2).mini && \
objcopy -S --remove-section .gdb_index --remove-section .comment \
	--keep-symbols=$(2).keep $(2).mini $(2).mini2 && \
xz -f $(2).mini2 && \
objcopy --strip-all --remove-section .comment --add-section .gnu_debugdata=$(2).mini2.xz $(1) $(2) && \
rm -f $(2).dynsyms $(2).funcsyms $(2).keep $(2).mini $(2).mini2.xz
endef

$(SYM_FIX)/sym_minidebug: $(SYM_FIX)/sym_minidebug.full
	$(call msg,MINIDBG,$@)
	$(Q)$(call sym_minidebug,$<,$@)

# PLT layouts: lazy, IBT (.plt.sec), -z now, and non-PIE; named as objdump -d names them.
SYM_PLT_FLAGS_lazy :=
SYM_PLT_FLAGS_ibt := -fcf-protection=full -Wl,-z,ibtplt
SYM_PLT_FLAGS_now := -Wl,-z,now
SYM_PLT_FLAGS_nopie := -fno-pie -no-pie
$(SYM_PLT:%=$(SYM_FIX)/%): $(SYM_FIX)/sym_plt_%: tests/unit/fixtures/sym_plt.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 $(WARN) $(SYM_PLT_FLAGS_$*) $< -o $@

# Symbolizes addresses of one file and prints them as eu-addr2line -a -i -f -C does: the
# benchmark (tests/bench/symbolize.sh) and the comparison tests use it.
$(OUT)/bench/symbolize: tests/bench/symbolize.c $(LIB)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) $< -o $@ $(LIB) $(LIBS)

# DWARF compared with eu-addr2line: a small C++ program of the benchmark's source, and a Go
# program with symbols and DWARF, and stripped (-s -w: only .gopclntab names its code).
$(SYM_FIX)/sym_cxxbig: tests/unit/fixtures/sym_big.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -DWITH_MAIN -DPER_PART=3 $< -o $@

$(SYM_FIX)/sym_go: tests/unit/fixtures/sym_go/main.go
	@mkdir -p $(@D) $(GOCACHE)
	$(call msg,GO,$@)
	$(Q)GO111MODULE=off $(GO) build -o $@ $<

$(SYM_FIX)/sym_go_stripped: tests/unit/fixtures/sym_go/main.go
	@mkdir -p $(@D) $(GOCACHE)
	$(call msg,GO,$@)
	$(Q)GO111MODULE=off $(GO) build -ldflags='-s -w' -o $@ $<

# The benchmark's large C++ library (tests/bench/symbolize.sh builds it on demand; not
# part of test-build): 16 compile units of 6 instantiations each, -O2 -g.
SYM_BIG_PARTS := 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
$(OUT)/bench/symbig/part%.o: tests/unit/fixtures/sym_big.cc
	@mkdir -p $(@D)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -fPIC -DPART=$* -DPER_PART=6 -c $< -o $@

$(OUT)/bench/libsymbig.so: $(SYM_BIG_PARTS:%=$(OUT)/bench/symbig/part%.o)
	$(call msg,LINK,$@)
	$(Q)$(CXX) -shared -o $@ $^

# Separate debuginfo of sym_pie and sym_nopie (two build ids) as Debian's -dbg packages ship
# it, its debug sections compressed (SHF_COMPRESSED), and sym_pie's uncompressed: the
# uncompressed copies of tests/unit/test_debugcache.c.
DBGCACHE_FIX := $(addprefix $(SYM_FIX)/,sym_pie.zdebug sym_nopie.zdebug sym_pie.plaindebug)
TEST_TARGETS += $(DBGCACHE_FIX)
$(OUT)/tests/unit/test_debugcache $(SAN_OUT)/tests/unit/test_debugcache: | $(DBGCACHE_FIX)

$(SYM_FIX)/%.zdebug: $(SYM_FIX)/%
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug --compress-debug-sections=zlib-gabi $< $@

$(SYM_FIX)/%.plaindebug: $(SYM_FIX)/%
	$(call msg,OBJCOPY,$@)
	$(Q)objcopy --only-keep-debug $< $@
