#!/bin/bash
# plx-buffer alone: pass-through, validation, replay, modes, limits, damage,
# signals, kill -9.  A spool's contents are read back with plx-buffer itself
# (--status, follow) and with the sqlite3 shell.
. "$(dirname "$0")/lib.sh"
S=$T/spool.db
depth() { plx-buffer -d "${1:-$S}" --status | awk '$1 == "depth" { print $2 }'; }
counter() { plx-buffer -d "${2:-$S}" --status | awk -v k="$1" '$1 == k { print $2 }'; }
# is KEY SPOOL N: the spool (once it exists) shows N for KEY in --status
is() { [ -e "$2" ] && [ "$(counter "$1" "$2")" = "$3" ]; }

# pass-through: every record out, in order, tagged with its sequence number
gen 10000 | plx-buffer -d "$S" > "$T/out" 2>"$T/err"
eq "pass-through exits 0 at EOF with all 10000 records out" "$(wc -l < "$T/out")" 10000
check "records come out in order" sh -c "grep -o '\"value\":[0-9]*' '$T/out' | cut -d: -f2 | awk '\$1 != NR { exit 1 } END { exit NR != 10000 }'"
check "sequence numbers are consecutive" awk -F'[:,]' -v e=1 '{ if ($2 != e++) exit 1 }' "$T/out"
eq "nothing on stderr for valid input" "$(wc -c < "$T/err")" 0
eq "the spool holds them until acknowledged" "$(depth)" 10000

# replay: a restart emits everything never acknowledged, same sequence numbers
plx-buffer -d "$S" < /dev/null > "$T/replay"
check "restart replays all unacknowledged records unchanged" cmp -s "$T/out" "$T/replay"

# invalid lines: one stderr line each, naming the line, never spooled
S2=$T/v.db
printf '%s\n' '{"metric":"ok.one","value":1}' 'garbage' '{"metric":"","value":1}' \
	'{"metric":"m","value":"x","class":"metric"}' '{"metric":"m","value":1,"tags":{"a":1}}' \
	'{"metric":"m","value":1,"source_id":"Bad"}' '[1,2]' '' '{"metric":"ok.two","value":2}' |
	plx-buffer -d "$S2" > "$T/vout" 2>"$T/verr"
eq "invalid lines: valid ones pass" "$(grep -c ok\\. "$T/vout")" 2
eq "one stderr line per invalid line" "$(wc -l < "$T/verr")" 6
check "stderr names the line number and reason" grep -q '^plx-buffer: line 3: metric: empty$' "$T/verr"
eq "rejected counter" "$(counter rejected "$S2")" 6
head -c 70000 /dev/zero | tr '\0' 'x' > "$T/long"; echo >> "$T/long"
{ cat "$T/long"; echo '{"metric":"after.long","value":3}'; } | plx-buffer -d "$T/l.db" > "$T/lout" 2>"$T/lerr"
check "an overlong line is reported and the next one still read" \
	grep -q after.long "$T/lout"
check "overlong line message" grep -q 'line 1: longer than 65536 bytes' "$T/lerr"
printf '{"metric":"no.newline","value":4}' | plx-buffer -d "$T/n.db" > "$T/nout"
check "a last line without newline is kept" grep -q no.newline "$T/nout"

# a record that went through another plx-buffer loses its old sequence number
gen 3 | plx-buffer -d "$T/a.db" | plx-buffer -d "$T/b.db" > "$T/chain"
eq "chained buffers renumber" "$(grep -o '_plx_seq' "$T/chain" | wc -l)-$(grep -o '_plx_spool' "$T/chain" | wc -l)-$(head -1 "$T/chain" | cut -c1-14)" '3-3-{"_plx_seq":1,'

