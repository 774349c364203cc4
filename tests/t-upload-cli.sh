#!/bin/bash
# plx-upload's face: -h matches the man page, exit codes, where the API key
# may come from (never argv), and garbage on stdin skipped line by line.
. "$(dirname "$0")/lib.sh"
# Never hang the suite: a stuck plx-upload fails its check instead.
plx-upload() { timeout 20 "$BIN/plx-upload" "$@"; }

man=$TOP/cmd/plx-upload/plx-upload.1

# -h prints exactly the man page's SYNOPSIS (fonts and \- taken off),
# then a line for each option.
syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$man" | grep -v '^\.' | sed 's/\\f[BIRP]//g; s/\\-/-/g' | tr -s ' \n' ' ')
use=$(plx-upload -h | sed '/^$/,$d; s/^usage: //' | tr -s ' \n' ' ')
eq "-h matches the man page SYNOPSIS" "$use" "$syn"
plx-upload -h >/dev/null; eq "-h exits 0" $? 0
eq "--version" "$(plx-upload --version)" "plx-upload $(sed -n 's/^VERSION *= *//p' "$TOP/config.mk")"
# Every long option of the program is documented.
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man" >"$T/man.txt"
missing=
opts=$(plx-upload -h | sed '1,/^$/d' | grep -oE '^ +(-[a-zA-Z], )?--?[a-z][a-z-]*' | grep -oE -- '--?[a-z][a-z-]*')
check "-h lists the options" [ "$(echo $opts | wc -w)" -ge 20 ]
for o in $opts; do
	grep -q -- "^\.[BT].*$o" "$T/man.txt" || missing="$missing $o"
done
eq "man page documents every option of -h" "$missing" ""

start_server s --key plx_good
gen 3 >"$T/in"

# No key anywhere: one line, EX_CONFIG.
plx-upload <"$T/in" 2>"$T/err"; rc=$?
eq "no key: exit 78" $rc 78
eq "no key: one line on stderr" "$(wc -l <"$T/err")" 1
check "no key: the line says how to give one" grep -q "PLEXUS_API_KEY" "$T/err"

# A key on the command line is refused, whatever its form.
for args in "plx_good" "--api-key=plx_good" "-u plx_good" "--source=plx_good"; do
	PLEXUS_API_KEY=plx_good plx-upload $args <"$T/in" 2>"$T/err"; rc=$?
	eq "key on the command line ($args): exit 64" $rc 64
	check "key on the command line ($args): says why" grep -q "never accepted on the command line" "$T/err"
done
PLEXUS_API_KEY=plx_good plx-upload --api-key <"$T/in" 2>/dev/null; eq "no --api-key option: exit 64" $? 64
eq "nothing reached the server" "$(stats | grep -o '"requests":[0-9]*')" '"requests":0'

# Bad values: usage errors, before anything is read.
for args in "--batch-points 0" "--batch-points 10001" "--batch-bytes 100" "--batch-bytes 6M" "-z 13" \
	"--batch-ms x" "--timeout 1x" "--clock-warn -1" "-s Bad_Source" "--backoff 0" "-n 0" "-t x" "extra"; do
	PLEXUS_API_KEY=plx_good plx-upload $args <"$T/in" 2>/dev/null; rc=$?
	eq "bad usage ($args): exit 64" $rc 64
done
PLEXUS_API_KEY=plx_good plx-upload -u ftp://example.com <"$T/in" 2>/dev/null; eq "ftp:// gateway: exit 78" $? 78
PLEXUS_API_KEY=plx_good plx-upload --dead-letter /nonexistent/dir/f <"$T/in" 2>/dev/null; eq "dead-letter file not creatable: exit 73" $? 73

# The old spellings of the batch options (and --source, --gzip-level)
# still work for a release, and each says once that it is deprecated.
curl -s -X POST "$PLEXUS_GATEWAY_URL/_control/reset_stats" >/dev/null
: >"$T/s.store"
gen 10 | PLEXUS_API_KEY=plx_good plx-upload -n 4 -b 2k -t 50 --gzip-level 1 --source old-style 2>"$T/err"; rc=$?
eq "deprecated spellings: exit 0, all delivered" "$rc-$(values "$T/s.store" | wc -l)" "0-10"
eq "deprecated -n 4: 3 requests, 4 points at most" \
	"$(stats | grep -o '"requests":[0-9]*')-$(stats | grep -o '"max_points_in_request":[0-9]*')" \
	'"requests":3-"max_points_in_request":4'
eq "deprecated --source: the envelope's source id" "$(grep -c '"source_id":"old-style"' "$T/s.store")" 10
for o in "-n/--points is deprecated: use --batch-points" "-b/--bytes is deprecated: use --batch-bytes" \
	"-t is deprecated: use --batch-ms" "--gzip-level is deprecated: use -z/--gzip" \
	"--source is deprecated: use -s/--source-id"; do
	eq "said once: $o" "$(grep -c -- "^plx-upload: $o\$" "$T/err")" 1
done
eq "nothing else said" "$(wc -l <"$T/err")" 5
# the new ones, with durations
: >"$T/s.store"
gen 10 | PLEXUS_API_KEY=plx_good plx-upload --batch-points 5 --batch-bytes 4k --batch-ms 0.5s -z 1 \
	--timeout 5s --connect-timeout 2s --backoff 100ms --backoff-max 1m --auth-retry 1m --clock-warn 2m \
	--status-interval 1h -s new-style 2>"$T/err"; rc=$?
