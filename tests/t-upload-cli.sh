#!/bin/bash
# plx-upload's face: -h matches the man page, exit codes, where the API key
# may come from (never argv), and garbage on stdin skipped line by line.
. "$(dirname "$0")/lib.sh"
# Never hang the suite: a stuck plx-upload fails its check instead.
plx-upload() { timeout 20 "$BIN/plx-upload" "$@"; }

man=$TOP/cmd/plx-upload/plx-upload.1

# -h prints exactly the man page's SYNOPSIS (fonts and \- taken off).
syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$man" | grep -v '^\.' | sed 's/\\f[BIRP]//g; s/\\-/-/g' | tr -s ' \n' ' ')
use=$(plx-upload -h | sed 's/^usage: //' | tr -s ' \n' ' ')
eq "-h matches the man page SYNOPSIS" "$use" "$syn"
plx-upload -h >/dev/null; eq "-h exits 0" $? 0
eq "--version" "$(plx-upload --version)" "plx-upload $(sed -n 's/^VERSION *= *//p' "$TOP/config.mk")"
# Every long option of the program is documented.
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man" >"$T/man.txt"
missing=
for o in $(plx-upload -h | grep -o -- '-[a-z-]*' | sort -u); do
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
for args in "-n 0" "-n 10001" "-b 100" "-b 6M" "-z 10" "-t x" "-s Bad_Source" "--backoff 0" "extra"; do
	PLEXUS_API_KEY=plx_good plx-upload $args <"$T/in" 2>/dev/null; rc=$?
	eq "bad usage ($args): exit 64" $rc 64
done
PLEXUS_API_KEY=plx_good plx-upload -u ftp://example.com <"$T/in" 2>/dev/null; eq "ftp:// gateway: exit 78" $? 78
PLEXUS_API_KEY=plx_good plx-upload --dead-letter /nonexistent/dir/f <"$T/in" 2>/dev/null; eq "dead-letter file not creatable: exit 73" $? 73

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

# An envelope source id the server would refuse: records need their own.
: >"$T/s.store"
{ gen 1 1; echo '{"metric":"a.b","value":2,"source_id":"own"}'; } >"$T/mixed"
PLEXUS_SOURCE_ID=Not_Valid PLEXUS_API_KEY=plx_good plx-upload <"$T/mixed" 2>"$T/err"
eq "invalid envelope: record with its own source delivered" "$(values "$T/s.store")" 2
check "invalid envelope: record without source_id rejected" grep -q "line 1: source_id: missing" "$T/err"
