#!/bin/bash
# modbus-read's figures (issue 3 targets), against the pymodbus server of the
# tests on loopback, for a map of 100 points scattered over 3 register blocks:
#   requests per poll (target: at most 3), polls/s, peak RSS (target: at most
#   4 MiB), start-up to first answer (target: at most 20 ms), and beside them
#   mbpoll on the same server (one request per point: the usual way).
#   bench/modbus.sh [seconds]     (default 5 s per throughput run)
#   BENCH_BIN=DIR bench/modbus.sh   times DIR/modbus-read (another build) instead of bin/
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
PY=/usr/bin/python3
secs=${1:-5}
T=$(mktemp -d /tmp/plx-bench-modbus.XXXXXX)
trap 'kill $srv 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
[ -n "${BENCH_BIN:-}" ] || make -s || exit 1
MR=${BENCH_BIN:-$TOP/bin}/modbus-read
ldd "$MR" | grep -q asan && echo "# note: bin/modbus-read is a SAN build; figures are not representative"

# the map and a server with registers in 3 blocks
$PY - "$T" <<'PYEOF'
import json, random, sys
T = sys.argv[1]
random.seed(3)
pts = []
for base, n in ((0, 40), (1000, 30), (3000, 30)):
    addrs = sorted(random.sample(range(base, base + 100, 2), n))
    pts += [(a, random.choice(["uint16", "int16", "float32", "uint32"])) for a in addrs]
random.shuffle(pts)
with open(T + "/map.conf", "w") as f:
    f.write("status-interval = 1h\n[device plc]\ntcp = 127.0.0.1:PORT\nunit-id = 1\ngap = 10\ntimeout = 1s\n")
    for i, (a, t) in enumerate(pts):
        f.write("holding:%d:%s:p.%d interval=1ms\n" % (a, t, i))
with open(T + "/points", "w") as f:
    for a, t in pts:
        f.write("%d\n" % a)
regs = [[b, "regs", [random.randrange(65536) for _ in range(100)]] for b in (0, 1000, 3000)]
json.dump({"units": {"1": {"size": 4000, "hr": regs}}}, open(T + "/spec.json", "w"))
PYEOF
$PY tests/modbus-server.py --spec "$T/spec.json" --port 0 --port-file "$T/port" 2>/dev/null & srv=$!
for i in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
sed -i "s/PORT/$PORT/" "$T/map.conf"
sed 's/ interval=1ms//' "$T/map.conf" > "$T/once.conf"

echo "# $MR; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== plan"
"$MR" --plan -c "$T/map.conf" | sed 's/^/   /'

echo "== modbus-read: polling as fast as the server answers ($secs s)"
"$MR" -c "$T/map.conf" > "$T/run" 2>/dev/null & mp=$!
sleep "$secs"
peak=$(awk '/VmHWM/ { print $2 }' /proc/$mp/status)
kill -TERM $mp; wait $mp
# each group keeps its own schedule: a poll of the map is 100 values
polls=$(( $(grep -vc '"gateway\.modbus\.' "$T/run") / 100 ))
reqs=$(grep '"metric":"gateway.modbus.requests"' "$T/run" | tail -1 | sed 's/.*"value":\([0-9]*\).*/\1/')
echo "   polls/s of the whole map:   $(awk -v p="$polls" -v s="$secs" 'BEGIN { printf "%.0f", p / s }')"
echo "   requests/s:                 $(awk -v p="$reqs" -v s="$secs" 'BEGIN { printf "%.0f", p / s }')"
echo "   requests per poll:          $(awk -v r="$reqs" -v p="$polls" 'BEGIN { printf "%.2f", r / p }')"
echo "   values/s:                   $(( $(grep -vc '"gateway\.modbus\.' "$T/run") / secs ))"
echo "   peak RSS, daemon:           $peak KiB"

echo "== modbus-read --once (cron): 20 runs"
for i in $(seq 20); do
	t0=$(date +%s%3N)
	/usr/bin/time -f %M -o "$T/rss1" "$MR" -1 -c "$T/once.conf" > "$T/once" 2>/dev/null
	t1=$(date +%s%3N)
	first=$(head -1 "$T/once" | sed 's/.*"timestamp":\([0-9]*\).*/\1/')
	echo "$((first - t0)) $((t1 - t0)) $(cat "$T/rss1")"
done > "$T/runs"
sort -n "$T/runs" | awk '{ a[NR] = $1 } END { printf "   start-up to first answer:   median %d ms, max %d ms\n", a[int((NR + 1) / 2)], a[NR] }'
sort -k2 -n "$T/runs" | awk '{ a[NR] = $2 } END { printf "   whole run (100 points):     median %d ms\n", a[int((NR + 1) / 2)] }'
sort -k3 -n "$T/runs" | awk '{ a[NR] = $3 } END { printf "   peak RSS, --once:           %d KiB\n", a[NR] }'

if command -v mbpoll >/dev/null; then
	echo "== mbpoll $(mbpoll -V 2>&1 | head -1), same server"
	timeout "$secs" mbpoll -m tcp -p "$PORT" -a 1 -0 -r 0 -c 1 -l 10 -o 1 127.0.0.1 > "$T/mbp" 2>&1
	n=$(grep -c '^\[0\]:' "$T/mbp")
	echo "   requests/s, -l 10 (its fastest rate): $((n / secs))"
	t0=$(date +%s%3N)
	while read -r a; do
		mbpoll -1 -q -m tcp -p "$PORT" -a 1 -0 -r "$a" -c 1 127.0.0.1 > /dev/null 2>&1
	done < "$T/points"
	t1=$(date +%s%3N)
	echo "   one poll of the map, one mbpoll -1 per point: 100 requests, $((t1 - t0)) ms"
fi