# append-only writers and one follow drainer on one spool
S3=$T/shared.db
plx-buffer -d "$S3" -a < /dev/null
bg plx-buffer -d "$S3" -f > "$T/follow"
fpid=$!
gen 5000 1 | plx-buffer -d "$S3" -a & w1=$!
gen 5000 100001 | plx-buffer -d "$S3" -a & w2=$!
gen 5000 200001 | plx-buffer -d "$S3" -a & w3=$!
wait $w1 $w2 $w3
wait_for 10 sh -c "[ \$(wc -l < '$T/follow') -ge 15000 ]"
kill $fpid; wait $fpid 2>/dev/null
eq "three writers, one drainer: every record once" "$(values "$T/follow" | wc -l)-$(wc -l < "$T/follow")" "15000-15000"
check "follow output in sequence order" sh -c "grep -o '^{\"_plx_seq\":[0-9]*' '$T/follow' | cut -d: -f2 | sort -n -c"

# pass-through beside other writers: its own rows go straight out, the
# others' are read back; every row once, in sequence order
S4=$T/mix.db
{ for i in 1 2 3 4 5; do
	gen 2000 $((i * 10000))
	gen 1000 $((100000 + i * 1000)) | plx-buffer -d "$S4" -a
	sleep 0.2
done; } | plx-buffer -d "$S4" > "$T/mix"
eq "pass-through with a writer beside it: every row once" "$(values "$T/mix" | wc -l)-$(wc -l < "$T/mix")" "15000-15000"
check "... with consecutive sequence numbers" awk -F'[:,]' -v e=1 '{ if ($2 != e++) exit 1 }' "$T/mix"

# overflow policies
gen 1000 | plx-buffer -d "$T/o1.db" -a --max-rows 100
eq "drop-oldest keeps the newest 100" "$(depth "$T/o1.db")-$(counter dropped "$T/o1.db")" "100-900"
plx-buffer -d "$T/o1.db" < /dev/null > "$T/o1out"
eq "drop-oldest kept the last records" "$(values "$T/o1out" | head -1)" 901
gen 1000 | plx-buffer -d "$T/o2.db" -a --max-rows 100 --overflow drop-newest
plx-buffer -d "$T/o2.db" < /dev/null > "$T/o2out"
eq "drop-newest keeps the first 100" "$(values "$T/o2out" | tail -1)-$(counter dropped "$T/o2.db")" "100-900"
gen 1000 | plx-buffer -d "$T/o3.db" -a --max-bytes 10k
b=$(counter bytes "$T/o3.db")
check "max-bytes bounds the spool ($b bytes)" [ "$b" -le 10240 -a "$b" -gt 9000 ]
gen 10 | plx-buffer -d "$T/age.db" -a
# an appender with --max-age 1, its input held open (fd 8) until it has
# dropped them, once older than 1 s
mkfifo "$T/age.in"
plx-buffer -d "$T/age.db" -a --max-age 1 < "$T/age.in" & ap=$!
exec 8>"$T/age.in"
check "max-age drops old records" wait_for 20 is dropped "$T/age.db" 10
exec 8>&-; wait $ap
eq "... and the spool is empty" "$(depth "$T/age.db")" 0

# a stopped consumer does not stall the input: the backlog goes to disk
# (the consumer reads nothing until $T/go exists)
gen 30000 | plx-buffer -d "$T/slow.db" | { wait_for 60 test -e "$T/go"; cat > "$T/slowout"; } &
check "input fully spooled while downstream is stopped" wait_for 20 is accepted "$T/slow.db" 30000
touch "$T/go"
wait
eq "and all of it emitted afterwards" "$(wc -l < "$T/slowout")" 30000

# SIGTERM while the input is still open (held on fd 8): exit 0, what was
# read kept
mkfifo "$T/term.in"
plx-buffer -d "$T/term.db" -a < "$T/term.in" & tp=$!
exec 8>"$T/term.in"
gen 10 >&8
check "records appended while the input is open" wait_for 20 is depth "$T/term.db" 10
kill -TERM $tp
# the writer upstream, stopped by the same signal, prints its last record
gen 1 >&8
exec 8>&-
wait $tp; rc=$?
eq "SIGTERM: exit 0, the records kept, and the writer's last one after the signal" \
	"$rc-$(depth "$T/term.db")" "0-11"
