#!/bin/bash
# plx-command when things go wrong, each as plx-command(1) says: a wrong
# key (refused, said, retried slowly), a server that vanishes mid-run and
# returns (v1: the statuses replayed after command_sync; legacy: the
# result on the next connection), a goodbye (1001: back at once), two
# gateways with one source id (evicting each other: said), a server that
# never authenticates, SIGHUP (new commands and key: reconnect), SIGTERM
# while a command runs, a command directory others may write to, TLS.
# limit: 150
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/command-lib.sh"
export PLEXUS_API_KEY=plx_test PLEXUS_QUIET=
D=$T/commands
cmd_dir "$D"
mkcmd "$D" long '{"params":{"s":{"type":"number","default":2}},"timeout_s":20}' \
	"echo run >> $T/long.runs; sleep \"\$PLX_PARAM_S\"; echo '{\"slept\":true}'"
pc() { # NAME ARGS...: plx-command in the background, PC_NAME its pid
	n=$1; shift
	plx-command -C "$D" --status-interval 0 "$@" >"$T/$n.out" 2>"$T/$n.err" &
	eval "PC_$n=$!"
	_pids="$_pids $!"
}

# A wrong key: refused, said once, retried after --auth-retry, not at the backoff's pace.
gw k --protocol 1
PLEXUS_API_KEY=plx_wrong pc k -s gw-k -u "$WS_k" --backoff 50ms --auth-retry 1500ms
check "wrong key: refused" wait_for 10 grep -q 'the server refused us (Invalid API key): check the API key' "$T/k.err"
sleep 2.5
n=$(frames "$T/k.rec" '"event": "auth_refused"')
check "wrong key: retried slowly (--auth-retry 1.5s: 2 or 3 tries in 2.5 s, not 50) ($n)" test "$n" -ge 2 -a "$n" -le 3
eq "wrong key: said once" "$(grep -c 'refused us' "$T/k.err")" 1
check "wrong key: the key never reaches the record" sh -c "! grep -q plx_wrong '$T/k.rec'"
kill $PC_k; wait $PC_k
eq "wrong key: SIGTERM while down: exit 0" $? 0
kill $PID_k

# The server vanishes mid-run and comes back (v1): the result is kept and replayed.
gw v --protocol 1
pc v -s gw-v -u "$WS_v" --backoff 200ms --backoff-max 400ms
wait_for 10 connected "$GW_v" gw-v
push "$GW_v" gw-v long '{"s":2}' run_id=r-vanish >/dev/null
wait_for 10 saw "$T/v.rec" '"run_id": "r-vanish", "seq": 2, "state": "running"'
kill -9 $PID_v; wait $PID_v 2>/dev/null
check "vanish: the loss is said" wait_for 10 grep -q 'connection to the server ended: connection lost without a close frame' "$T/v.err"
check "vanish: the run finishes meanwhile" wait_for 10 grep -q 'long r-vanish: succeeded' "$T/v.err"
: > "$T/v.rec"
gw v --protocol 1
wait_for 10 saw "$T/v.rec" '"type": "command_sync"'
check "vanish: back: command_sync names the run and its last seq" \
	wait_for 10 saw "$T/v.rec" '"type": "command_sync", "runs": \[\{"run_id": "r-vanish", "state": "succeeded", "seq": 3\}\]'
check "vanish: the unacknowledged result replayed" saw "$T/v.rec" '"run_id": "r-vanish", "seq": 3, "state": "succeeded", "result": \{"slept": true\}'
eq "vanish: it ran once" "$(grep -c run "$T/long.runs")" 1
# the gateway redelivers it (an idempotent run): reported again, not run again
push "$GW_v" gw-v long '{"s":2}' run_id=r-vanish attempt=2 >/dev/null
check "vanish: a redelivery is reported again" wait_for 10 at_least 2 "$T/v.rec" '"run_id": "r-vanish", "seq": 3, "state": "succeeded"'
eq "vanish: and not run again" "$(grep -c run "$T/long.runs")" 1

# Nobody listening (connections refused, again and again), then a server:
# the next try finds it.
kill $PID_v; wait $PID_v 2>/dev/null
: > "$T/v.rec"
pc r -s gw-r -u "$WS_v" --backoff 100ms --backoff-max 200ms
check "refused connections: said" wait_for 10 grep -q 'unable to connect: ' "$T/r.err"
sleep 1
gw v --protocol 1
check "refused connections, then a server: connected" wait_for 5 connected "$GW_v" gw-r
kill $PC_r; wait $PC_r

