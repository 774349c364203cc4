#!/bin/bash
# plx-command against the test gateway (tests/ws-gateway.py, which
# enforces PLEXUS-WS.md): a command from the "dashboard" reaches its
# executable and the result comes back, in the legacy protocol and in v1;
# what is refused before anything runs (an undeclared command, bad
# params, an expired run, a busy one, a run id seen before); a time limit,
# a crash, the sandbox's network rule; the health records.
# limit: 120
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/command-lib.sh"
export PLEXUS_API_KEY=plx_test
D=$T/commands
cmd_dir "$D"
# set_point writes its parameters (stdin) to a file and answers with one
mkcmd "$D" set_point '{"title":"Set point","params":{"value":{"type":"number","minimum":5,"maximum":30,"required":true},
 "mode":{"type":"string","enum":["heat","cool"],"default":"heat"}},"idempotent":true,"timeout_s":5}' \
	"cat >> $T/set_point.in; echo >> $T/set_point.in
echo \"\$PLX_PARAM_VALUE \$PLX_PARAM_MODE\" >> $T/set_point.env
echo '40 writing' >&3
printf '{\"written\":%s}\n' \"\$PLX_PARAM_VALUE\""
mkcmd "$D" slow '{"params":{"s":{"type":"number","default":1}},"concurrency":"reject","timeout_s":1}' \
	"echo started >> $T/slow.runs; sleep \"\$PLX_PARAM_S\"; echo done"
mkcmd "$D" crash '{}' 'echo "about to crash" >&2; kill -SEGV $$'
mkcmd "$D" fails '{}' 'echo "no such register" >&2; exit 3'
mkcmd "$D" net '{}' "$PY -c 'import socket; socket.socket()' 2>&1 | tail -n 1 >&2; exit 1"
mkcmd "$D" netok '{"network":["inet"]}' "$PY -c 'import socket; socket.socket()'"
mkcmd "$D" plain '{}' 'echo hello there'

# --check: what the directory offers, as the manifest
plx-command --check -C "$D" > "$T/manifest" 2>&1
eq "--check: exit 0" $? 0
check "--check: the manifest names set_point with its limits" grep -q '"maximum":30' "$T/manifest"

