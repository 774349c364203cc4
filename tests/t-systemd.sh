#!/bin/bash
# The systemd units in deploy/systemd: up to date with deploy/gen, clean
# under systemd-analyze verify, the key only by LoadCredential=, and their
# ExecStart= lines, run as systemd would run them (tests/systemd-exec.sh:
# the unit's environment, state directory and credential), carry records
# from a reader unit through the spool and the upload unit to a server that
# accepts only the credential's key.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
U=$TOP/deploy/systemd

check "deploy/gen --check: the generated units are up to date" "$TOP/deploy/gen" --check

need systemd-analyze
for u in "$U"/plexus-*.service; do
	n=${u##*/}
	case $n in
	plexus-retry@.service) v=plexus-retry@plexus-upload.service ;;
	*@.service) v=${n%@.service}@t.service ;;
	*) v=$n ;;
	esac
	cp "$u" "$T/$v"
	out=$(cd "$T" && systemd-analyze verify --man=no "./$v" 2>&1)
	eq "systemd-analyze verify $n: clean" "$?:$out" "0:"
done
cp "$U/plexus-health.timer" "$U/plexus-health.service" "$T/"
out=$(cd "$T" && systemd-analyze verify --man=no ./plexus-health.timer 2>&1)
eq "systemd-analyze verify plexus-health.timer: clean" "$?:$out" "0:"
# a unit with a key systemd 252 does not know is caught
sed 's/^RestartSec=5s$/RestartSec=5s\nRestartSteps=5/' "$U/plexus-upload.service" > "$T/bad.service"
out=$(cd "$T" && systemd-analyze verify --man=no ./bad.service 2>&1)
check "systemd-analyze verify reports an unknown key (the check can fail)" test -n "$out"

for u in "$U"/plexus-*.service; do
	check "${u##*/}: no key in Environment= or ExecStart=" \
		sh -c "! grep -Ei '^(Environment|ExecStart)=.*(API_KEY|plx_|-k )' '$u'"
done
check "plexus-upload.service: the key by LoadCredential=" \
	grep -qx 'LoadCredential=plexus-api-key:/etc/plexus/api-key' "$U/plexus-upload.service"
check "plexus-serial-read@: serial devices only" \
	sh -c "grep -qx 'DevicePolicy=closed' '$U/plexus-serial-read@.service' && grep -qx 'DeviceAllow=char-ttyUSB rw' '$U/plexus-serial-read@.service'"
check "plexus-can-read@: AF_CAN, no devices" \
	sh -c "grep -q '^RestrictAddressFamilies=.*AF_CAN' '$U/plexus-can-read@.service' && grep -qx 'PrivateDevices=yes' '$U/plexus-can-read@.service'"
check "plexus-mqtt-read@: after the network, AF_INET, no devices" \
	sh -c "grep -qx 'After=network-online.target' '$U/plexus-mqtt-read@.service' && grep -q '^RestrictAddressFamilies=.*AF_INET' '$U/plexus-mqtt-read@.service' && grep -qx 'PrivateDevices=yes' '$U/plexus-mqtt-read@.service'"
check "plexus-ble-read@: after bluetooth.service, AF_BLUETOOTH" \
	sh -c "grep -qx 'After=bluetooth.service' '$U/plexus-ble-read@.service' && grep -q '^RestrictAddressFamilies=.*AF_BLUETOOTH' '$U/plexus-ble-read@.service'"

