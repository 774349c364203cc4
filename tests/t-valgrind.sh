#!/bin/bash
# Both tools under valgrind on a small pipeline with invalid input, faults
# (a captive portal's page among them), a dead letter and a record that
# makes the server fail: no invalid access, no leak.  ASan binaries cannot run
# under valgrind, so a plain build is made in the temp dir.
. "$(dirname "$0")/lib.sh"
valgrind_build bin/plx-buffer bin/plx-upload
B=$VGBIN
export PLEXUS_API_KEY=plx_test
start_server v --key plx_test --faults '[{"status":503},{"reset":true},{"status":413},{"body":"<html>"}]' \
	--reject-tag i=77 --crash-tag i=1500
{ gen 3000; echo 'not json'; echo '{"metric":"","value":1}'; } > "$T/in"
$VG $B/plx-buffer -d "$T/s.db" < "$T/in" 2>"$T/vb.err" |
	$VG $B/plx-upload -d "$T/s.db" --backoff 10 --backoff-max 50 2>"$T/vu.err"
st=("${PIPESTATUS[@]}")
eq "plx-buffer valgrind clean" "${st[0]}" 0
eq "plx-upload valgrind clean" "${st[1]}" 0
grep -E '^==[0-9]+==' "$T/vb.err" "$T/vu.err" | head -20
eq "and the records arrived, but for two dead letters" \
	"$(values "$T/v.store" | wc -l)-$($B/plx-buffer -d "$T/s.db" --dead | grep -c -e '"i":"77"' -e '"i":"1500"')" 2998-2
$VG $B/plx-buffer -d "$T/s.db" --status >/dev/null 2>"$T/vs.err"
eq "plx-buffer --status valgrind clean" $? 0
