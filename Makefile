# cprof-bpf: one build for the BPF objects, skeletons, protobuf-c code, the tool and its tests.
# `make` builds ./cprof-bpf; `make test` and `make demo` first install missing Debian packages.
.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:
.DEFAULT_GOAL := all

VERSION := 0.1.0
PREFIX ?= /usr/local
OUT := build
CC := cc
CXX := c++
CLANG ?= clang
BPFTOOL ?= bpftool
PROTOC_C ?= protoc-c
GO ?= go
export GOCACHE ?= $(CURDIR)/$(OUT)/go-cache
export GOFLAGS := -mod=mod
export GO111MODULE := off

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-7s %s\n' "$(1)" "$(2)";
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
DEPFLAGS = -MMD -MP
INCLUDES := -I$(OUT) -I$(OUT)/encoder -Ibpf -Iuser -Iencoder
ALL_CPPFLAGS := $(INCLUDES) -D_GNU_SOURCE -DCPROF_VERSION='"$(VERSION)"' $(CPPFLAGS)
# top's screen: ncursesw (and tinfo where it is split out), as pkg-config says.
CURSES_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
# libdebuginfod is opened at run time, when a fetch needs it (user/elf/debuginfod.c).
LIBS := -lbpf -lelf -ldw -lprotobuf-c -lz -llzma -liberty -lm -lcapstone -lmicrohttpd \
	$(CURSES_LIBS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ivmlinux -Ibpf -Wall -Werror \
	-Wno-gnu-variable-sized-type-not-at-end \
	-Wno-unused-function
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

PROTO_SRC := $(OUT)/encoder/profile.pb-c.c
PROTO_HDR := $(OUT)/encoder/profile.pb-c.h
PROTO_OBJ := $(OUT)/encoder/profile.pb-c.o

LIB_SRCS := $(filter-out user/core/main.c,$(wildcard user/*/*.c)) $(wildcard encoder/*.c)
LIB_OBJS := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS)) $(PROTO_OBJ)
LIB := $(OUT)/libcprof.a
MAIN_OBJ := $(OUT)/user/core/main.o

# The sanitizer build: the tool, its library and the unit tests once more, compiled with
# AddressSanitizer (and its LeakSanitizer) and UndefinedBehaviorSanitizer, into $(SAN_OUT) so
# that neither build overwrites the other's objects. Only host code is rebuilt: the BPF
# objects, skeletons, fixtures and workloads are the normal build's (the workloads are what
# is profiled, and a sanitizer's allocator would hide the malloc the heap profile probes).
# tests/run --san runs the suite against it; tests/run alone runs part of it (see there).
# clang: gcc's runtime (12) writes UBSan's reports to stderr whatever log_path says, and
# the tests capture stderr; tests/run needs each report in a file of its own.
SAN_OUT := $(OUT)/san
SAN_CC ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := -O1 -g $(SAN_FLAGS)
SAN_LIB_OBJS := $(patsubst %.c,$(SAN_OUT)/obj/%.o,$(LIB_SRCS)) $(SAN_OUT)/obj/profile.pb-c.o
SAN_LIB := $(SAN_OUT)/libcprof.a

# Test fragments (fixtures, workloads, fuzzers) add their outputs to TEST_TARGETS.
TEST_TARGETS :=
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
TEST_TARGETS += $(UNIT_BINS)
SAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(SAN_OUT)/tests/unit/%,$(UNIT_SRCS))
include $(sort $(wildcard tests/*/*.mk))

.PHONY: all deps test test-build san-build test-san demo install clean vmlinux
all: cprof-bpf

deps:
	$(Q)scripts/install-deps

cprof-bpf: $(MAIN_OBJ) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c vmlinux/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(PROTO_SRC) $(PROTO_HDR) &: encoder/profile.proto | $(OUT)/encoder
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) --proto_path=. --c_out=$(OUT) $<

# Generated code is compiled without -Werror: its warnings are not ours to fix.
$(PROTO_OBJ): $(PROTO_SRC)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(OUT)/%.o: %.c | $(SKELS) $(PROTO_HDR)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(OUT)/tests/unit/%: tests/unit/%.c $(LIB) | $(SKELS) $(PROTO_HDR)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -Itests/unit $< -o $@ $(LIB) $(LIBS)

$(OUT)/bpf $(OUT)/encoder:
	$(Q)mkdir -p $@

# flame.html's own page: template, style and script become one C string that encoder/flame.c
# includes (the compiler's -MMD lists the header; the assets are listed here).
FLAME_ASSETS := encoder/flame/flame.html encoder/flame/flame.css encoder/flame/flame.js
FLAME_PAGE := $(OUT)/encoder/flame_page.h

$(FLAME_PAGE): scripts/embed-page $(FLAME_ASSETS) | $(OUT)/encoder
	$(call msg,EMBED,$@)
	$(Q)scripts/embed-page flame_page $(FLAME_ASSETS) > $@

$(OUT)/encoder/flame.o $(OUT)/fuzz/obj/encoder/flame.o: $(FLAME_PAGE)

$(SAN_OUT)/obj/%.o: %.c | $(SKELS) $(PROTO_HDR)
	@mkdir -p $(@D)
	$(call msg,SAN-CC,$@)
	$(Q)$(SAN_CC) $(SAN_CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(SAN_OUT)/obj/profile.pb-c.o: $(PROTO_SRC)
	@mkdir -p $(@D)
	$(call msg,SAN-CC,$@)
	$(Q)$(SAN_CC) $(SAN_CFLAGS) $(ALL_CPPFLAGS) -c $< -o $@

$(SAN_OUT)/obj/encoder/flame.o: $(FLAME_PAGE)

$(SAN_LIB): $(SAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN_OUT)/cprof-bpf: $(SAN_OUT)/obj/user/core/main.o $(SAN_LIB)
	$(call msg,SAN-LINK,$@)
	$(Q)$(SAN_CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# A unit test's extra objects (a fragment adds them as prerequisites) are linked too; its
# fixtures are the normal test's (order-only on it).
$(SAN_OUT)/tests/unit/%: tests/unit/%.c $(SAN_LIB) | $(OUT)/tests/unit/%
	@mkdir -p $(@D)
	$(call msg,SAN-CC,$@)
	$(Q)$(SAN_CC) $(SAN_CFLAGS) $(WARN) $(DEPFLAGS) $(ALL_CPPFLAGS) -Itests/unit $< -o $@ \
		$(filter %.o,$^) $(SAN_LIB) $(LIBS)

san-build: $(SAN_OUT)/cprof-bpf $(SAN_UNIT_BINS)

test-build: cprof-bpf $(TEST_TARGETS) san-build

# Fresh machine: install packages, then build with them present, then run every test.
test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run

# Every test against the sanitizer build (tests/run --san) instead of the normal one.
test-san: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)tests/run --san

demo: deps
	$(Q)$(MAKE) --no-print-directory cprof-bpf $(OUT)/workloads/demo
	$(Q)scripts/demo $(OUT)/workloads/demo

vmlinux:
	scripts/gen-vmlinux.sh

install: cprof-bpf
	install -D -m 0755 cprof-bpf $(DESTDIR)$(PREFIX)/bin/cprof-bpf

clean:
	rm -rf $(OUT) cprof-bpf

# Deepest: the fuzzers' objects, build/fuzz/obj/user/FOLDER/NAME.d.
-include $(wildcard $(OUT)/*/*.d $(OUT)/*/*/*.d $(OUT)/*/*/*/*.d $(OUT)/*/*/*/*/*.d)