# Statuses the server never acknowledged are replayed, acknowledged ones not.
wait_for 10 connected "$GW_v" gw-v
curl -s "$GW_v/acks?on=0" >/dev/null
push "$GW_v" gw-v long '{"s":0}' run_id=r-noack >/dev/null
wait_for 10 saw "$T/v.rec" '"run_id": "r-noack", "seq": 3, "state": "succeeded"'
: > "$T/v.rec"
curl -s "$GW_v/drop?source=gw-v" >/dev/null
check "no acks: after a reconnect all three statuses replayed" \
	wait_for 10 at_least 4 "$T/v.rec" '"run_id": "r-noack"'
check "no acks: and the acknowledged run is not" sh -c "! grep -q '\"run_id\": \"r-vanish\", \"seq\"' '$T/v.rec'"
curl -s "$GW_v/acks?on=1" >/dev/null

# A goodbye: close 1001, back at once (not after --backoff).
kill $PC_v; wait $PC_v
pc g -s gw-g -u "$WS_v" --backoff 20s
wait_for 10 connected "$GW_v" gw-g
: > "$T/v.rec"
curl -s "$GW_v/goodbye?source=gw-g" >/dev/null
check "goodbye: back within a second, despite --backoff 20s" wait_for 1 saw "$T/v.rec" '"event": "authenticated"'
check "goodbye: said" grep -q 'the server is going away (gateway restarting): reconnecting' "$T/g.err"

