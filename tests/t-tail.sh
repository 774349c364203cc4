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

# -d: a spool that a pipeline fills while plx-upload acknowledges (deletes)
# every row at once: its records table stays empty, the values still show,
# from the latest values plx-buffer keeps beside it
export PLEXUS_API_KEY=plx_test PLEXUS_SOURCE_ID=tail-gw
start_server t --key plx_test
SP=$T/spool.db
mkfifo "$T/feed"
{ plx-buffer -d "$SP" < "$T/feed" | plx-upload -d "$SP" --batch-ms 10 2>"$T/up.err"; } &
pipe=$!
exec 4>"$T/feed"
for i in 1 2 3 4 5 6; do
	echo "{\"metric\":\"tank.level\",\"value\":$((i * 10)),\"timestamp\":$(date +%s%3N)}" >&4
	echo "{\"metric\":\"valve\",\"value\":\"open-$i\",\"source_id\":\"plant\"}" >&4
	sleep 0.2
done
check "the uploader acknowledged every row (none left in records)" wait_for 10 sh -c "[ \"\$(sqlite3 '$SP' 'SELECT count(*) FROM records')\" = 0 ] &&
	grep -q '\"value\": *60' '$T/t.store'"
tmux -L "$S" new-window -d -n spool "plx-tail -d '$SP' -i 100ms; echo plx-tail exited \$?; sleep 60"
check "-d: the last values from the spool, though records is empty" wait_for 10 sh -c "tmux -L $S capture-pane -p -t spool | grep -Eq '^tail-gw +tank.level .* 60 ' &&
	tmux -L $S capture-pane -p -t spool | grep -Eq '^plant +valve .* open-6 '"
for i in 7 8 9 10; do
	echo "{\"metric\":\"tank.level\",\"value\":$((i * 10)),\"timestamp\":$(date +%s%3N)}" >&4
	sleep 0.3
done
check "... followed live: the new value, a rising sparkline of the values polled" wait_for 10 sh -c "tmux -L $S capture-pane -p -t spool | grep -Eq 'tank.level .* 100 .*▁.*█'"
check "... a rate from the counts" wait_for 10 sh -c "tmux -L $S capture-pane -p -t spool | grep -Eq 'tank.level .* 100 +[0-9]+\.[0-9]' &&
	! tmux -L $S capture-pane -p -t spool | grep -Eq 'tank.level .* 100 +0\.0 '"
tmux -L "$S" send-keys -t spool q
check "... q quits, exit 0" wait_for 10 sh -c "tmux -L $S capture-pane -p -t spool | grep -q 'plx-tail exited 0'"
exec 4>&-
wait $pipe

# a spool the user may only read: shown, not changed, nothing made beside it
chmod 0440 "$SP"
sum=$(sha256sum < "$SP")
before=$(ls "$T" | grep spool)
plx-tail -d "$SP" --once > "$T/ro" 2>"$T/ro.err"
eq "a read-only spool (0440): exit 0" $? 0
check "... its values shown" grep -Eq 'tank.level .* 100 ' "$T/ro"
eq "... the file unchanged" "$(sha256sum < "$SP")" "$sum"
eq "... no -wal or -shm made beside it" "$(ls "$T" | grep spool)" "$before"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$T"; chgrp nogroup "$SP"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$(command -v plx-tail)" -d "$SP" --once > "$T/ro2" 2>&1
	check "... and as a user of the spool's group who can write nothing there" grep -Eq 'tank.level .* 100 ' "$T/ro2"
fi

# standard input a terminal and no -d: the spool plx-buffer would use
tmux -L "$S" new-window -d -n dflt "PLEXUS_BUFFER='$SP' plx-tail -i 100ms; echo plx-tail exited \$?; sleep 60"
check "a terminal on standard input: the default spool (PLEXUS_BUFFER)" wait_for 10 sh -c "tmux -L $S capture-pane -p -t dflt | grep -Eq 'tank.level .* 100 '"
tmux -L "$S" send-keys -t dflt q
check "... q quits" wait_for 10 sh -c "tmux -L $S capture-pane -p -t dflt | grep -q 'plx-tail exited 0'"

# a spool from before the latest table: empty, with a message, no error
sqlite3 "$T/old.db" 'PRAGMA journal_mode=WAL; CREATE TABLE records(seq INTEGER PRIMARY KEY AUTOINCREMENT, t INTEGER NOT NULL, data BLOB NOT NULL);' >/dev/null
plx-tail -d "$T/old.db" --once > "$T/old" 2>&1
eq "a spool from before the latest table: exit 0" $? 0
check "... says it has no latest values" grep -q 'no latest values in this spool' "$T/old"
eq "... and shows no row" "$(grep -c 'tank' "$T/old")" 0
plx-tail -d "$T/none.db" --once > /dev/null 2>"$T/none"
eq "no spool there: 66" $? 66
check "... said" grep -q 'unable to read the spool' "$T/none"
