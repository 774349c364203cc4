# Sourced by tests/t-modbus-*.sh after lib.sh: a pymodbus server
# (tests/modbus-server.py) on loopback TCP or on a socat pty pair.
#
#   mb_tcp NAME SPEC [PORT]   server on 127.0.0.1, port in $PORT_NAME, pid in $PID_NAME
#   mb_pty NAME               a pty pair: $T/NAME.dev (ours) <-> $T/NAME.srv (server's)
#   mb_rtu NAME SPEC          server on $T/NAME.srv
#   field KEY < records       the values of KEY, one a line ("metric=value" for KEY=mv)
need socat
need_py pymodbus serial serial_asyncio   # pymodbus's server imports both, even for TCP

mb_wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { nok "$2 did not start"; cat "$T/$2.log"; exit 1; }
		sleep 0.1
	done
}

mb_tcp() {
	n=$1 spec=$2 port=${3:-0}
	rm -f "$T/$n.port"
	$PY "$TOP/tests/modbus-server.py" --spec "$spec" --port "$port" --port-file "$T/$n.port" \
		2>"$T/$n.log" &
	_pids="$_pids $!"
	eval "PID_$n=$!"
	mb_wait_file "$T/$n.port" "$n"
	eval "PORT_$n=$(cat "$T/$n.port")"
}

mb_pty() {
	socat -d -d pty,raw,echo=0,link="$T/$1.dev" pty,raw,echo=0,link="$T/$1.srv" 2>"$T/$1.socat" &
	_pids="$_pids $!"
	i=0
	while [ ! -e "$T/$1.dev" ] || [ ! -e "$T/$1.srv" ]; do
		i=$((i + 1)); [ $i -lt 50 ] || { nok "socat pty pair"; exit 1; }
		sleep 0.1
	done
}

mb_rtu() {
	n=$1 spec=$2
	rm -f "$T/$n.ready"
	$PY "$TOP/tests/modbus-server.py" --spec "$spec" --rtu "$T/$n.srv" --port-file "$T/$n.ready" \
		2>"$T/$n.log" &
	_pids="$_pids $!"
	eval "PID_$n=$!"
	mb_wait_file "$T/$n.ready" "$n"
}

# The records of a stream as "metric=value", or one field of each.
field() {
	$PY -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if sys.argv[1] == "mv":
        print("%s=%s" % (r["metric"], json.dumps(r["value"])))
    else:
        print(r.get(sys.argv[1], r.get("tags", {}).get(sys.argv[1])))
' "$1"
}

# mb_bg CMD...: a daemon run, pid in $MP, killed after 60 s if still there.
# Not under timeout(1): timeout sends SIGCONT after forwarding a signal, and
# that cancels the SIGSTOP of LeakSanitizer's exit-time check in a SAN build.
# The watchdog's sleep is stopped with it (tests/limit counts a stray sleep).
mb_bg() {
	"$@" & MP=$!
	_pids="$_pids $MP"
	( trap 'kill $w; exit' TERM; sleep 60 & w=$!; wait $w && kill -9 $MP ) >/dev/null 2>&1 </dev/null &
	_pids="$_pids $!"
}
