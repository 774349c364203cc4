#!/bin/bash
# The s6 services of deploy/s6 under s6-svscan in a temp scan directory:
#   plexus-serial-read: serial-read ==pipe==> log: plx-buffer -a
#   plexus-upload:      plx-buffer -f ==pipe==> log: plx-upload
#   plexus-log:         every stage's stderr, s6-log
# Records go in through a fifo the reader reads.  Each stage but the reader
# is restarted with s6-svc -r mid-stream: the uploader while it retries a
# batch (its log/finish restarts the drainer, which replays what it held),
# the drainer, then the appender right after a chunk was written.
# At the end every record is at the server (duplicates allowed, counted),
# and the spool is empty.
. "$(dirname "$0")/lib.sh"
need s6-svscan
S=$T/scan
mkdir -p "$S" "$T/etc"
for f in plexus.sh plexus-serial-read plexus-upload plexus-log; do cp -R "$TOP/deploy/s6/$f" "$S/"; done
start_server s --key plx_s6_key
printf 'plx_s6_key\n' > "$T/etc/api-key" && chmod 600 "$T/etc/api-key"
printf 'PLEXUS_GATEWAY_URL=%s\n' "$URL_s" > "$T/etc/upload.env"
mkfifo "$T/in.fifo"
echo "ARGS=\"-F json -r $T/in.fifo\"" > "$T/etc/serial-read@s6.env"
exec 7<>"$T/in.fifo"    # held open: the reader never sees end of file

# s6-svscanctl -t: s6-svscan gone within 30 s; else what is still there
# is said (one such wait under ASan in CI ran into the test's time limit,
# silently)
svscan_stop() {
	s6-svscanctl -t "$S" 2>/dev/null
	wait_for 30 sh -c "! kill -0 $svscan 2>/dev/null"
	if kill -0 "$svscan" 2>/dev/null; then
		nok "s6-svscanctl -t: s6-svscan gone within 30 s"
		ps -eo pid,ppid,stat,etime,wchan:24,args | grep -E 's6-|plx-|serial-read' | grep -v grep | sed 's/^/# /'
		kill -9 "$svscan" 2>/dev/null
	else
		ok "s6-svscanctl -t: s6-svscan gone within 30 s"
	fi
	wait "$svscan" 2>/dev/null
}
trap 'svscan_stop; _cleanup' EXIT
env -u PLEXUS_GATEWAY_URL -u PLEXUS_QUIET PLEXUS_ETC="$T/etc" PLEXUS_STATE="$T/state" \
	PLEXUS_RUN="$T/run" PLEXUS_LOG="$T/log" PLEXUS_USER= s6-svscan "$S" >"$T/svscan.out" 2>"$T/svscan.err" &
svscan=$!

# got N: the server holds each of the values 1..N of metric s6.t
got() { [ "$(grep '"s6.t"' "$T/s.store" 2>/dev/null | values /dev/stdin | wc -l)" -ge "$1" ]; }
up() { s6-svstat -o up "$S/$1" 2>/dev/null | grep -qx true; }
pid() { s6-svstat -o pid "$S/$1"; }
restart() { s6-svc -r -wr -T 10000 "$S/$1"; }
depth() { PLEXUS_BUFFER="$T/state/spool.db" plx-buffer --status | awk '$1 == "depth" { print $2 }'; }
for s in plexus-log plexus-serial-read plexus-serial-read/log plexus-upload plexus-upload/log; do
	check "$s is up under s6-svscan" wait_for 10 up "$s"
done

gen 1000 1 s6.t >&7
check "records flow: reader -> plx-buffer -a -> spool -> plx-buffer -f -> plx-upload -> server" wait_for 20 got 1000

# the server fails the next requests: the uploader retries a batch
faults '[{"status":503},{"status":503},{"status":503},{"status":503},{"status":503}]'
gen 1000 1001 s6.t >&7
check "the uploader is retrying a batch" wait_for 20 grep -q 'plx-upload.*503' "$T/log/current"
p=$(pid plexus-upload/log) q=$(pid plexus-upload)
check "s6-svc -r plexus-upload/log (plx-upload) mid-retry" restart plexus-upload/log
check "a new plx-upload runs" test "$(pid plexus-upload/log)" != "$p"
faults '[]'
check "log/finish restarted plx-buffer -f, to replay what plx-upload held" \
	wait_for 10 sh -c "[ \"\$(s6-svstat -o pid '$S/plexus-upload')\" != $q ]"
gen 1000 2001 s6.t >&7
check "records 1..3000 are all at the server" wait_for 20 got 3000
q=$(pid plexus-upload/log)
check "s6-svc -r plexus-upload (plx-buffer -f)" restart plexus-upload
eq "plx-upload ran on: s6-svscan held the pipe" "$(pid plexus-upload/log)" "$q"
gen 1000 3001 s6.t >&7
q=$(pid plexus-serial-read)
check "s6-svc -r plexus-serial-read/log (plx-buffer -a) right after a chunk went in" restart plexus-serial-read/log
eq "the reader ran on: s6-svscan held the pipe" "$(pid plexus-serial-read)" "$q"
gen 1000 4001 s6.t >&7
check "every record arrived: 1..5000" wait_for 30 got 5000
# s6-svc -h, what systemctl reload is to a unit, signals the service's
# process: the run script execs the reader (no shell left between, unlike a
# systemd unit's bash), so the SIGHUP reaches serial-read itself, which
# takes it (a recording has nothing to reopen) and runs on
q=$(pid plexus-serial-read)
eq "s6: the service's process is the reader itself" "$(cat "/proc/$q/comm")" serial-read
s6-svc -h "$S/plexus-serial-read"
gen 1000 5001 s6.t >&7
check "every record arrived: 1..6000" wait_for 30 got 6000
eq "... through the same reader: s6-svc -h before them did not end it" "$(pid plexus-serial-read)" "$q"
n=$(grep -c '"s6.t"' "$T/s.store")
echo "# $n records stored for 6000 sent: $((n - 6000)) duplicates (batches in flight at a restart)"
check "no record arrived three times or more" \
	sh -c "grep '\"s6.t\"' '$T/s.store' | grep -o '\"value\": *[0-9]*' | sort | uniq -c | awk '\$1 > 2 { exit 1 }'"
check "the spool is empty at the end" wait_for 10 sh -c "[ \"\$(PLEXUS_BUFFER='$T/state/spool.db' plx-buffer --status | awk '\$1 == \"depth\" { print \$2 }')\" = 0 ]"
check "s6-log keeps the stages' stderr in \$PLEXUS_LOG/current" grep -q '^@[0-9a-f]* plx-upload: 503' "$T/log/current"
check "stdout carried only records: nothing reached s6-svscan's" test ! -s "$T/svscan.out"
check "the key: a credential file, mode 0400, not in plx-upload's environment" \
	sh -c "test \"\$(stat -c %a '$T/run/credentials/plexus-api-key')\" = 400 && ! grep -q plx_s6_key /proc/$(pid plexus-upload/log)/environ"
