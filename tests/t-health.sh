#!/bin/bash
# The gateway's own health: plx-upload's last exchange kept in the spool
# and shown by plx-buffer --status, whose exit status a health check uses;
# gateway.buffer.* and gateway.upload.* records reaching Plexus with the
# data; a clock off the server's said loudly and measured.
. "$(dirname "$0")/lib.sh"
export PLEXUS_API_KEY=plx_test
S=$T/s.db
field() { plx-buffer -d "$S" --status | awk -v k="$1" '$1 == k { print $2 }'; }

# 1. A server whose Date is 120 s ahead of us: said once, measured, kept.
start_server s --key plx_test --clock-skew 120
gen 100 | plx-buffer -a -d "$S"
timeout 30 plx-buffer -d "$S" </dev/null | timeout 30 plx-upload -d "$S" 2>"$T/u.err"
eq "delivered" "$(grep -c . "$T/s.store")" 100
check "the clock offset is said on stderr" grep -q "the system clock is -1[12][0-9]\.[0-9] s off the server's" "$T/u.err"
eq "said once" "$(grep -c "off the server's" "$T/u.err")" 1
off=$(field clock_offset)
check "plx-buffer --status shows the offset ($off)" sh -c "case '$off' in -11[89].*|-12[01].*) true;; *) false;; esac"
eq "last answer 200" "$(field upload_status)" 200
eq "no error" "$(field upload_error)" -
uok=$(field upload_ok)
check "upload_ok is recent ($uok)" sh -c "echo '$uok' | awk '/^[0-9]+\.[0-9]s\$/ && \$1 + 0 < 30 { ok = 1 } END { exit !ok }'"
plx-buffer -d "$S" --status >/dev/null
eq "--status: exit 0 when nothing waits" $? 0

# --clock-warn 0: never said; a small skew: not said either
gen 10 | timeout 30 plx-upload --clock-warn 0 2>"$T/u0.err"
eq "--clock-warn 0: delivered, and silent" "$?-$(grep -c . "$T/s.store")-$(grep -c "off the server's" "$T/u0.err")" "0-110-0"
start_server t --key plx_test --clock-skew 2
gen 10 | timeout 30 plx-upload 2>"$T/u2.err"
eq "2 s off, under the 60 s default: delivered, and silent" "$?-$(grep -c . "$T/t.store")-$(grep -c "off the server's" "$T/u2.err")" "0-10-0"

# 2. Nothing getting through: a stale record makes --status exit 1, and the
#    last error is shown.
start_server f --key plx_test --faults "[$(for i in $(seq 100); do printf '{"status":500},'; done){\"status\":500}]"
gen 5 | plx-buffer -a -d "$S"
timeout 30 plx-buffer -d "$S" </dev/null |
	timeout --foreground 3 plx-upload -d "$S" --backoff 100 --backoff-max 200 2>/dev/null
eq "the last answer was a 500" "$(field upload_status)" 500
check "with its error" sh -c "plx-buffer -d '$S' --status | grep -q '^upload_error *500'"
plx-buffer -d "$S" --status --stale 1 >/dev/null
eq "--status --stale 1 with a record waiting 3 s: exit 1" $? 1
plx-buffer -d "$S" --status --stale 3600 >/dev/null
eq "--stale 3600: exit 0" $? 0
plx-buffer -d "$S" --status --stale 0 >/dev/null
eq "--stale 0: never stale" $? 0

# 3. Health records, with the data: gateway.buffer.* from the drainer,
#    gateway.upload.* from the uploader, every second here.
#    The input stays open (fd 8) until they have all arrived, or 20 s.
start_server h --key plx_test
H=$T/h.db
health="buffer.depth buffer.bytes buffer.oldest_age_s buffer.accepted buffer.rejected buffer.dropped
	buffer.acked buffer.dead upload.read upload.rejected upload.delivered upload.dead upload.requests
	upload.retries upload.server_dropped upload.held upload.latency_ms upload.last_success_age_s
	upload.clock_offset_ms upload.clock_synced"
arrived() { grep -q "\"metric\": *\"gateway.$1\"" "$T/h.store" 2>/dev/null; }
all_arrived() { for m in $health; do arrived "$m" || return 1; done; }
mkfifo "$T/h.in"
timeout 60 plx-buffer -d "$H" --status-interval 1 < "$T/h.in" |
	timeout 60 plx-upload -d "$H" --status-interval 1 --batch-ms 100 2>"$T/h.err" & hp=$!
exec 8>"$T/h.in"
gen 50 >&8
wait_for 20 all_arrived
exec 8>&-; wait $hp
for m in $health; do
	check "gateway.$m arrives" arrived "$m"
done
check "gateway.buffer.* tagged with the spool" grep -q "\"spool\": *\"$H\"" "$T/h.store"
eq "and the 50 records of data" "$(grep -c '"metric": *"test.value"' "$T/h.store")" 50
eq "nothing on stderr" "$(wc -c < "$T/h.err")" 0
eq "the spool is empty at the end" "$(plx-buffer -d "$H" --status | awk '$1 == "depth" { print $2 }')" 0

# PLEXUS_CLOCK overrides what the kernel says, for tests
check "clock_synced from PLEXUS_CLOCK=unsynced" sh -c "PLEXUS_CLOCK=unsynced plx-buffer -d '$S' --status | grep -q '^clock_synced *no'"
check "clock_synced from PLEXUS_CLOCK=synced" sh -c "PLEXUS_CLOCK=synced plx-buffer -d '$S' --status | grep -q '^clock_synced *yes'"
