#!/bin/bash
# t-server.sh: check tests/plexus-server.py against shared/PLEXUS-API.md
# and its own test interface (keys, faults, rate limit, stats), with curl.
#
# Prints "ok - what" / "not ok - what" per check, then "N passed, N failed";
# exits 1 if anything failed. Needs bash, curl and python3 (for big bodies
# and for reading JSON).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
server=$here/plexus-server.py
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

npass=0
nfail=0
ok() { npass=$((npass + 1)); echo "ok - $1"; }
notok() {
	nfail=$((nfail + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then echo "#   $2"; fi
}
# check DESC COMMAND...: ok when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else notok "$desc"; fi
}
# same DESC GOT WANT
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got [$2], want [$3]"; fi
}

# start NAME ARGS...: run a server on a free port; sets $url and $pid.
start() {
	local name=$1 i
	shift
	"$py" "$server" --port 0 --port-file "$tmp/$name.port" "$@" 2>"$tmp/$name.log" &
	pid=$!
	pids+=("$pid")
	for i in $(seq 200); do
		[ -s "$tmp/$name.port" ] && break
		sleep 0.05
	done
	url=http://127.0.0.1:$(cat "$tmp/$name.port")
}

ua="selftest/1.0"
key=plx_write

# req PATH [curl args...]: any request; sets $code (curl-N on a transport
# error), $body, and the headers in $tmp/headers.
req() {
	local path=$1 rc=0
	shift
	code=$(curl -sS -o "$tmp/out" -D "$tmp/headers" -w '%{http_code}' -A "$ua" \
		"$@" "$url$path" 2>"$tmp/curlerr") || rc=$?
	if [ "$rc" -ne 0 ]; then code=curl-$rc; fi
	body=$(cat "$tmp/out" 2>/dev/null || true)
}
# post DATA [curl args...]: POST /ingest with the usual headers. DATA is
# JSON text, or @FILE.
post() {
	local data=$1
	shift
	req /ingest -H 'Content-Type: application/json' -H "x-api-key: $key" \
		--data-binary "$data" "$@"
}
# expect DESC CODE BODY DATA [curl args...]: post and compare exactly.
expect() {
	local desc=$1 want_code=$2 want_body=$3
	shift 3
	post "$@"
	if [ "$code" = "$want_code" ] && [ "$body" = "$want_body" ]; then
		ok "$desc"
	else
		notok "$desc" "got $code [$body], want $want_code [$want_body]"
	fi
}
# gen FILE PYTHON-EXPR: write the expression as JSON to $tmp/FILE.
gen() {
	"$py" -c 'import json, sys; sys.stdout.write(json.dumps(eval(sys.argv[1]), separators=(",", ":")))' \
		"$2" >"$tmp/$1"
}
gz() { "$py" -c 'import gzip, sys; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))'; }
# stat FIELD: one field of /_control/stats, as JSON.
stat() {
	curl -s "$url/_control/stats" |
		"$py" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[sys.argv[1]], sort_keys=True))' "$1"
}
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
last() { tail -n 1 "$tmp/store"; }
now_ms() { "$py" -c 'import time; print(int(time.time() * 1000))'; }

OK1='{"success":true,"count":1,"source_id":"gw"}'
P1='{"source_id":"gw","points":[{"metric":"a.b","value":1}]}'
bad() { echo "{\"error\":\"$1\"}"; }

# ---------------------------------------------------------------------------
echo "# start-up"
start main --key plx_write --key plx_read:read --key plx_bound:source=dev1 \
	--store "$tmp/store"
main_pid=$pid
main_url=$url
check "port file holds digits and a newline" \
	grep -qx '[0-9][0-9]*' "$tmp/main.port"
check "listening line on stderr" \
	grep -q "^plexus-server: listening on $url\$" "$tmp/main.log"

