#!/bin/bash
# plx-buffer --status as a health check: an exit status for each thing
# wrong (plx-buffer(1), EXIT STATUS), the reason on its health line.
. "$(dirname "$0")/lib.sh"
S=$T/spool.db
st() { plx-buffer -d "$S" "$@" --status > "$T/st" 2>/dev/null; echo "$?-$(awk '$1 == "health" { print $2 }' "$T/st")"; }

gen 10 | plx-buffer -a -d "$S"
eq "records waiting, not for long: 0, health ok" "$(st)" "0-ok"
check "no upload yet: said so, not a status 0" sh -c "grep -q '^upload_status *none: no upload yet' '$T/st' && ! grep -q '^upload_status *0' '$T/st'"

eq "more than --backlog waiting: 2" "$(st --backlog 5)" "2-backlog:"
eq "... not more: 0" "$(st --backlog 10)" "0-ok"
eq "a record waited longer than --stale: 1" "$(st --stale 1ms --backlog 5)" "1-stale:"

# dead letters nobody looked at: 6, until plx-buffer --dead listed them
# (rows put there as plx-upload buries them)
bury() { sqlite3 "$S" "INSERT INTO dead VALUES ($1, 1, 400, 'points[0]: bad', '{\"metric\":\"x.dead\",\"value\":1}'); UPDATE stats SET dead = dead + 1"; }
bury 101
eq "a dead letter not looked at: 6" "$(st)" "6-dead"
eq "... --status never marks it seen" "$(st)" "6-dead"
plx-buffer -d "$S" --dead > /dev/null
eq "listed with --dead: 0" "$(st)" "0-ok"
bury 102
eq "a newer one: 6 again" "$(st)" "6-dead"
plx-buffer -d "$S" --requeue-dead 2>/dev/null
eq "requeued: 0" "$(st)" "0-ok"
# a spool from before the mark (no dead_seen table): --status, which only
# looks, counts every dead letter unseen; --dead adds the table and marks
gen 1 | plx-buffer -a -d "$T/old.db"
sqlite3 "$T/old.db" "DROP TABLE dead_seen; INSERT INTO dead VALUES (7, 1, 400, 'bad', '{}'); UPDATE stats SET dead = 1"
eq "a spool from before the mark, a dead letter: 6" "$(plx-buffer -d "$T/old.db" --status >/dev/null 2>&1; echo $?)" 6
check "... --status left it as it was (no table made)" sh -c "! sqlite3 '$T/old.db' .tables | grep -q dead_seen"
plx-buffer -d "$T/old.db" --dead > /dev/null
eq "... listed with --dead: 0" "$(plx-buffer -d "$T/old.db" --status >/dev/null 2>&1; echo $?)" 0

# the key refused by the server at the last upload: 3
export PLEXUS_API_KEY=plx_wrong
start_server s --key plx_test
plx-buffer -d "$S" < /dev/null | plx-upload -d "$S" --auth-retry 1h --status-interval 0 2>/dev/null & pid=$!
_pids="$_pids $pid"
check "plx-upload told the key is refused" wait_for 20 sh -c "plx-buffer -d '$S' --status | grep -q '^upload_status *401'"
eq "the key refused (401): 3, whatever else" "$(st --stale 1ms --backlog 5)" "3-refused:"
kill $pid 2>/dev/null

# a known device silent: 7, named; its reader's liveness records (lib/live.c)
# fed by hand, as a reader writes them through plx-buffer -a
unset PLEXUS_API_KEY
S=$T/live.db
live() {   # live READER DEVICE CONNECTED SILENT
	echo "{\"metric\":\"gateway.$1.device.connected\",\"value\":$3,\"timestamp\":1,\"tags\":{\"device\":\"$2\"}}"
	echo "{\"metric\":\"gateway.$1.device.silent\",\"value\":$4,\"timestamp\":1,\"tags\":{\"device\":\"$2\"}}"
}
{ live modbus meter-a 1 0; live modbus meter-b 1 0; } | plx-buffer -a -d "$S"
eq "two devices speaking: 0" "$(st)" "0-ok"
check "... counted" grep -q '^devices  *2$' "$T/st"
live modbus meter-b 1 1 | plx-buffer -a -d "$S"
eq "one silent: 7" "$(st)" "7-silent:"
check "... named, with its reader" grep -q '^health .*modbus/meter-b (silent)' "$T/st"
check "... the other not" sh -c "! grep -q 'meter-a' '$T/st'"
eq "... but a stale record first: 1" "$(st --stale 1ms)" "1-stale:"
live modbus meter-b 1 0 | plx-buffer -a -d "$S"
eq "speaking again: 0" "$(st)" "0-ok"
# its reader stopped: no liveness records came for longer than --stale
sqlite3 "$S" "UPDATE devices SET updated = updated - 1000000 WHERE device = 'meter-a'"
eq "a device whose liveness records stopped (16 min > --stale 900s): 7" "$(st)" "7-silent:"
check "... said: its reader is down" grep -q 'modbus/meter-a (no liveness records: its reader is down)' "$T/st"
check "... and how to forget one removed for good" grep -q '; one removed for good: plx-buffer --forget-device READER/NAME$' "$T/st"
eq "... not within a longer --stale: 0" "$(st --stale 1h)" "0-ok"
# a device removed for good is forgotten, by its name as --status gives it,
# while a plx-buffer has the spool open
mkfifo "$T/held"
plx-buffer -a -d "$S" <"$T/held" & pid=$!
_pids="$_pids $pid"
exec 9>"$T/held"
eq "--forget-device modbus/meter-a: 0" "$(plx-buffer -d "$S" --forget-device modbus/meter-a 2>"$T/fe"; echo $?)" 0
check "... said" grep -q 'forgot modbus/meter-a' "$T/fe"
eq "... --status: 0" "$(st)" "0-ok"
check "... one device left" grep -q '^devices  *1$' "$T/st"
eq "... again: 1, none such" "$(plx-buffer -d "$S" --forget-device modbus/meter-a 2>"$T/fe"; echo $?)" 1
check "... said" grep -q 'no device modbus/meter-a in' "$T/fe"
exec 9>&-
wait $pid
live modbus meter-a 1 0 | plx-buffer -a -d "$S"
check "named by a liveness record again: known again" sh -c "plx-buffer -d '$S' --status | grep -q '^devices  *2$'"
{ live can ecu-1 1 1; live can ecu-2 1 1; } | plx-buffer -a -d "$S"
eq "two of another reader silent: 7" "$(st)" "7-silent:"
eq "--forget-device can (every one of the reader's): 0" "$(plx-buffer -d "$S" --forget-device can 2>"$T/fe"; echo $?)" 0
check "... said" grep -q 'forgot 2 devices of can' "$T/fe"
eq "... --status: 0, modbus's kept" "$(st)" "0-ok"
check "... two devices" grep -q '^devices  *2$' "$T/st"
eq "--forget-device with --status: usage, 64" "$(plx-buffer -d "$S" --status --forget-device can >/dev/null 2>&1; echo $?)" 64
# a spool from before the devices table: no device known, no failure
sqlite3 "$S" "DROP TABLE devices"
eq "a spool without the devices table: 0" "$(st)" "0-ok"
