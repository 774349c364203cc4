#!/bin/bash
# limit: 300
# The package's systemd units run by systemd (PID 1 in the VM of
# tests/vm/run), with their sandboxing enforced, not simulated as
# tests/t-systemd.sh must:
#  - the key in /etc/plexus/api-key, the server (tests/plexus-server.py,
#    which takes only that key) in the VM: can-read@vcan0 and ble-read@hci0
#    (btvirt and bluetoothd) append to the spool, plexus-upload.service
#    delivers every record;
#  - SIGKILL to the uploader while a request is in flight, and to the
#    reader: systemd restarts them, nothing is lost;
#  - the sandbox: each unit, its ExecStart= replaced by
#    tests/vm/sandbox-probe.py and nothing else changed, may do its job and
#    nothing more (the serial reader opens no CAN socket, no unit reads
#    /home, only the uploader has the network and the key); the same probe
#    as user plexus outside any unit is allowed everything, so each denial
#    is the sandbox's;
#  - plexus-command.service enabled, with the same key, against the test
#    device WebSocket (tests/ws-gateway.py, protocol v1) in the VM: the
#    example commands of the package (send_can_message: can-send -D on a
#    vcan named can0; save_setting) and one that says where it runs are
#    pushed from it, run in the unit's sandbox, and their results come
#    back; the server's clock 2 minutes off makes plx-command read the
#    kernel's clock state (adjtimex) under SystemCallFilter= and go on, which
#    the same unit without its "SystemCallFilter=adjtimex" line does not
#    survive (SIGSYS);
#  - plexus-retry@ (its pause made 1 s) starts a failed unit again and
#    again, systemctl working in its sandbox;
#  - systemd-analyze security: each unit's exposure, said.
. "$(dirname "$0")/../lib.sh"
need systemctl systemd-analyze cansend canplayer btvirt btmgmt busctl
KEY=plx_vm_upload_key
SPOOL=/var/lib/plexus/spool.db
PEER=00:AA:01:01:00:01
# what systemd said of the units, at the end of a test that failed
failed=
nok() { echo "not ok - $*"; failed=1; }
trap '[ -z "$failed" ] || journalctl -u "plexus-*" -o short-monotonic --no-pager | tail -n 40 | sed "s/^/# journal: /"
	_cleanup; systemctl stop "plexus-*-read@*" plexus-command.service plexus-upload.service bluetooth 2>/dev/null
	for i in vcan0 can0; do ip link del "$i" 2>/dev/null; done' EXIT

# the kernel's CAN modules not loaded yet, as at boot (the tests before
# this one loaded them): can-read's first socket() under the unit's
# ProtectKernelModules= must have them loaded for it
modprobe -r can_raw can 2>/dev/null
eq "can_raw not loaded" "$(lsmod | grep -c '^can_raw ')" 0
ip link add dev vcan0 type vcan && ip link set vcan0 up

start_server s --key "$KEY"
(umask 077; echo "$KEY" > /etc/plexus/api-key)
printf 'PLEXUS_GATEWAY_URL=%s\nPLEXUS_SOURCE_ID=vm-gateway\n' "$URL_s" > /etc/plexus/upload.env
echo 'ARGS="vcan0"' > /etc/plexus/can-read@vcan0.env
systemctl enable --now plexus-upload.service plexus-can-read@vcan0.service 2>"$T/enable.err"
eq "systemctl enable --now plexus-upload.service plexus-can-read@vcan0.service" $? 0
active() { [ "$(systemctl is-active "$1")" = active ]; }
restarts() { systemctl show -p NRestarts --value "$1"; }
check "both units active" wait_for 20 sh -c 'systemctl is-active -q plexus-upload.service plexus-can-read@vcan0.service'
check "... as user plexus; can-read's socket(AF_CAN) loaded can_raw (ProtectKernelModules= notwithstanding)" \
	sh -c "ps -o user= -C can-read | grep -qx plexus && lsmod | grep -q '^can_raw '"

