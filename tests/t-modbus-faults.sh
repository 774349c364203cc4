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

# per_unit NAME < records: "device/unit_id=value" of status record NAME
per_unit() { grep "\"gateway.modbus.$1\"" | $PY -c '
import json, sys
print(" ".join("%s/%s=%d" % (r["tags"]["device"], r["tags"]["unit_id"], r["value"]) for r in map(json.loads, sys.stdin)))'; }

# --once: exit status says whether every point answered
timeout 10 modbus-read -1 -c "$T/map.conf" > "$T/once" 2>"$T/once.err"
eq "--once with a dead unit, an exception and a slow device: exit 69" $? 69
eq "--once: the good points still arrive" "$(grep -v '"gateway\.modbus\.' "$T/once" | field metric | sort | tr '\n' ' ')" "a.ok late.value "
check "an exception: device, unit id, function, address, the exception and its name on stderr" \
	grep -q '^modbus-read: a unit 2: read holding 100-100: exception 2 (illegal data address)$' "$T/once.err"
check "a unit that never answers: no response within its timeout, retried" \
	grep -q '^modbus-read: a unit 5: read holding 0-0: no response within 200ms, retrying$' "$T/once.err"
check "a slow device: no response within its timeout" \
	grep -q '^modbus-read: slow unit 1: read holding 0-0: no response within 300ms$' "$T/once.err"
check "--once: a summary line tells no answer from an exception" \
	grep -q '^modbus-read: 2 of 5 requests got no answer, 1 an exception answer$' "$T/once.err"
eq "--once: errors (no answer) counted in the stream per unit" \
	"$(per_unit errors < "$T/once")" "a/1=0 a/2=0 a/5=2 slow/1=1 late/1=0"
eq "--once: exception answers counted apart" \
	"$(per_unit exceptions < "$T/once")" "a/1=0 a/2=1 a/5=0 slow/1=0 late/1=0"
printf '[device a]\ntcp = 127.0.0.1:%s\nholding:0:uint16:a.ok\nholding:100:uint16:a.exception unit-id=2\n[device late]\ntcp = 127.0.0.1:%s\nholding:0:uint16:late.value\n' \
	"$PORT_a" "$PORT_late" > "$T/exc.conf"
timeout 10 modbus-read -1 -c "$T/exc.conf" > "$T/exc" 2>"$T/exc.err"
eq "--once: every request answered, one with an exception: exit 76, not 69" $? 76
check "... and the summary says so" grep -q '^modbus-read: 1 of 3 requests got an exception answer$' "$T/exc.err"

# a response timeout and a TCP connection that never comes are told apart:
# a listening socket whose accept queue is full drops the SYN
$PY -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
c = socket.create_connection(s.getsockname())    # fills the queue
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)' "$T/hole.port" & _pids="$_pids $!"
mb_wait_file "$T/hole.port" hole
timeout 10 modbus-read -1 -H "127.0.0.1:$(cat "$T/hole.port")" -t 300ms holding:0:uint16:x > /dev/null 2>"$T/hole.err"
eq "no TCP connection: exit 69" $? 69
check "a TCP connection that does not come: said as such" \
	grep -q "^modbus-read: 127.0.0.1:[0-9]*: unable to open: connect to 127.0.0.1:[0-9]*: no TCP connection within 300ms$" "$T/hole.err"

# polling: the dead unit and the slow device do not stop the others
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# count PATTERN FILE N: FILE has at least N lines that match
count() { [ "$(grep -c "$1" "$2")" -ge "$3" ]; }
polled() {
	count '"metric":"a.ok"' "$T/run" 7 && count '"metric":"late.value"' "$T/run" 7 &&
	count '"metric":"gateway.modbus.requests","value":[0-9]*,"timestamp":[0-9]*,"tags":{"device":"a","unit_id":"1"}' "$T/run" 3
}
t0=$(ms)
mb_bg modbus-read -c "$T/map.conf" > "$T/run" 2>"$T/run.err"; mp=$MP
check "a healthy unit kept being polled (7 values of a.ok and of late.value at 200 ms), status records every second (3)" \
	wait_for 20 polled