# Legacy: a result whose connection vanished goes on the next one.
gw l --protocol 0
pc l -s gw-l -u "$WS_l" --backoff 200ms --backoff-max 400ms
wait_for 10 connected "$GW_l" gw-l
id=$(push "$GW_l" gw-l long '{"s":1.5}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
wait_for 10 saw "$T/l.rec" "\"id\": \"$id\".*\"event\": \"ack\""
curl -s "$GW_l/drop?source=gw-l" >/dev/null
check "legacy: the result after the reconnect" wait_for 10 saw "$T/l.rec" "\"id\": \"$id\".*\"event\": \"result\", \"result\": \\{\"slept\": true\\}"
kill $PC_l; wait $PC_l

# Two gateways with one source id: the server keeps the newest; they evict
# each other through their reconnects, and say what it may be.
pc d1 -s gw-dup -u "$WS_l" --backoff 100ms --backoff-max 200ms
pc d2 -s gw-dup -u "$WS_l" --backoff 100ms --backoff-max 200ms
check "duplicate source id: evictions" wait_for 20 at_least 6 "$T/l.rec" '"event": "evicted"'
check "duplicate source id: said" wait_for 20 sh -c "grep -qh 'is another gateway connected with source id gw-dup' '$T/d1.err' '$T/d2.err'"
kill $PC_d1 $PC_d2; wait $PC_d1 $PC_d2

# SIGHUP: a new command and a new key are read; the manifest changes: reconnect.
pc h -s gw-h -u "$WS_l"
wait_for 10 connected "$GW_l" gw-h
mkcmd "$D" hello '{}' 'echo "{\"hi\":1}"'
: > "$T/l.rec"
kill -HUP $PC_h
check "SIGHUP: reconnects with the new manifest" wait_for 10 saw "$T/l.rec" '"source_id": "gw-h".*"commands": \[\{"name": "hello"'
check "SIGHUP: still running" kill -0 $PC_h
id=$(push "$GW_l" gw-h hello | sed 's/.*"id": "\([^"]*\)".*/\1/')
check "SIGHUP: the new command runs" wait_for 10 saw "$T/l.rec" "\"id\": \"$id\".*\"result\": \\{\"hi\": 1\\}"
chmod o+w "$D/hello"
kill -HUP $PC_h
check "SIGHUP: an unsafe file: said, the commands in use kept" wait_for 10 grep -q "SIGHUP: .*hello is writable by others.*keeping the" "$T/h.err"
chmod o-w "$D/hello"

# SIGTERM while a command runs: it finishes, its result goes out, then goodbye.
id=$(push "$GW_l" gw-h long '{"s":1}' | sed 's/.*"id": "\([^"]*\)".*/\1/')
check "SIGTERM: a run in hand (acknowledged)" wait_for 20 saw "$T/l.rec" "\"id\": \"$id\".*\"event\": \"ack\""
kill -TERM $PC_h; wait $PC_h
eq "SIGTERM with a run in hand: exit 0" $? 0
check "SIGTERM: the run's result went out first" wait_for 10 saw "$T/l.rec" "\"id\": \"$id\".*\"event\": \"result\""
check "SIGTERM: then goodbye" saw "$T/l.rec" '"event": "closed", "code": 1001'

# A server that takes device_auth and says nothing: closed after --auth-wait, retried.
$PY -c '
import asyncio, websockets, sys
async def h(ws, path=None):
    await ws.recv(); await asyncio.sleep(60)
async def main():
    async with websockets.serve(h, "127.0.0.1", 0) as s:
        open(sys.argv[1], "w").write(str(s.sockets[0].getsockname()[1]))
        await asyncio.Future()
asyncio.run(main())' "$T/mute.port" 2>/dev/null &
_pids="$_pids $!"
wait_for 10 test -s "$T/mute.port"
pc m -s gw-m -u "ws://127.0.0.1:$(cat "$T/mute.port")" --auth-wait 300ms --backoff 100ms
check "no authenticated frame: said and retried" wait_for 10 grep -qs 'no answer to device_auth in 0.3 s; retrying' "$T/m.err"
kill $PC_m; wait $PC_m

# TLS: wss:// verified against the system's CAs or --cacert, host name checked.
need openssl
( cd "$T" &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>/dev/null &&
  openssl req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=gw 2>/dev/null &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out server.pem \
	-extfile <(printf 'subjectAltName=IP:127.0.0.1\n') 2>/dev/null )
gw s --protocol 1 --tls-cert "$T/server.pem" --tls-key "$T/server.key"
W=wss://127.0.0.1:$(cat "$T/s.port")
pc s1 -s gw-tls -u "$W" --backoff 100ms --backoff-max 200ms
check "wss: a certificate the system does not trust: refused, said, retried" \
	wait_for 10 grep -q 'unable to connect: .*; retrying' "$T/s1.err"
check "wss: nothing authenticated" sh -c "! grep -q authenticated '$T/s.rec'"
kill $PC_s1; wait $PC_s1
pc s2 -s gw-tls -u "$W" --cacert "$T/ca.pem"
check "wss: --cacert: authenticated" wait_for 10 saw "$T/s.rec" '"source": "gw-tls", "event": "authenticated"'
kill $PC_s2; wait $PC_s2
pc s3 -s gw-tls -u "wss://localhost:$(cat "$T/s.port")" --cacert "$T/ca.pem" --backoff 100ms
check "wss: the host name is checked (the certificate names 127.0.0.1 only)" \
	wait_for 10 grep -q 'unable to connect: ' "$T/s3.err"
kill $PC_s3; wait $PC_s3
plx-command -C "$D" -u "$W" --cacert "$T/nothere" </dev/null 2>/dev/null
eq "an unreadable --cacert: exit 78" $? 78

# The command directory must be root's and written by nobody else.
if [ "$(id -u)" = 0 ]; then
	chmod o+w "$D"
	plx-command -C "$D" -u "$WS_l" </dev/null >/dev/null 2>"$T/err"
	eq "a directory others may write to: exit 78" $? 78
	check "... and why" grep -q "is writable by others (mode 0757): refusing to run commands from it" "$T/err"
	chmod o-w "$D"
	chown nobody "$D/long"
	plx-command -C "$D" -u "$WS_l" </dev/null >/dev/null 2>"$T/err"
	eq "a command not root's: exit 78" $? 78
	check "... and why" grep -q "long is not owned by root" "$T/err"
	chown root "$D/long"
	echo '{"params":{"x":{"type":"complex"}}}' > "$D/long.json"
	plx-command --check -C "$D" >/dev/null 2>"$T/err"
	eq "a wrong declaration: exit 78" $? 78
	check "... and why" grep -q 'long.json: params.x: "type" is string, integer, number or boolean' "$T/err"
else
	skip "the ownership checks need root"
fi
