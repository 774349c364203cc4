#!/bin/bash
# plx-command under valgrind: both protocols, a command that succeeds, one
# refused, one that crashes, one over its time limit, a goodbye and its
# reconnect, a server that vanishes and returns, SIGHUP, SIGTERM with a
# run in hand: no invalid access, no leak (libwebsockets, libuv and
# OpenSSL included).  ASan binaries cannot run under valgrind: a plain
# build is made here.
# limit: 240
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/command-lib.sh"
valgrind_build bin/plx-command
B=$VGBIN/plx-command
export PLEXUS_API_KEY=plx_test
D=$T/commands
cmd_dir "$D"
mkcmd "$D" ok '{"params":{"v":{"type":"integer","minimum":0,"maximum":9,"required":true}}}' \
	'cat >/dev/null; echo "50 half" >&3; echo "{\"v\":$PLX_PARAM_V}"'
mkcmd "$D" crash '{}' 'kill -SEGV $$'
mkcmd "$D" slow '{"timeout_s":0.5}' 'sleep 20'
for proto in 0 1; do
	gw v$proto --protocol $proto --ping-interval 0.5
	eval "G=\$GW_v$proto W=\$WS_v$proto"
	R=$T/v$proto.rec
	timeout --foreground -k 5 150 $VG $B -C "$D" -s vg-$proto -u "$W" --status-interval 1s \
		--backoff 100ms --backoff-max 300ms >"$T/out$proto" 2>"$T/err$proto" &
	vp=$!; _pids="$_pids $vp"
	wait_for 30 connected "$G" vg-$proto
	push "$G" vg-$proto ok '{"v":3}' >/dev/null
	push "$G" vg-$proto ok '{"v":30}' >/dev/null
	push "$G" vg-$proto nope >/dev/null
	push "$G" vg-$proto crash >/dev/null
	push "$G" vg-$proto slow >/dev/null
	check "p$proto: under valgrind: results come back" wait_for 30 saw "$R" '"(result|state)": .?.?\{"v": 3\}|"state": "succeeded", "result": \{"v": 3\}'
	check "p$proto: the time limit under valgrind" wait_for 30 saw "$R" 'time limit exceeded'
	curl -s "$G/goodbye?source=vg-$proto" >/dev/null
	check "p$proto: goodbye, back" wait_for 30 at_least 2 "$R" '"event": "authenticated"'
	eval "kill -9 \$PID_v$proto; wait \$PID_v$proto 2>/dev/null"
	gw v$proto --protocol $proto --ping-interval 0.5
	check "p$proto: the server vanished and returned" wait_for 30 connected "$G" vg-$proto
	mkcmd "$D" more '{}' 'echo "{}"'
	kill -HUP $vp
	check "p$proto: SIGHUP: reconnected with the new command" wait_for 30 saw "$R" '"commands": \[\{"name": "crash".*"name": "more"'
	rm "$D/more" "$D/more.json"
	wait_for 30 connected "$G" vg-$proto
	push "$G" vg-$proto slow >/dev/null
	wait_for 30 saw "$R" '"event": "ack"|"state": "acknowledged"'
	kill -TERM $vp; wait $vp; rc=$?
	eq "p$proto: valgrind clean, exit 0" "$rc" 0
	grep '^==' "$T/err$proto" | head -20 | sed 's/^/#   /'
done
