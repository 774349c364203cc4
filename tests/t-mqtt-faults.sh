#!/bin/bash
# mqtt-read against a broker that asks for a login and a client
# certificate: a wrong password said clearly and retried slowly, the login
# from a file or the environment (never argv), SIGHUP after fixing it; TLS
# verified (a broker signed by another CA refused), client certificates; a
# stuck consumer (counted, the broker connection never stalls); usage
# errors.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
need mosquitto_passwd
cd "$T" || exit 1

# A CA, the broker's certificate for localhost, a client's; another CA.
test_certs "DNS:localhost,IP:127.0.0.1"
check "test certificates made" [ -s ca.pem -a -s server.pem -a -s client.pem -a -s other.pem ]
touch passwd
mosquitto_passwd -b passwd gw s3cret
mosquitto_passwd -b passwd pub pubpw
TLSPORT=$(mq_free_port)
# max_queued_messages 0: the broker holds every message for a slow
# subscriber (its default, 1000 beyond those in flight, drops the rest, and
# the stuck consumer's 3000 below arrive faster than a loaded machine acks)
mq_broker b "allow_anonymous false" "password_file $T/passwd" "max_queued_messages 0" \
	"listener $TLSPORT 127.0.0.1" "cafile $T/ca.pem" "certfile $T/server.pem" "keyfile $T/server.key" \
	"require_certificate true"
pub() { mq_pub b "$1" "$2" -u pub -P pubpw; }
R="mqtt-read -H 127.0.0.1 --port $PORT_b -F plain -t s/# --status-interval 1h"
has() { grep -q -- "$2" "$1"; }
refusals() { grep -c 'disconnected, not authorised' "$T/b.log"; }

# --- a wrong password: said, with what to check; retried after --backoff-max only
printf 'username=gw\npassword=wrong\n' > auth
chmod 600 auth
PLEXUS_QUIET= $R --client-id pw --auth-file auth --backoff-max 2s > pw.out 2> pw.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 has pw.err 'refused'
check "a wrong password is said, naming the login's sources" \
	grep -q 'broker 127.0.0.1:[0-9]*: unable to connect: the broker refused the connection: .*not authori[sz]ed.*--auth-file' pw.err
sleep 3
n=$(refusals)
check "retried slowly: 2 or 3 attempts in 3 s with --backoff-max 2s (got $n)" [ "$n" -ge 2 -a "$n" -le 3 ]
eq "the reason said once" "$(grep -c 'refused' pw.err)" 1
check "the password is on no command line" sh -c "! grep -q s3cret /proc/$pid/cmdline"
# fixed, and SIGHUP: at once
printf 'username=gw\npassword=s3cret\n' > auth
kill -HUP "$pid"
wait_for 5 mq_subscribed b pw
check "SIGHUP after the fix: connected at once" mq_subscribed b pw
pub s/a/v 1
wait_for 10 has pw.out '"value":1,'
check "messages flow after the fix" has pw.out '"value":1,'
check "connected again is said" grep -q ': connected$' pw.err
kill "$pid"
wait "$pid"

# --- the login from the environment; a file others may read is said
PLEXUS_MQTT_USERNAME=gw PLEXUS_MQTT_PASSWORD=s3cret $R --client-id env > env.out 2>/dev/null &
pid=$!
_pids="$_pids $pid"
wait_for 10 mq_subscribed b env
check "PLEXUS_MQTT_USERNAME and PLEXUS_MQTT_PASSWORD log in" mq_subscribed b env
kill "$pid"
wait "$pid"
chmod 644 auth
$R --client-id mode --auth-file auth > /dev/null 2> mode.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 mq_subscribed b mode
check "an auth file others may read is said" grep -q 'auth: others may read the password' mode.err
kill "$pid"
wait "$pid"

# --- TLS: the broker verified, a client certificate presented
export PLEXUS_MQTT_USERNAME=gw PLEXUS_MQTT_PASSWORD=s3cret
T_R="mqtt-read -H 127.0.0.1 --port $TLSPORT -F plain -t s/# --status-interval 1h"
$T_R --client-id tls --cacert ca.pem --cert client.pem --cert-key client.key > tls.out 2> tls.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 mq_subscribed b tls
check "TLS with a client certificate: subscribed" mq_subscribed b tls
pub s/a/v 2
wait_for 10 has tls.out '"value":2,'
check "TLS: messages arrive" has tls.out '"value":2,'
kill "$pid"
wait "$pid"
PLEXUS_QUIET= $T_R --client-id tlsbad --cacert other.pem --cert client.pem --cert-key client.key \
	> /dev/null 2> tlsbad.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 has tlsbad.err 'unable to connect'
