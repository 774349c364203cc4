#!/bin/bash
# plx-tail: the table once as text (--once), and live in a tmux pane: a row
# a series with its last value, unit, rate and a sparkline that follows the
# values, updated in place; filtered with / and sorted with s; q quits.
. "$(dirname "$0")/lib.sh"
need tmux

# --once: the table of a capture, as text
{
	for v in 20.5 21.5 22.5 23.5; do
		echo "{\"metric\":\"env.temperature\",\"value\":$v,\"timestamp\":1763800000123,\"tags\":{\"mac\":\"a4:c1:38:12:34:56\",\"unit\":\"C\"}}"
	done
	echo "{\"_plx_seq\":7,\"metric\":\"env.humidity\",\"value\":40,\"timestamp\":1,\"source_id\":\"lab\"}"
	echo "not a record"
	echo '{"metric":"door","value":"open"}'
} | plx-tail --once > "$T/once"
eq "--once: exit 0" $? 0
eq "a row a series, and the heads" "$(wc -l < "$T/once")" 4
check "the last value and its unit" grep -Eq 'env.temperature .* 23.5 C ' "$T/once"
check "a sparkline of the values, rising" grep -q '▁▃▆█' "$T/once"   # 0, 8/3, 16/3, 8 -> 0 2 5 7
check "a record from plx-buffer (with _plx_seq) is a record too, with its source" grep -Eq '^lab +env.humidity' "$T/once"
check "a string event shows its text" grep -Eq 'door .* open' "$T/once"
plx-tail </dev/null > /dev/null 2>"$T/err"
eq "nothing on standard input but a file: --once needed (stdout not a terminal): 64" $? 64

# live, in a terminal: records from a fifo, every 100 ms
mkfifo "$T/in"
S="plxtail$$"
tmux -L "$S" -f /dev/null new-session -d -x 150 -y 20 "plx-tail -i 100ms < '$T/in'; echo plx-tail exited \$?; sleep 60"
trap 'tmux -L "$S" kill-server 2>/dev/null; _cleanup' EXIT
pane() { tmux -L "$S" capture-pane -p; }
shows() { pane | grep -q -- "$1"; }
exec 3>"$T/in"
send() { echo "$1" >&3; }
for i in 1 2 3 4 5 6; do
	send "{\"metric\":\"boiler.temp\",\"value\":$((60 + i * 2)),\"timestamp\":1,\"tags\":{\"unit\":\"C\"}}"
	send "{\"metric\":\"boiler.pressure\",\"value\":1.$i,\"timestamp\":1,\"source_id\":\"plant\"}"
	send "{\"metric\":\"fan.rpm\",\"value\":$((1000 - i * 10)),\"timestamp\":1}"
	sleep 0.1
done
check "live: each series has a row" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -q 'boiler.temp' &&
	tmux -L $S capture-pane -p | grep -q 'boiler.pressure' && tmux -L $S capture-pane -p | grep -q 'fan.rpm'"
check "... the last value and unit" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -Eq 'boiler.temp .* 72 C'"
# six values evenly apart: levels floor(8 (v - min) / (max - min)), at most 7
check "... a rising sparkline and a falling one" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -q '▁▂▄▅▇█' &&
	tmux -L $S capture-pane -p | grep -q '█▇▅▄▂▁'"
check "... a rate once a second has passed" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -Eq 'boiler.temp .* C +[0-9]+\.[0-9] '"
pane > "$T/pane1"
send '{"metric":"boiler.temp","value":99,"timestamp":1,"tags":{"unit":"C"}}'
check "updated in place: the new value, still one row" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -Eq 'boiler.temp .* 99 C' &&
	[ \$(tmux -L $S capture-pane -p | grep -c 'boiler.temp') = 1 ]"

tmux -L "$S" send-keys / b o i l e r Enter
check "/ filters: only the boiler's rows" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -q 'filter: boiler' &&
	! tmux -L $S capture-pane -p | grep -q 'fan.rpm '"
tmux -L "$S" send-keys / BSpace BSpace BSpace BSpace BSpace BSpace Enter
check "an empty filter: all rows again" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -q 'fan.rpm '"
tmux -L "$S" send-keys s
check "s sorts by rate" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -q 'sort: rate'"
tmux -L "$S" send-keys q
check "q quits, exit 0" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -q 'plx-tail exited 0'"
exec 3>&-