# frames BATCH N: N frames 100#BATCH000001.. (BATCH: 2 hex digits)
frames() { for i in $(seq 1 "$2"); do printf '(0.000000) can0 100#%s%06X\n' "$1" "$i"; done > "$T/$1.log"; canplayer -t -I "$T/$1.log" vcan0=can0; }
# stored BATCH: the values of BATCH the server has, sorted, one a line
stored() { grep -o "\"value\": *\"$1[0-9A-F]*\"" "$T/s.store" 2>/dev/null | sed 's/.*"\(.*\)"/\1/' | sort; }
all_in() { [ "$(stored "$1" | sort -u | wc -l)" -ge "$2" ]; }
want() { for i in $(seq 1 "$2"); do printf '%s%06X\n' "$1" "$i"; done; }
# reading N: a frame 7FF#0N sent reaches the server
reading() { cansend vcan0 "7FF#0$1"; grep -q "\"value\": *\"0$1\"" "$T/s.store" 2>/dev/null; }

check "can-read@vcan0 is reading (a frame reaches the server)" wait_for 30 reading 1
frames A0 300
check "can-read@vcan0 -> spool -> plexus-upload.service: 300 frames delivered" wait_for 30 all_in A0 300
eq "... each once, none missing" "$(stored A0 | tr '\n' ' ')" "$(want A0 300 | tr '\n' ' ')"
check "... with the key from the credential, the source from upload.env" \
	grep -q '"source_id": *"vm-gateway"' "$T/s.store"

# the uploader killed while its request is in flight
systemctl stop plexus-upload.service
frames B0 300
# (as plexus: root would leave files of its own beside the spool)
depth() { setpriv --reuid=plexus --regid=plexus --init-groups plx-buffer -d "$SPOOL" --status 2>/dev/null | awk '$1 == "depth" { print $2 }'; }
spooled() { local d; d=$(depth); [ "${d:-0}" -ge "$1" ]; }
check "uploader stopped: the reader's records wait in the spool" wait_for 20 spooled 300
faults '[{"hang": true}]'
systemctl start plexus-upload.service
hung() { stats | grep -q '"hang": *1'; }
check "... started again: its request stored by the server, never answered" wait_for 20 hung
systemctl kill -s SIGKILL plexus-upload.service
check "SIGKILL to plexus-upload.service: systemd restarts it (Restart=on-failure)" \
	wait_for 30 sh -c "[ \$(systemctl show -p NRestarts --value plexus-upload.service) -ge 1 ] && systemctl is-active -q plexus-upload.service"
check "... every record of the spool delivered" wait_for 30 all_in B0 300
eq "... none missing" "$(stored B0 | sort -u | tr '\n' ' ')" "$(want B0 300 | tr '\n' ' ')"
dup=$(( $(stored B0 | wc -l) - 300 ))
check "... sent twice: at most the batch in flight ($dup)" [ "$dup" -le 300 ]

# the reader killed
frames C1 100
check "C1: 100 frames delivered" wait_for 30 all_in C1 100
systemctl kill -s SIGKILL plexus-can-read@vcan0.service
check "SIGKILL to plexus-can-read@vcan0: systemd restarts it" \
	wait_for 30 sh -c "[ \$(systemctl show -p NRestarts --value plexus-can-read@vcan0.service) -ge 1 ] && systemctl is-active -q plexus-can-read@vcan0.service"
check "... reading again" wait_for 30 reading 2
frames C2 100
check "... C2: 100 frames after the restart, delivered" wait_for 30 all_in C2 100
eq "... C1 and C2: none missing" "$(stored C | sort -u | tr '\n' ' ')" "$( (want C1 100; want C2 100) | tr '\n' ' ')"

