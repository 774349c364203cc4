#!/bin/bash
# Batches: bounded by points, bytes and time; bodies over 1 KiB gzipped; one
# connection kept alive; records reach the store exactly as read, without
# plx-buffer's sequence key.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 30 "$BIN/plx-upload" "$@"; }
export PLEXUS_API_KEY=plx_test
start_server s --key plx_test

# stat NAME: one number from the server's counters.
stat() { stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
fresh() { curl -s -X POST "$PLEXUS_GATEWAY_URL/_control/reset_stats" >/dev/null; : >"$T/s.store"; }
all() { seq "$1" | tr '\n' ' '; }
# bursts N ARGS...: plx-upload ARGS on an input held open (a fifo on fd 7)
# until its first N records are stored; then N more, and the input ends.
bursts() {
	n=$1; shift
	rm -f "$T/in"; mkfifo "$T/in"
	plx-upload "$@" <"$T/in" & bp=$!
	exec 7>"$T/in"
	gen "$n" >&7
	check "$*: the first $n records delivered while the input is open" \
		wait_for 20 sh -c "[ \$(wc -l <'$T/s.store') -eq $n ]"
	gen "$n" $((n + 1)) >&7
	exec 7>&-
	wait $bp
}

# By points.
fresh
gen 1000 >"$T/gen.in"; plx-upload <"$T/gen.in" --batch-points 100
eq "points: exit 0" $? 0
eq "points: 10 requests of 100" "$(stat requests) $(stat max_points_in_request)" "10 100"
eq "points: every record stored once" "$(values "$T/s.store" | tr '\n' ' ')" "$(all 1000)"
eq "points: no duplicates" "$(wc -l <"$T/s.store")" 1000
n=$(stat keepalive_reuses)
check "keep-alive: 10 requests on at most 4 connections ($n reused)" [ "$n" -ge 6 ]
eq "gzip: every body over 1 KiB gzipped" "$(stat gzip_requests)" 10
check "User-Agent plx-upload/VERSION" sh -c "curl -s $PLEXUS_GATEWAY_URL/_control/stats | grep -q '\"plx-upload/[0-9.]*\"'"

# The window: up to --in-flight (4) requests at once, never more; every
# record once, whichever answers first.
fresh
faults '[{"delay":1},{"delay":1},{"delay":1},{"delay":1},{"delay":1},{"delay":1}]'
gen 3000 >"$T/3000"
plx-upload --batch-points 500 <"$T/3000"
eq "window: exit 0, 6 requests, 4 at once" "$? $(stat requests) $(stat max_in_flight)" "0 6 4"
eq "window: every record once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$(all 3000)|3000"
fresh
faults '[{"delay":0.5},{"delay":0.5},{"delay":0.5}]'
plx-upload --batch-points 500 --in-flight 2 <"$T/3000"
eq "--in-flight 2: 2 at once" "$? $(stat max_in_flight)" "0 2"
fresh
faults '[{"delay":0.5},{"delay":0.5}]'
plx-upload --batch-points 500 --in-flight 1 <"$T/3000"
eq "--in-flight 1: one at a time, one connection" "$? $(stat max_in_flight) $(stat keepalive_reuses)" "0 1 5"

# Default batch: 5,000 points, when the input is there already.
fresh
gen 12000 >"$T/12000"
plx-upload <"$T/12000"
eq "default: 5000 points a request" "$(stat requests) $(stat max_points_in_request)" "3 5000"

# Live: what arrives while a request is in flight gathers into the next
# batch, the writer not held up by a full pipe, and goes as one when the
# request is answered (not in pipe-sized pieces).
fresh
faults '[{"delay":3}]'
rm -f "$T/g.in"; mkfifo "$T/g.in"
plx-upload --batch-ms 0 <"$T/g.in" & gp=$!
exec 7>"$T/g.in"
gen 1 >&7
gen 3000 2 >&7
exec 7>&-
wait $gp
eq "live: exit 0" $? 0
n=$(stat requests)
check "live: 3000 records (450 KB) written during a request go in one more ($n requests)" [ "$n" -le 2 ]
eq "live: every record once" "$(values "$T/s.store" | tr '\n' ' ')|$(wc -l <"$T/s.store")" "$(all 3001)|3001"

# By bytes: about 80 bytes a record, 4 KiB bodies.
fresh
gen 1000 >"$T/gen.in"; plx-upload <"$T/gen.in" --batch-bytes 4k
n=$(stat requests) max=$(stat max_decoded_bytes)
check "bytes: no body over 4096 bytes ($max)" [ "$max" -le 4096 ]
check "bytes: bodies filled close to the limit ($max)" [ "$max" -gt 3800 ]
check "bytes: about 1000 * 80 / 4096 requests ($n)" [ "$n" -ge 19 -a "$n" -le 25 ]
eq "bytes: every record stored" "$(values "$T/s.store" | wc -l)" 1000

# By time: a batch leaves --batch-ms after its first record, full or not.
fresh
bursts 3 --batch-ms 300ms
eq "time: exit 0" $? 0
eq "time: 2 requests" "$(stat requests)" 2
eq "time: all 6 stored" "$(values "$T/s.store" | tr '\n' ' ')" "$(all 6)"

# Small bodies are not gzipped; -z 0 never gzips.
fresh
gen 3 >"$T/gen.in"; plx-upload <"$T/gen.in"
eq "small body: not gzipped" "$(stat requests) $(stat gzip_requests)" "1 0"
fresh
gen 1000 >"$T/gen.in"; plx-upload <"$T/gen.in" -z 0
eq "-z 0: not gzipped" "$(stat requests) $(stat gzip_requests)" "1 0"
fresh
gen 1000 >"$T/gen.in"; plx-upload <"$T/gen.in" -z 9
eq "-z 9: gzipped" "$(stat requests) $(stat gzip_requests)" "1 1"
eq "-z 9: all stored" "$(values "$T/s.store" | wc -l)" 1000

# Exact content: what is read is what is stored, plus the envelope's
# source_id; plx-buffer's _plx_seq never reaches the wire.
fresh
awk 'BEGIN { for (i = 1; i <= 500; i++)
	printf "{\"_plx_seq\":%d,\"class\":\"event\",\"metric\":\"door.state\",\"value\":{\"open\":true,\"n\":%d},\"timestamp\":%.0f,\"tags\":{\"door\":\"d%d\",\"s\":\"<&>\\u00e9\"}}\n",
	i, i, 1763800000000 + i, i % 7 }' >"$T/seq.in"