echo "# path and headers"
req /health
same "GET /health" "$code $body" '200 {"status":"ok"}'
expect "valid request" 200 "$OK1" "$P1"
req /ingest/ -X POST -H "x-api-key: $key" -d "$P1"
same "unknown path is 404" "$code" 404
req /ingest -H "x-api-key: $key"
same "GET /ingest is 405" "$code" 405
req /ingest -H 'Content-Type: application/json' -d "$P1"
same "missing x-api-key" "$code $body" "401 $(bad 'missing x-api-key')"
req /ingest -H 'Content-Type: application/json' -H 'x-api-key;' -d "$P1"
same "empty x-api-key" "$code $body" "401 $(bad 'missing x-api-key')"
key=plx_nope
expect "unknown key" 401 "$(bad 'invalid API key')" "$P1"
key=plx_write
req /ingest -H 'Content-Type: application/json' -H "X-API-KEY: $key" -d "$P1"
same "x-api-key header name in any case" "$code $body" "200 $OK1"
key=plx_read
expect "read-only key" 403 "$(bad 'key lacks write scope')" "$P1"
key=plx_bound
expect "bound key, its source" 200 '{"success":true,"count":1,"source_id":"dev1"}' \
	'{"source_id":"dev1","points":[{"metric":"a.b","value":1}]}'
expect "bound key, other source" 403 "$(bad 'key bound to another source')" "$P1"
expect "bound key, other source in one point" 403 "$(bad 'key bound to another source')" \
	'{"source_id":"dev1","points":[{"metric":"a","value":1},{"metric":"a","value":1,"source_id":"dev2"}]}'
key=plx_write
req /ingest -H "x-api-key: $key" -d "$P1"
same "Content-Type must be application/json" "$code $body" \
	"400 $(bad 'content-type must be application/json')"
req /ingest -H 'Content-Type: application/json; charset=utf-8' -H "x-api-key: $key" -d "$P1"
same "Content-Type with charset" "$code $body" "200 $OK1"
expect "User-Agent required" 400 "$(bad 'user-agent must be <tool>/<version>')" "$P1" -H 'User-Agent:'

echo "# body encoding and size"
printf '%s' "$P1" | gz >"$tmp/p1.gz"
for enc in gzip GZIP GzIp; do
	expect "Content-Encoding: $enc" 200 "$OK1" "@$tmp/p1.gz" -H "Content-Encoding: $enc"
done
printf 'not gzip at all' >"$tmp/bad.gz"
expect "bad gzip" 400 "$(bad 'invalid gzip body')" "@$tmp/bad.gz" -H 'Content-Encoding: gzip'
head -c 20 "$tmp/p1.gz" >"$tmp/trunc.gz"
expect "truncated gzip" 400 "$(bad 'invalid gzip body')" "@$tmp/trunc.gz" -H 'Content-Encoding: gzip'
expect "bad JSON" 400 "$(bad 'invalid JSON body')" '{"points":['
for lit in NaN Infinity -Infinity 1e400; do
	expect "$lit is not JSON" 400 "$(bad 'invalid JSON body')" \
		"{\"source_id\":\"gw\",\"points\":[{\"metric\":\"a\",\"value\":$lit}]}"
done
expect "top level must be an object" 400 "$(bad 'invalid JSON body')" '[1]'
printf '{"source_id":"gw","points":[{"metric":"a\377","value":1}]}' >"$tmp/latin1.json"
expect "invalid UTF-8" 400 "$(bad 'invalid JSON body')" "@$tmp/latin1.json"
"$py" - "$tmp" <<'EOF'
import gzip, json, sys
d = sys.argv[1]
s = json.dumps({"source_id": "gw", "points": [{"metric": "a.b", "value": 1}]})
limit = 5 * 1024 * 1024
for name, n in (("exact", limit), ("over", limit + 1)):
    body = (s + " " * (n - len(s))).encode()
    open(d + "/" + name + ".json", "wb").write(body)
    open(d + "/" + name + ".json.gz", "wb").write(gzip.compress(body))
EOF
expect "body of exactly 5 MiB" 200 "$OK1" "@$tmp/exact.json"
expect "body of 5 MiB + 1" 413 "$(bad 'payload too large')" "@$tmp/over.json"
expect "gzip body inflating to exactly 5 MiB" 200 "$OK1" "@$tmp/exact.json.gz" -H 'Content-Encoding: gzip'
expect "gzip body inflating past 5 MiB" 413 "$(bad 'payload too large')" "@$tmp/over.json.gz" -H 'Content-Encoding: gzip'
req /health
same "connection still usable after 413" "$code" 200
expect "chunked request body" 200 "$OK1" "$P1" -H 'Transfer-Encoding: chunked'