# systemctl reload: the SIGHUP reaches can-read, not only the bash that is
# the unit's main process (ExecReload= signals its process group)
main=$(systemctl show -p MainPID --value plexus-can-read@vcan0.service)
systemctl reload plexus-can-read@vcan0.service
eq "systemctl reload plexus-can-read@vcan0" $? 0
check "... can-read reopens its interface (said in the journal)" \
	wait_for 20 sh -c "journalctl -b -u plexus-can-read@vcan0.service | grep -q 'SIGHUP: reopening the interfaces'"
check "... reading on" wait_for 30 reading 3
eq "... the same main process, not restarted" "$(systemctl show -p MainPID --value plexus-can-read@vcan0.service)" "$main"

# plexus-gateway status, as a person runs it (root), with systemd as PID 1
env -u PLEXUS_BUFFER plexus-gateway status > "$T/gw-status" 2>&1
eq "plexus-gateway status: all well, exit 0" "$?-$(sed -n 's/^verdict *//p' "$T/gw-status")" "0-ok: all is well"
check "... the units from systemctl, active" sh -c "grep -q '^unit *plexus-can-read@vcan0.service active' '$T/gw-status' && grep -q '^unit *plexus-upload.service active' '$T/gw-status'"
check "... the source id from upload.env" grep -q '^source_id *vm-gateway (from /etc/plexus/upload.env)' "$T/gw-status"
systemctl stop plexus-upload.service
env -u PLEXUS_BUFFER plexus-gateway status > "$T/gw-status" 2>&1
eq "... the uploader stopped: exit 1, said" "$?-$(sed -n 's/^verdict *//p' "$T/gw-status" | cut -d: -f1)" "1-plexus-upload.service is inactive"
systemctl start plexus-upload.service
sed 's/^/# /' "$T/gw-status"

# ble-read@hci0 against bluetoothd
systemctl start bluetooth
bg btvirt -L -l2 >"$T/btvirt.log" 2>&1
powered() { busctl get-property org.bluez "/org/bluez/$1" org.bluez.Adapter1 Powered 2>/dev/null | grep -q true; }
check "btvirt's controllers powered" wait_for 20 sh -c "busctl get-property org.bluez /org/bluez/hci0 org.bluez.Adapter1 Powered 2>/dev/null | grep -q true"
echo 'ARGS="--adapter hci0 --alias '"$PEER"'=vmpeer"' > /etc/plexus/ble-read@hci0.env
systemctl start plexus-ble-read@hci0.service
check "plexus-ble-read@hci0 (after bluetooth.service, as user plexus): hci0 discovering" \
	wait_for 30 sh -c "busctl get-property org.bluez /org/bluez/hci0 org.bluez.Adapter1 Discovering | grep -q true"
sleep 1 | btmgmt --index 1 add-adv -c -g -d 0a16d2fc4002c40903bf13 1 >/dev/null 2>&1
check "... a BTHome advertisement -> spool -> plexus-upload: ble-gateway.vmpeer.temperature 25" \
	wait_for 30 grep -q '"metric": *"ble-gateway.vmpeer.temperature", *"value": *25[,}]' "$T/s.store"
systemctl stop plexus-ble-read@hci0.service bluetooth

# --- plexus-command.service: commands from the test device WebSocket
# (its "dashboard" pushes them), run by the unit in its sandbox
. "$TOP/tests/command-lib.sh"
gw c --protocol 1 --key "$KEY" --clock-skew-ms 120000
printf 'PLEXUS_GATEWAY_WS_URL=%s\nPLEXUS_SOURCE_ID=vm-cmd\n' "$WS_c" > /etc/plexus/command.env
EX=/usr/share/doc/plexus-gateway/examples/commands
install -m 0755 "$EX/send_can_message" "$EX/save_setting" /etc/plexus/commands/ &&
	install -m 0644 "$EX/send_can_message.json" "$EX/save_setting.json" /etc/plexus/commands/
