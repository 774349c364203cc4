#!/bin/sh
# serial-read parsing speed and memory, from a file (no port, no network):
# key=value and JSON lines per second, and peak RSS.  Targets (issue 4):
# >= 1,000,000 kv lines/s, >= 500,000 JSON lines/s, peak RSS <= 4 MiB.
#   bench/serial.sh [lines]        (make first; default 1,000,000 lines)
cd "$(dirname "$0")/.." || exit 1
n=${1:-1000000}
w=$(mktemp -d "${TMPDIR:-/tmp}/plx-bench-serial.XXXXXX") || exit 1
trap 'rm -rf "$w"' EXIT
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "t=%d.5 h=40.%d\n", i % 50, i % 10 }' > "$w/kv"
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"t\":%d.5,\"env\":{\"h\":40.%d}}\n", i % 50, i % 10 }' > "$w/json"
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\n" }' > "$w/nmea"
echo "# serial-read -r FILE --status-interval 0 > /dev/null, $n lines, 2 values a line (nmea: 6)"
for f in kv json nmea; do
	/usr/bin/time -f "%e %M" -o "$w/t" bin/serial-read -F $f --status-interval 0 -r "$w/$f" > /dev/null
	read -r secs rss < "$w/t"
	awk -v f=$f -v n="$n" -v s="$secs" -v r="$rss" -v b="$(wc -c < "$w/$f")" 'BEGIN {
		printf "%-5s %9.0f lines/s  %5.1f MB/s  peak RSS %5.2f MiB  (%s s)\n",
		       f, (s > 0 ? n / s : 0), (s > 0 ? b / s / 1e6 : 0), r / 1024, s }'
done

# A pty at 921600 baud's pace (92,160 bytes/s: 8N1 is 10 bits a byte) for
# PTY_SECS seconds (default 0: skipped; issue 4 asks for 60): lines written,
# records out, lines lost.  A pty has no baud rate: a writer paces itself.
secs=${PTY_SECS:-0}
[ "$secs" -gt 0 ] || exit 0
command -v socat >/dev/null || { echo "pty: socat not installed"; exit 0; }
socat pty,raw,echo=0,link="$w/dev" pty,raw,echo=0,link="$w/host" 2>/dev/null & sp=$!
i=0; while [ ! -e "$w/dev" ] || [ ! -e "$w/host" ]; do i=$((i + 1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
timeout --foreground -k 5 $((secs + 30)) bin/serial-read -b 921600 -F kv --status-interval 0 "$w/dev" > "$w/pty.out" 2>"$w/pty.err" & rp=$!
sleep 0.3
python3 - "$w/host" "$secs" <<'PY'
import sys, time
f = open(sys.argv[1], "wb", buffering=0)
secs = float(sys.argv[2]); rate = 92160.0
start = time.monotonic(); sent = 0; i = 0
while True:
    now = time.monotonic() - start
    if now >= secs:
        break
    due = int(now * rate)
    chunk = bytearray()
    while sent + len(chunk) < due:
        i += 1
        chunk += b"i=%d t=21.5\n" % i
    if chunk:
        f.write(chunk); sent += len(chunk)
    time.sleep(0.005)
open(sys.argv[1] + ".n", "w").write("%d %d\n" % (i, sent))
PY
sleep 1
kill -TERM $rp; wait $rp; kill $sp
read -r n bytes < "$w/host.n"
got=$(grep -c '"metric":"i"' "$w/pty.out")
echo "pty   $n lines ($bytes bytes, $((bytes * 10 / secs)) baud) in $secs s: $got records of i, $((n - got)) lost, $(wc -l < "$w/pty.err") stderr lines"
