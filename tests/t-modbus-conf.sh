#!/bin/bash
# modbus-read's register map (modbus-read.conf(5)) and request planning:
# every error names the file, the line and what was expected; the plan for
# 100 points scattered over 3 blocks is 3 requests; the protocol's limits
# (125 registers, 2000 bits) and the gap split requests.  No device needed.
. "$(dirname "$0")/lib.sh"

# bad line -> the message that must follow "FILE:LINE: "
i=0
while IFS='|' read -r line want; do
	i=$((i + 1))
	printf '[device d]\ntcp = 127.0.0.1:502\n%b\n' "$line" > "$T/bad$i.conf"
	modbus-read --plan -c "$T/bad$i.conf" > /dev/null 2>"$T/err$i"
	rc=$?
	got=$(cat "$T/err$i")
	case $got in
	"modbus-read: $T/bad$i.conf:3: $want"*) [ $rc -eq 78 ] && ok "error: $line" || nok "error: $line: exit $rc" ;;
	*) nok "error: $line (got '$got', want '$T/bad$i.conf:3: $want')" ;;
	esac
done <<'EOF2'
holding:0:float33:x|expected a type (bool, bitN, int16, uint16, int32, uint32, int64, uint64, float32, float64, stringN), got 'float33'
holding:0:float32:ABDC:x|expected an order (ABCD, CDAB, BADC, DCBA), got 'ABDC'
holds:0:uint16:x|expected a function (coil, discrete, holding, input), got 'holds'
holding:65536:uint16:x|expected a 0-based address 0-65535 (or a reference like #40001), got '65536'
holding:65535:uint32:x|the uint32 at 65535 runs past address 65535
holding:#30001:uint16:x|reference #30001 is not a holding (4xxxx)
holding:#4001:uint16:x|expected a reference like #40001 (5 or 6 digits), got '#4001'
coil:0:uint16:x|expected type bool for a coil, got 'uint16'
coil:0:bool:BADC:x|expected no order for a coil (one bit has no bytes to swap), got 'BADC'
discrete:0:bool:CDAB:x|expected no order for a discrete (one bit has no bytes to swap), got 'CDAB'
holding:0:uint16|expected function:address:type[:order]:metric
holding:0:uint16:ABCD:x:y|expected function:address:type[:order]:metric
holding:0:uint16:x scale=abc|expected a number for scale, got 'abc'
holding:0:uint16:x colour=red|expected a point option (unit-id, scale, offset, unit, interval, tag.KEY), got 'colour'
holding:0:uint16:x interval=10|expected a poll interval like 500ms, 10s or 5m, got '10'
holding:0:uint16:x unit-id=256|expected a unit id 0-255, got '256'
holding:0:uint16:x tag.device=a|expected tag.KEY=VALUE, 1-255 bytes each, KEY not device, unit_id or unit
timeout = 5|expected a duration like 500ms or 2s (at most 10m), got '5'
write-function = sometimes|expected write-function = auto, single or multiple, got 'sometimes'
parity = E|expected a device setting (tcp, rtu, rs485, rts, unit-id, timeout, retries, gap, interval, pause-connect, pause-request, write-function, lock), got 'parity'
rtu = /dev/ttyS0 9600 8X1|expected data bits, parity, stop bits like 8N1 or 8E1, got '8X1'
tcp = host:99999|expected a TCP port 1-65535, got '99999'
[device d]|device d already defined on line 1
[device]|expected [device NAME], NAME 1-64 bytes without spaces
EOF2

printf '[device a]\nrtu = /dev/ttyS0\n[device b]\nrtu = /dev/ttyS0\nholding:0:uint16:x\n' > "$T/line.conf"
modbus-read --plan -c "$T/line.conf" 2>"$T/e"
eq "two sections on one serial line: refused (one connection a line, its units take turns)" "$(cat "$T/e")" \
	"modbus-read: $T/line.conf:3: [device b]: /dev/ttyS0 is the line of [device a] (line 1): one section a line, its units set by unit-id"
printf 'holding:0:uint16:x\n' > "$T/nodev.conf"
modbus-read --plan -c "$T/nodev.conf" 2>"$T/e"
eq "a point before any device" "$(cat "$T/e")" "modbus-read: $T/nodev.conf:1: expected a [device NAME] section before the first point"
printf '# only comments\n[device d]\n' > "$T/empty.conf"
modbus-read --plan -c "$T/empty.conf" 2>"$T/e"
eq "a device without transport" "$(cat "$T/e")" "modbus-read: $T/empty.conf:2: expected a tcp = or rtu = line in [device d]"
modbus-read --plan -c "$T/none.conf" 2>"$T/e"
eq "a missing file: exit 78 and why" "$?-$(cat "$T/e")" "78-modbus-read: unable to open $T/none.conf: No such file or directory"
modbus-read --plan -H 127.0.0.1 holding:0:int:x 2>"$T/e"
eq "a bad one-line point: exit 64" "$?-$(grep -c '^modbus-read: holding:0:int:x: expected a type (bool' "$T/e")" "64-1"

# the plan: 100 points scattered over 3 blocks -> 3 requests
$PY - > "$T/p100.conf" <<'PYEOF'
import random
random.seed(3)
print("[device plc]\ntcp = 127.0.0.1:5020\nunit-id = 1\ngap = 10")
pts = set()
for base, n in ((0, 40), (1000, 30), (3000, 30)):
    while len([p for p in pts if base <= p[0] < base + 100]) < n:
        a = base + random.randrange(0, 100)
        t = random.choice(["uint16", "int16", "float32", "uint32"])
        if all(not (a < q + 2 and q < a + 2) for q, _ in pts):
            pts.add((a, t))
for i, (a, t) in enumerate(sorted(pts, key=lambda p: random.random())):
    print("holding:%d:%s:p.%d" % (a, t, i))
PYEOF
modbus-read --plan -c "$T/p100.conf" > "$T/plan"
eq "100 points over 3 blocks: 3 requests" "$(tail -1 "$T/plan")" "3 requests for 100 points"
check "each request within one block" awk '/^request/ { split($8, r, "-"); if (r[2] - r[1] >= 125) exit 1 }' "$T/plan"
cat "$T/plan" | sed 's/^/# /'

# limits and gaps
pts=$(for a in $(seq 0 10 300); do printf 'holding:%d:uint16:h%d ' $a $a; done)
eq "31 registers 10 apart over 0-300: split at 125 registers" \
	"$(modbus-read --plan -H 127.0.0.1 $pts | grep ^request | cut -d' ' -f8 | tr '\n' ' ')" "0-120 130-250 260-300 "
eq "gap 8 (9 registers between points): every point its own request" "$(modbus-read --plan --gap 8 -H 127.0.0.1 $pts | tail -1)" "31 requests for 31 points"
eq "a float64 at 121 does not fit after 0: 2 requests" \
	"$(modbus-read --plan -H 127.0.0.1 holding:0:uint16:a holding:121:float64:b | tail -1)" "2 requests for 2 points"
eq "up to 124 + 1: one request" \
	"$(modbus-read --plan --gap 123 -H 127.0.0.1 holding:0:uint16:a holding:124:uint16:b | head -1 | cut -d' ' -f8,9)" "0-124 (125"
coils=$(for a in 0 1000 1999 2000; do printf 'coil:%d:bool:c%d ' $a $a; done)
eq "coils: 2000 bits a request" \
	"$(modbus-read --plan --gap 2000 -H 127.0.0.1 $coils | grep ^request | cut -d' ' -f8 | tr '\n' ' ')" "0-1999 2000-2000 "
eq "different units, functions, intervals: separate requests" \
	"$(printf '[device d]\ntcp = h\nholding:0:uint16:a\nholding:1:uint16:b unit-id=2\ninput:2:uint16:c\nholding:2:uint16:d interval=1s\nholding:3:uint16:e\n' > "$T/g.conf"; modbus-read --plan -c "$T/g.conf" | tail -1)" \
	"4 requests for 5 points"

# the example of modbus-read.conf(5) is a valid map
man -l -P cat "$TOP/cmd/modbus-read/modbus-read.conf.5" 2>/dev/null | sed -n '/^EXAMPLE/,/^SEE ALSO/p' |
	sed '1d;$d' | sed 's/^       //' > "$T/example.conf"
eq "the man page's example map: 5 requests for 8 points" \
	"$(modbus-read --plan -c "$T/example.conf" | tail -1)" "5 requests for 8 points"

# usage
modbus-read 2>/dev/null; eq "no map and no -H: exit 64" $? 64
modbus-read -c x -H y z 2>/dev/null; eq "-c and -H together: exit 64" $? 64
# the SYNOPSIS of the man page, troff stripped, against -h, spaces squeezed
syn() { sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$TOP/cmd/modbus-read/modbus-read.1" |
	grep -v '^\.' | sed 's/\\f[BIR]//g; s/\\-/-/g' | tr -s ' \n' '  '; }
eq "-h prints the man page synopsis" "$(modbus-read -h | sed '/^$/,$d; s/^usage: //; s/^ *//' | tr -s ' \n' '  ')" "$(syn)"
eq "-h lists the options, old spellings not" \
	"$(modbus-read -h | grep -oE '^ +(-[a-zA-Z0-9], )?--[a-z-]+' | sed 's/^ *//' | tr '\n' ' ')" \
	"-c, --config -H, --host -U, --unit -t, --timeout --retries --gap -i, --interval -1, --once --plan --probe --lock-wait -s, --source-id -T, --tag -p, --prefix --status-interval -q, --quiet -h, --help --version "

# options: durations with their units, a bare number in the option's unit
iv() { modbus-read --plan "$@" -H 127.0.0.1 holding:0:uint16:a 2>&1 | head -1 | sed 's/.* every //'; }
eq "-i 1.5s" "$(iv -i 1.5s)" "1500ms"
eq "-i 250ms" "$(iv -i 250ms)" "250ms"
eq "-i 2: a bare number is seconds" "$(iv -i 2)" "2000ms"
modbus-read --plan -t 0 -H 127.0.0.1 holding:0:uint16:a 2>"$T/e"
eq "-t 0: a usage error naming the option" "$?-$(grep -c '^modbus-read: -t/--timeout: "0" is not a duration' "$T/e")" "64-1"
printf '[device d]\ntcp = h\nholding:0:uint16:a\n' > "$T/one.conf"
modbus-read --plan -U 3 -c "$T/one.conf" >/dev/null 2>"$T/e"
eq "-U with -c: a usage error (the map sets the unit), not ignored" "$?-$(grep -c 'are for -H' "$T/e")" "64-1"
# the old spellings work for a release, and say so once
eq "-g 8 (old --gap): still the gap" "$(modbus-read --plan -g 8 -H 127.0.0.1 $pts 2>"$T/e" | tail -1)" "31 requests for 31 points"
eq "... and says it is deprecated" "$(cat "$T/e")" "modbus-read: -g is deprecated: use --gap"
eq "-u 7 and --unit-id 7 (old -U): still the unit" \
	"$(modbus-read --plan -u 7 -H 127.0.0.1 holding:0:uint16:a 2>"$T/e" | head -1 | cut -d' ' -f5-6) $(modbus-read --plan --unit-id 7 -H 127.0.0.1 holding:0:uint16:a 2>>"$T/e" | head -1 | cut -d' ' -f5-6)" \
	"unit 7 unit 7"
eq "... and say they are deprecated" "$(cat "$T/e")" "modbus-read: -u/--unit-id is deprecated: use -U/--unit
modbus-read: -u/--unit-id is deprecated: use -U/--unit"
modbus-read --plan -r 3 -H 127.0.0.1 holding:0:uint16:a >/dev/null 2>"$T/e"
eq "-r (old --retries): accepted, said deprecated" "$?-$(cat "$T/e")" "0-modbus-read: -r is deprecated: use --retries"
PLEXUS_SOURCE_ID=Bad_Id modbus-read --plan -c "$T/one.conf" >/dev/null 2>"$T/e"
eq "a PLEXUS_SOURCE_ID the server would refuse: exit 78" "$?-$(grep -c PLEXUS_SOURCE_ID "$T/e")" "78-1"