eq "the package's example commands send_can_message and save_setting in /etc/plexus/commands" $? 0
install -m 0644 "$TOP/tests/vm/vehicle.dbc" /etc/plexus/vehicle.dbc
mkdir -p /srv/drop && chmod 1777 /srv/drop
# where_am_i: who runs it, in which cgroup, and whether it may write
# /srv/drop (anyone may, outside the unit: mode 1777)
mkcmd /etc/plexus/commands where_am_i '{"timeout_s":10}' \
'if touch /srv/drop/where_am_i 2>/dev/null; then w=written; else w=refused; fi
printf "{\"user\":\"%s\",\"cgroup\":\"%s\",\"no_new_privs\":%s,\"srv_drop\":\"%s\"}\n" "$(id -un)" \
	"$(sed -n "s/^0:://p" /proc/self/cgroup)" "$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status)" "$w"'
ip link add dev can0 type vcan && ip link set can0 up
bg candump -L can0 > "$T/can0.dump"
systemctl enable --now plexus-command.service 2>"$T/enable-command.err"
eq "systemctl enable --now plexus-command.service" $? 0
check "... authenticated to the device WebSocket with the key from the credential" wait_for 30 connected "$GW_c" vm-cmd
# the server's clock is 120 s ahead: said, after reading the kernel's
# clock state (adjtimex), which the unit's SystemCallFilter= must allow
offset_said() { journalctl -u plexus-command.service --no-pager -o cat | grep -q 'the system clock is -1[12][0-9]\.[0-9] s off the server'; }
check "... the clock 120 s off the server's: said, the kernel's clock state read (adjtimex)" wait_for 20 offset_said
# succeeded RUN RESULT: the run's status "succeeded" with RESULT came back
succeeded() { saw "$T/c.rec" "\"run_id\": \"$1\", \"seq\": [0-9]+, \"state\": \"succeeded\", \"result\": \\{$2\\}"; }
push "$GW_c" vm-cmd where_am_i '{}' run_id=r-where >/dev/null
check "a declared command pushed from the server: run, its result back, in the unit's sandbox (user plexus, its cgroup, no new privileges, /srv/drop read-only)" \
	wait_for 20 succeeded r-where '"user": "plexus", "cgroup": "/system.slice/plexus-command.service", "no_new_privs": 1, "srv_drop": "refused"'
check "... outside the unit, user plexus may write /srv/drop: the refusal is the sandbox's" \
	setpriv --reuid=plexus --regid=plexus --init-groups touch /srv/drop/where_am_i
push "$GW_c" vm-cmd send_can_message '{"headlights":"Auto"}' run_id=r-can >/dev/null
check "send_can_message (network: can): succeeded, its result back" wait_for 20 succeeded r-can '"headlights": "Auto"'
eq "... can-send -D sent LightControl three times on can0 (HeadLights Auto, Brightness its start value 200)" \
	"$(sed 's/^([0-9.]*) //' "$T/can0.dump" | tr '\n' ' ')" "can0 321#02C8 can0 321#02C8 can0 321#02C8 "
push "$GW_c" vm-cmd save_setting '{"value":42}' run_id=r-save >/dev/null
check "save_setting: succeeded, its result back" \
	wait_for 20 succeeded r-save '"saved": "/var/lib/plexus/setting.json", "value": 42'
eq "... the parameters written in the unit's state directory" "$(cat /var/lib/plexus/setting.json)" '{"value":42,"label":"manual"}'
check "plexus-command.service: active all along, never restarted" \
	sh -c '[ "$(systemctl show -p NRestarts --value plexus-command.service)" = 0 ] && systemctl is-active -q plexus-command.service'
systemctl stop plexus-command.service
eq "... stopped: its main process exited 0" "$(systemctl show -p Result --value plexus-command.service)-$(systemctl show -p ExecMainStatus --value plexus-command.service)" success-0
# the unit as it was before SystemCallFilter=adjtimex: the check above
# reached the clock, which kills plx-command there
sed -e '/^SystemCallFilter=adjtimex/d' -e 's/^Restart=.*/Restart=no/' -e '/^OnFailure=/d' \
	/lib/systemd/system/plexus-command.service > /run/systemd/system/plexus-command-noclock.service
