# Shared by the ble-read scenarios (sourced after lib.sh): a private
# dbus-daemon in $T, BlueZ's API served on it by python3-dbusmock's bluez5
# template, ble-read started against it, and helpers to look at its output.
#
#   start_bus; start_bluez; mock adapter hci0
#   start_ble [ble-read options]      stdout -> $T/out, stderr -> $T/err
#   mock device hci0 A4:C1:38:00:00:01 "EnvSensor 1" svc=fcd2:4002c409
#   wait_for 10 has ble-gateway.envsensor_1_000001.temperature
MOCK="$PY $TOP/tests/ble-mock.py"
need dbus-daemon
need_py dbusmock dbus

# A session-type bus (anyone may own any name) on a socket in $T; both bus
# variables point to it, so the mock (a system-bus template) and ble-read
# (the system bus by default) meet there.
start_bus() {
	dbus-daemon --session --nofork --nopidfile --address="unix:path=$T/bus" \
		--print-address=1 >"$T/bus.addr" 2>"$T/bus.log" &
	_pids="$_pids $!"
	PID_bus=$!
	wait_for 10 test -s "$T/bus.addr" || { nok "dbus-daemon did not start"; cat "$T/bus.log"; exit 1; }
	export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus" DBUS_SESSION_BUS_ADDRESS="unix:path=$T/bus"
}
bluez_up() { $PY -c 'import dbus, os, sys
b = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
sys.exit(0 if b.name_has_owner("org.bluez") else 1)' 2>/dev/null; }
start_bluez() {
	$PY -m dbusmock --system --template bluez5 >>"$T/mock.log" 2>&1 &
	_pids="$_pids $!"
	PID_bluez=$!
	wait_for 10 bluez_up || { nok "dbusmock bluez5 did not start"; cat "$T/mock.log"; exit 1; }
}
stop_bluez() { kill "$PID_bluez"; wait "$PID_bluez" 2>/dev/null; }
mock() { $MOCK "$@"; }

start_ble() {
	ble-read "$@" >"$T/out" 2>"$T/err" &
	_pids="$_pids $!"
	PID_ble=$!
}
# stop_ble: SIGTERM, wait; sets RC_ble
stop_ble() { kill -TERM "$PID_ble"; wait "$PID_ble"; RC_ble=$?; }
# has METRIC [TEXT]: a record of METRIC (holding TEXT) is out
has() { grep "\"metric\":\"$1\"" "$T/out" | grep -q -- "${2:-}"; }
# count METRIC: records of METRIC out
count() { grep -c "\"metric\":\"$1\"" "$T/out"; }
said() { grep -q -- "$1" "$T/err"; }
discovering() { mock discovering "${1:-hci0}"; }
not() { ! "$@"; }
