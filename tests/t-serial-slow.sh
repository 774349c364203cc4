#!/bin/bash
# serial-read with a slow consumer (DESIGN §2): a port is read on while
# stdout is stuck, what does not fit the queue is dropped whole and counted,
# memory stays bounded, and records flow again when the consumer returns;
# readers sharing a pipe never tear each other's lines.  (A file waits
# instead and loses nothing: t-serial-backpressure.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"

# 1. A port, and a consumer that stops reading: a FIFO opened but not read.
pty_up p
mkfifo "$T/fifo"
exec 7<>"$T/fifo"                   # holds the FIFO open, reads nothing yet
timeout --foreground -k 5 60 serial-read -F kv --queue 64k --status-interval 1 "$T/p.dev" \
	>"$T/fifo" 2>"$T/p.err" 7>&- &
rp=$!; _pids="$_pids $rp"
sleep 0.3
# 100,000 lines, about 7 MB of records: far more than a pipe and the queue hold
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "i=%d pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", i }' > "$T/lines"
check "the device writes 100,000 lines though nobody reads stdout (the port is read on)" \
	timeout 20 sh -c "cat '$T/lines' > '$T/p.host'"
wait_for 5 grep -q "dropped" "$T/p.err"
check "the drops are said on stderr" grep -q "stdout too slow: dropped [0-9]* records" "$T/p.err"
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$rp/status 2>/dev/null)
[ -n "$hwm" ] || hwm=$(awk '/VmHWM/ { print $2 }' /proc/$(pgrep -P $rp serial-read)/status)
check "memory stays bounded with --queue 64k (peak RSS ${hwm} kB)" [ "${hwm:-999999}" -lt 65536 ]

# the consumer comes back: what was queued, then new lines, arrive
cat "$T/fifo" > "$T/p.out" 7>&- &   # (not holding the FIFO open itself)
cp=$!
sleep 0.5
printf 'marker=1\n' > "$T/p.host"
wait_for 10 grep -q '"metric":"marker"' "$T/p.out"
check "records flow again once the consumer reads" grep -q '"metric":"marker"' "$T/p.out"
wait_for 5 grep -q '"metric":"gateway.serial.overruns","value":[1-9]' "$T/p.out"
over=$(grep -o '"metric":"gateway.serial.overruns","value":[0-9]*' "$T/p.out" | tail -1 | cut -d: -f3)
kill -TERM $rp; wait $rp
exec 7>&-
wait $cp
got=$(grep -c '"metric":"i"' "$T/p.out")
eq "every line is either out or counted as an overrun (2 records a line)" $(( got * 2 + over >= 200000 )) 1
check "some got through, some were dropped ($got lines out, $over records dropped)" [ "$got" -gt 0 -a "$over" -gt 0 ]
eq "no torn line: every line out is a whole record" "$(grep -vc '^{"class":.*}$' "$T/p.out")" 0
pty_down p

# SIGTERM while stdout takes nothing: what is queued waits 5 s at most,
# then it is dropped and said, and the reader exits 0 (not killed later by
# its supervisor with the port still locked).
pty_up q
mkfifo "$T/fifo2"
exec 8<>"$T/fifo2"
serial-read -F kv --status-interval 0 "$T/q.dev" >"$T/fifo2" 2>"$T/q.err" 7>&- 8>&- &
rq=$!; _pids="$_pids $rq"
sleep 0.3
timeout 20 sh -c "cat '$T/lines' > '$T/q.host'"
sleep 0.5
t0=$(date +%s%N)
kill -TERM $rq
wait $rq
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "SIGTERM with stdout stuck: exit 0" $rc 0
check "... within 5 s of stdout taking nothing, not forever (${ms} ms)" [ "$ms" -lt 9000 ]
check "... the records left are said" grep -q "stdout took nothing for 5 s: [0-9]* records dropped" "$T/q.err"
exec 8>&-
pty_down q

# 2. Two readers sharing one pipe: lines stay whole (PIPE_BUF writes).
awk 'BEGIN { for (i = 1; i <= 50000; i++) printf "a=%d b=2 c=3\n", i }' > "$T/a"
awk 'BEGIN { for (i = 1; i <= 50000; i++) printf "x=%d y=5\n", i }' > "$T/b"
{ serial-read --status-interval 0 -T dev=one -r "$T/a" & serial-read --status-interval 0 -T dev=two -r "$T/b" & wait; } |
	plx-buffer -d "$T/s.db" -a 2>"$T/b.err"
eq "two readers into one pipe: all 250,000 records accepted by plx-buffer" \
	"$(plx-buffer -d "$T/s.db" --status | awk '$1 == "accepted" { print $2 }')/$(wc -c < "$T/b.err")" "250000/0"
