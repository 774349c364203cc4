#!/bin/bash
# SIGHUP (DESIGN §5, plexus-gateway(7) Signals): modbus-read rereads its
# map and reconnects its devices, and goes on polling; it used to end with
# status 129.  A map that no longer loads is said, and the one in use kept.
# With -H there is no map: the device is reconnected.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
echo '{"units": {"1": {"hr": [[0, "regs", [5, 6]]]}}}' > "$T/s.json"
mb_tcp s "$T/s.json"
printf 'status-interval = 200ms\n[device d]\ntcp = 127.0.0.1:%s\ninterval = 100ms\nholding:0:uint16:hup.a\n' "$PORT_s" > "$T/map.conf"
count() { [ "$(grep -c "$1" "$2")" -ge "$3" ]; }
# the last value of status record NAME in FILE
last() { grep "\"metric\":\"gateway.modbus.$1\"" "$2" | tail -1 | field value; }

PLEXUS_QUIET=0 mb_bg modbus-read -c "$T/map.conf" > "$T/out" 2>"$T/err"; mp=$MP
check "polling" wait_for 20 count '"hup.a"' "$T/out" 3
echo 'holding:1:uint16:hup.b' >> "$T/map.conf"
kill -HUP $mp
check "SIGHUP: the point added to the map is polled" wait_for 20 count '"hup.b"' "$T/out" 3
check "... and modbus-read still runs (it ended with 129)" kill -0 $mp
check "the map reread is said" grep -q "^modbus-read: SIGHUP: $T/map.conf: 2 points in 1 requests$" "$T/err"
reconnected() { [ "$(last reconnects "$T/out")" = 1 ]; }
check "the device was reconnected (gateway.modbus.reconnects 1)" wait_for 20 reconnected
reqs=$(grep '"metric":"gateway.modbus.requests"' "$T/out" | field value | tr '\n' ' ')
check "the counters go on across it, never from 0 again (requests: $reqs)" \
	awk -v s="$reqs" 'BEGIN { n = split(s, v, " "); for (i = 2; i <= n; i++) if (v[i] + 0 < v[i - 1] + 0) exit 1; exit !(n >= 2) }'

echo 'holding:2:uint16' >> "$T/map.conf"
n=$(grep -c '"hup.b"' "$T/out")
kill -HUP $mp
check "a map that no longer loads: said, with its line" \
	wait_for 20 grep -q "^modbus-read: SIGHUP: $T/map.conf:7: expected function:address:type\[:order\]:metric; going on with the map in use$" "$T/err"
check "... and the map in use goes on" wait_for 20 count '"hup.b"' "$T/out" $((n + 3))
kill -TERM $mp; wait $mp
eq "SIGTERM afterwards: exit 0" $? 0

# -H: the device is reconnected, and the run goes on
mb_bg modbus-read -H 127.0.0.1:$PORT_s -i 100ms holding:0:uint16:x > "$T/h" 2>"$T/herr"; mp=$MP
check "-H: polling" wait_for 20 count '"x"' "$T/h" 2
kill -HUP $mp
n=$(grep -c '"x"' "$T/h")
check "-H: after SIGHUP still polling" wait_for 20 count '"x"' "$T/h" $((n + 3))
kill -TERM $mp; wait $mp
eq "-H: SIGTERM: exit 0" $? 0
eq "-H: SIGHUP reconnected the device (gateway.modbus.reconnects 1 at exit)" "$(last reconnects "$T/h")" 1