echo "# points array"
expect "empty points: no-op" 200 '{"success":true,"count":0}' '{"source_id":"gw","points":[]}'
expect "points missing" 400 "$(bad "'points' array is required")" '{"source_id":"gw"}'
expect "points not an array" 400 "$(bad 'points must be an array')" '{"source_id":"gw","points":{}}'
gen 10000.json '{"source_id":"gw","points":[{"metric":"m","value":i} for i in range(10000)]}'
gen 10001.json '{"source_id":"gw","points":[{"metric":"m","value":i} for i in range(10001)]}'
expect "10,000 points" 200 '{"success":true,"count":10000,"source_id":"gw"}' "@$tmp/10000.json"
expect "10,001 points" 400 "$(bad 'too many points: 10001 (max 10000)')" "@$tmp/10001.json"

echo "# metric name"
pt() { echo "{\"source_id\":\"gw\",\"points\":[$1]}"; }
m256=$(printf 'm%.0s' $(seq 256))
e128=$(printf '\303\251%.0s' $(seq 128))
MERR='points[0].metric must be a non-empty string of at most 256 bytes'
expect "metric of 256 bytes" 200 "$OK1" "$(pt "{\"metric\":\"$m256\",\"value\":1}")"
expect "metric of 257 bytes" 400 "$(bad "$MERR")" "$(pt "{\"metric\":\"${m256}x\",\"value\":1}")"
expect "metric of 256 UTF-8 bytes" 200 "$OK1" "$(pt "{\"metric\":\"$e128\",\"value\":1}")"
expect "metric of 258 UTF-8 bytes (129 chars)" 400 "$(bad "$MERR")" "$(pt "{\"metric\":\"${e128}é\",\"value\":1}")"
expect "empty metric" 400 "$(bad "$MERR")" "$(pt '{"metric":"","value":1}')"
expect "metric missing" 400 "$(bad "$MERR")" "$(pt '{"value":1}')"
expect "metric not a string" 400 "$(bad "$MERR")" "$(pt '{"metric":5,"value":1}')"

echo "# class and value"
NUM='points[0].value must be a number for class=metric'
expect "metric value true" 400 "$(bad "$NUM")" "$(pt '{"class":"metric","metric":"a","value":true}')"
expect "metric value string" 400 "$(bad "$NUM")" "$(pt '{"class":"metric","metric":"a","value":"1"}')"
expect "metric value float" 200 "$OK1" "$(pt '{"class":"metric","metric":"a","value":-1.5e3}')"
expect "no class, bool value: an event" 200 "$OK1" "$(pt '{"metric":"a","value":false,"timestamp":1}')"
same "no class stays no class in the store" "$(last)" \
	'{"metric":"a","value":false,"timestamp":1000,"source_id":"gw"}'
expect "class gauge" 400 "$(bad "points[0].class must be 'metric' or 'event', got \\\"gauge\\\"")" \
	"$(pt '{"class":"gauge","metric":"a","value":1}')"
expect "class not a string" 400 "$(bad "points[0].class must be 'metric' or 'event', got 5")" \
	"$(pt '{"class":5,"metric":"a","value":1}')"
s256=$(printf 's%.0s' $(seq 256))
expect "event string of 256 bytes" 200 "$OK1" "$(pt "{\"class\":\"event\",\"metric\":\"a\",\"value\":\"$s256\"}")"
expect "event string of 257 bytes" 400 "$(bad 'points[0].value string exceeds max length (256)')" \
	"$(pt "{\"class\":\"event\",\"metric\":\"a\",\"value\":\"${s256}s\"}")"
expect "event bool" 200 "$OK1" "$(pt '{"class":"event","metric":"a","value":true}')"
expect "event number" 200 "$OK1" "$(pt '{"class":"event","metric":"a","value":3}')"
expect "event object" 200 "$OK1" "$(pt '{"class":"event","metric":"a","value":{"lat":1,"lon":[2,3]}}')"
gen ev4096.json '{"source_id":"gw","points":[{"class":"event","metric":"a","value":["x"*4092]}]}'
gen ev4097.json '{"source_id":"gw","points":[{"class":"event","metric":"a","value":["x"*4093]}]}'
gen evhtml.json '{"source_id":"gw","points":[{"class":"event","metric":"a","value":["<"*700]}]}'
expect "event array of 4096 bytes" 200 "$OK1" "@$tmp/ev4096.json"
expect "event array of 4097 bytes" 400 "$(bad 'points[0].value exceeds max bytes (4096)')" "@$tmp/ev4097.json"
expect "event size counts <>& as Go escapes them" 400 "$(bad 'points[0].value exceeds max bytes (4096)')" \
	"@$tmp/evhtml.json"