plx-upload -s gw-1 <"$T/seq.in" 2>"$T/err"
eq "seq: exit 0" $? 0
eq "seq: never on the wire" "$(grep -c _plx_seq "$T/s.store")" 0
sed 's/^{"_plx_seq":[0-9]*,/{/; s/}$/,"source_id":"gw-1"}/' "$T/seq.in" | sed 's/\\u00e9/é/' >"$T/want"
check "seq: records stored exactly as read, source_id from -s" cmp -s "$T/want" "$T/s.store"
eq "seq without a spool: warned once" "$(grep -c 'no spool is given' "$T/err")" 1

# --batch-ms 0: whatever has arrived goes at once.
fresh
bursts 2 --batch-ms 0
eq "--batch-ms 0: one request per burst" "$(stat requests)" 2

# A metric goes without its "class", which the server infers from the
# number, wherever the key is in its compact form; an event, a "class" key
# in the tags and one written with spaces, as read.
fresh
cat >"$T/cls.in" <<'EOT'
{"class":"metric","metric":"env.t","value":-21.5,"timestamp":1763800000001,"tags":{"room":"a"}}
{"class":"event","metric":"door","value":"open","timestamp":1763800000002}
{"class":"metric","metric":"env.t","tags":{"value":"x"},"value":3,"timestamp":1763800000003}
{"metric":"env.t","class":"metric","value":4,"timestamp":1763800000004}
{"metric":"env.t","value":5,"timestamp":1763800000005,"class":"metric"}
{"metric":"env.t","value":6,"tags":{"class":"metric"},"timestamp":1763800000006}
{"metric":"env.t", "class" : "metric","value":7,"timestamp":1763800000007}
EOT
plx-upload -s gw-1 <"$T/cls.in" 2>"$T/err"
eq "class: exit 0, all stored" "$? $(wc -l <"$T/s.store")" "0 7"
cat >"$T/want" <<'EOT'
{"metric":"env.t","value":-21.5,"timestamp":1763800000001,"tags":{"room":"a"},"source_id":"gw-1"}
{"class":"event","metric":"door","value":"open","timestamp":1763800000002,"source_id":"gw-1"}
{"metric":"env.t","tags":{"value":"x"},"value":3,"timestamp":1763800000003,"source_id":"gw-1"}
{"metric":"env.t","value":4,"timestamp":1763800000004,"source_id":"gw-1"}
{"metric":"env.t","value":5,"timestamp":1763800000005,"source_id":"gw-1"}
{"metric":"env.t","value":6,"tags":{"class":"metric"},"timestamp":1763800000006,"source_id":"gw-1"}
{"metric":"env.t","class":"metric","value":7,"timestamp":1763800000007,"source_id":"gw-1"}
EOT
check "class: a metric goes without it" cmp -s "$T/want" "$T/s.store" || diff "$T/want" "$T/s.store"
