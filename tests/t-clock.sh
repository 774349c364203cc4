#!/bin/bash
# Clock sanity: records taken while the clock is not synchronised carry a
# mark of their place on the boot's clock; plx-upload takes it off and, when
# it knows the real time (our clock once synchronised, else the server's Date
# header), corrects their timestamps; records of another boot, and records
# taken with a synchronised clock, go as they were stamped.
. "$(dirname "$0")/lib.sh"
export PLEXUS_API_KEY=plx_test
[ -r /proc/sys/kernel/random/boot_id ] || skip "no /proc/sys/kernel/random/boot_id"
boot=$(cut -c1-8 /proc/sys/kernel/random/boot_id)
ts() { grep -o '"timestamp": *[0-9]*' "$1" | sed 's/.*: *//'; }
# deltas FILE: the time from each record to the next
deltas() { ts "$1" | awk 'NR > 1 { print $1 - p } { p = $1 }'; }

# Readers mark records while the clock is unsynchronised, not otherwise.
printf 't=1\n' | PLEXUS_CLOCK=unsynced serial-read --status-interval 0 - > "$T/u.out"
check "unsynchronised: the record carries _plx_clk BOOT:MS" \
	grep -q "\"timestamp\":[0-9]*,\"_plx_clk\":\"$boot:[0-9]*\"}" "$T/u.out"
printf 't=1\n' | PLEXUS_CLOCK=synced serial-read --status-interval 0 - > "$T/s.out"
check "synchronised: no mark" sh -c "! grep -q _plx_clk '$T/s.out'"
plx-buffer -a -d "$T/m.db" < "$T/u.out" 2>"$T/m.err"
eq "plx-buffer accepts marked records" "$(plx-buffer -d "$T/m.db" --status | awk '$1 == "accepted" { print $2 }')/$(wc -c < "$T/m.err")" "1/0"

# A server an hour ahead: our clock is an hour behind.  Marked records get
# the server's time; the mark never reaches it.
start_server a --key plx_test --clock-skew 3600
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "t=%d\n", i }' > "$T/in"
# four bursts of five, 0.2 s apart: records to keep the spacing of
for i in 0 5 10 15; do sed -n "$((i + 1)),$((i + 5))p" "$T/in"; sleep 0.2; done |
	PLEXUS_CLOCK=unsynced serial-read --status-interval 0 - > "$T/a.recs"
before=$(ts "$T/a.recs" | head -1)
PLEXUS_CLOCK=unsynced timeout 30 plx-upload --status-interval 0 < "$T/a.recs" 2>"$T/a.err"
eq "all 20 delivered" "$(grep -c '"metric": *"t"' "$T/a.store")" 20
check "no _plx_clk at the server" sh -c "! grep -q _plx_clk '$T/a.store'"
after=$(ts "$T/a.store" | head -1)
d=$(( (after - before) / 1000 ))
check "timestamps moved by the server's offset: +${d} s (3600 +- 2)" [ "$d" -ge 3598 -a "$d" -le 3602 ]
deltas "$T/a.recs" > "$T/a.d"; deltas "$T/a.store" > "$T/s.d"
# (to 2 ms: the mark is on the boot's clock, the stamp on the wall clock)
check "their order and spacing kept ($(awk '{ s += $1 } END { print s + 0 }' "$T/s.d") ms from first to last)" sh -c "paste '$T/a.d' '$T/s.d' |
	awk '{ d = \$1 - \$2; if (d < -2 || d > 2) bad++; sum += \$1 } END { exit bad || NR != 19 || sum < 600 }'"

# The same records once our clock is synchronised: corrected from it, so
# they keep (within a second) the time they were stamped with.
start_server b --key plx_test --clock-skew 3600
PLEXUS_CLOCK=synced timeout 30 plx-upload --clock-warn 0 < "$T/a.recs" 2>"$T/b.err"
after=$(ts "$T/b.store" | head -1)
check "synchronised now: corrected from our clock ($((after - before)) ms)" [ $((after - before)) -ge -1000 -a $((after - before)) -le 1000 ]
check "no _plx_clk at the server" sh -c "! grep -q _plx_clk '$T/b.store'"

# A mark from another boot: sent as stamped, mark off, said once.
start_server c --key plx_test --clock-skew 3600
printf '{"metric":"x","value":%d,"timestamp":1000000000000,"_plx_clk":"00000000:5"}\n' 1 2 3 > "$T/c.recs"
PLEXUS_CLOCK=unsynced timeout 30 plx-upload --clock-warn 0 < "$T/c.recs" 2>"$T/c.err"
eq "another boot: timestamps as stamped" "$(ts "$T/c.store" | sort -u)" 1000000000000
check "no _plx_clk at the server" sh -c "! grep -q _plx_clk '$T/c.store'"
eq "said once" "$(grep -c 'in an earlier boot' "$T/c.err")" 1

# Unmarked records are sent byte for byte; a value that merely mentions
# _plx_clk is no mark.
start_server d --key plx_test --clock-skew 3600
printf '{"metric":"e","value":"_plx_clk","timestamp":1763800000000}\n' | \
	PLEXUS_CLOCK=unsynced timeout 30 plx-upload --clock-warn 0 2>"$T/d.err"
eq "a string mentioning _plx_clk: untouched" "$(ts "$T/d.store")" 1763800000000
eq "nothing said" "$(wc -c < "$T/d.err")" 0

# Through the whole pipeline, with the spool in between.
start_server e --key plx_test --clock-skew -7200
PLEXUS_CLOCK=unsynced serial-read --status-interval 0 -r "$T/in" | plx-buffer -d "$T/e.db" |
	PLEXUS_CLOCK=unsynced timeout 30 plx-upload -d "$T/e.db" --clock-warn 0 2>"$T/e.err"
eq "pipeline: all 20 delivered" "$(grep -c '"metric": *"t"' "$T/e.store")" 20
d=$(( ($(ts "$T/e.store" | head -1) - $(date +%s%3N)) / 1000 ))
check "pipeline: stamped two hours back, as the server's clock says (${d} s)" [ "$d" -ge -7205 -a "$d" -le -7195 ]
eq "pipeline: the spool is empty" "$(plx-buffer -d "$T/e.db" --status | awk '$1 == "depth" { print $2 }')" 0
