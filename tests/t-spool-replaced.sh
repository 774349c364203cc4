#!/bin/bash
# The spool file deleted or replaced under a running plx-buffer: noticed
# within a second, said, reopened, the rows of the old file moved into the
# new one, and the drainer reads again from the lowest row not acknowledged
# (after SIGHUP too).
. "$(dirname "$0")/lib.sh"
need sqlite3
counter() { plx-buffer -d "$2" --status | awk -v k="$1" '$1 == k { print $2 }'; }
lines() { [ "$(wc -l < "$1")" -ge "$2" ]; }
has() { grep -q "\"value\":$2," "$1"; }

# a pass-through plx-buffer whose spool is deleted midway
S=$T/a.db
{ gen 100; wait_for 20 test -e "$T/go"; gen 100 101; } | plx-buffer -d "$S" > "$T/a.out" 2>"$T/a.err" & pid=$!
wait_for 10 lines "$T/a.out" 100
rm "$S" "$S-wal" "$S-shm"
check "a deleted spool is noticed and said" wait_for 5 grep -q "spool $S was deleted while open: reopened, 100 records not yet acknowledged moved into it" "$T/a.err"
touch "$T/go"
wait $pid
eq "... exit 0" $? 0
eq "... no record lost: the new file holds all 200" "$(counter depth "$S")" 200
eq "... and every one went out" "$(values "$T/a.out" | wc -l)" 200

# a drainer (follow) whose spool is replaced by another
S=$T/b.db
gen 10 | plx-buffer -a -d "$S"
plx-buffer -f -d "$S" --poll-ms 20ms > "$T/b.out" 2>"$T/b.err" & pid=$!
_pids="$_pids $pid"
wait_for 10 lines "$T/b.out" 10
gen 5 1001 | plx-buffer -a -d "$T/new.db"
rm "$S-wal" "$S-shm"; mv "$T/new.db" "$S"
check "a replaced spool is noticed and said" wait_for 5 grep -q "spool $S was replaced while open" "$T/b.err"
check "... the drainer reads the new file from its first row" wait_for 5 has "$T/b.out" 1001
gen 3 2001 | plx-buffer -a -d "$S"
check "... and what is added to it afterwards" wait_for 5 has "$T/b.out" 2003
check "... the old file's rows moved into it, none stranded" wait_for 5 sh -c "[ \$(plx-buffer -d '$S' --status | awk '\$1 == \"depth\" { print \$2 }') = 18 ]"

# SIGHUP: the drainer starts again from the lowest row not acknowledged
: > "$T/b.out"
sqlite3 "$S" "DELETE FROM records WHERE seq = 2; INSERT INTO records(seq, t, data) VALUES (2, 0, '{\"metric\":\"test.value\",\"value\":3001,\"timestamp\":1}')"
kill -HUP $pid
check "after SIGHUP a row with a lower seq than the cursor is sent" wait_for 5 has "$T/b.out" 3001
check "... and so is every row not acknowledged, again" wait_for 5 has "$T/b.out" 1
kill $pid; wait $pid 2>/dev/null

# the drainer and plx-upload together: the spool replaced under both, the
# new file's rows delivered and acknowledged to it
export PLEXUS_API_KEY=plx_test
start_server s --key plx_test
S=$T/c.db
depth() { plx-buffer -d "$S" --status 2>/dev/null | awk '$1 == "depth" { print $2 }'; }
empty() { [ "$(depth)" = 0 ]; }
gen 10 | plx-buffer -a -d "$S"
mkfifo "$T/c.pipe"
# (each stage a process of its own, so that cleanup stops both)
bg sh -c 'exec plx-buffer -f -d "$1" --poll-ms 20ms > "$2/c.pipe" 2>"$2/cf.err"' - "$S" "$T"
bg sh -c 'exec plx-upload -d "$1" --batch-ms 10 --status-interval 0 < "$2/c.pipe" 2>"$2/cu.err"' - "$S" "$T"
wait_for 20 empty
gen 5 4001 | plx-buffer -a -d "$T/c2.db"
rm "$S-wal" "$S-shm"; mv "$T/c2.db" "$S"
check "plx-upload: the replaced spool said" wait_for 10 grep -q "spool $S was deleted or replaced: acknowledging to the file now there" "$T/cu.err"
check "... the new file's records delivered" wait_for 10 grep -q '"value": *4005' "$T/s.store"
check "... and acknowledged to it: nothing waits" wait_for 10 empty
