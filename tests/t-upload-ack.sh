#!/bin/bash
# Acknowledgements while another writer (plx-buffer's transaction) holds the
# spool's lock: the uploader goes on delivering (its acknowledging thread
# waits) rather than stalling on the first one, and once the lock is free
# every delivered row is deleted, none other.
. "$(dirname "$0")/lib.sh"
export PLEXUS_API_KEY=plx_test
start_server s --key plx_test
need sqlite3

rows() { sqlite3 "$1" "SELECT count(*) FROM records"; }
# hold SPOOL SECONDS: the write lock taken (BEGIN IMMEDIATE) for that long; at
# the end, before it is let go, the lines the server has stored go into $T/at-release
hold() {
	rm -f "$T/locked"
	sqlite3 "$1" <<-EOT >/dev/null &
		BEGIN IMMEDIATE;
		.shell echo locked >"$T/locked"
		.shell sleep $2; wc -l <"$T/s.store" >"$T/at-release"
		COMMIT;
	EOT
	hp=$!
	wait_for 10 test -s "$T/locked"
}

for secs in 0.8 2.5; do
	rm -f "$T/sp.db"* "$T/at-release"; : >"$T/s.store"
	gen 2000 | "$BIN/plx-buffer" -d "$T/sp.db" >"$T/emitted" 2>"$T/b.err"
	eq "lock $secs s: 2000 rows spooled" "$(rows "$T/sp.db") $(wc -l <"$T/emitted")" "2000 2000"
	# plx-upload running (its spool open, a first record delivered), then the lock, then the rest
	rm -f "$T/in"; mkfifo "$T/in"
	timeout 60 "$BIN/plx-upload" -d "$T/sp.db" --batch-points 200 --in-flight 1 <"$T/in" 2>"$T/u.err" & up=$!
	exec 7>"$T/in"
	head -1 "$T/emitted" >&7
	wait_for 10 test -s "$T/s.store"
	hold "$T/sp.db" "$secs"
	tail -n +2 "$T/emitted" >&7
	exec 7>&-
	wait $up
	rc=$?
	wait $hp
	eq "lock $secs s: exit 0" "$rc" 0
	n=$(cat "$T/at-release")
	check "lock $secs s: batches delivered while the lock was held, not one ($n points)" [ "$n" -gt 600 ]
	eq "lock $secs s: every record delivered once" "$(values "$T/s.store" | wc -l) $(wc -l <"$T/s.store")" "2000 2000"
	eq "lock $secs s: every delivered row acknowledged" "$(rows "$T/sp.db")" 0
	check "lock $secs s: no warning" [ ! -s "$T/u.err" ] || cat "$T/u.err"
done

# A live stream at 20 points/s: every point goes alone, but their
# acknowledgements are gathered, a transaction a second (ACK_MS), each
# of which rewrites pages of the spool's WAL (flash wear: bench/uplink.sh, bench/README.md);
# the last ones go within the second, with plx-upload still running.
rm -f "$T/sp.db"*; : >"$T/s.store"; rm -f "$T/in"; mkfifo "$T/in"
timeout 60 sh -c "'$BIN/plx-buffer' -d '$T/sp.db' <'$T/in' | '$BIN/plx-upload' -d '$T/sp.db'" 2>"$T/u.err" & up=$!
exec 7>"$T/in"
for i in $(seq 60); do echo "{\"metric\":\"m\",\"value\":$i}" >&7; sleep 0.05; done &
feeder=$!
: >"$T/acked"
while kill -0 $feeder 2>/dev/null; do
	sqlite3 "$T/sp.db" "SELECT acked FROM stats" >>"$T/acked" 2>/dev/null
	sleep 0.03
done
wait $feeder
eq "20 points/s: each point its own request" "$(wc -l <"$T/s.store")" 60
steps=$(sort -n -u "$T/acked" | wc -l)
check "20 points/s: acknowledged in a few transactions, not one a point ($steps acked counts seen)" [ "$steps" -le 8 ]
check "20 points/s: the last ones acknowledged within seconds, plx-upload running" wait_for 5 sh -c "[ \$(sqlite3 '$T/sp.db' 'SELECT count(*) FROM records') = 0 ]"
check "20 points/s: plx-upload still running" kill -0 $up
exec 7>&-
wait $up
eq "20 points/s: exit 0, every point acknowledged" "$?-$(rows "$T/sp.db")" "0-0"
