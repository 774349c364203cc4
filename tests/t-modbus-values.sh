#!/bin/bash
# modbus-read against a pymodbus TCP server: a value of every type in every
# order (written by pymodbus' own encoder), coils and discrete inputs, input
# registers, scale/offset/unit/tags, 1-based references, and pymodbus'
# datastore offset (protocol address 0 is block index 1).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"

# the spec, the map and the expected "metric=value" lines, from one table
$PY - "$T" <<'PYEOF'
import json, sys
T = sys.argv[1]
vals = {"int16": -12345, "uint16": 54321, "int32": -123456789, "uint32": 4000000000,
        "int64": -1234567890123456789, "uint64": 18000000000000000000,
        "float32": 21.5, "float64": -3.141592653589793}
regs = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "int64": 4, "uint64": 4,
        "float32": 2, "float64": 4}
hr, ir, pts, exp, a = [], [], [], [], 0
for t, v in vals.items():
    for o in ("ABCD", "CDAB", "BADC", "DCBA"):
        m = "v.%s.%s" % (t, o.lower())
        hr.append([a, t, o, v])
        pts.append("holding:%d:%s:%s:%s" % (a, t, o, m))
        exp.append("%s=%s" % (m, json.dumps(v)))
        a += regs[t]
hr.append([100, "string12", "ABCD", "Meter-42"])
pts.append("holding:100:string12:s.model"); exp.append('s.model="Meter-42"')
# strings in every order (an odd length too), and bits of a 16-bit value
# in every order: 0x0102 has bits 1 and 8 set
a = 140
for o in ("ABCD", "CDAB", "BADC", "DCBA"):
    hr.append([a, "string8", o, "SN-1234X"])
    pts.append("holding:%d:string8:%s:s.sn.%s" % (a, o, o.lower())); exp.append('s.sn.%s="SN-1234X"' % o.lower())
    hr.append([a + 4, "string7", o, "SN-1234"])
    pts.append("holding:%d:string7:%s:s.sn7.%s" % (a + 4, o, o.lower())); exp.append('s.sn7.%s="SN-1234"' % o.lower())
    hr.append([a + 8, "uint16", o, 0x0102])
    for bit in (0, 1, 8, 9):
        pts.append("holding:%d:bit%d:%s:b.%s.%d" % (a + 8, bit, o, o.lower(), bit))
        exp.append("b.%s.%d=%d" % (o.lower(), bit, bit in (1, 8)))
    a += 9
hr.append([120, "regs", [0x00d7, 0x0005]])
pts.append("holding:120:int16:s.scaled scale=0.1 unit=degC tag.room=hall")
exp.append("s.scaled=21.5")
pts.append("holding:121:bit0:s.bit0"); exp.append("s.bit0=1")
hr.append([130, "regs", [0x41ff, 0x0142]])
pts.append("holding:130:string4:s.bin"); exp.append('s.bin="A??B"')
pts.append("holding:121:bit1:s.bit1"); exp.append("s.bit1=0")
pts.append("holding:121:bit2:s.bit2"); exp.append("s.bit2=1")
pts.append("holding:#40122:uint16:s.ref"); exp.append("s.ref=5")
ir.append([7, "float32", "CDAB", -0.5])
pts.append("input:7:float32:CDAB:i.f"); exp.append("i.f=-0.5")
pts.append("input:#30008:uint16:i.ref"); exp.append("i.ref=0")
co = [[3, [1, 0, 1, 1]]]
for k, b in enumerate([1, 0, 1, 1]):
    pts.append("coil:%d:bool:c.%d" % (3 + k, 3 + k)); exp.append("c.%d=%d" % (3 + k, b))