kill -TERM $mp; wait $mp
eq "SIGTERM: exit 0" $? 0
t=$(( $(ms) - t0 ))
# backoff 1 s, doubling: a dead unit times out at most 1 + log2(1 + t/1000)
# times in t ms; without it, once a poll (every 400 ms: 2 tries of 200 ms)
ndead=$(grep -c 'a unit 5: read holding 0-0: no response within 200ms$' "$T/run.err")
lim=$(awk -v t=$t 'BEGIN { print 1 + int(log(1 + t / 1000) / log(2)) }')
check "a dead unit is backed off ($ndead timeouts in $t ms, at most $lim)" [ "$ndead" -ge 1 -a "$ndead" -le "$lim" ]
check "and the errors of the dead unit in them" grep -q '"metric":"gateway.modbus.errors","value":[1-9][0-9]*,"timestamp":[0-9]*,"tags":{"device":"a","unit_id":"5"}' "$T/run"
# an exception answer to every poll: said once, then counted
nexc=$(grep -c 'a unit 2: read holding 100-100: exception 2' "$T/run.err")
cexc=$(grep '"gateway.modbus.exceptions"' "$T/run" | per_unit exceptions | tr ' ' '\n' | grep '^a/2=' | tail -1 | cut -d= -f2)
eq "the same exception at every poll: said once ($nexc times), then counted (gateway.modbus.exceptions $cexc)" \
	"$nexc $([ "${cexc:-0}" -ge 7 ] && echo counted)" "1 counted"
check "... saying that it is counted" \
	grep -q '^modbus-read: a unit 2: read holding 100-100: exception 2 (illegal data address); said once, then counted in gateway.modbus.exceptions$' "$T/run.err"

# the schedule: 100 ms grid from the start, no drift
echo '{"units": {"1": {"hr": [[0, "regs", [1]]]}}}' > "$T/g.json"
mb_tcp g "$T/g.json"
mb_bg modbus-read -H 127.0.0.1:$PORT_g -i 100ms holding:0:uint16:g.v > "$T/grid"; mp=$MP
check "20 polls" wait_for 20 count '"g.v"' "$T/grid" 20
kill -INT $mp; wait $mp
eq "SIGINT: exit 0" $? 0
grep '"g.v"' "$T/grid" | field timestamp > "$T/ts"
n=$(wc -l < "$T/ts")
span=$(( $(tail -n 1 "$T/ts") - $(head -n 1 "$T/ts") ))
# one poll a slot at most, and few slots skipped (an overrun skips slots)
check "a poll every 100 ms: $n polls over $span ms" [ $(( (n - 1) * 100 )) -le $((span + 50)) -a $(( (n - 1) * 100 )) -ge $((span * 8 / 10)) ]
check "every poll on the 100 ms grid of the first (no drift)" awk 'NR == 1 { t0 = $1 } { d = ($1 - t0) % 100; if (d > 50) d = 100 - d; if (d > 25) { print "off by", d; exit 1 } }' "$T/ts"

# a server that goes away and comes back on the same port
echo '{"units": {"1": {"hr": [[0, "regs", [42]]]}}}' > "$T/r.json"
mb_tcp r "$T/r.json"
port=$PORT_r
mb_bg modbus-read -H 127.0.0.1:$port -i 100ms -t 200ms holding:0:uint16:r.v > "$T/back" 2>"$T/back.err"; mp=$MP
check "values while the server is there (5)" wait_for 20 count '"r.v"' "$T/back" 5
kill $PID_r; wait $PID_r 2>/dev/null
check "the loss is reported" wait_for 20 grep -q 'device gone\|unable to open\|no response within' "$T/back.err"
n1=$(grep -c '"r.v"' "$T/back")
mb_tcp r "$T/r.json" "$port"
check "values again once it came back (3 more than $n1)" wait_for 20 count '"r.v"' "$T/back" $((n1 + 3))
kill $mp; wait $mp
check "reconnects counted in the stream" grep -q '"metric":"gateway.modbus.reconnects","value":[1-9]' "$T/back"

# EPIPE on stdout ends it
timeout 5 modbus-read -H 127.0.0.1:$PORT_g -i 10ms holding:0:uint16:g.v | head -3 > /dev/null
eq "a closed stdout ends modbus-read (exit 0, well before the timeout)" "${PIPESTATUS[0]}" 0
