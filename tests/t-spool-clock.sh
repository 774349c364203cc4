#!/bin/bash
# The spool's ages (--max-age, --stale, oldest_age) through clock steps,
# made with libfaketime (the wall clock stepped, the boot clock not): NTP
# setting a Pi's clock 3 days forward drops nothing, a clock set back makes
# no age negative and blinds no stale check.
. "$(dirname "$0")/lib.sh"
need faketime
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$FT" ] || skip "libfaketime.so.1 not found"
# ASan must be the first library loaded: LD_PRELOAD of libfaketime aborts it
! ldd "$BIN/plx-buffer" | grep -q libasan || skip "an ASan build cannot run under libfaketime (LD_PRELOAD)"
# ft CMD...: CMD with its wall clock offset by what $T/ft says, read at each call
ft() { DONT_FAKE_MONOTONIC=1 FAKETIME_NO_CACHE=1 FAKETIME_TIMESTAMP_FILE=$T/ft LD_PRELOAD=$FT "$@"; }
field() { plx-buffer -d "$S" --status | awk -v k="$1" '$1 == k { print $2 }'; }
accepted_past() { [ "$(field accepted)" -ge "$1" ]; }
S=$T/spool.db

# a writer with --max-age 1h whose clock NTP steps 3 days forward
echo +0 > "$T/ft"
mkfifo "$T/in"
ft plx-buffer -a --max-age 1h --status-interval 1s -d "$S" < "$T/in" 2>"$T/err" & pid=$!
exec 8>"$T/in"
gen 10 >&8
wait_for 10 accepted_past 10
echo +3d > "$T/ft"
# two rounds of health records after the step: the age limit ran since
n=$(field accepted)
check "the writer goes on after the step" wait_for 10 accepted_past $((n + 16))
eq "a clock stepped 3 days forward drops nothing (--max-age 1h)" "$(field dropped)" 0
exec 8>&-; wait $pid

# --status under a clock set back a day, and set forward 3 days
echo -1d > "$T/ft"
ft plx-buffer -d "$S" --status --stale 1ms > "$T/st"; rc=$?
age=$(awk '$1 == "oldest_age" { print $2 }' "$T/st")
check "a clock set back: oldest_age is not negative ($age)" sh -c "case '$age' in -*) exit 1;; esac"
eq "... and --stale still sees a record waiting (exit 1)" $rc 1
echo +3d > "$T/ft"
ft plx-buffer -d "$S" --status > "$T/st"
eq "a clock set forward 3 days: nothing is stale (exit 0)" "$?" 0
check "... oldest_age as waited, not 3 days ($(awk '$1 == "oldest_age" { print $2 }' "$T/st"))" \
	awk '$1 == "oldest_age" { exit !($2 + 0 < 3600) }' "$T/st"
