#!/bin/bash
# Both tools under valgrind on a small pipeline with invalid input, a fault
# and a dead letter: no invalid access, no leak.  ASan binaries cannot run
# under valgrind, so a plain build is made in the temp dir.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { ok "# skip: valgrind not installed"; exit 0; }
mkdir -p "$T/src"
cp -r "$TOP/lib" "$TOP/cmd" "$TOP/Makefile" "$TOP/config.mk" "$T/src/"
make -s -C "$T/src" clean >/dev/null 2>&1
make -s -C "$T/src" SAN=0 CFLAGS="-O1 -g" >/dev/null 2>&1 || { nok "plain build for valgrind"; exit 1; }
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
B=$T/src/bin
export PLEXUS_API_KEY=plx_test
start_server v --key plx_test --faults '[{"status":503},{"reset":true},{"status":413}]' --reject-tag i=77
{ gen 3000; echo 'not json'; echo '{"metric":"","value":1}'; } > "$T/in"
$VG $B/plx-buffer -d "$T/s.db" < "$T/in" 2>"$T/vb.err" |
	$VG $B/plx-upload -d "$T/s.db" --backoff 10 --backoff-max 50 2>"$T/vu.err"
st=("${PIPESTATUS[@]}")
eq "plx-buffer valgrind clean" "${st[0]}" 0
eq "plx-upload valgrind clean" "${st[1]}" 0
grep -E '^==[0-9]+==' "$T/vb.err" "$T/vu.err" | head -20
eq "and the records arrived, but for one dead letter" "$(values "$T/v.store" | wc -l)-$($B/plx-buffer -d "$T/s.db" --dead | grep -c '"i":"77"')" 2999-1
$VG $B/plx-buffer -d "$T/s.db" --status >/dev/null 2>"$T/vs.err"
eq "plx-buffer --status valgrind clean" $? 0