# a writer that does not end: 3 s at most
plx-buffer -d "$T/term.db" -a < "$T/term.in" & tp=$!
exec 8>"$T/term.in"
gen 2 >&8
check "-a, input open: records appended" wait_for 20 is depth "$T/term.db" 13
kill -TERM $tp
check "a writer that never closes: stopped after the wait" wait_for 20 sh -c "! kill -0 $tp 2>/dev/null"
wait $tp; rc=$?
exec 8>&-
eq "... exit 0, every record kept" "$rc-$(depth "$T/term.db")" "0-13"

# SIGHUP: what was read is committed, the spool reopened, read again from
# its lowest row not acknowledged, and the run goes on (the input held open
# on fd 8)
mkfifo "$T/hup.in"
PLEXUS_QUIET= plx-buffer -d "$T/hup.db" < "$T/hup.in" > "$T/hupout" 2>"$T/huperr" & hp=$!
exec 8>"$T/hup.in"
gen 5 >&8
check "before SIGHUP: the first records out" wait_for 20 sh -c "[ \$(wc -l < '$T/hupout') -eq 5 ]"
kill -HUP $hp
check "SIGHUP: the spool reopened" wait_for 20 grep -q "reopened spool $T/hup.db" "$T/huperr"
gen 5 6 >&8
check "after SIGHUP: the unacknowledged records again, then the next ones" wait_for 20 sh -c "[ \$(wc -l < '$T/hupout') -eq 15 ]"
exec 8>&-; wait $hp; rc=$?
eq "after SIGHUP: exit 0 at the end of input, sequence numbers 1 to 5, then 1 to 10" \
	"$rc-$(grep -o '^{"_plx_seq":[0-9]*' "$T/hupout" | cut -d: -f2 | tr '\n' ' ')" "0-1 2 3 4 5 1 2 3 4 5 6 7 8 9 10 "

# the consumer gone (EPIPE): exit 74, and what it did not take stays
gen 20000 | plx-buffer -d "$T/pipe.db" 2>"$T/pipeerr" | head -1 >/dev/null
eq "stdout closed: exit 74" "${PIPESTATUS[1]}" 74
check "stdout closed: said" grep -q '^plx-buffer: stdout closed: unacknowledged records stay in the spool$' "$T/pipeerr"
acc=$(counter accepted "$T/pipe.db")
check "stdout closed: the $acc records read stay in the spool" [ "$acc" -gt 0 -a "$(depth "$T/pipe.db")" = "$acc" ]

# bad lines: at most 20 a second said, the rest as a count; all counted
awk 'BEGIN { for (i = 0; i < 5000; i++) print "junk " i }' | plx-buffer -d "$T/junk.db" -a 2>"$T/junkerr"
n=$(grep -c '^plx-buffer: line [0-9]*: ' "$T/junkerr")
check "5000 bad lines: a few said ($n)" [ "$n" -ge 20 -a "$n" -lt 200 ]
check "5000 bad lines: the others said as a count" grep -q 'more bad lines not shown' "$T/junkerr"
eq "5000 bad lines: all counted" "$(counter rejected "$T/junk.db")" 5000

# kill -9 mid-stream (the input held open on fd 8, so it cannot have
# ended): everything committed survives and is replayed
mkfifo "$T/k.in"
plx-buffer -d "$T/k.db" < "$T/k.in" > "$T/kout" 2>/dev/null & kp=$!
exec 8>"$T/k.in"
gen 300000 >&8 2>/dev/null &
check "plx-buffer emits what it committed" wait_for 20 test -s "$T/kout"
kill -9 $kp; exec 8>&-; wait $kp 2>/dev/null; wait
acc=$(counter accepted "$T/k.db")
plx-buffer -d "$T/k.db" < /dev/null > "$T/kreplay"
check "kill -9 after $acc records: all committed ones replayed" [ "$acc" -gt 0 -a "$(wc -l < "$T/kreplay")" -eq "$acc" ]
eq "replay holds the first records in order" "$(values "$T/kreplay" | head -1)-$(values "$T/kreplay" | tail -1)" "1-$acc"
check "no sequence number is emitted twice in one run" sh -c "[ \$(grep -o '^{\"_plx_seq\":[0-9]*' '$T/kreplay' | sort -u | wc -l) -eq $acc ]"

