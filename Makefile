# Plexus gateway tools.
#   make              the tools, in build/TARGET-plain/bin (and ./bin links there)
#   make SAN=1        the same with ASan/UBSan, in build/TARGET-san
#   make check        builds, then runs the test suite (make SAN=1 check: sanitized)
#   make vm-check     the tests under a real kernel, SocketCAN, BlueZ and systemd: a VM (tests/vm/run; root)
#   make fuzz         the libFuzzer targets (clang), in build/TARGET-fuzz
#   make install      honours PREFIX and DESTDIR
#   make deps         installs the Debian build and test dependencies (root)
#
# Every configuration (compiler target x flavour: plain, san, vg, fuzz)
# has a directory of its own under build/, so configurations never mix:
# `make SAN=1` after `make` rebuilds everything sanitized.  Flags come from
# pkg-config ($(PKG_CONFIG): dpkg-buildpackage sets a cross one).
#
# Each tool is cmd/TOOL/: its main.c, and the rest as libTOOL.a, which its
# tests, fuzz targets and benchmarks link.  A C program at
# tests/unit/TOOL/NAME.c, tests/unit/lib/NAME.c, fuzz/TOOL/NAME.c or
# bench/TOOL/NAME.c is built as $(B)/DIR/TOOL/NAME against libTOOL.a (lib:
# none) and lib/libplx.a: adding a file needs no line here.
include config.mk

TOOLS = plx-buffer plx-upload modbus-read serial-read can-read ble-read mqtt-read plexus-gateway plx-tail plx-command modbus-write can-send serial-write
PKGS_plx-buffer  = sqlite3 json-c
PKGS_plx-upload  = sqlite3 libcurl libdeflate json-c
PKGS_modbus-read = libmodbus json-c
PKGS_modbus-write = libmodbus json-c
PKGS_can-send = json-c
PKGS_serial-read = json-c
PKGS_can-read    = libsocketcan json-c
PKGS_ble-read    = libsystemd libcrypto json-c
PKGS_plexus-gateway = json-c
PKGS_plx-tail    = ncursesw sqlite3 json-c
PKGS_plx-command = libwebsockets libuv libseccomp json-c
PKGS_serial-write = json-c
PKGS_mqtt-read  = libmosquitto json-c
PKGS_lib         = sqlite3 json-c
# what only a tool's unit tests link: zlib checks libdeflate's bodies
PKGS_TEST_plx-upload = zlib
PKGS_ALL = $(sort $(foreach t,$(TOOLS) lib,$(PKGS_$(t)) $(PKGS_TEST_$(t))))

TARGET := $(shell $(CC) -dumpmachine)
B       = build/$(TARGET)-$(FLAVOUR)

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1)) -lm
ALL_CPPFLAGS = $(PLX_CPPFLAGS) $(call pkg_cflags,$(PKGS_ALL)) $(CPPFLAGS)
ALL_CFLAGS   = $(CFLAGS) $(PLX_WARN) $(PLX_CFLAGS)
ALL_LDFLAGS  = $(LDFLAGS) $(PLX_LDFLAGS)

