#!/bin/bash
# ./run-gateway, the README's main job: without a terminal it runs, then
# says what the local server received and keeps it in a file it names; on
# a terminal (tmux) plx-tail shows the points as they reach the server,
# and q ends the view.
# limit: 120
. "$(dirname "$0")/lib.sh"
need tmux
cd "$TOP" || exit 1
./run-gateway 2 > "$T/out" 2>"$T/err"
eq "without a terminal: exit 0" $? 0
kept=$(sed -n 's/.* kept in \([^;]*\);.*/\1/p' "$T/out")
check "what the server received is kept in a file it names ($kept)" test -s "$kept"
check "... the host metrics" grep -q '"host.load1"' "$kept"
rm -f "$kept"

S="rg$$"
tmux -L "$S" -f /dev/null new-session -d -x 160 -y 30 "cd '$TOP' && PATH='$BIN:$PATH' ./run-gateway 3 2>/dev/null; echo run-gateway exited \$?; sleep 60"
trap 'tmux -L "$S" kill-server 2>/dev/null; _cleanup' EXIT
check "on a terminal: plx-tail shows the points as they arrive" \
	wait_for 20 sh -c "tmux -L $S capture-pane -p | grep -q 'host.load1' && tmux -L $S capture-pane -p | grep -q 'plx-tail'"
check "... with their units" wait_for 10 sh -c "tmux -L $S capture-pane -p | grep -Eq 'host.mem_available .* bytes'"
sleep 3            # the run's 3 s: the view stays until q
tmux -L "$S" send-keys q
check "q ends the view; the run ends 0" wait_for 20 sh -c "tmux -L $S capture-pane -p | grep -q 'run-gateway exited 0'"
tmux -L "$S" capture-pane -p -J -S -100 > "$T/tty.out"
check "... and names the file it kept" grep -q 'kept in /' "$T/tty.out"
rm -f "$(sed -n 's/.* kept in \([^;]*\);.*/\1/p' "$T/tty.out")"
