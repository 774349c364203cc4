#!/bin/bash
# mqtt-read and its broker coming and going: the persistent session (QoS 1
# messages published while mqtt-read is down arrive after it restarts;
# not with --clean), the broker killed and restarted mid-stream, a broker
# not there at start, SIGHUP, SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
mq_broker b
R="mqtt-read -H 127.0.0.1 --port $PORT_b -F plain -t s/# --status-interval 1h --backoff-max 500ms"
values_of() { grep -o '"metric":"v","value":[0-9]*' "$1" | sed 's/.*://' | tr '\n' ' '; }
lines() { [ "$(grep -c "$2" "$1")" -ge "$3" ]; }
subs() { [ "$(mq_count b "Received SUBSCRIBE from $1\$")" -ge "$2" ]; }
# start OUT ID [ARGS...]: mqtt-read as client ID ($T/OUT.out, $T/OUT.err, pid
# in $pid), back once the broker has its SUBSCRIBE; stop: SIGTERM, its status
start() {
	local out=$1 id=$2 before
	shift 2
	before=$(mq_count b "Received SUBSCRIBE from $id\$")
	$R --client-id "$id" "$@" > "$T/$out.out" 2>"$T/$out.err" &
	pid=$!
	_pids="$_pids $pid"
	wait_for 10 subs "$id" $((before + 1)) || nok "$out: mqtt-read subscribed"
}
stop() { kill "$pid"; wait "$pid"; }

# --- the session kept at the broker
start s1 sess
mq_pub b s/a/v 1
wait_for 10 lines "$T/s1.out" '"value":1,' 1 || nok "a message while up"
stop
eq "SIGTERM: exit 0" $? 0
for v in 2 3 4; do mq_pub b s/a/v $v; done
start s2 sess
wait_for 10 lines "$T/s2.out" '"metric":"v"' 3
eq "QoS 1 messages published while it was down arrive after the restart, in order" "$(values_of "$T/s2.out")" "2 3 4 "
stop

# QoS 2 the same way: exactly once
start q1 q2 --qos 2
stop
for v in 7 8; do mq_pub b s/a/v $v -q 2; done
start q2 q2 --qos 2
wait_for 10 lines "$T/q2.out" '"metric":"v"' 2
stop
eq "QoS 2 messages published while it was down arrive once each after the restart" "$(values_of "$T/q2.out")" "7 8 "
check "... acknowledged with PUBREC and PUBCOMP" grep -q 'Received PUBCOMP from q2\|Received PUBREC from q2' "$T/b.log"

# --clean: nothing kept (the test above can fail)
start c1 cln --clean
stop
mq_pub b s/a/v 5
start c2 cln --clean
mq_pub b s/a/v 6
wait_for 10 lines "$T/c2.out" '"value":6,' 1
eq "--clean: what was published while it was down is not delivered" "$(values_of "$T/c2.out")" "6 "
stop

# --- the broker killed and restarted mid-stream
start l live
mq_pub b s/a/v 10
wait_for 10 lines "$T/l.out" '"value":10,' 1 || nok "before the broker dies"
mq_stop b KILL
wait_for 10 grep -q 'connection lost' "$T/l.err"
check "the broker gone is said" grep -q 'broker 127.0.0.1:'"$PORT_b"': connection lost' "$T/l.err"
sleep 1             # mqtt-read tries while the broker is away
check "mqtt-read keeps running while the broker is away" kill -0 "$pid"
mq_broker b
wait_for 10 subs live 2 || nok "subscribed again"
mq_pub b s/a/v 11
wait_for 10 lines "$T/l.out" '"value":11,' 1
check "a message after the broker restarted arrives" grep -q '"value":11,' "$T/l.out"
check "connected again is said" grep -q ': connected$' "$T/l.err"
# SIGHUP: connects anew, goes on
kill -HUP "$pid"
wait_for 10 subs live 3 || nok "SIGHUP: subscribed again"
mq_pub b s/a/v 12
wait_for 10 lines "$T/l.out" '"value":12,' 1
check "SIGHUP: it connects again and goes on" grep -q '"value":12,' "$T/l.out"
stop
eq "exit 0 after all that" $? 0
check "status at the end: one reconnect (the SIGHUP is none)" grep -q '"gateway.mqtt.reconnects","value":1,' "$T/l.out"
check "status at the end: 3 messages" grep -q '"gateway.mqtt.messages","value":3,' "$T/l.out"

# --- no broker at start: it waits for one
mq_stop b
$R --client-id late > "$T/n.out" 2>"$T/n.err" &
pid=$!
_pids="$_pids $pid"
wait_for 10 grep -qs 'unable to connect' "$T/n.err"
check "no broker: said" grep -q 'unable to connect: Connection refused; retrying' "$T/n.err"
mq_broker b
wait_for 10 mq_subscribed b late
mq_pub b s/a/v 20
wait_for 10 lines "$T/n.out" '"value":20,' 1
check "the broker that came later is used" grep -q '"value":20,' "$T/n.out"
eq "the reason said once" "$(grep -c 'unable to connect' "$T/n.err")" 1
stop

# --- a broker that stops answering (SIGSTOP: the TCP connection stays, as
# behind a broken link): the keepalive finds it out, a connection without
# CONNACK is given up, and it is found again when it answers
start k keep --keepalive 5s
kill -STOP "$PID_b"
wait_for 20 grep -q 'connection lost' "$T/k.err"
check "a silent broker: the keepalive says the connection lost" grep -q 'connection lost' "$T/k.err"
wait_for 20 grep -q 'no answer to CONNECT' "$T/k.err"
check "a connection without CONNACK is given up" grep -q 'unable to connect: no answer to CONNECT' "$T/k.err"
kill -CONT "$PID_b"
wait_for 20 subs keep 2
mq_pub b s/a/v 30
wait_for 10 lines "$T/k.out" '"value":30,' 1
check "the broker answering again: messages flow" grep -q '"value":30,' "$T/k.out"
stop
