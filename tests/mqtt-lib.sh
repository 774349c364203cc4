# Sourced by tests/t-mqtt-*.sh after lib.sh: Debian's mosquitto broker on
# a free loopback port with a config of the test's own, and mosquitto_pub.
#
#   mq_broker NAME [LINE...]   a broker ($T/NAME.conf: a listener on
#                              127.0.0.1 (MQ_ADDR=::1 mq_broker ...: there),
#                              anonymous unless LINEs say
#                              otherwise, everything logged to
#                              $T/NAME.log); port in $PORT_NAME, pid in
#                              $PID_NAME; called again after mq_stop, the
#                              same port
#   mq_stop NAME [SIG]         the broker killed (TERM), and waited for
#   mq_pub NAME TOPIC MESSAGE [mosquitto_pub options]   QoS 1 ("": empty)
#   mq_subscribed NAME ID      the broker has had SUBSCRIBE from client ID
#   mq_acked NAME ID           every PUBLISH sent to ID so far was acknowledged
#                              (QoS 1; the broker sends 20 at a time: a
#                              burst needs its count sent first)
#   mq_count NAME PATTERN      lines of the broker's log matching PATTERN
need mosquitto mosquitto_pub

mq_free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mq_broker() {
	local n=$1 port i
	shift
	port=$(eval echo "\${PORT_$n:-}")
	[ -n "$port" ] || port=$(mq_free_port)
	{
		echo "listener $port ${MQ_ADDR:-127.0.0.1}"
		[ $# -gt 0 ] && printf '%s\n' "$@" || echo "allow_anonymous true"
		[ "$(id -u)" = 0 ] && echo "user root"     # the test's files stay readable
		echo "log_dest stderr"
		echo "log_type all"
		echo "persistence false"
	} > "$T/$n.conf"
	mosquitto -c "$T/$n.conf" >>"$T/$n.log" 2>&1 &
	_pids="$_pids $!"
	eval "PID_$n=$! PORT_$n=$port ADDR_$n=${MQ_ADDR:-127.0.0.1}"
	# its listener open: a new "running" line in the log
	i=0
	while [ "$(cat "$T/$n.log" 2>/dev/null | grep -c ' running$')" -lt "$(( $(eval echo "\${STARTS_$n:-0}") + 1 ))" ]; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$(eval echo "\$PID_$n")" 2>/dev/null; then
			nok "mosquitto $n did not start"
			tail -5 "$T/$n.log" | sed 's/^/#   /'
			exit 1
		fi
		sleep 0.1
	done
	eval "STARTS_$n=\$(( \${STARTS_$n:-0} + 1 ))"
}

mq_stop() {
	local pid
	pid=$(eval echo "\$PID_$1")
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

mq_pub() {
	local n=$1 topic=$2 msg=$3
	shift 3
	if [ -z "$msg" ]; then set -- -n "$@"; else set -- -m "$msg" "$@"; fi   # -n: an empty payload
	mosquitto_pub -h "$(eval echo "\$ADDR_$n")" -p "$(eval echo "\$PORT_$n")" -q 1 -t "$topic" "$@"
}

mq_subscribed() { grep -q "Received SUBSCRIBE from $2\$" "$T/$1.log"; }
mq_count() { grep -c -- "$2" "$T/$1.log"; }
mq_acked() {
	[ "$(mq_count "$1" "Sending PUBLISH to $2 ")" = "$(mq_count "$1" "Received PUBACK from $2 ")" ]
}
