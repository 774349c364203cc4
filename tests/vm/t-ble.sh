#!/bin/bash
# limit: 300
# ble-read against a real bluetoothd (BlueZ 5.66, in the VM of tests/vm/run):
# two virtual LE controllers that see each other (btvirt, through the
# kernel's hci_vhci); hci1 advertises (btmgmt add-adv), ble-read scans on
# hci0 through bluetoothd's D-Bus API.
#  - an advertisement in each format ble-read reads, its bytes a vector of
#    tests/golden/ble/ (from the formats' documentation and published test
#    vectors) or made by tests/bthome-encrypt.py (python3-cryptography) for
#    hci1's address, gives the readings the golden files say;
#  - bluetoothd restarted, and the controllers removed and added again,
#    while ble-read runs: it says so, waits, discovers again, reads on;
#  - GATT: hci1 serves Environmental Sensing and Battery Level
#    (tests/vm/gatt-server.py, registered with bluetoothd); ble-read --gatt
#    on hci0 connects and reads them.
. "$(dirname "$0")/../lib.sh"
need btvirt btmgmt busctl systemctl
G=$TOP/tests/golden/ble
VEC="$PY $TOP/tests/vm/ble-vector.py"
PEER=00:AA:01:01:00:01                    # hci1 (btvirt -l2), advertising connectable
KEY=5a4b3c2d1e0f00112233445566778899      # hci1's BTHome bindkey here
trap '_cleanup; systemctl stop bluetooth' EXIT

powered() { busctl get-property org.bluez "/org/bluez/$1" org.bluez.Adapter1 Powered 2>/dev/null | grep -q true; }
discovering() { busctl get-property org.bluez /org/bluez/hci0 org.bluez.Adapter1 Discovering 2>/dev/null | grep -q true; }
both_powered() { powered hci0 && powered hci1; }
# controllers: btvirt's two controllers, powered.  Under TCG, soon after
# boot, the kernel's first command to a new controller may time out
# ("hci0: Opcode 0x0c03 failed: -110": btvirt answered after the kernel's
# 2 s) and that controller stays dead: btvirt again, three times at most.
controllers() {
	local try
	for try in 1 2 3; do
		bg btvirt -L -l2 >>"$T/btvirt.log" 2>&1
		BTVIRT=$!
		wait_for 20 both_powered && return 0
		echo "# btvirt's controllers not powered in 20 s (try $try): $(dmesg | grep -i 'hci[01]' | tail -n 1)"
		kill "$BTVIRT"; wait "$BTVIRT" 2>/dev/null
		wait_for 10 sh -c '! test -e /sys/class/bluetooth/hci0'
	done
	return 1
}
# advertise HEX: hci1 advertises the AD structures HEX (btmgmt needs a
# stdin that stays open until its reply)
advertise() { sleep 1 | timeout 10 btmgmt --index 1 add-adv -c -g -d "$1" 1 >>"$T/btmgmt.log" 2>&1; }
said() { grep -q -- "$1" "$T/err"; }
lines() { wc -l < "$T/out"; }
# expect DESC READINGS FORMAT FROM: they come out (after line FROM of $T/out)
expect() {
	if wait_for 20 $VEC expect-text "$2" "$3" "$T/out" "$4" 2>/dev/null; then ok "$1"
	else nok "$1 ($($VEC expect-text "$2" "$3" "$T/out" "$4" 2>&1))"; fi
}
# vector DESC GOLDEN PAYLOAD FORMAT: hci1 advertises a golden vector; its readings come out
vector() {
	local from want
	from=$(lines)
	want=$(grep -h -m1 " $3 => " "$G/$2" | sed 's/.* => //')
	advertise "$($VEC ad "$G/$2" "$3")"
	expect "$1 ($3): $want" "$want" "$4" "$from"
}
# encrypted DESC KEY COUNTER OBJECTS: hci1 advertises BTHome encrypted by
# tests/bthome-encrypt.py with KEY for hci1's address
encrypted() {
	advertise "$($VEC ad-svc fcd2 "$($PY "$TOP/tests/bthome-encrypt.py" --key "$1" --counter "$2" "$PEER" $3)")"
}
start_ble() {
	ble-read --adapter hci0 --status-interval 3600 "$@" > "$T/out" 2>"$T/err" &
	BLE=$!
	_pids="$_pids $BLE"
	check "ble-read${*:+ $*}: hci0 discovering" wait_for 20 discovering
}
stop_ble() {
	check "ble-read ran through it all" kill -0 "$BLE"
	kill -TERM "$BLE"; wait "$BLE"
	eq "SIGTERM: exit 0" $? 0
	sed 's/^/# stderr: /' "$T/err"
}
st() { grep "\"gateway.ble.$1\"" "$T/out" | tail -n 1 | sed 's/.*"value":\([0-9]*\).*/\1/'; }

