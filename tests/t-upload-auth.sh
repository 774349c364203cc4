#!/bin/bash
# A refused key (401, 403) holds everything: nothing stored, nothing
# acknowledged, one loud line; once the key is good — added on the server,
# or fixed in the key file — the data goes, with no restart.
. "$(dirname "$0")/lib.sh"
plx-upload() { timeout 30 "$BIN/plx-upload" "$@"; }
UP="--auth-retry 200 --backoff 10 --backoff-max 100"

stat() { stats | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
atleast() { [ "$(stat "$1")" -ge "$2" ]; }
keys() { curl -s -X POST --data "$1" "$PLEXUS_GATEWAY_URL/_control/keys" >/dev/null; }
counter() { plx-buffer -d "$S" --status | awk -v k="$1" '$1 == k { print $2 }'; }
running() { kill -0 "$1" 2>/dev/null; }
said() { wait_for 20 grep -q "$1" "$2"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# 401 invalid key, from a spool: held, then delivered when the key is added.
start_server a --key plx_good
S=$T/a.db
gen 1000 | plx-buffer -a -d "$S"
t0=$(ms)
plx-buffer -d "$S" </dev/null | PLEXUS_API_KEY=plx_late plx-upload -d "$S" $UP 2>"$T/a.err" &
pid=$!
check "401: retried (3 requests)" wait_for 20 atleast requests 3
sleep 1    # more retries, if they come too fast
n=$(stat requests) t=$(( $(ms) - t0 ))
check "401: still running, holding" running $pid
eq "401: nothing stored, nothing acknowledged" "$(grep -c . "$T/a.store")-$(counter acked)-$(counter depth)" "0-0-1000"
eq "401: said once, however many retries" "$(grep -c 'refused: holding all data' "$T/a.err")" 1
check "401: with the server's message and where the key came from" \
	grep -q "401 invalid API key: the API key (from PLEXUS_API_KEY) is refused" "$T/a.err"
# up to --in-flight (4) requests were on their way when the first 401 came
check "401: retried slowly (--auth-retry 200: $n requests in $t ms)" [ "$n" -le $((t / 200 + 4)) ]
keys '{"add":["plx_late"]}'
wait $pid
eq "401: exit 0 once the key is valid" $? 0
eq "401: all delivered, all acknowledged" "$(values "$T/a.store" | wc -l)-$(counter acked)-$(counter depth)" "1000-1000-0"
check "401: said when the key was accepted" grep -q "accepted again" "$T/a.err"

# 403: a key without write scope, then the same key given write scope.
start_server r --key plx_ro:read
gen 100 | PLEXUS_API_KEY=plx_ro plx-upload $UP 2>"$T/r.err" &
pid=$!
check "403 read-only key: said so" said "403 key lacks write scope" "$T/r.err"
eq "403 read-only key: nothing stored" "$(grep -c . "$T/r.store")" 0
keys '{"add":["plx_ro"]}'
wait $pid
eq "403 read-only key: delivered once it may write" "$?-$(values "$T/r.store" | wc -l)" "0-100"

# 403: a key bound to another source.
start_server b --key plx_bound:source=other
gen 100 | PLEXUS_API_KEY=plx_bound plx-upload -s mine $UP 2>"$T/b.err" &
pid=$!
check "403 key bound to another source: said so" said "403 key bound to another source" "$T/b.err"
eq "403 key bound to another source: nothing stored" "$(grep -c . "$T/b.store")" 0
keys '{"add":["plx_bound:source=mine"]}'
wait $pid
eq "403 bound key: delivered once bound to ours" "$?-$(values "$T/b.store" | wc -l)" "0-100"

# The key file is read again before each slow retry: fix it, no restart.
start_server k --key plx_right
printf 'plx_wrong\n' >"$T/key"; chmod 600 "$T/key"
gen 100 | plx-upload -k "$T/key" $UP 2>"$T/k.err" &
pid=$!
check "wrong key in the file: refused" said "401 invalid API key" "$T/k.err"
eq "wrong key in the file: nothing stored" "$(grep -c . "$T/k.store")" 0
printf 'plx_right\n' >"$T/key.new"; chmod 600 "$T/key.new"; mv "$T/key.new" "$T/key"
wait $pid
eq "key file fixed: delivered without a restart" "$?-$(values "$T/k.store" | wc -l)" "0-100"

# SIGHUP: a new key is taken before the old one is revoked, so no 401 at all.
# The second 5 records are written once the old key is revoked (the input
# is a fifo held open on fd 7), so they can only go with the new key.
start_server h --key plx_one --key plx_two
printf 'plx_one\n' >"$T/hkey"; chmod 600 "$T/hkey"
mkfifo "$T/h.in"
# (the binary itself, not the timeout wrapper, so that $! is its pid)
PLEXUS_QUIET= "$BIN/plx-upload" -k "$T/hkey" --batch-ms 100 $UP <"$T/h.in" 2>"$T/h.err" &
pid=$!
exec 7>"$T/h.in"
gen 5 >&7
check "SIGHUP: the first 5 delivered with the old key" wait_for 20 sh -c "[ \$(grep -c . '$T/h.store') -eq 5 ]"
printf 'plx_two\n' >"$T/hkey"
kill -HUP $pid
check "SIGHUP: the key read again" wait_for 20 grep -q "API key changed, read from $T/hkey" "$T/h.err"
check "SIGHUP: still running" kill -0 $pid
keys '{"remove":["plx_one"]}'
gen 5 6 >&7
exec 7>&-
wait $pid
eq "SIGHUP: exit 0, all 10 delivered" "$?-$(values "$T/h.store" | wc -l)" "0-10"
eq "SIGHUP: the new key was in use before the old one was revoked" "$(stats | grep -c '"401"')" 0

# SIGTERM while held: exit 0 at once, nothing acknowledged.
start_server t --key plx_good
S=$T/t.db
gen 100 | plx-buffer -a -d "$S"
plx-buffer -d "$S" </dev/null | PLEXUS_API_KEY=plx_bad "$BIN/plx-upload" -d "$S" --auth-retry 60000 2>"$T/t.err" &
pid=$!
check "SIGTERM while held: holding" said "refused: holding all data" "$T/t.err"
t0=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "SIGTERM while held: exit 0" $rc 0
check "SIGTERM while held: at once ($ms ms)" [ "$ms" -lt 2000 ]
eq "SIGTERM while held: nothing acknowledged" "$(counter acked)-$(counter depth)" "0-100"