pts.append("coil:#00004:bool:c.ref"); exp.append("c.ref=1")
di = [[1990, [0, 1]]]
pts.append("discrete:1990:bool:d.0"); exp.append("d.0=0")
pts.append("discrete:1991:bool:d.1"); exp.append("d.1=1")
spec = {"units": {"1": {"hr": hr, "ir": ir, "co": co, "di": di},
                  "9": {"block": {"hr": [[0, [0xdead]], [1, [0xbeef]], [2, [0x1234]]]}}}}
json.dump(spec, open(T + "/spec.json", "w"))
with open(T + "/map.conf", "w") as f:
    f.write("[device plc]\ntcp = 127.0.0.1:PORT\nunit-id = 1\n")
    f.write("\n".join(pts) + "\n")
open(T + "/expected", "w").write("\n".join(sorted(exp)) + "\n")
PYEOF
mb_tcp s "$T/spec.json"
sed -i "s/PORT/$PORT_s/" "$T/map.conf"

timeout 10 modbus-read -1 -c "$T/map.conf" > "$T/out" 2>"$T/err"
eq "--once: every point answered, exit 0" $? 0
grep -v '"gateway\.modbus\.' "$T/out" | field mv | sort > "$T/got"
check "every type in every order, coils, discrete inputs, strings, scale: as pymodbus wrote them" \
	diff "$T/expected" "$T/got"
diff "$T/expected" "$T/got" | head -20
eq "nothing on stderr" "$(cat "$T/err")" ""
eq "requests for $(wc -l < "$T/expected") points" "$(modbus-read --plan -c "$T/map.conf" | tail -1)" \
	"6 requests for $(wc -l < "$T/expected") points"
for o in abcd cdab badc dcba; do
	eq "a string in order ${o^^} as pymodbus wrote it (even and odd length), bits of a 16-bit value in ${o^^}" \
		"$(grep -e "^s.sn.$o=" -e "^s.sn7.$o=" -e "^b.$o." "$T/got" | tr '\n' ' ')" \
		"$(grep -e "^s.sn.$o=" -e "^s.sn7.$o=" -e "^b.$o." "$T/expected" | tr '\n' ' ')"
done
check "tags: device, unit_id, unit, tag.room" \
	grep -q '"metric":"s.scaled","value":21.5,"timestamp":[0-9]*,"tags":{"device":"plc","unit_id":"1","unit":"degC","room":"hall"}' "$T/out"
check "uint64 above 2^63 stays an exact integer" grep -q '"value":18000000000000000000,' "$T/out"
check "a string is an event" grep -q '"class":"event","metric":"s.model","value":"Meter-42"' "$T/out"
eq "status records: requests, errors and exceptions of the unit, its liveness, reconnects of the device" \
	"$(grep '"gateway\.modbus\.' "$T/out" | field mv | tr '\n' ' ')" "gateway.modbus.requests=6 gateway.modbus.errors=0 gateway.modbus.exceptions=0 gateway.modbus.device.connected=1 gateway.modbus.device.age_s=0 gateway.modbus.device.silent=0 gateway.modbus.reconnects=0 gateway.modbus.clock_synced=1 "
now=$(date +%s%3N)
ts=$(head -1 "$T/out" | field timestamp)
check "timestamps are epoch ms of the answer ($ts, now $now)" [ $((now - ts)) -ge 0 -a $((now - ts)) -lt 5000 ]

# pymodbus' datastore offset: with zero_mode=False protocol address 0 is
# block index 1 (so the server script writes through the context)
eq "pymodbus quirk: address 0 reads block index 1" \
	"$(timeout 5 modbus-read -1 -H 127.0.0.1:$PORT_s -U 9 holding:0:uint16:q | head -1 | field value)" 48879

# the one-line form and --probe
eq "one-line form: -H -U point" \
	"$(timeout 5 modbus-read -1 -H 127.0.0.1:$PORT_s -U 1 holding:0:int16:ABCD:x 'input:7:float32:CDAB:y' | grep -v '"gateway\.modbus\.' | field mv | tr '\n' ' ')" \
	"x=-12345 y=-0.5 "
