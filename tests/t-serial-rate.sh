#!/bin/bash
# serial-read at a sustained high rate over a pty: every line a device
# prints comes out as a record, none lost, in order; and the same from a
# file and through plx-buffer.  (A pty has no baud rate: this is far more
# than 921600 baud carries, about 9,000 short lines a second.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-serial.sh"
N=200000

pty_up r
reader r -b 921600 -F kv --status-interval 0
t_start=$(date +%s%N)
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "i=%d t=21.5\n", i }' > "$T/r.host"
wait_for 20 sh -c "[ \$(grep -c '\"metric\":\"i\"' '$T/r.out') -ge $N ]"
ms=$(( ($(date +%s%N) - t_start) / 1000000 ))
stop "$READER_r"
eq "$N lines over the pty in $ms ms: $N records of i" "$(grep -c '"metric":"i"' "$T/r.out")" $N
eq "in order, none twice" "$(grep -o '"metric":"i","value":[0-9]*' "$T/r.out" | cut -d: -f3 | awk '$1 != NR { bad++ } END { print bad + 0 }')" 0
eq "nothing on stderr" "$(wc -c < "$T/r.err")" 0

# the pipeline: a file through serial-read into plx-buffer
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "{\"seq\":%d,\"t\":21.5}\n", i }' > "$T/in.json"
timeout 30 serial-read -r "$T/in.json" --status-interval 0 | timeout 30 plx-buffer -d "$T/s.db" -a
eq "$N JSON lines through serial-read | plx-buffer: all spooled" \
	"$(plx-buffer -d "$T/s.db" --status | awk '$1 == "accepted" { print $2 }')" $((2 * N))
