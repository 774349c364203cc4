#!/bin/bash
# mqtt-read to a broker named by a host name with IPv6 and IPv4 addresses
# (libmosquitto alone tries only the first one, mosquitto issue 574): a
# broker on 127.0.0.1 alone, the name resolving to ::1 first; a broker on
# ::1 alone, the resolver putting IPv4 first (gai.conf); with TLS, the
# certificate checked against the name; neither family answering said
# once, and connected when the broker comes. The name is in an /etc/hosts
# of the test's own, bind-mounted in a mount namespace (root).
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/mqtt-lib.sh"
need unshare
[ "$(id -u)" = 0 ] || skip "needs root: a mount namespace for /etc/hosts"
cd "$T" || exit 1
printf '::1 brokerhost\n127.0.0.1 brokerhost\n' > hosts
# glibc's default table with IPv4 (mapped) above every IPv6 address
printf 'precedence ::1/128 50\nprecedence ::/0 40\nprecedence 2002::/16 30\nprecedence ::/96 20\nprecedence ::ffff:0:0/96 100\n' > gai-v4
# The mount namespace: unshare makes its mounts private (so that the binds
# below stay in it), which needs / to be a mount point; a chroot's is not,
# and there the mounts must be private already (CI's fresh root,
# .ci/fresh-root), none of them shared.
if unshare -m true 2>/dev/null; then
	UNSHARE="unshare -m"
elif ! grep -q ' shared:' /proc/self/mountinfo; then
	UNSHARE="unshare -m --propagation unchanged"
else
	skip "a chroot with shared mounts: a bind mount here would show outside"
fi
# ns GAI CMD...: CMD with brokerhost in /etc/hosts (and GAI as /etc/gai.conf)
ns() {
	exec $UNSHARE sh -c 'mount --bind "$0" /etc/hosts && { [ -z "$1" ] || mount --bind "$1" /etc/gai.conf; } &&
		shift && exec "$@"' "$T/hosts" "$@"
}
first() { (ns "$1" getent ahosts brokerhost) | head -1 | awk '{ print $1 }'; }
eq "the name: ::1 first" "$(first "")" ::1
[ ! -e /etc/gai.conf ] || eq "... 127.0.0.1 first with gai-v4" "$(first "$T/gai-v4")" 127.0.0.1
R="mqtt-read -H brokerhost -F plain -t s/# --status-interval 1h --backoff-max 500ms"
got() { grep -q "\"metric\":\"v\",\"value\":$2[,}]" "$1"; }

# reach NAME GAI V FAMILY WHAT: mqtt-read to broker NAME by the name, a
# message of value V read, connected over FAMILY said
reach() {
	PLEXUS_QUIET= ns "$2" $R --port "$(eval echo "\$PORT_$1")" --client-id "$1" > "$1.out" 2> "$1.err" & pid=$!
	_pids="$_pids $pid"
	check "$5: subscribed" wait_for 10 mq_subscribed "$1" "$1"
	mq_pub "$1" s/a/v "$3"
	check "... a message read" wait_for 10 got "$1.out" "$3"
	check "... connected over $4, said" grep -q "broker brokerhost:[0-9]*: connected over $4\$" "$1.err"
	kill $pid; wait $pid 2>/dev/null
	mq_stop "$1"
}
mq_broker v4
reach v4 "" 1 IPv4 "a broker on 127.0.0.1 alone, the name's first address ::1"
check "... no failure said (IPv6 refused, IPv4 tried at once)" sh -c "! grep -q 'unable to connect' v4.err"
if [ -e /etc/gai.conf ]; then
	MQ_ADDR=::1 mq_broker v6
	reach v6 "$T/gai-v4" 2 IPv6 "a broker on ::1 alone, the resolver giving IPv4 first"
fi

# TLS on 127.0.0.1 alone, the certificate for the name only
test_certs "DNS:brokerhost"
TLSPORT=$(mq_free_port)
mq_broker tls "allow_anonymous true" "listener $TLSPORT 127.0.0.1" "cafile $T/ca.pem" \
	"certfile $T/server.pem" "keyfile $T/server.key"
PLEXUS_QUIET= ns "" $R --port "$TLSPORT" --client-id tls --cacert ca.pem > tls.out 2> tls.err & pid=$!
_pids="$_pids $pid"
check "TLS, the certificate names brokerhost only: subscribed over IPv4" wait_for 15 mq_subscribed tls tls
check "... connected over IPv4, said" grep -q 'connected over IPv4$' tls.err
kill $pid; wait $pid 2>/dev/null
mq_stop tls

# nothing on either family: said once, retried; then the broker comes
PORT_late=$(mq_free_port)
PLEXUS_QUIET= ns "" $R --port "$PORT_late" --client-id late > late.out 2> late.err & pid=$!
_pids="$_pids $pid"
check "no broker: said, naming both families" wait_for 10 grep -q 'unable to connect over IPv6 or IPv4: .*; retrying' late.err
sleep 2
eq "... said once over several attempts" "$(grep -c 'unable to connect' late.err)" 1
mq_broker late
check "the broker on 127.0.0.1 comes: subscribed" wait_for 10 mq_subscribed late late
check "... connected over IPv4, said" grep -q 'connected over IPv4$' late.err
kill $pid; wait $pid 2>/dev/null
check "mqtt-read alive until stopped (no crash)" sh -c "! grep -q -i 'sanitizer\|core dumped' v4.err tls.err late.err"