# the reader's common options: -s (default PLEXUS_SOURCE_ID), -T on every
# record, -p before the points' names (not the gateway.* ones)
PLEXUS_SOURCE_ID=plant-7 timeout 5 modbus-read -1 -H 127.0.0.1:$PORT_s -U 1 -T site=north -p hall \
	holding:0:int16:x > "$T/common"
check "PLEXUS_SOURCE_ID, -T and -p on a point's record" \
	grep -q '^{"class":"metric","metric":"hall.x","value":-12345,"timestamp":[0-9]*,"source_id":"plant-7","tags":{"site":"north","device":"127.0.0.1:[0-9]*","unit_id":"1"}}$' "$T/common"
check "... and on the status records, without the prefix" \
	grep -q '^{"class":"metric","metric":"gateway.modbus.requests","value":1,"timestamp":[0-9]*,"source_id":"plant-7","tags":{"site":"north","device":"127.0.0.1:[0-9]*","unit_id":"1"}}$' "$T/common"
eq "-s wins over PLEXUS_SOURCE_ID" \
	"$(PLEXUS_SOURCE_ID=plant-7 timeout 5 modbus-read -1 -s line-2 -H 127.0.0.1:$PORT_s holding:0:int16:x | field source_id | sort -u)" "line-2"
timeout 5 modbus-read -1 -T device=x -H 127.0.0.1:$PORT_s holding:0:int16:x > /dev/null 2>"$T/e"
eq "-T device=...: refused (modbus-read's own tag)" "$?-$(cat "$T/e")" "64-modbus-read: -T: device is a tag modbus-read sets itself"

timeout 5 modbus-read -H 127.0.0.1:$PORT_s -U 1 --probe 56:4 > "$T/probe"
check "--probe: raw registers and every interpretation" \
	grep -q '^56 *float32 *21.5 ' "$T/probe"
check "--probe: the CDAB column finds the CDAB value" \
	sh -c "grep '^58 *float32' '$T/probe' | awk '{ exit !(\$4 == \"21.5\") }'"
timeout 5 modbus-read -H 127.0.0.1:$PORT_s -U 1 --probe 1998:4 > /dev/null 2>"$T/e"
eq "--probe past the device's registers: an exception answer, exit 76 (not 69: it answered)" "$?-$(cat "$T/e")" \
	"76-modbus-read: 127.0.0.1:$PORT_s unit 1: read holding 1998-2001: exception 2 (illegal data address)"
timeout 5 modbus-read -H 127.0.0.1:$PORT_s -U 1 --probe 149:4 > "$T/probe"
eq "--probe: the range as a string in every order (a word-swapped one reads in CDAB)" \
	"$(grep '^string' "$T/probe" | tr '\n' '|')" \
	'string ABCD: "4X23-1SN"|string CDAB: "SN-1234X"|string BADC: "X4321-NS"|string DCBA: "NS1-32X4"|'

# pacing: pause-request spaces the requests of a device
# (measured between the answers, whose time each value carries, so that a
# slow start cannot pass for pacing; 5 pauses of 100 ms, less 2 ms each for
# the clocks' rounding to the ms)
span() { grep -v '"gateway\.modbus\.' "$1" | field timestamp | sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{ print $2 - $1 }'; }
sed 's/^unit-id = 1$/unit-id = 1\npause-request = 100ms/' "$T/map.conf" > "$T/paced.conf"
timeout 10 modbus-read -1 -c "$T/paced.conf" > "$T/paced" 2>/dev/null
eq "paced: every point answered" "$(grep -v '"gateway\.modbus\.' "$T/paced" | field mv | sort)" "$(cat "$T/expected")"
check "pause-request = 100ms: the answers to 6 requests span 5 pauses ($(span "$T/paced") ms; $(span "$T/out") ms unpaced)" \
	[ "$(span "$T/paced")" -ge 490 ]