for proto in ${PROTOS:-0 1}; do
	gw g$proto --protocol $proto --ping-interval 0.5
	eval "G=\$GW_g$proto W=\$WS_g$proto"
	R=$T/g$proto.rec
	: > "$T/set_point.in"
	plx-command -C "$D" -s gw-$proto -u "$W" --status-interval 1s --heartbeat 500ms >"$T/out$proto" 2>"$T/err$proto" &
	pc=$!
	_pids="$_pids $pc"
	check "p$proto: authenticated" wait_for 10 connected "$G" gw-$proto
	check "p$proto: device_auth carries the manifest, protocol 1 and hears_goodbye" \
		saw "$R" '"type": "device_auth".*"protocol": 1, "hears_goodbye": true, "commands": \[\{"name": "crash"'

	# the legacy gateway adds params.source_id to every command
	sid=""; [ $proto = 0 ] && sid=',"source_id":"gw-0"'
	id=$(push "$G" gw-$proto set_point '{"value":21.5'"$sid"'}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	if [ $proto = 0 ]; then
		check "legacy: ack at once, then the result" wait_for 10 saw "$R" "\"id\": \"$id\", \"command\": \"set_point\", \"event\": \"result\", \"result\": \\{\"written\": 21.5\\}"
		check "legacy: the ack came first" test "$(grep -n "\"id\": \"$id\"" "$R" | sed -n 2p | grep -c '"event": "ack"')" = 1
	else
		check "v1: the result comes back" wait_for 10 saw "$R" "\"run_id\": \"$id\", \"seq\": 4, \"state\": \"succeeded\", \"result\": \\{\"written\": 21.5\\}"
		eq "v1: acknowledged, running, progress, succeeded, in order" \
			"$(grep "\"run_id\": \"$id\"" "$R" | grep -o '"state": "[a-z]*"' | tr '\n' ' ')" \
			'"state": "acknowledged" "state": "running" "state": "progress" "state": "succeeded" '
		check "v1: progress forwarded" saw "$R" '"state": "progress", "progress": 40, "message": "writing"'
	fi
	eq "p$proto: the executable got its checked params on stdin (default filled, source_id not a param)" \
		"$(cat "$T/set_point.in")" '{"value":21.5,"mode":"heat"}'
	eq "p$proto: and in its environment" "$(tail -n 1 "$T/set_point.env")" "21.5 heat"

	# refused before anything runs
	err_of() { # ID: the error text sent for it
		grep "\"$1\"" "$R" | grep -oE '"(error|error_message)": "[^"]*"' | tail -n 1 | sed 's/^"[a-z_]*": "//; s/"$//'
	}
	said() { test -n "$(err_of "$1")"; }
	code_of() { grep "\"$1\"" "$R" | grep -o '"error_code": "[a-z_]*"' | tail -n 1 | sed 's/.*: "//; s/"//'; }
	n=$(grep -c . "$T/set_point.in")
	id=$(push "$G" gw-$proto set_point '{"value":99}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: bad params refused with why" "$(err_of "$id")" "bad params: value: above the maximum 30"
	id=$(push "$G" gw-$proto set_point '{"value":"21"}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: a string for a number refused" "$(err_of "$id")" "bad params: value: not a number"
	id=$(push "$G" gw-$proto set_point '{"value":20,"speed":3}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: an undeclared param refused" "$(err_of "$id")" "bad params: speed: no such parameter"
	id=$(push "$G" gw-$proto set_point '{"mode":"cool"}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: a missing required param refused" "$(err_of "$id")" "bad params: value: missing"
	eq "p$proto: nothing ran for them" "$(grep -c . "$T/set_point.in")" "$n"
	id=$(push "$G" gw-$proto reboot | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: an undeclared command: unknown command" "$(err_of "$id")" "unknown command: reboot"
	[ $proto = 1 ] && eq "v1: its code" "$(code_of "$id")" unknown_command

	# a time limit, a crash, a failure, output that is no JSON, the network rule
	id=$(push "$G" gw-$proto slow '{"s":30}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	check "p$proto: over its time limit: killed, failed" wait_for 10 said "$id"
	eq "p$proto: and said so" "$(err_of "$id")" "time limit exceeded: killed"
	check "p$proto: its sleep went with it (the process group)" sh -c '! pgrep -x -f "sleep 30" >/dev/null'
	id=$(push "$G" gw-$proto crash | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: a crash: failed, with the signal and its stderr" "$(err_of "$id")" "killed by signal 11: about to crash"
	id=$(push "$G" gw-$proto fails | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	eq "p$proto: exit 3: failed with its stderr" "$(err_of "$id")" "no such register"
	id=$(push "$G" gw-$proto net | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$id"
	e=$(err_of "$id")
	check "p$proto: no network unless declared: connect refused (EACCES) ($e)" sh -c "echo '$e' | grep -q 'Permission denied'"
	id=$(push "$G" gw-$proto netok | sed 's/.*"id": "\([^"]*\)".*/\1/')
	check "p$proto: declared \"network\": [\"inet\"]: it may" wait_for 10 saw "$R" "\"$id\".*(\"event\": \"result\"|\"state\": \"succeeded\")"
	id=$(push "$G" gw-$proto plain | sed 's/.*"id": "\([^"]*\)".*/\1/')
	check "p$proto: output that is no JSON object: result.output" wait_for 10 saw "$R" "\"$id\".*\"result\": \\{\"output\": \"hello there\"\\}"

	# busy: a second run of a "reject" command while the first runs
	: > "$T/slow.runs"
	a=$(push "$G" gw-$proto slow '{"s":0.6}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 test -s "$T/slow.runs"
	b=$(push "$G" gw-$proto slow '{"s":0.1}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
	wait_for 10 said "$b"
	eq "p$proto: a command already running (concurrency reject): busy" "$(err_of "$b")" "command already in progress: slow"
	check "p$proto: the first one finishes" wait_for 10 saw "$R" "\"$a\".*(\"event\": \"result\"|\"state\": \"succeeded\")"
	eq "p$proto: the busy one never ran" "$(grep -c started "$T/slow.runs")" 1

	if [ $proto = 1 ]; then
		# at most once: a run id seen before is reported again, never run again
		n=$(grep -c . "$T/set_point.in")
		push "$G" gw-1 set_point '{"value":10}' run_id=r-once >/dev/null
		wait_for 10 saw "$R" '"run_id": "r-once", "seq": 4, "state": "succeeded"'
		push "$G" gw-1 set_point '{"value":10}' run_id=r-once attempt=2 >/dev/null
		check "v1: a redelivered run id: its last status again" wait_for 10 sh -c "test \$(grep -c '\"run_id\": \"r-once\", \"seq\": 4, \"state\": \"succeeded\"' '$R') = 2"
		eq "v1: and it ran once" "$(grep -c . "$T/set_point.in")" $((n + 1))
		push "$G" gw-1 set_point '{"value":10}' run_id=r-late ttl_ms=0 >/dev/null
		check "v1: ttl_ms 0: expired_on_arrival, not run" wait_for 10 saw "$R" '"run_id": "r-late", "seq": 2, "state": "failed", "error_code": "expired_on_arrival"'
		eq "v1: nothing ran for it" "$(grep -c . "$T/set_point.in")" $((n + 1))
		check "v1: every status acknowledged (nothing replayed later)" saw "$R" '"type": "command_sync", "runs": \[\]'
	fi

	# a burst: 50 commands refused at once are 100 answers, more than the
	# server takes at once (60, then 20 a second): paced, none dropped
	for i in $(seq 50); do push "$G" gw-$proto no_such '{}' run_id=burst-$proto-$i >/dev/null; done
	check "p$proto: a burst of 100 answers all arrive" wait_for 20 at_least 50 "$R" '"(id|run_id)": "burst-'$proto'-[0-9]*".*(unknown command|unknown_command)'
	eq "p$proto: paced under the server's rate limit: nothing refused as RATE_LIMITED" "$(frames "$R" '"event": "rate_limited"')" 0
	check "p$proto: the server's pings are answered" sh -c "curl -s '$G/state' | grep -q '\"pongs\": [1-9]'"
	check "p$proto: heartbeats every --heartbeat" saw "$R" '"type": "heartbeat", "source_id": "gw-'$proto'", "agent_version": "[0-9.]*", "uptime_s": [0-9]'
	check "p$proto: the connection is kept" connected "$G" gw-$proto
	check "p$proto: health records: received, succeeded, failed, refused, connected" \
		wait_for 5 sh -c "grep -q '\"gateway.command.received\",\"value\":1[0-9]' '$T/out$proto' &&
		grep -q '\"gateway.command.connected\",\"value\":1' '$T/out$proto' &&
		grep -q '\"gateway.command.refused\",\"value\":[1-9]' '$T/out$proto' &&
		grep -q '\"gateway.command.failed\",\"value\":[1-9]' '$T/out$proto'"
	check "p$proto: the clock offset reported" grep -q '"gateway.command.clock_offset_ms"' "$T/out$proto"
	cp "$T/err$proto" "$T/keep-err$proto"
	kill -TERM $pc; wait $pc
	eq "p$proto: SIGTERM: exit 0" $? 0
	check "p$proto: SIGTERM: goodbye (close 1001)" wait_for 5 saw "$R" '"event": "closed", "code": 1001'
done

# the API key is never taken from the command line
plx-command -C "$D" -k plx_secret </dev/null 2>"$T/err"
eq "a key in argv: exit 64" $? 64
PLEXUS_API_KEY= plx-command -C "$D" -u ws://127.0.0.1:9 </dev/null 2>"$T/err"
eq "no key: exit 78" $? 78
plx-command -C "$D" -u http://127.0.0.1:9 </dev/null 2>"$T/err"
eq "a URL that is not ws:// or wss://: exit 78" $? 78