systemctl start bluetooth
controllers || { nok "btvirt: two LE controllers, powered by bluetoothd"; exit 1; }
ok "btvirt: two LE controllers, powered by bluetoothd"

# --- the formats, then bluetoothd and the controllers going away
start_ble
vector "BTHome v2" bthome.txt 4002c40903bf13 bthome
vector "pvvx custom" thermo181a.txt f4830238c1a4a9066911b60b58f70d pvvx
vector "ATC1441" thermo181a.txt a4c1380283f400a22f5f0bf819 atc1441
vector "Ruuvi data format 5" ruuvi.txt 0512fc5394c37c0004fffc040cac364200cdcbb8334c884f ruuvi5
vector "MiBeacon" mibeacon.txt 50305b05034c94b438c1a40d10041001ea01 mibeacon
check "every record is tagged with hci1's address" sh -c "! grep -v '\"mac\":\"$PEER\"' '$T/out' | grep -q ."
check "RSSI 127 (the controller's 'not available', Core Specification 7.7.65.2) is no reading" \
	sh -c "! grep -q '\\.rssi\",\"value\":127,' '$T/out'"
systemctl restart bluetooth
check "bluetoothd restarted: said" wait_for 20 said 'org.bluez vanished'
check "... back: discovering again" wait_for 30 sh -c "grep -q 'org.bluez is back' '$T/err' && busctl get-property org.bluez /org/bluez/hci0 org.bluez.Adapter1 Discovering | grep -q true"
vector "... BTHome read again" bthome.txt 4002ca09 bthome
kill "$BTVIRT"; wait "$BTVIRT" 2>/dev/null
check "controllers removed: said" wait_for 20 said 'adapter hci0 .*; waiting for one'
check "controllers back" controllers
check "... discovering again on the new hci0" wait_for 30 discovering
vector "... Ruuvi read again" ruuvi.txt 0501c3271ac87d800080008000af16ffffffcbb8334c884f ruuvi5
stop_ble
eq "gateway.ble.bluez_restarts" "$(st bluez_restarts)" 1

# --- BTHome encrypted: keyed by hci1's address, or by the MAC in the packet
printf '%s %s\n54:48:E6:8F:80:A5 231d39c1d7cc1ab1aee224cd096db932\n' "$PEER" "$KEY" > "$T/keys"
chmod 600 "$T/keys"
start_ble --keys "$T/keys"
from=$(lines)
encrypted "$KEY" 7 "0009 02d209 03bf13"
expect "BTHome v2 encrypted for hci1's address by bthome-encrypt.py: packet id, 25.14 °C, 50.55 %" \
	"packet_id=9; temperature=25.14 °C; humidity=50.55 %" bthome "$from"
encrypted 00112233445566778899aabbccddeeff 8 "000a 02d309"
check "... with another key: said" wait_for 20 said "$PEER: bthome fcd2: wrong MIC"
check "... nothing decoded from it" sh -c "! grep -q '\"value\":25.15,' '$T/out'"
advertise "$($VEC ad "$G/bthome.txt" 4002c40903bf13)"
check "... not encrypted, from a device with a bindkey: said, ignored" \
	wait_for 20 said "$PEER: bthome fcd2: not encrypted though this device has a bindkey: ignored"
vector "BTHome v2, MAC included, encrypted (golden: bthome.io's key)" bthome-mac.txt 43a5808fe6485430e7cc69bafb3322110051914c8b bthome
stop_ble
check "gateway.ble.decode_errors counts the wrong key and the unencrypted packet ($(st decode_errors))" \
	[ "$(st decode_errors)" -ge 2 ]

# --- GATT: hci1 serves it, ble-read --gatt on hci0 reads it
bg $PY "$TOP/tests/vm/gatt-server.py" hci1 "$T/gatt.ready" 2>"$T/gatt.err"
check "tests/vm/gatt-server.py registered with bluetoothd on hci1" wait_for 20 test -f "$T/gatt.ready"
start_ble --gatt -m "$PEER" --interval 5
advertise "$($VEC ad "$G/bthome.txt" 4002c40903bf13)"
expect "ble-read --gatt: temperature, humidity, pressure, battery read over GATT" \
	"temperature=23.48 °C; humidity=50 %; pressure=1013.266 hPa; battery=87 %" gatt 0
check "... each read from the server" sh -c "sort -u '$T/gatt.ready.reads' | tr '\n' ' ' | grep -qx '2a19 2a6d 2a6e 2a6f '"
stop_ble
