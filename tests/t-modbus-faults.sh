#!/bin/bash
# modbus-read when devices misbehave: a unit id that never answers, one that
# answers exceptions, a slow device, a server that goes away and comes back;
# --once exit status; the schedule (no drift); SIGTERM, SIGINT and EPIPE.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
echo '{"units": {"1": {"hr": [[0, "regs", [7]]]}, "2": {"size": 10}}}' > "$T/a.json"
echo '{"units": {"1": {"delay": 0.6, "hr": [[0, "regs", [8]]]}}}' > "$T/slow.json"
echo '{"units": {"1": {"delay": 0.05, "hr": [[0, "regs", [9]]]}}}' > "$T/late.json"
mb_tcp a "$T/a.json"
mb_tcp slow "$T/slow.json"
mb_tcp late "$T/late.json"
cat > "$T/map.conf" <<EOF2
status-interval = 1s
[device a]
tcp = 127.0.0.1:$PORT_a
timeout = 200ms
retries = 1
interval = 200ms
holding:0:uint16:a.ok
holding:100:uint16:a.exception unit-id=2
holding:0:uint16:a.dead unit-id=5
[device slow]
tcp = 127.0.0.1:$PORT_slow
timeout = 300ms
retries = 0
interval = 200ms
holding:0:uint16:slow.value
[device late]
tcp = 127.0.0.1:$PORT_late
timeout = 1s
interval = 200ms
holding:0:uint16:late.value
EOF2

# --once: exit status says whether every point answered
timeout 10 modbus-read -1 -c "$T/map.conf" > "$T/once" 2>"$T/once.err"
eq "--once with a dead unit, an exception and a slow device: exit 69" $? 69
eq "--once: the good points still arrive" "$(grep -v '"gateway\.modbus\.' "$T/once" | field metric | sort | tr '\n' ' ')" "a.ok late.value "
check "an exception: device, unit id, function, address on stderr" \
	grep -q '^modbus-read: a unit 2: read holding 100-100: Illegal data address (exception 2)$' "$T/once.err"
check "a unit that never answers: a timeout, retried" \
	grep -q '^modbus-read: a unit 5: read holding 0-0: Connection timed out, retrying$' "$T/once.err"
check "a slow device: a timeout" grep -q '^modbus-read: slow unit 1: read holding 0-0: Connection timed out$' "$T/once.err"
check "--once: a summary line" grep -q '3 of 5 requests got no answer' "$T/once.err"
eq "--once: errors counted in the stream per unit" \
	"$(grep '"gateway.modbus.errors"' "$T/once" | $PY -c '
import json, sys
print(" ".join("%s/%s=%d" % (r["tags"]["device"], r["tags"]["unit_id"], r["value"]) for r in map(json.loads, sys.stdin)))')" \
	"a/1=0 a/2=1 a/5=2 slow/1=1 late/1=0"

# polling: the dead unit and the slow device do not stop the others
mb_bg modbus-read -c "$T/map.conf" > "$T/run" 2>"$T/run.err"; mp=$MP
sleep 3.1
kill -TERM $mp; wait $mp
eq "SIGTERM: exit 0" $? 0
nok_=$(grep -c '"metric":"a.ok"' "$T/run")
nlate=$(grep -c '"metric":"late.value"' "$T/run")
check "a healthy unit kept being polled ($nok_ values of a.ok, $nlate of late.value in 3 s at 200 ms)" \
	[ "$nok_" -ge 7 -a "$nlate" -ge 7 ]
ndead=$(grep -c 'a unit 5: read holding 0-0: Connection timed out$' "$T/run.err")
check "a dead unit is backed off ($ndead timeouts in 3 s, not 15)" [ "$ndead" -ge 1 -a "$ndead" -le 3 ]
check "status records every second" [ "$(grep -c '"metric":"gateway.modbus.requests","value":[0-9]*,"timestamp":[0-9]*,"tags":{"device":"a","unit_id":"1"}' "$T/run")" -ge 3 ]
check "and the errors of the dead unit in them" grep -q '"metric":"gateway.modbus.errors","value":[1-9][0-9]*,"timestamp":[0-9]*,"tags":{"device":"a","unit_id":"5"}' "$T/run"

# the schedule: 100 ms grid from the start, no drift
echo '{"units": {"1": {"hr": [[0, "regs", [1]]]}}}' > "$T/g.json"
mb_tcp g "$T/g.json"
mb_bg modbus-read -H 127.0.0.1:$PORT_g -i 100ms holding:0:uint16:g.v > "$T/grid"; mp=$MP
sleep 2.05; kill -INT $mp; wait $mp
eq "SIGINT: exit 0" $? 0
grep '"g.v"' "$T/grid" | field timestamp > "$T/ts"
n=$(wc -l < "$T/ts")
check "about 21 polls in 2.05 s at 100 ms ($n)" [ "$n" -ge 20 -a "$n" -le 22 ]
check "every poll on the 100 ms grid of the first (no drift)" awk 'NR == 1 { t0 = $1 } { d = ($1 - t0) % 100; if (d > 50) d = 100 - d; if (d > 25) { print "off by", d; exit 1 } }' "$T/ts"

# a server that goes away and comes back on the same port
echo '{"units": {"1": {"hr": [[0, "regs", [42]]]}}}' > "$T/r.json"
mb_tcp r "$T/r.json"
port=$PORT_r
mb_bg modbus-read -H 127.0.0.1:$port -i 100ms -t 200ms holding:0:uint16:r.v > "$T/back" 2>"$T/back.err"; mp=$MP
sleep 1
kill $PID_r; wait $PID_r 2>/dev/null
n1=$(grep -c '"r.v"' "$T/back")
sleep 0.5
mb_tcp r "$T/r.json" "$port"
sleep 1.8
kill $mp; wait $mp
n2=$(grep -c '"r.v"' "$T/back")
check "values before the server went away ($n1) and after it came back ($n2)" [ "$n1" -ge 5 -a "$n2" -ge $((n1 + 3)) ]
check "the loss is reported" grep -q 'r.v\|unable to connect\|Connection reset\|timed out' "$T/back.err"
check "reconnects counted in the stream" grep -q '"metric":"gateway.modbus.reconnects","value":[1-9]' "$T/back"

# EPIPE on stdout ends it
timeout 5 modbus-read -H 127.0.0.1:$PORT_g -i 10ms holding:0:uint16:g.v | head -3 > /dev/null
eq "a closed stdout ends modbus-read (exit 0, well before the timeout)" "${PIPESTATUS[0]}" 0
