# Sourced by the plx-command scenarios (after lib.sh): a test gateway
# (tests/ws-gateway.py), a command directory, and the "dashboard".
need curl
need_py websockets

# gw NAME [ws-gateway.py args...]: starts a test gateway (again on the
# same port when NAME ran before); GW_NAME is its control URL, WS_NAME its
# WebSocket URL, $T/NAME.rec what it received.
gw() {
	n=$1; shift
	port=0
	[ -s "$T/$n.port" ] && port=$(cat "$T/$n.port")
	rm -f "$T/$n.port"
	$PY "$TOP/tests/ws-gateway.py" --port "$port" --port-file "$T/$n.port" --record "$T/$n.rec" \
		--key plx_test "$@" 2>>"$T/$n.log" &
	_pids="$_pids $!"
	eval "PID_$n=$!"
	wait_for 10 test -s "$T/$n.port" || { nok "gateway $n did not start"; cat "$T/$n.log"; exit 1; }
	eval "GW_$n=http://127.0.0.1:$(cat "$T/$n.port")/_control"
	eval "WS_$n=ws://127.0.0.1:$(cat "$T/$n.port")"
}

# push GW SOURCE COMMAND [PARAMS-JSON] [more query...]: the dashboard sends a command
push() {
	curl -s -G "$1/push" --data-urlencode "source=$2" --data-urlencode "command=$3" \
		--data-urlencode "params=${4:-{\}}" ${5:+--data-urlencode "$5"} ${6:+--data-urlencode "$6"}
}
# connected GW SOURCE: the gateway holds an authenticated connection of SOURCE
connected() { curl -s "$1/state" | grep -q "\"$2\""; }
# frames REC PATTERN: how many recorded frames match (grep -E)
frames() { grep -cE "$2" "$1"; }
# saw REC PATTERN: one recorded line matches
saw() { grep -qE "$2" "$1"; }

# cmd_dir DIR: a command directory, root's 0755 (as plx-command wants it)
cmd_dir() { rm -rf "$1"; mkdir -p "$1"; chmod 0755 "$1"; }
# mkcmd DIR NAME DECLARATION-JSON SCRIPT: NAME and NAME.json
mkcmd() {
	printf '#!/bin/sh\n%s\n' "$4" > "$1/$2"
	printf '%s\n' "$3" > "$1/$2.json"
	chmod 0755 "$1/$2"
	chmod 0644 "$1/$2.json"
}
# at_least N REC PATTERN: N or more recorded lines match (for wait_for)
at_least() { [ "$(grep -cE "$3" "$2")" -ge "$1" ]; }