expect "value null" 400 "$(bad 'points[0].value cannot be null')" "$(pt '{"metric":"a","value":null}')"
expect "value missing" 400 "$(bad 'points[0].value is required')" "$(pt '{"metric":"a"}')"

echo "# tags"
gen tags16.json '{"source_id":"gw","points":[{"metric":"a","value":1,"tags":{"k%d" % i:"v" for i in range(16)}}]}'
gen tags17.json '{"source_id":"gw","points":[{"metric":"a","value":1,"tags":{"k%d" % i:"v" for i in range(17)}}]}'
expect "16 tags" 200 "$OK1" "@$tmp/tags16.json"
expect "17 tags" 400 "$(bad 'points[0].tags exceeds max entries (16)')" "@$tmp/tags17.json"
expect "tag value not a string" 400 "$(bad 'points[0].tags[\"n\"] must be a string')" \
	"$(pt '{"metric":"a","value":1,"tags":{"n":1}}')"
expect "nested tags" 400 "$(bad 'points[0].tags[\"n\"] must be a string')" \
	"$(pt '{"metric":"a","value":1,"tags":{"n":{"x":"y"}}}')"
expect "tag key of 257 bytes" 400 "$(bad 'points[0].tags key too long')" \
	"$(pt "{\"metric\":\"a\",\"value\":1,\"tags\":{\"${s256}k\":\"v\"}}")"
expect "tag value of 257 bytes" 400 "$(bad 'points[0].tags[\"k\"] value too long')" \
	"$(pt "{\"metric\":\"a\",\"value\":1,\"tags\":{\"k\":\"${s256}v\"}}")"
expect "tag key and value of 256 bytes" 200 "$OK1" \
	"$(pt "{\"metric\":\"a\",\"value\":1,\"tags\":{\"$s256\":\"$s256\"}}")"
expect "tags not an object" 400 "$(bad 'points[0].tags must be an object')" \
	"$(pt '{"metric":"a","value":1,"tags":["a"]}')"
expect "tags null" 400 "$(bad 'points[0].tags must be an object')" \
	"$(pt '{"metric":"a","value":1,"tags":null}')"

echo "# source_id"
SRE='must match ^[a-z0-9][a-z0-9._-]*$'
for sid in Bad -x .x 'a b' 'a/b' 'gw\n'; do
	expect "source_id \"$sid\" refused" 400 "$(bad "points[0] source_id $SRE")" \
		"{\"source_id\":\"$sid\",\"points\":[{\"metric\":\"a\",\"value\":1}]}"
done
expect "source_id of 256 bytes" 200 "{\"success\":true,\"count\":1,\"source_id\":\"$s256\"}" \
	"{\"source_id\":\"$s256\",\"points\":[{\"metric\":\"a\",\"value\":1}]}"
expect "source_id of 257 bytes" 400 "$(bad 'points[0] source_id exceeds max length (256)')" \
	"{\"source_id\":\"${s256}s\",\"points\":[{\"metric\":\"a\",\"value\":1}]}"
expect "per-point source_id wins" 200 '{"success":true,"count":1,"source_id":"dev9"}' \
	'{"source_id":"gw","points":[{"metric":"a","value":1,"source_id":"dev9","timestamp":5}]}'
same "  ...and is stored" "$(last)" '{"metric":"a","value":1,"source_id":"dev9","timestamp":5000}'
expect "no source_id anywhere" 400 \
	"$(bad 'points[1] missing source_id (set top-level source_id or per-point source_id)')" \
	'{"points":[{"metric":"a","value":1,"source_id":"x"},{"metric":"a","value":1}]}'
expect "per-point source_id not a string" 400 "$(bad 'points[0].source_id must be a string')" \
	'{"source_id":"gw","points":[{"metric":"a","value":1,"source_id":7}]}'
