#!/bin/bash
# A slow device does not slow the others (issue 13): devices on separate
# connections are polled independently, each by a thread of its own.  One
# pymodbus server, two units: unit 2 answers 2 s after each request (within
# its 3 s timeout), unit 1 at once; [device fast] and [device slow] are two
# TCP connections to it.  Measured: the fast device's polls between the
# slow one's answers.  With one thread for all devices the fast one got a
# poll per slow answer, one every 2 s instead of every 200 ms.  And --once
# polls the devices at the same time.  (Units on one serial line still take
# turns: that is the bus; t-modbus-rtu.sh.)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
echo '{"units": {"1": {"hr": [[0, "regs", [1]]]}, "2": {"delay": 2.0, "hr": [[0, "regs", [2]]]},
                 "3": {"delay": 1.5, "hr": [[0, "regs", [3]]]}}}' > "$T/s.json"
mb_tcp s "$T/s.json"
cat > "$T/map.conf" <<EOF2
[device fast]
tcp = 127.0.0.1:$PORT_s
interval = 200ms
holding:0:uint16:fast.v
[device slow]
tcp = 127.0.0.1:$PORT_s
unit-id = 2
timeout = 3s
interval = 200ms
holding:0:uint16:slow.v
EOF2
count() { [ "$(grep -c "$1" "$T/out")" -ge "$2" ]; }
mb_bg modbus-read -c "$T/map.conf" > "$T/out" 2>"$T/err"; mp=$MP
check "the slow unit answers, 2 s after each request (3 answers)" wait_for 30 count '"slow.v"' 3
kill -TERM $mp; wait $mp
eq "SIGTERM: exit 0" $? 0
eq "nothing on stderr (no timeout)" "$(cat "$T/err")" ""
# the fast device's answers between the slow one's first and last answer:
# "span polls longest-gap"
read -r span n gap <<<"$($PY - "$T/out" <<'PYEOF'
import json, sys
t = {"fast.v": [], "slow.v": []}
for line in open(sys.argv[1]):
    r = json.loads(line)
    t.get(r["metric"], []).append(r["timestamp"])
a, b = t["slow.v"][0], t["slow.v"][-1]
w = [x for x in t["fast.v"] if a <= x <= b]
print(b - a, len(w), max([y - x for x, y in zip(w, w[1:])] or [b - a]))
PYEOF
)"
echo "# slow device: answers over $span ms; fast device meanwhile: $n polls (every 200 ms: $((span / 200)) due), the longest gap $gap ms"
check "the fast device keeps its 200 ms schedule while the slow one answers in 2 s ($n polls in $span ms)" \
	[ "$n" -ge $((span / 200 * 7 / 10)) ]
check "... with no gap of a slow answer's length (longest $gap ms)" [ "$gap" -lt 1000 ]

# --once: every device polled once, all at the same time: two units each
# answering 1.5 s and 2 s after the request, on two connections
cat > "$T/once.conf" <<EOF2
[device a]
tcp = 127.0.0.1:$PORT_s
unit-id = 3
timeout = 3s
holding:0:uint16:a.v
[device b]
tcp = 127.0.0.1:$PORT_s
unit-id = 2
timeout = 3s
holding:0:uint16:b.v
EOF2
timeout 10 modbus-read -1 -c "$T/once.conf" > "$T/once" 2>"$T/once.err"
eq "--once: exit 0" $? 0
ta=$(grep '"a.v"' "$T/once" | field timestamp)
tb=$(grep '"b.v"' "$T/once" | field timestamp)
check "--once polls the two connections in parallel: the answers $((tb - ta)) ms apart (one after the other: 2000)" \
	[ $((tb - ta)) -ge 0 -a $((tb - ta)) -lt 1000 ]

# SIGTERM ends a --once run after the request in hand, exit 0: one device
# (polled on the main thread) and two (a thread each); unit 3 has two
# requests (two intervals), 1.5 s each: the second is not sent
for conf in one two; do
	if [ $conf = one ]; then sed '/^\[device b\]/,$d' "$T/once.conf" > "$T/$conf.conf"; else cp "$T/once.conf" "$T/$conf.conf"; fi
	sed -i 's/^holding:0:uint16:a.v$/&\nholding:1:uint16:a.w interval=1h/' "$T/$conf.conf"
	mb_bg modbus-read -1 -c "$T/$conf.conf" > "$T/$conf.out" 2>"$T/$conf.err"; mp=$MP
	sleep 0.5
	kill -TERM $mp; wait $mp
	eq "--once, $conf device(s), SIGTERM: exit 0, the request in hand answered, no other sent, no summary" \
		"$?-$(grep -c '"a\.[vw]"' "$T/$conf.out")-$(grep '"gateway.modbus.requests".*"unit_id":"3"' "$T/$conf.out" | field value)-$(grep -c 'requests got' "$T/$conf.err")" \
		"0-1-1-0"
done
