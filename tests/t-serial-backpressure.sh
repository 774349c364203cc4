#!/bin/bash
# serial-read behind a consumer slower than --flush-ms (plx-buffer committing
# on an SD card, a stopped stage): a line that a read() cut in two must not
# be flushed as a partial line while its rest is waiting, unread, because
# writing the records before it blocked.  A file of 20000 records goes
# through a pipe whose reader sleeps first; every record must come out.
. "$(dirname "$0")/lib.sh"
gen 20000 > "$T/in"
serial-read -F json --flush-ms 100 --status-interval 0 -r "$T/in" 2>"$T/err" |
	{ sleep 1; cat; } > "$T/out"
eq "every record comes out although stdout blocked longer than --flush-ms" \
	"$(grep -c '"test.value"' "$T/out")" 20000
eq "no line is reported broken" "$(cat "$T/err")" ""
# and a real partial line is still flushed once nothing more comes
{ printf '{"metric":"p","value":1}'; sleep 0.5; } | serial-read -F json --flush-ms 100 --status-interval 0 - > "$T/p" 2>/dev/null &
_pids="$_pids $!"
check "a partial line with nothing after it is flushed after --flush-ms" wait_for 5 grep -q '"metric":"p"' "$T/p"