expect "several sources: no source_id in the answer" 200 '{"success":true,"count":2}' \
	'{"source_id":"gw","points":[{"metric":"a","value":1},{"metric":"a","value":1,"source_id":"x"}]}'

echo "# timestamp"
expect "timestamp string" 400 "$(bad 'points[0].timestamp must be a number')" \
	"$(pt '{"metric":"a","value":1,"timestamp":"1763800000123"}')"
expect "timestamp bool" 400 "$(bad 'points[0].timestamp must be a number')" \
	"$(pt '{"metric":"a","value":1,"timestamp":true}')"
expect "timestamp in seconds" 200 "$OK1" "$(pt '{"metric":"a","value":1,"timestamp":1763800000}')"
same "  ...stored as ms" "$(last)" '{"metric":"a","value":1,"timestamp":1763800000000,"source_id":"gw"}'
expect "timestamp in ms" 200 "$OK1" "$(pt '{"metric":"a","value":1,"timestamp":1763800000123}')"
same "  ...stored as is" "$(last)" '{"metric":"a","value":1,"timestamp":1763800000123,"source_id":"gw"}'
t0=$(now_ms)
expect "timestamp missing" 200 "$OK1" "$(pt '{"metric":"a","value":1}')"
t1=$(now_ms)
ts=$(last | "$py" -c 'import json, sys; print(json.load(sys.stdin)["timestamp"])')
check "  ...stored as the receive time" [ "$ts" -ge "$t0" -a "$ts" -le "$t1" ]

echo "# whole-request rejection and pass-through"
n=$(lines "$tmp/store")
expect "one bad point rejects all, naming its index" 400 "$(bad "$NUM" | sed 's/points\[0\]/points[2]/')" \
	"$(pt '{"metric":"a","value":1},{"metric":"a","value":2},{"class":"metric","metric":"a","value":"x"}')"
same "  ...and nothing is stored" "$(lines "$tmp/store")" "$n"
expect "unknown fields pass through" 200 "$OK1" \
	"$(pt '{"metric":"a","value":1,"timestamp":1763800000123,"unit":"V","extra":{"x":[1]}}')"
same "  ...and are stored" "$(last)" \
	'{"metric":"a","value":1,"timestamp":1763800000123,"unit":"V","extra":{"x":[1]},"source_id":"gw"}'

echo "# keys at run time"
req /_control/keys -d '{"remove":["plx_write"]}'
same "POST /_control/keys remove" "$code" 200
expect "revoked key" 401 "$(bad 'invalid API key')" "$P1"
req /_control/keys -d '{"add":["plx_write"]}'
expect "key added back" 200 "$OK1" "$P1"
req /_control/keys -d '{"add":["plx_x:bogus"]}'
same "bad key form refused" "$code" 400

echo "# faults"
req /_control/faults -d '[{"status":503},{"status":502},{"status":500},{"status":418},{"status":429,"retry_after":2},{"status":503,"retry_after_date":true}]'
same "POST /_control/faults" "$code $body" '200 {"success":true,"pending":6}'
req /_control/faults
check "GET /_control/faults lists them" [ "$(echo "$body" | "$py" -c 'import json, sys; print(len(json.load(sys.stdin)["pending"]))')" = 6 ]
expect "fault 503" 503 "$(bad 'gateway degraded')" "$P1"
expect "fault 502" 502 "$(bad 'failed to queue telemetry')" "$P1"
expect "fault 500" 500 "$(bad 'internal error')" "$P1"
expect "fault 418" 418 "$(bad 'injected')" "$P1"
expect "fault 429" 429 "$(bad 'injected')" "$P1"
check "  ...with Retry-After: 2" grep -qix 'retry-after: 2.' "$tmp/headers"
expect "fault with Retry-After date" 503 "$(bad 'gateway degraded')" "$P1"
check "  ...as an HTTP-date" grep -qiE '^retry-after: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' "$tmp/headers"
expect "queue exhausted: normal again" 200 "$OK1" "$P1"

req /_control/faults -d '[{"reset":true}]'
post "$P1"
same "fault reset: connection reset" "$code" curl-56
check "  ...by a RST" grep -qi 'reset by peer' "$tmp/curlerr"