systemctl daemon-reload
systemctl start plexus-command-noclock.service
check "... the same unit without SystemCallFilter=adjtimex: it fails" \
	wait_for 20 sh -c '! systemctl is-active -q plexus-command-noclock.service'
eq "... plx-command killed by SIGSYS at the clock check (exit 128 + 31): the check above reached it" \
	"$(systemctl show -p ExecMainStatus --value plexus-command-noclock.service)" 159
systemctl stop plexus-command-noclock.service 2>/dev/null
systemctl reset-failed plexus-command-noclock.service 2>/dev/null
rm -f /run/systemd/system/plexus-command-noclock.service
systemctl daemon-reload

# --- the sandbox: each unit's own lines, ExecStart= a probe
mkdir -p /run/plexus-probe /srv/drop /home/alice
chmod 1777 /srv/drop
echo 'nothing of the gateway' > /home/alice/notes && chmod 644 /home/alice/notes
cp "$TOP/tests/vm/sandbox-probe.py" /run/plexus-probe/probe.py
PROBES="af:CAN af:NETLINK af:INET af:INET6 af:BLUETOOTH af:PACKET read:/home/alice/notes write:/srv/drop write:/var/lib/plexus dev:/dev/ttyS1 cred:plexus-api-key bus:org.bluez"
systemctl start bluetooth
# probe UNIT NAME: a copy of UNIT as plexus-probe-NAME, only its ExecStart=,
# Type=, Restart= and OnFailure= changed; its answers in $T/NAME
probe() {
	local u=/lib/systemd/system/plexus-$1 n=$2 inst
	case $1 in *@.service) inst=probe; echo 'ARGS=""' > "/etc/plexus/${1%@.service}@probe.env" ;; esac
	sed -e "s|^ExecStart=.*|ExecStart=/usr/bin/python3 /run/plexus-probe/probe.py $PROBES|" \
		-e 's/^Type=.*/Type=oneshot/' -e 's/^Restart=.*/Restart=no/' -e '/^OnFailure=/d' \
		-e "/^\[Service\]/a StandardOutput=file:/run/plexus-probe/$n" \
		"$u" > "/run/systemd/system/plexus-probe-$n${inst:+@}.service"
	systemctl daemon-reload
	systemctl start "plexus-probe-$n${inst:+@$inst}.service"
	cp "/run/plexus-probe/$n" "$T/$n"
}
# verdict NAME WHAT: allowed or denied, in NAME's answers
verdict() { awk -v w="$2" '$1 == w { print $2 }' "$T/$1"; }
setpriv --reuid=plexus --regid=plexus --init-groups python3 /run/plexus-probe/probe.py $PROBES > "$T/plain"
probe serial-read@.service serial
probe can-read@.service can
probe ble-read@.service ble
probe modbus-read@.service modbus
probe upload.service upload
probe command.service command
# expect NAME WHO WHAT=VERDICT...: NAME's answers
expect() {
	local n=$1 who=$2 got= want= w
	shift 2
	for w; do
		got="$got ${w%%=*}=$(verdict "$n" "${w%%=*}")"
		want="$want $w"
	done
	eq "$who: $*" "$got" "$want"
}
expect plain "user plexus, no unit" af:CAN=allowed af:INET=allowed af:BLUETOOTH=allowed read:/home/alice/notes=allowed \
	write:/srv/drop=allowed dev:/dev/ttyS1=allowed bus:org.bluez=allowed
expect serial "plexus-serial-read@" af:CAN=denied af:INET=denied af:BLUETOOTH=denied af:NETLINK=denied dev:/dev/ttyS1=allowed \
	read:/home/alice/notes=denied write:/srv/drop=denied write:/var/lib/plexus=allowed cred:plexus-api-key=denied \
	bus:org.bluez=denied