eq "new spellings and durations: exit 0, delivered, nothing said" \
	"$rc-$(grep -c '"source_id":"new-style"' "$T/s.store")-$(wc -c <"$T/err")" "0-10-0"

# Where the key comes from: env, -k file (wins over env), config.json.
PLEXUS_API_KEY=plx_good plx-upload <"$T/in"; eq "key from PLEXUS_API_KEY: exit 0" $? 0
printf 'plx_good\n' >"$T/key"; chmod 600 "$T/key"
PLEXUS_API_KEY=plx_wrong plx-upload -k "$T/key" <"$T/in" 2>"$T/err"; rc=$?
eq "key from -k file, over the environment: exit 0" $rc 0
eq "-k file 0600: no warning" "$(cat "$T/err")" ""
chmod 644 "$T/key"
PLEXUS_API_KEY=plx_good plx-upload -k "$T/key" <"$T/in" 2>"$T/err"
check "-k file readable by others: warned" grep -q "readable by others" "$T/err"
plx-upload -k "$T/nokey" <"$T/in" 2>/dev/null; eq "-k missing file: exit 78" $? 78
mkdir -p "$HOME/.plexus"
printf '{"api_key":"plx_good","source_id":"from-config"}\n' >"$HOME/.plexus/config.json"
chmod 600 "$HOME/.plexus/config.json"
: >"$T/s.store"
plx-upload <"$T/in"; eq "key from ~/.plexus/config.json: exit 0" $? 0
eq "source_id from config.json" "$(grep -c '"source_id":"from-config"' "$T/s.store")" 3
: >"$T/s.store"
PLEXUS_SOURCE_ID=from-env plx-upload -s from-flag <"$T/in"
eq "-s overrides env and config" "$(grep -c '"source_id":"from-flag"' "$T/s.store")" 3
rm "$HOME/.plexus/config.json"
mkdir -p "$T/cred"; printf 'plx_good\n' >"$T/cred/plexus-api-key"; chmod 600 "$T/cred/plexus-api-key"
CREDENTIALS_DIRECTORY=$T/cred plx-upload <"$T/in"; eq "key from a systemd credential: exit 0" $? 0

# Garbage on stdin: one line each, naming the line; the rest delivered.
: >"$T/s.store"
{
	gen 2 1
	echo 'not json at all'
	gen 1 3
	echo '{"metric":"x.y","value":"NaN","class":"metric"}'
	echo '[1,2,3]'
	echo '{"metric":"x.y","value":1} trailing'
	gen 1 4
	head -c 70000 /dev/zero | tr '\0' 'x'; echo
	echo '{"metric":"","value":1}'
	echo '{"metric":"x.y","value":1,"tags":{"a":1}}'
	echo '{"metric":"x.y","value":1,"source_id":"Upper"}'
	gen 1 5
} >"$T/garbage"
PLEXUS_QUIET= PLEXUS_API_KEY=plx_good plx-upload <"$T/garbage" 2>"$T/err"; rc=$?
eq "garbage: exit 0" $rc 0
eq "garbage: good records delivered" "$(values "$T/s.store" | tr '\n' ' ')" "1 2 3 4 5 "
for n in 3 5 6 7 9 10 11 12; do
	check "garbage: line $n reported" grep -q "^plx-upload: line $n: " "$T/err"
done
eq "garbage: one line per bad line, plus the summary" "$(wc -l <"$T/err")" 9
check "garbage: summary counts 8 rejected" grep -q "5 records delivered.* 8 lines rejected" "$T/err"
check "overlong line named as such" grep -q "line 9: longer than 65536 bytes" "$T/err"

# A flood of junk on stdin (issue 20): at most 20 lines a second on
# stderr, the others said as a count; every one counted.
awk 'BEGIN { for (i = 0; i < 20000; i++) print "junk " i }' >"$T/junk"
gen 3 >>"$T/junk"
: >"$T/s.store"
PLEXUS_QUIET= PLEXUS_API_KEY=plx_good plx-upload <"$T/junk" 2>"$T/err"; rc=$?
n=$(grep -c '^plx-upload: line [0-9]*: ' "$T/err")
eq "20000 junk lines: exit 0, the 3 records delivered" "$rc-$(values "$T/s.store" | wc -l)" "0-3"
check "20000 junk lines: a few said ($n)" [ "$n" -ge 20 -a "$n" -lt 200 ]
check "20000 junk lines: the others said as a count" grep -q 'more bad lines not shown$' "$T/err"
check "20000 junk lines: all counted" grep -q "3 records delivered.* 20000 lines rejected" "$T/err"

# An envelope source id the server would refuse: records need their own.
: >"$T/s.store"
{ gen 1 1; echo '{"metric":"a.b","value":2,"source_id":"own"}'; } >"$T/mixed"
PLEXUS_SOURCE_ID=Not_Valid PLEXUS_API_KEY=plx_good plx-upload <"$T/mixed" 2>"$T/err"
eq "invalid envelope: record with its own source delivered" "$(values "$T/s.store")" 2
check "invalid envelope: record without source_id rejected" grep -q "line 1: source_id: missing" "$T/err"