req /_control/faults -d '[{"delay":1}]'
t0=$(now_ms)
expect "fault delay" 200 "$OK1" "$P1"
t1=$(now_ms)
check "  ...took at least 1 s" [ $((t1 - t0)) -ge 1000 ]

req /_control/faults -d '[{"hang":true}]'
n=$(lines "$tmp/store")
post "$P1" --max-time 2
same "fault hang: no answer" "$code" curl-28
same "  ...but the point is stored" "$(lines "$tmp/store")" $((n + 1))

req /_control/faults -d '[{"status":200,"dropped":2}]'
n=$(lines "$tmp/store")
expect "fault dropped 2 of 5" 200 '{"success":true,"count":3,"source_id":"gw","dropped":2}' \
	"$(pt '{"metric":"a","value":1},{"metric":"a","value":2},{"metric":"a","value":3},{"metric":"a","value":4},{"metric":"a","value":5}')"
same "  ...3 stored" "$(lines "$tmp/store")" $((n + 3))
same "  ...the first 3" "$(last | cut -c1-23)" '{"metric":"a","value":3'

req /_control/faults -d '[{"short_count":true}]'
n=$(lines "$tmp/store")
expect "fault short_count" 200 '{"success":true,"count":1,"source_id":"gw"}' \
	"$(pt '{"metric":"a","value":1},{"metric":"a","value":2}')"
same "  ...yet both stored" "$(lines "$tmp/store")" $((n + 2))

req /_control/faults -d '[{"body":"<html>log in</html>"},{"status":302,"location":"http://portal/x"}]'
n=$(lines "$tmp/store")
expect "fault body: a captive portal's page" 200 '<html>log in</html>' "$P1"
same "  ...as text/html, nothing stored" "$(grep -ci '^content-type: text/html' "$tmp/headers") $(lines "$tmp/store")" "1 $n"
post "$P1"
same "fault location: a Location header" "$code $(grep -i '^location:' "$tmp/headers" | tr -d '\r')" "302 Location: http://portal/x"

req /_control/faults -d '[{"ok":true},{"status":503}]'
expect "fault ok" 200 "$OK1" "$P1"
expect "  ...then the next entry" 503 "$(bad 'gateway degraded')" "$P1"
req /_control/faults -d '[{"status":"503"}]'
same "bad fault entry refused" "$code" 400
req /_control/faults -d '[{"sttaus":503}]'
same "unknown fault field refused" "$code" 400
req /_control/faults -d '[{"status":503}]'
req /_control/faults -X DELETE
same "DELETE /_control/faults clears" "$body" '{"success":true,"pending":0}'
expect "  ...so the next request is normal" 200 "$OK1" "$P1"
req /_control/faults -d '[{"status":503}]'
req /health
same "faults only hit /ingest" "$code" 200
req /_control/faults -X DELETE

echo "# stats and keep-alive"
req /_control/reset_stats -X POST
same "POST /_control/reset_stats" "$code" 200
same "  ...zeroes the counters" "$(stat requests) $(stat points_stored)" "0 0"
curl -s -o /dev/null -A "$ua" "$url/health" --next -s -o /dev/null -A "$ua" \
	-H 'Content-Type: application/json' -H "x-api-key: $key" \
	--data-binary "@$tmp/p1.gz" -H 'Content-Encoding: gzip' "$url/ingest"
same "keep-alive: two requests, one connection" "$(stat keepalive_reuses)" 1
same "requests counted, control ones not" "$(stat requests)" 2
same "by_status" "$(stat by_status)" '{"200": 2}'
same "gzip_requests" "$(stat gzip_requests)" 1
same "max_body_bytes is the wire size" "$(stat max_body_bytes)" "$(wc -c <"$tmp/p1.gz" | tr -d ' ')"
post "@$tmp/10000.json"
same "max_points_in_request" "$(stat max_points_in_request)" 10000
same "points_stored" "$(stat points_stored)" 10001
check "user_agents" grep -q "\"$ua\"" <(stat user_agents)

