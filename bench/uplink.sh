#!/usr/bin/env bash
# bench/uplink.sh [N]: the uplink of issue 14, in one run, with the tools'
# defaults, through the durable pipeline plx-buffer -d S | plx-upload -d S:
#
#   loopback     N records of the mixed sensor stream (bench/run's) into
#                bench/lib/sink.c: points/s, request bytes per point (gzip
#                body on the wire), CPU of both tools per million points
#   long link    the same through bench/relay.py, a TCP relay that delays
#                each direction by half of BENCH_RTT_MS (100): points/s
#   latency      BENCH_LAT_N (300) points at 20 points/s, each carrying the
#                time it was written, into bench/latency-sink.py: p50, p99;
#                and what both tools wrote to the spool's disk a point
#                (/usr/bin/time's file system outputs: pages dirtied, the
#                flash wear of a slow stream)
#
#   bench/uplink.sh              1,000,000 records (BENCH_RELAY_N=300000 over the relay)
#   BENCH_BIN=DIR bench/uplink.sh   another build's plx-buffer and plx-upload
#   BENCH_UPLOAD_ARGS="-z 9"     extra plx-upload options (for comparisons)
# Prints one table; exit 1 when a case lost or duplicated points.
set -u
export LC_ALL=C
N=${1:-1000000}
NR=${BENCH_RELAY_N:-300000}
RTT=${BENCH_RTT_MS:-100}
LAT_N=${BENCH_LAT_N:-300}
UPARGS=${BENCH_UPLOAD_ARGS:-}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
TIME=/usr/bin/time
die() { echo "bench/uplink.sh: $*" >&2; exit 1; }
[ -x $TIME ] || die "$TIME is missing: apt-get install time"

PLAIN=$(make -s -C "$TOP" FLAVOUR=plain print-build)
make -s -C "$TOP" FLAVOUR=plain "${PLAIN#"$TOP"/}/bench/lib/sink" >/dev/null || die "cannot build bench/lib/sink.c"
[ -n "${BENCH_BIN:-}" ] || make -s -C "$TOP" FLAVOUR=plain >/dev/null || die "make failed"
BIN=$(cd "${BENCH_BIN:-$PLAIN/bin}" && pwd)
mkdir -p "$TOP/bench/out"
D=$(mktemp -d "$TOP/bench/out/uplink.XXXXXX")
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$D/home"
FAILS=0

# the mixed sensor stream of bench/run (~155 bytes a record)
gen() {
	awk -v n="$1" 'BEGIN {
		split("env.temperature env.humidity env.pressure battery.voltage battery.current motor.rpm motor.torque air.co2", m, " ")
		split("lab-1 lab-2 lab-3 cold-room roof", room, " ")
		srand(42)
		for (i = 0; i < n; i++)
			printf "{\"class\":\"metric\",\"metric\":\"%s\",\"value\":%.3f,\"timestamp\":%.0f,\"source_id\":\"ble-gw\",\"tags\":{\"mac\":\"a4:c1:38:%02x:%02x:%02x\",\"room\":\"%s\"}}\n",
				m[i % 8 + 1], 20 + rand() * 10, 1763800000000 + i * 10,
				int(i / 65536) % 256, int(i / 256) % 256, i % 256, room[i % 5 + 1]
	}'
}
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; }
field() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p"; }
waitport() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; die "$2 did not start"; }
tool_env() {
	env -u PLEXUS_BUFFER -u PLEXUS_QUIET HOME="$D/home" PLEXUS_API_KEY=plx_bench \
		PLEXUS_SOURCE_ID=bench PLEXUS_GATEWAY_URL="http://127.0.0.1:$PORT" "$@"
}
start_sink() {   # start_sink NAME: bench/lib/sink.c; PORT
	rm -f "$D/$1.port"
	"$PLAIN/bench/lib/sink" "$D/$1.port" "$D/$1.stats" & SINK=$!; PIDS="$PIDS $SINK"
	waitport "$D/$1.port" sink
	PORT=$(cat "$D/$1.port")
}
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null; }