LIB_OBJ  = $(patsubst %.c,$(B)/%.o,$(wildcard lib/*.c))
BIN      = $(TOOLS:%=$(B)/bin/%)
tool_obj = $(patsubst %.c,$(B)/%.o,$(filter-out cmd/$(1)/main.c,$(wildcard cmd/$(1)/*.c)))
UNIT     = $(patsubst %.c,$(B)/%,$(wildcard tests/unit/*/*.c))
FUZZ     = $(patsubst %.c,$(B)/%,$(wildcard fuzz/*/*.c))
BENCH    = $(patsubst %.c,$(B)/%,$(wildcard bench/*/*.c))
MANPAGES = $(foreach t,$(TOOLS),$(wildcard cmd/$(t)/*.[1-8])) $(wildcard man/*.[1-8])

all: $(BIN) link-bin

# ./bin: the tools of the last plain or sanitized build, for people and scripts
link-bin: $(BIN)
ifneq ($(filter plain san,$(FLAVOUR)),)
	@[ "$$(readlink bin 2>/dev/null)" = "$(B)/bin" ] || { rm -rf bin && ln -s $(B)/bin bin; }
endif

# archives made anew: one updated in place keeps the members of sources
# since moved or deleted (can-read's dbc.o once shadowed lib's)
$(B)/lib/libplx.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

define tool_rules
$(B)/cmd/$(1)/lib$(1).a: $(call tool_obj,$(1))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
$(B)/bin/$(1): $(B)/cmd/$(1)/main.o $(B)/cmd/$(1)/lib$(1).a $(B)/lib/libplx.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$$(PKGS_$(1)))
# programs that test or measure the tool: its headers, its library
$(B)/tests/unit/$(1)/%: tests/unit/$(1)/%.c $(B)/cmd/$(1)/lib$(1).a $(B)/lib/libplx.a
	@mkdir -p $$(@D)
	$$(CC) -Icmd/$(1) $$(ALL_CPPFLAGS) -Itests/unit $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$$(PKGS_$(1)) $$(PKGS_TEST_$(1)) $$(PKGS_lib))
$(B)/bench/$(1)/%: bench/$(1)/%.c $(B)/cmd/$(1)/lib$(1).a $(B)/lib/libplx.a
	@mkdir -p $$(@D)
	$$(CC) -Icmd/$(1) $$(ALL_CPPFLAGS) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$$(PKGS_$(1)) $$(PKGS_lib))
$(B)/fuzz/$(1)/%: fuzz/$(1)/%.c $(B)/cmd/$(1)/lib$(1).a $(B)/lib/libplx.a
	@mkdir -p $$(@D)
	$$(CC) -Icmd/$(1) $$(ALL_CPPFLAGS) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -fsanitize=fuzzer -o $$@ $$^ $$(call pkg_libs,$$(PKGS_$(1)) $$(PKGS_lib))
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rules,$(t))))

$(B)/tests/unit/lib/%: tests/unit/lib/%.c $(B)/lib/libplx.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PKGS_lib))
$(B)/bench/lib/%: bench/lib/%.c $(B)/lib/libplx.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(call pkg_libs,$(PKGS_lib) zlib)
$(B)/fuzz/lib/%: fuzz/lib/%.c $(B)/lib/libplx.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(call pkg_libs,$(PKGS_lib))

# The flags the objects were built with: a change of CFLAGS, CPPFLAGS or
# a library's pkg-config answer rebuilds them (written only when it differs).
FLAGS_NOW = $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS)
$(B)/flags: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = '$(subst ','\'',$(FLAGS_NOW))' ] || echo '$(subst ','\'',$(FLAGS_NOW))' > $@

$(B)/%.o: %.c $(B)/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The suite's time limit for each test (no sanitizers: it only waits).
$(B)/tests/limit: tests/limit.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

check: all $(UNIT) $(B)/tests/limit
	PLX_BUILD=$(CURDIR)/$(B) tests/run

# tests/vm/: in a Debian 12 VM made of Debian packages and this tree's own
# package (it builds both, and caches them; tests/vm/run says how)
vm-check: all $(B)/tests/limit
	PLX_BUILD=$(CURDIR)/$(B) tests/vm/run

# what scripts build and where it lands: `make -s print-build` (the
# directory), `make units`, `make benches`
print-build:
	@echo $(CURDIR)/$(B)
print-%:
	@echo $($*)
units: $(UNIT) $(B)/tests/limit
benches: $(BENCH)

fuzz:
	$(MAKE) FLAVOUR=fuzz fuzz-targets
fuzz-targets: $(FUZZ)

bench: all benches
	bench/run

# The build dependencies are debian/control's Build-Depends, the test
# dependencies tests/deps: the only two lists (tests/t-deps.sh).
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends ./
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends \
		$$(sed 's/#.*//' tests/deps)

install: $(BIN)
	mkdir -p $(DESTDIR)$(BINDIR)
	cp -f $(BIN) $(DESTDIR)$(BINDIR)/
	for p in $(MANPAGES); do \
		d=$(DESTDIR)$(MANPREFIX)/man$${p##*.}; mkdir -p $$d && cp -f $$p $$d/ || exit 1; \
	done

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	for p in $(MANPAGES); do rm -f $(DESTDIR)$(MANPREFIX)/man$${p##*.}/$${p##*/}; done

clean:
	rm -rf build bin

-include $(shell find $(B) -name '*.d' 2>/dev/null)

.PHONY: FORCE all link-bin check vm-check print-build units benches fuzz fuzz-targets bench deps install uninstall clean
