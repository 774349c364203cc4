# Plexus gateway tools. `make` builds bin/*, `make check` runs the test suite,
# `make install` honours PREFIX and DESTDIR, `make deps` installs the Debian
# build and test dependencies (as root), `make fuzz` builds the libFuzzer targets.
include config.mk

TOOLS    = plx-buffer plx-upload modbus-read serial-read can-read ble-read
LIBS_plx-buffer = -lsqlite3 -ljson-c
LIBS_plx-upload = -lsqlite3 -lcurl -lz -ljson-c
LIBS_modbus-read = -lmodbus -ljson-c -lm
LIBS_serial-read = -ljson-c
LIBS_can-read = -lsocketcan -ljson-c -lm
LIBS_ble-read = -lsystemd -lcrypto -ljson-c -lm

DEBS = build-essential pkg-config libjson-c-dev libsqlite3-dev libcurl4-openssl-dev zlib1g-dev \
       sqlite3 python3 curl openssl clang valgrind procps time \
       libmodbus-dev python3-pymodbus socat python3-canmatrix libsocketcan-dev \
       libssl-dev libsystemd-dev dbus-daemon python3-dbus python3-dbusmock \
       python3-cryptography debhelper systemd s6

LIB_OBJ  = $(patsubst %.c,%.o,$(wildcard lib/*.c))
BIN      = $(TOOLS:%=bin/%)
UNIT     = $(patsubst %.c,%,$(wildcard tests/unit/t_*.c))
FUZZ     = $(patsubst %.c,%,$(wildcard fuzz/fuzz_*.c))
MANPAGES = $(foreach t,$(TOOLS),$(wildcard cmd/$(t)/*.[1-8])) $(wildcard man/*.[1-8])

all: $(BIN)

lib/libplx.a: $(LIB_OBJ)
	$(AR) rcs $@ $(LIB_OBJ)

bin:
	mkdir -p bin

define tool_rule
bin/$(1): $$(patsubst %.c,%.o,$$(wildcard cmd/$(1)/*.c)) lib/libplx.a | bin
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) lib/libplx.a $$(LIBS_$(1))
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

# Unit tests link the whole library and every library it needs.
tests/unit/%: tests/unit/%.c tests/unit/unit.h lib/libplx.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/libplx.a -lsqlite3 -lcurl -lz -ljson-c

# modbus-read: libmodbus headers; its pure parts (decoder, map parser,
# planner) are linked alone by their unit test and fuzz target.
cmd/modbus-read/%.o: CPPFLAGS += -I/usr/include/modbus
MODBUS_PURE = cmd/modbus-read/decode.c cmd/modbus-read/conf.c cmd/modbus-read/plan.c
tests/unit/t_modbus_decode: tests/unit/t_modbus_decode.c tests/unit/unit.h $(MODBUS_PURE) cmd/modbus-read/modbus.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(MODBUS_PURE) -lm
fuzz/fuzz_modbus_conf: fuzz/fuzz_modbus_conf.c $(MODBUS_PURE) cmd/modbus-read/modbus.h
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< $(MODBUS_PURE) -lm
# serial-read's framer, alone
fuzz/fuzz_frame: fuzz/fuzz_frame.c cmd/serial-read/frame.c cmd/serial-read/serial.h
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Icmd/serial-read -o $@ $< cmd/serial-read/frame.c

# can-read's DBC parser and decoder: pure C, linked alone by their unit
# test, fuzz target, cross-check helper (tests/t-can-dbc-crosscheck.sh)
# and bench (bench/can.sh).
DBC_PURE = cmd/can-read/dbc.c cmd/can-read/dbc_decode.c
tests/unit/t_dbc: tests/unit/t_dbc.c tests/unit/unit.h $(DBC_PURE) cmd/can-read/dbc.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(DBC_PURE) -lm
tests/can-dbc-decode: tests/can-dbc-decode.c $(DBC_PURE) cmd/can-read/dbc.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(DBC_PURE) -lm
bench/out/can_decode: bench/can_decode.c $(DBC_PURE) cmd/can-read/dbc.h
	mkdir -p bench/out
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(DBC_PURE) -lm
fuzz/fuzz_dbc: fuzz/fuzz_dbc.c $(DBC_PURE) cmd/can-read/dbc.h
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< $(DBC_PURE) -lm

# can-read's pure parts (filters, log lines, error frames, rate state):
# linked alone by their unit test and the log parser's fuzz target.
CAN_PURE = cmd/can-read/filter.c cmd/can-read/log.c cmd/can-read/errframe.c cmd/can-read/rate.c
tests/unit/t_can: tests/unit/t_can.c tests/unit/unit.h $(CAN_PURE) cmd/can-read/can.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CAN_PURE)
fuzz/fuzz_canlog: fuzz/fuzz_canlog.c cmd/can-read/log.c cmd/can-read/can.h
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< cmd/can-read/log.c

# ble-read's decoders are pure C plus libcrypto's AES-CCM; their test
# driver, fuzz target and bench link them alone (no D-Bus).
BLE_PURE = cmd/ble-read/decode.c cmd/ble-read/bthome.c cmd/ble-read/thermo181a.c \
           cmd/ble-read/ruuvi.c cmd/ble-read/mibeacon.c cmd/ble-read/gatt.c cmd/ble-read/key.c
BLE_HDR  = cmd/ble-read/decode.h cmd/ble-read/format.h
tests/unit/t_ble_decode: tests/unit/t_ble_decode.c tests/unit/unit.h $(BLE_PURE) $(BLE_HDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BLE_PURE) -lcrypto -lm
# ble-read's table, names and filters, without D-Bus.
BLE_NOBUS = cmd/ble-read/dev.c cmd/ble-read/emit.c cmd/ble-read/keyfile.c
tests/unit/t_ble_dev: tests/unit/t_ble_dev.c tests/unit/unit.h $(BLE_NOBUS) $(BLE_PURE) $(BLE_HDR) cmd/ble-read/ble.h lib/libplx.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BLE_NOBUS) $(BLE_PURE) lib/libplx.a -lcrypto -ljson-c -lm
fuzz/fuzz_ble: fuzz/fuzz_ble.c $(BLE_PURE) $(BLE_HDR)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< $(BLE_PURE) -lcrypto -lm
fuzz/fuzz_ble_keys: fuzz/fuzz_ble_keys.c cmd/ble-read/keyfile.c cmd/ble-read/ble.h $(BLE_PURE) $(BLE_HDR)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< cmd/ble-read/keyfile.c $(BLE_PURE) lib/log.c -lcrypto -lm
bench/out/ble_decode: bench/ble_decode.c $(BLE_PURE) $(BLE_HDR)
	mkdir -p bench/out
	$(CC) $(CPPFLAGS) -O2 -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $< $(BLE_PURE) -lcrypto -lm

%.o: %.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

check: all $(UNIT) tests/can-dbc-decode
	tests/run

# libFuzzer targets (clang). Run one: fuzz/fuzz_record -max_total_time=60 fuzz/corpus/record
fuzz: $(FUZZ)
fuzz/fuzz_%: fuzz/fuzz_%.c $(wildcard lib/*.c) $(wildcard lib/*.h)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -o $@ $< $(wildcard lib/*.c) -lsqlite3 -ljson-c

bench: all
	bench/run

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBS)

install: all
	mkdir -p $(DESTDIR)$(BINDIR)
	cp -f $(BIN) $(DESTDIR)$(BINDIR)/
	for p in $(MANPAGES); do \
		d=$(DESTDIR)$(MANPREFIX)/man$${p##*.}; mkdir -p $$d && cp -f $$p $$d/ || exit 1; \
	done

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	for p in $(MANPAGES); do rm -f $(DESTDIR)$(MANPREFIX)/man$${p##*.}/$${p##*/}; done

clean:
	rm -rf bin lib/libplx.a $(UNIT) $(FUZZ) tests/can-dbc-decode
	rm -f lib/*.o lib/*.d cmd/*/*.o cmd/*/*.d

-include $(wildcard lib/*.d cmd/*/*.d)

.PHONY: all check fuzz bench deps install uninstall clean