expect can "plexus-can-read@" af:CAN=allowed af:NETLINK=allowed af:INET=denied af:BLUETOOTH=denied af:PACKET=denied \
	dev:/dev/ttyS1=denied read:/home/alice/notes=denied write:/srv/drop=denied write:/var/lib/plexus=allowed \
	cred:plexus-api-key=denied bus:org.bluez=denied
expect ble "plexus-ble-read@" af:BLUETOOTH=allowed bus:org.bluez=allowed af:CAN=denied af:INET=denied dev:/dev/ttyS1=denied \
	read:/home/alice/notes=denied write:/srv/drop=denied cred:plexus-api-key=denied
expect modbus "plexus-modbus-read@" af:INET=allowed dev:/dev/ttyS1=allowed af:CAN=denied af:BLUETOOTH=denied \
	read:/home/alice/notes=denied write:/srv/drop=denied cred:plexus-api-key=denied bus:org.bluez=denied
expect upload "plexus-upload" af:INET=allowed af:INET6=allowed cred:plexus-api-key=allowed af:CAN=denied af:BLUETOOTH=denied \
	af:NETLINK=denied dev:/dev/ttyS1=denied read:/home/alice/notes=denied write:/srv/drop=denied bus:org.bluez=denied
expect command "plexus-command" af:INET=allowed af:CAN=allowed af:NETLINK=allowed cred:plexus-api-key=allowed \
	dev:/dev/ttyS1=allowed write:/var/lib/plexus=allowed af:BLUETOOTH=denied af:PACKET=denied read:/home/alice/notes=denied \
	write:/srv/drop=denied
# each probe's answers (with the errno of each denial), when one was not as expected
[ -z "$failed" ] || for n in plain serial can ble modbus upload command; do sed "s/^/# $n: /" "$T/$n"; done

# --- plexus-retry@: a unit failed for good is started again after the
# pause, for ever, by systemctl in the retry's sandbox (a drop-in makes the
# pause 1 s, as plexus-retry@.service says how)
mkdir -p /run/systemd/system/plexus-retry@.service.d
printf '[Service]\nEnvironment=PLEXUS_RETRY_PAUSE=1\n' > /run/systemd/system/plexus-retry@.service.d/pause.conf
printf '[Unit]\nOnFailure=plexus-retry@%%N.service\n[Service]\nType=oneshot\nExecStart=/bin/sh -c "echo run >> /run/vmfail.runs; exit 1"\n' \
	> /run/systemd/system/vmfail.service
systemctl daemon-reload
rm -f /run/vmfail.runs
systemctl start vmfail.service 2>/dev/null
runs() { [ "$(cat /run/vmfail.runs 2>/dev/null | wc -l)" -ge "$1" ]; }
check "a unit that fails: plexus-retry@ starts it again after the pause, again and again (3 runs)" wait_for 30 runs 3
check "... plexus-retry@vmfail never failed in its sandbox" \
	sh -c "! journalctl -b -u plexus-retry@vmfail.service --no-pager | grep -q -i 'failed\|denied'"
rm /run/systemd/system/vmfail.service /run/systemd/system/plexus-retry@.service.d/pause.conf
systemctl daemon-reload
systemctl stop plexus-retry@vmfail.service vmfail.service 2>/dev/null
systemctl reset-failed vmfail.service 2>/dev/null

# --- systemd-analyze security: each unit's exposure (0 safe .. 10 exposed)
for u in plexus-upload.service plexus-serial-read@x.service plexus-modbus-read@x.service \
	plexus-can-read@vcan0.service plexus-ble-read@hci0.service plexus-command.service plexus-retry@x.service; do
	s=$(systemd-analyze security --no-pager "$u" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \(.*\)/\1 \2/p')
	check "systemd-analyze security $u: $s" test -n "$s"
	echo "$u ${s:-?}" >> "$T/security"
done
sed 's/^/# systemd-analyze security: /' "$T/security"