# --- the units' command lines, systemd-style
R=$T/root
mkdir -p "$R/etc"
start_server s --key plx_from_credential
printf 'plx_from_credential\n' > "$R/etc/api-key" && chmod 600 "$R/etc/api-key"
printf 'PLEXUS_GATEWAY_URL=%s\nPLEXUS_SOURCE_ID=sysd-test\n' "$URL_s" > "$R/etc/upload.env"
unset PLEXUS_GATEWAY_URL
# run_unit NAME UNIT INSTANCE: in its own process group, pid in $PID_NAME
run_unit() { setsid "$TOP/tests/systemd-exec.sh" "$U/$2" "$3" "$R" 2>"$T/$1.err" & eval "PID_$1=$!"; _pids="$_pids $!"; }
stop_unit() { eval "p=\$PID_$1"; kill -TERM -- "-$p" 2>/dev/null; wait "$p"; }
# has N METRIC: the server holds at least N records of METRIC
has() { [ "$(grep -c "\"$2\"" "$T/s.store" 2>/dev/null)" -ge "$1" ]; }

# a serial-read unit whose "device" is a file: it reads it and ends
gen 500 1 sysd.serial > "$R/serial.in"
echo "ARGS=\"-F json -r $R/serial.in\"" > "$R/etc/serial-read@file.env"
run_unit serial plexus-serial-read@.service file
wait "$PID_serial"
eq "plexus-serial-read@file: the pipeline ends 0 at the end of its input" $? 0
depth=$(PLEXUS_BUFFER="$R/state/plexus/spool.db" plx-buffer --status | awk '$1 == "depth" { print $2 }')
check "its 500 records (and serial-read's status records) are in the unit's spool, %S/plexus/spool.db" test "$depth" -ge 500

# a can-read unit: --bitrate cannot work without CAP_NET_ADMIN: refused at
# once with what to do (exit 78: not restarted), not a 77 restarted forever
printf '(1436509052.249713) can0 123#DEADBEEF\n' > "$R/can.log"
echo "ARGS=\"--bitrate 500000 can0\"" > "$R/etc/can-read@bus.env"
run_unit canbr plexus-can-read@.service bus
wait "$PID_canbr"
eq "plexus-can-read@: --bitrate in ARGS refused at once, exit 78 (RestartPreventExitStatus)" $? 78
check "... saying what to do instead (systemd-networkd, 80-can.network)" \
	grep -q 'can-read: --bitrate in ARGS cannot work in this unit (it has no CAP_NET_ADMIN): bring the interface up with its bitrate at boot instead, with systemd-networkd and /usr/share/doc/plexus-gateway/examples/80-can.network' "$T/canbr.err"
echo "ARGS=\"-r $R/can.log\"" > "$R/etc/can-read@log.env"
run_unit canlog plexus-can-read@.service log
wait "$PID_canlog"
eq "... without --bitrate the unit runs (a log replayed: exit 0)" $? 0

run_unit upload plexus-upload.service ""
check "plexus-upload.service delivers them with the credential's key" wait_for 20 has 500 sysd.serial
check "with the source from upload.env" grep -q '"source_id": *"sysd-test"' "$T/s.store"

# a modbus-read unit, a daemon polling a TCP device, while the uploader runs
echo '{"units": {"1": {"hr": [[0, "regs", [7]]]}}}' > "$T/mb.json"
mb_tcp mb "$T/mb.json"
printf '[device m]\ntcp = 127.0.0.1:%s\ninterval = 100ms\nholding:0:uint16:sysd.modbus\n' "$PORT_mb" > "$R/etc/m.map"
echo "ARGS=\"-c $R/etc/m.map\"" > "$R/etc/modbus-read@m.env"
run_unit modbus plexus-modbus-read@.service m
check "plexus-modbus-read@m: its polls reach the server" wait_for 20 has 3 sysd.modbus
# systemctl reload: the SIGHUP reaches modbus-read (not only the bash of
# the pipeline, the unit's main process), which rereads its map
printf 'holding:1:uint16:sysd.reloaded\n' >> "$R/etc/m.map"
"$TOP/tests/systemd-exec.sh" --reload "$U/plexus-modbus-read@.service" "$PID_modbus" 2>>"$T/modbus.err"
eq "systemctl reload (ExecReload=): done" $? 0
check "... modbus-read rereads its map (SIGHUP said)" wait_for 20 grep -q "^modbus-read: SIGHUP: $R/etc/m.map: 2 points" "$T/modbus.err"
check "... and polls the point added to it, the pipeline running on" wait_for 20 has 3 sysd.reloaded
stop_unit modbus
eq "SIGTERM to the unit's processes (systemctl stop): exit 0, no restart" $? 0
stop_unit upload
eq "plexus-upload.service stops with status 0" $? 0
eq "every serial record arrived" "$(grep '"sysd.serial"' "$T/s.store" | wc -l)" 500
depth=$(PLEXUS_BUFFER="$R/state/plexus/spool.db" plx-buffer --status | awk '$1 == "depth" { print $2 }')
check "nothing left in the spool but what was in flight at the stop" test "$depth" -le 10
setsid "$TOP/tests/systemd-exec.sh" "$U/plexus-health.service" "" "$R" > "$T/health.out" 2>&1
eq "plexus-health.service: the unit's spool is healthy (exit 0)" "$?-$(awk '$1 == "health" { print $2 }' "$T/health.out")" 0-ok
rm "$R/state/plexus/spool.db"*
setsid "$TOP/tests/systemd-exec.sh" "$U/plexus-health.service" "" "$R" > "$T/health.out" 2>&1
eq "... fails when there is no spool (5), creating none" "$?-$(ls "$R/state/plexus" | grep -c spool)" 5-0

# plexus-command.service: the downlink, with the credential's key, its
# commands from /etc/plexus/commands, its health records into the spool
if want_py websockets; then
	. "$TOP/tests/command-lib.sh"
	gw c --protocol 1 --key plx_from_credential
	cmd_dir "$R/etc/commands"
	mkcmd "$R/etc/commands" ping_unit '{}' 'echo "{\"pong\":true}"'
	printf 'PLEXUS_GATEWAY_WS_URL=%s\nPLEXUS_SOURCE_ID=sysd-cmd\n' "$WS_c" > "$R/etc/command.env"
	# its health records every second rather than every minute
	sed 's/--status-interval 60 /--status-interval 1s /' "$U/plexus-command.service" > "$T/plexus-command.service"
	setsid "$TOP/tests/systemd-exec.sh" "$T/plexus-command.service" "" "$R" 2>"$T/command.err" &
	PID_command=$!; _pids="$_pids $!"
	check "plexus-command.service: authenticated with the credential's key" wait_for 20 connected "$GW_c" sysd-cmd
	push "$GW_c" sysd-cmd ping_unit '{}' run_id=r-unit >/dev/null
	check "plexus-command.service: a command runs, its result comes back" \
		wait_for 10 saw "$T/c.rec" '"run_id": "r-unit", "seq": 3, "state": "succeeded", "result": \{"pong": true\}'
	check "its health records reach the spool (plx-buffer -a)" wait_for 10 sh -c \
		"sqlite3 '$R/state/plexus/spool.db' 'select data from records' | grep -q '\"gateway.command.succeeded\",\"value\":1'"
	stop_unit command
	eq "plexus-command.service stops with status 0" $? 0
fi

# a serial-read unit with --control in its runtime directory (here
# $R/run/plexus/serial-read: /run/plexus/serial-read), which serial-write
# reaches while the unit reads its port
if command -v socat >/dev/null; then
	socat pty,raw,echo=0,link="$T/p.dev" pty,raw,echo=0,link="$T/p.host" 2>/dev/null & _pids="$_pids $!"
	wait_for 5 test -e "$T/p.host"
	cat "$T/p.host" > "$T/p.got" 2>/dev/null & _pids="$_pids $!"
	echo "ARGS=\"-F kv --status-interval 0 --control $R/run/plexus/serial-read/p.sock $T/p.dev\"" > "$R/etc/serial-read@p.env"
	run_unit ctl plexus-serial-read@.service p
	wait_for 5 test -S "$R/run/plexus/serial-read/p.sock"
	eq "plexus-serial-read@p: its runtime directory, 0750" "$(stat -c %a "$R/run/plexus/serial-read")" 750
	serial-write "$R/run/plexus/serial-read/p.sock" "to the device"
	eq "serial-write through the unit's --control socket" $? 0
	wait_for 3 grep -q 'to the device' "$T/p.got"
	check "... the device got the line" grep -qx 'to the device' "$T/p.got"
	printf 'reading=1\n' > "$T/p.host"
	spooled() { sqlite3 "$R/state/plexus/spool.db" 'select data from records' | grep -q '"reading","value":1'; }
	check "... and read it meanwhile, its records into the spool" wait_for 10 spooled
	stop_unit ctl
	eq "plexus-serial-read@p stops with status 0" $? 0
	check "... its socket is gone" test ! -e "$R/run/plexus/serial-read/p.sock"
else
	ok "# SKIP socat not installed: the --control unit"
fi

# pipefail: a reader's usage error is the unit's exit status (64: no restart)
echo 'ARGS="--no-such-option"' > "$R/etc/serial-read@bad.env"
run_unit bad plexus-serial-read@.service bad
wait "$PID_bad"
eq "a reader's usage error fails the unit with 64 (RestartPreventExitStatus)" $? 64
# the key only by credential: without it, plx-upload exits 78 and says why
rm "$R/etc/api-key"
sed 's|^LoadCredential=.*|LoadCredential=plexus-api-key:/nonexistent|' "$U/plexus-upload.service" > "$T/nokey.service"
setsid "$TOP/tests/systemd-exec.sh" "$T/nokey.service" "" "$R" 2>"$T/nokey.err"
check "no credential: the unit does not start" test $? -ne 0