# a damaged spool is set aside and a fresh one started
gen 5 | plx-buffer -d "$T/d.db" -a
printf 'this is not a database at all, not at all.........................' | dd of="$T/d.db" conv=notrunc 2>/dev/null
gen 3 | plx-buffer -d "$T/d.db" > "$T/dout" 2>"$T/derr"; rc=$?
eq "damaged spool: exit 0 and new records pass" "$rc-$(wc -l < "$T/dout")" "0-3"
check "damaged spool: reported on stderr" grep -q 'is damaged.*set aside as' "$T/derr"
check "damaged spool: the old file kept aside" sh -c "ls '$T'/d.db.damaged-* >/dev/null"
gen 20000 | plx-buffer -d "$T/d2.db" -a
sz=$(stat -c %s "$T/d2.db")
dd if=/dev/urandom of="$T/d2.db" bs=4096 seek=$((sz / 4096 / 2)) count=4 conv=notrunc 2>/dev/null
gen 3 | plx-buffer -d "$T/d2.db" > "$T/d2out" 2>"$T/d2err"
check "damage in the middle of the file is found at start" grep -q 'is damaged' "$T/d2err"
n=$(sed -n 's/.* \([0-9]*\) records salvaged into it.*/\1/p' "$T/d2err")
eq "and the fresh spool works: the rows salvaged and the 3 new ones out" "$(wc -l < "$T/d2out")" $(( ${n:-0} + 3 ))

# dead letters: listed and requeued (rows put there as plx-upload does)
gen 2 | plx-buffer -d "$T/dl.db" -a
sqlite3 "$T/dl.db" "INSERT INTO dead VALUES (99, 1, 400, 'points[0]: bad', '{\"metric\":\"x.dead\",\"value\":1}'); UPDATE stats SET dead = 1"
check "--dead lists a dead letter as JSON" sh -c "plx-buffer -d '$T/dl.db' --dead | grep -q '\"seq\":99,.*\"status\":400,\"error\":\"points\[0\]: bad\",\"record\":{\"metric\":\"x.dead\"'"
plx-buffer -d "$T/dl.db" --requeue-dead 2>/dev/null
eq "--requeue-dead puts it back in the queue" "$(depth "$T/dl.db")-$(counter dead "$T/dl.db")" "3-0"

# usage
plx-buffer --bogus 2>/dev/null; eq "unknown option: exit 64" $? 64
plx-buffer -d "$S" --max-rows x 2>/dev/null; eq "bad number: exit 64" $? 64
plx-buffer -d "$S" -a --commit-ms 1.5s --poll-ms 250ms --max-age 2h --status-interval 1m </dev/null
eq "durations with a unit" $? 0
plx-buffer -d "$S" --commit-ms 2x 2>/dev/null; eq "a bad duration: exit 64" $? 64
plx-buffer -d "$S" --status --stale 2h >/dev/null; eq "--status --stale 2h: the waiting records are not stale" $? 0
plx-buffer -d "$S" --status --stale 1ms >/dev/null; eq "--status --stale 1ms: they are" $? 1
timeout 10 plx-buffer -d "$S" -a -f >/dev/null 2>&1; eq "-a and -f together: exit 64" $? 64
eq "-h prints the man page synopsis" "$(plx-buffer -h | head -1 | cut -c1-30)" "usage: plx-buffer [-af] [-d sp"
eq "-h lists the options, a line each" "$(plx-buffer -h | sed '1,/^$/d' | grep -c '^ *-')" 21
check "-h: durations named as such" sh -c "plx-buffer -h | grep -q -- '--commit-ms DURATION'"