# pipeline NAME IN: plx-buffer | plx-upload from IN to $PORT, timed; WALL,
# CPU, WRITTEN (KiB the two sent to the disk: 512-byte blocks dirtied)
pipeline() {
	rm -f "$D/$1.db"*
	t0=$EPOCHREALTIME
	tool_env $TIME -o "$D/$1.tb" -f '%e %U %S %O' "$BIN/plx-buffer" -d "$D/$1.db" < "$2" 2>"$D/$1.berr" |
		tool_env $TIME -o "$D/$1.tu" -f '%e %U %S %O' "$BIN/plx-upload" -d "$D/$1.db" $UPARGS 2>"$D/$1.uerr"
	WALL=$(calc "$EPOCHREALTIME - $t0" 3)
	CPU=$(cat "$D/$1.tb" "$D/$1.tu" | awk '!/^Command/ { s += $2 + $3 } END { printf "%.3f", s }')
	WRITTEN=$(cat "$D/$1.tb" "$D/$1.tu" | awk '!/^Command/ { s += $4 } END { printf "%.0f", s / 2 }')
}
check() {   # check NAME N: the sink has N points, no _plx_seq, no errors
	local got
	got=$(field points "$D/$1.stats")
	if [ "$got" != "$2" ] || [ "$(field leaks "$D/$1.stats")" != 0 ] || [ "$(field errors "$D/$1.stats")" != 0 ]; then
		echo "bench/uplink.sh: $1: the sink counted $got of $2 points ($(cat "$D/$1.stats"))" >&2
		FAILS=$((FAILS + 1))
	fi
}

gen "$N" > "$D/in"
if [ "$NR" -le "$N" ]; then head -n "$NR" "$D/in" > "$D/in-relay"; else gen "$NR" > "$D/in-relay"; fi

# 1. loopback
start_sink loop
pipeline loop "$D/in"
stop "$SINK"; check loop "$N"
L_RATE=$(calc "$N / $WALL")
L_CPU=$(calc "$CPU / $N * 1000000" 2)
L_BPP=$(calc "$(field wire_bytes "$D/loop.stats") / $N" 2)
L_REQ=$(field requests "$D/loop.stats")

# 2. a long link: the relay in front of the sink
start_sink relay
$PY "$TOP/bench/relay.py" "$D/relay.port2" "$PORT" "$RTT" & RELAY=$!; PIDS="$PIDS $RELAY"
waitport "$D/relay.port2" relay
SINKPORT=$PORT; PORT=$(cat "$D/relay.port2")
pipeline relay "$D/in-relay"
stop "$RELAY"; stop "$SINK"; check relay "$NR"
R_RATE=$(calc "$NR / $WALL")
R_REQ=$(field requests "$D/relay.stats")
R_BPP=$(calc "$(field wire_bytes "$D/relay.stats") / $NR" 2)

# 3. latency at 20 points/s
rm -f "$D/lat.port"
$PY "$TOP/bench/latency-sink.py" "$D/lat.port" "$D/lat.result" & LSINK=$!; PIDS="$PIDS $LSINK"
waitport "$D/lat.port" latency-sink
PORT=$(cat "$D/lat.port")
# the generator writes to a fifo so that it runs beside the pipeline
mkfifo "$D/lat.fifo"
$PY -u -c '
import sys, time
n = int(sys.argv[1]); t = time.monotonic()
for i in range(n):
    t += 0.05
    time.sleep(max(0, t - time.monotonic()))
    print("{\"metric\":\"bench.latency\",\"value\":%d,\"tags\":{\"i\":\"%d\"}}" % (time.time_ns() // 1000, i), flush=True)
' "$LAT_N" > "$D/lat.fifo" &
pipeline lat "$D/lat.fifo"
stop "$LSINK"
LAT=$(cat "$D/lat.result")
LAT_KIB=$(calc "$WRITTEN / $LAT_N" 1)
[ "$WRITTEN" != 0 ] || LAT_KIB="- (none counted: is $D on a tmpfs?)"

[ "$(field n "$D/lat.result")" = "$LAT_N" ] || { echo "bench/uplink.sh: latency: $LAT of $LAT_N points" >&2; FAILS=$((FAILS + 1)); }

ok() { awk "BEGIN { exit !($1) }" && echo met || echo "NOT met"; }
cat <<EOT
uplink, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null), plx-upload ${UPARGS:-defaults}
  loopback, $N points:        $L_RATE points/s in $L_REQ requests   (target >= 300000: $(ok "$L_RATE >= 300000"))
  ${RTT} ms round trip, $NR:   $R_RATE points/s in $R_REQ requests   (target >= 100000: $(ok "$R_RATE >= 100000"))
  latency at 20 points/s:     $LAT   (target p50 <= 5, p99 <= 20: $(ok "$(field p50_ms "$D/lat.result") <= 5 && $(field p99_ms "$D/lat.result") <= 20"))
  request bytes per point:    $L_BPP loopback, $R_BPP long link ($(calc "$NR / $R_REQ") points a request)   (target <= 8: $(ok "$L_BPP <= 8"))
  CPU per million points:     $L_CPU s (plx-buffer + plx-upload)
  spool writes at 20 points/s: $LAT_KIB KiB a point (plx-buffer + plx-upload: pages dirtied)
EOT
[ "$FAILS" = 0 ]