check "a broker another CA signed: refused, said" grep -q 'unable to connect' tlsbad.err
check "... and not subscribed" sh -c "! grep -q 'SUBSCRIBE from tlsbad' '$T/b.log'"
kill "$pid"
wait "$pid"
$T_R --client-id nocert --cacert ca.pem > /dev/null 2> nocert.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 has nocert.err 'unable to connect'
check "no client certificate where the broker wants one: not connected, said" \
	sh -c "grep -q 'unable to connect' nocert.err && ! grep -q 'SUBSCRIBE from nocert' '$T/b.log'"
kill "$pid"
wait "$pid"
# a TLS broker not there yet: refused, said, no busy loop (libmosquitto's
# TLS connect took the refusal for a handshake in progress: 100 % CPU until
# "no answer to CONNECT"); connected once it is there
LATE=$(mq_free_port)
PLEXUS_QUIET= mqtt-read -H 127.0.0.1 --port "$LATE" -F plain -t s/# --status-interval 1h --backoff-max 500ms \
	--client-id late --cacert ca.pem --cert client.pem --cert-key client.key > late.out 2> late.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 has late.err 'unable to connect'
check "a TLS broker not there: said at once" grep -q 'unable to connect: the connection was refused or closed before the broker answered; retrying' late.err
c0=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
sleep 3
c1=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
check "... no busy loop: under 0.5 s of CPU in 3 s of retries ($((c1 - c0)) ticks)" [ $((c1 - c0)) -lt $(( $(getconf CLK_TCK) / 2 )) ]
PORT_late=$LATE
mq_broker late "allow_anonymous false" "password_file $T/passwd" "cafile $T/ca.pem" "certfile $T/server.pem" \
	"keyfile $T/server.key" "require_certificate true"
check "... there: connected, subscribed" wait_for 10 mq_subscribed late late
kill "$pid"
wait "$pid"
mq_stop late
mqtt-read --cert client.pem -t x > /dev/null 2> usage.err
eq "--cert without --cert-key: usage error" $? 64

# --- a stuck consumer: records dropped and counted, the broker never stalled
rm -f go
mkfifo fifo
# a consumer that takes nothing until told to
sh -c 'while [ ! -e go ]; do sleep 0.1; done; exec cat' < fifo > stuck.out &
_pids="$_pids $!"
PLEXUS_QUIET= $R --client-id stuck --queue 64k > fifo 2> stuck.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 mq_subscribed b stuck
seq 1 3000 | sed 's/^/{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","n":/; s/$/}/' |
	mosquitto_pub -h 127.0.0.1 -p "$PORT_b" -u pub -P pubpw -q 1 -t s/a/j -l
# (the broker sends 20 at a time: every one sent, then every one acknowledged)
sent() { [ "$(mq_count b 'Sending PUBLISH to stuck ')" -ge 3000 ]; }
wait_for 30 sent
wait_for 20 mq_acked b stuck
check "every message acknowledged to the broker while stdout is stuck" mq_acked b stuck
check "no keepalive timeout or disconnect at the broker" sh -c "! grep -q 'Client stuck .*disconnected\|stuck has exceeded' '$T/b.log'"
touch go
kill "$pid"
wait "$pid"
eq "SIGTERM with a stuck consumer: exit 0" $? 0
wait_for 10 grep -q 'gateway.mqtt.overruns' stuck.out
o=$(grep -o '"gateway.mqtt.overruns","value":[0-9]*' stuck.out | sed 's/.*://')
check "overruns counted (${o:-none})" [ "${o:-0}" -gt 0 ]
check "messages counted: 3000" wait_for 10 grep -q '"gateway.mqtt.messages","value":3000,' stuck.out
check "the drops said on stderr" grep -q 'dropped' stuck.err

# --- malformed payloads: one stderr line each, counted, the run goes on
PLEXUS_QUIET= mqtt-read -H 127.0.0.1 --port "$PORT_b" -F zigbee2mqtt --client-id bad --status-interval 1h \
	> bad.out 2> bad.err &
pid=$!
_pids="$_pids $pid"
wait_for 10 mq_subscribed b bad
for p in '{"temperature":' '[1,2]' 'not json' '{"temperature":21}'; do pub zigbee2mqtt/s1 "$p"; done
wait_for 10 mq_acked b bad
kill "$pid"
wait "$pid"
eq "three malformed payloads: three lines on stderr" "$(grep -c 'zigbee2mqtt/s1: json' bad.err)" 3
check "... counted as rejected" grep -q '"gateway.mqtt.rejected","value":3,' bad.out
check "... and the good one after them printed" grep -q '"metric":"temperature","value":21,' bad.out
