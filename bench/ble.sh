#!/bin/sh
# ble-read through the whole D-Bus path: a fake bluetoothd (bench/ble-emit.py)
# on a private dbus-daemon makes N devices appear and advertise at RATE Hz each
# (PropertiesChanged with BTHome service data and RSSI) for SECS seconds.
# Prints advertisements sent and handled per second, ble-read's CPU, its peak
# RSS (VmHWM) and its RSS over the run (sampled every second after a 3 s
# warm-up in which the devices appear: mean of the first and of the last
# third): memory must not grow.  BLE_RSS=1 prints the samples (KiB).
# Targets (issue 6): 500 devices x 10 Hz, no growth, peak RSS <= 6 MiB.
#   bench/ble.sh [N [RATE [SECS]]]      (make first; default 500 10 90)
#   BENCH_BIN=DIR bench/ble.sh          times DIR/ble-read (another build) instead of bin/
cd "$(dirname "$0")/.." || exit 1
n=${1:-500} rate=${2:-10} secs=${3:-90}
BIN=${BENCH_BIN:-bin}
w=$(mktemp -d "${TMPDIR:-/tmp}/plx-bench-ble.XXXXXX") || exit 1
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait; rm -rf "$w"' EXIT
dbus-daemon --session --nofork --nopidfile --address="unix:path=$w/bus" --print-address=1 >"$w/addr" 2>/dev/null &
pids="$pids $!"
i=0; while [ ! -s "$w/addr" ]; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$w/bus"
/usr/bin/python3 bench/ble-emit.py "$n" "$rate" "$secs" "$w/count" 2>"$w/emit.err" &
ep=$!; pids="$pids $ep"
sleep 1
mkfifo "$w/fifo"
grep --line-buffered '"metric":"gateway\.ble\.' < "$w/fifo" > "$w/status" &
pids="$pids $!"
PLEXUS_QUIET=1 "$BIN/ble-read" --status-interval 1 --max-devices 1024 > "$w/fifo" 2>"$w/err" &
rp=$!; pids="$pids $rp"
while kill -0 $ep 2>/dev/null; do
	awk '/^VmRSS/ { print $2 }' /proc/$rp/status >> "$w/rss"
	sleep 1
done
[ -n "${BLE_RSS:-}" ] && tr "\n" " " < "$w/rss" && echo
peak=$(awk '/^VmHWM/ { print $2 }' /proc/$rp/status)
cpu=$(awk '{ print ($14 + $15) / 100 }' /proc/$rp/stat)
sleep 1.5                     # the last status record
kill -TERM $rp; wait $rp
read -r sent el < "$w/count"
last() { grep "\"metric\":\"$1\"" "$w/status" | tail -1 | sed 's/.*"value":\([0-9]*\).*/\1/'; }
got=$(last gateway.ble.advertisements)
echo "# bench/ble.sh: $n devices x $rate Hz for $secs s through dbus-daemon ($BIN/ble-read, commit $(git rev-parse --short HEAD))"
awk -v s="$sent" -v n="$n" -v g="$got" -v e="$el" -v c="$cpu" -v o="$(last gateway.ble.overruns)" -v d="$(last gateway.ble.decoded)" 'BEGIN {
	printf "advertisements sent %d (%.0f/s), handled %d (%.0f/s), decoded %d, lost %d, overruns %d\n",
	       s + n, (s + n) / e, g, g / e, d, s + n - g, o
	printf "ble-read CPU %.1f s (%.0f%% of one core)\n", c, 100 * c / e }'
awk -v p="$peak" 'NR > 3 { r[++m] = $1 } END { NR = m
	t = int(NR / 3); for (i = 1; i <= t; i++) { a += r[i]; b += r[NR - t + i] }
	printf "RSS first third %.2f MiB, last third %.2f MiB (growth %+d KiB), peak %.2f MiB (%s)\n",
	       a / t / 1024, b / t / 1024, (b - a) / t, p / 1024,
	       (p <= 6144 && b - a <= 64 * t) ? "target met" : "TARGET MISSED" }' "$w/rss"
