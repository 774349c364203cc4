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