echo "# robustness"
exec 3<>"/dev/tcp/127.0.0.1/${url##*:}"
printf 'POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"points"' >&3
exec 3>&-
# (the server notices when it reads again: wait for its line, 10 s at most)
for i in $(seq 100); do grep -q 'client disconnected mid-request' "$tmp/main.log" && break; sleep 0.1; done
req /health
same "client gone mid-body: server still serves" "$code" 200
check "  ...logged in one line" grep -q 'client disconnected mid-request' "$tmp/main.log"
check "  ...and no traceback" bash -c "! grep -q Traceback '$tmp/main.log'"
check "request lines are logged" grep -q '"POST /ingest" 200' "$tmp/main.log"

echo "# demo mode (no --key)"
start demo --quiet
key=plx_anything
expect "any plx_ key" 200 "$OK1" "$P1"
key=abc
expect "other keys refused" 401 "$(bad 'invalid API key')" "$P1"
req /ingest -H 'Content-Type: application/json' -d "$P1"
same "missing key still 401" "$code" 401
req /_control/keys -d '{"remove":["plx_anything"],"add":["plx_ro:read"]}'
key=plx_anything
expect "revoked in demo mode" 401 "$(bad 'invalid API key')" "$P1"
key=plx_ro
expect "read key added in demo mode" 403 "$(bad 'key lacks write scope')" "$P1"
same "--quiet: only the listening line" "$(wc -l <"$tmp/demo.log" | tr -d ' ')" 1
key=plx_write

echo "# --faults, --rate-limit"
start cli --quiet --faults '[{"status":503},{"ok":true},{"status":429,"retry_after":1}]' --rate-limit 3
expect "--faults first entry" 503 "$(bad 'gateway degraded')" "$P1"
expect "--faults second entry" 200 "$OK1" "$P1"
expect "--faults third entry" 429 "$(bad 'injected')" "$P1"
req /_control/reset_stats -X POST
sleep 1.1
for i in 1 2 3; do post "$P1"; done
same "--rate-limit 3: third request passes" "$code $body" "200 $OK1"
expect "  ...the fourth is dropped" 200 '{"success":true,"count":0,"source_id":"gw","dropped":1}' "$P1"
expect "  ...per source" 200 '{"success":true,"count":1,"source_id":"gw2"}' \
	'{"source_id":"gw2","points":[{"metric":"a","value":1}]}'
same "  ...dropped points are not stored" "$(stat points_stored)" 4
sleep 1.1
expect "  ...and the window slides" 200 "$OK1" "$P1"

start crash --quiet --crash-tag k=boom
expect "--crash-tag: a point so tagged fails the request" 500 "$(bad 'internal error')" \
	'{"source_id":"gw","points":[{"metric":"a","value":1},{"metric":"a","value":2,"tags":{"k":"boom"}}]}'
expect "  ...every time" 500 "$(bad 'internal error')" \
	'{"source_id":"gw","points":[{"metric":"a","value":2,"tags":{"k":"boom"}}]}'
expect "  ...the others are served" 200 "$OK1" "$P1"
expect "  ...and an empty request" 200 '{"success":true,"count":0}' '{"source_id":"gw","points":[]}'

echo "# --fault-rate"
seq_of() {
	local i out=""
	for i in $(seq 20); do
		post "$P1" --max-time 5
		out="$out $code"
	done
	echo "$out"
}
start rate1 --quiet --fault-rate 0.5 --seed 7
s1=$(seq_of)
start rate2 --quiet --fault-rate 0.5 --seed 7
s2=$(seq_of)
same "same seed, same faults" "$s1" "$s2"
check "  ...some faults happen ($s1)" bash -c "echo '$s1' | grep -qv '^\( 200\)*\$'"
check "  ...some requests pass" bash -c "echo '$s1' | grep -q ' 200'"
start rate3 --quiet --fault-rate 0.5 --seed 8
s3=$(seq_of)
check "  ...another seed, other faults" [ "$s1" != "$s3" ]

echo "# options and signals"
rc=0
"$py" "$server" --faults '[{"bogus":1}]' 2>/dev/null || rc=$?
same "bad --faults: exit 64" "$rc" 64
rc=0
"$py" "$server" --key plx_a:nope 2>/dev/null || rc=$?
same "bad --key: exit 64" "$rc" 64
url=$main_url
kill -TERM "$main_pid"
rc=0
wait "$main_pid" || rc=$?
same "SIGTERM: exit 0" "$rc" 0
start sigint --quiet
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
same "SIGINT: exit 0" "$rc" 0

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
