#!/bin/bash
# deploy/cron/plexus-modbus: the crontab's command line, run as cron would
# run it (its variables, the shell), several times in a row and several at
# once, before and while the drainer (plexus-upload.service's ExecStart, via
# tests/systemd-exec.sh) runs: every record appended reaches the server
# exactly once, and the spool ends empty.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/modbus-lib.sh"
R=$T/root
mkdir -p "$R/etc" "$R/state/plexus"
echo '{"units": {"1": {"hr": [[0, "regs", [11, 22]]]}}}' > "$T/mb.json"
mb_tcp mb "$T/mb.json"
printf '[device m]\ntcp = 127.0.0.1:%s\nholding:0:uint16:cron.a\nholding:1:uint16:cron.b\n' "$PORT_mb" > "$R/etc/meter.map"
start_server s --key plx_cron
printf 'plx_cron\n' > "$R/etc/api-key" && chmod 600 "$R/etc/api-key"
printf 'PLEXUS_GATEWAY_URL=%s\n' "$URL_s" > "$R/etc/upload.env"
unset PLEXUS_GATEWAY_URL

# the crontab's variables and its one job, with this test's paths
ct=$TOP/deploy/cron/plexus-modbus
paths() { sed -e "s|/etc/plexus|$R/etc|g" -e "s|/var/lib/plexus|$R/state/plexus|g"; }
vars=$(grep -E '^[A-Z_]+=' "$ct" | grep -v '^PATH=' | paths)
job=$(grep -E '^[*0-9]' "$ct")
cmd=$(echo "$job" | awk '{ for (i = 7; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "") }' | paths)
eq "the crontab has one job, run as user plexus" "$(echo "$job" | wc -l):$(echo "$job" | awk '{ print $6 }')" "1:plexus"
# cronrun: the job as cron runs it: a clean environment, the crontab's variables
cronrun() { env -i HOME="$HOME" PATH="$BIN:/usr/bin:/bin" $vars /bin/sh -c "$cmd"; }
spool=$R/state/plexus/spool.db
status() { PLEXUS_BUFFER=$spool plx-buffer --status | awk -v k="$1" '$1 == k { print $2 }'; }

for i in 1 2 3; do cronrun; done
eq "three runs before the drainer starts: their records wait in the spool" "$(status depth)" "$(status accepted)"
per=$(( $(status accepted) / 3 ))
check "each run appends its points and status records ($per)" test "$per" -ge 2

setsid "$TOP/tests/systemd-exec.sh" "$TOP/deploy/systemd/plexus-upload.service" "" "$R" 2>"$T/drain.err" &
drain=$!; _pids="$_pids $drain"
check "the drainer delivers them" wait_for 20 sh -c "[ \"\$(grep -c '\"cron.a\"' '$T/s.store' 2>/dev/null)\" -ge 3 ]"
for i in 1 2 3 4; do cronrun; done
runs=
for i in 1 2 3 4 5 6; do cronrun & runs="$runs $!"; done
wait $runs
check "13 runs (6 at once): every one appended" test "$(status accepted)" -eq $((13 * per))
check "the drainer delivers every record" wait_for 30 sh -c "[ \"\$(wc -l < '$T/s.store')\" -ge $((13 * per)) ]"
check "the spool is empty" wait_for 10 sh -c "[ \"\$(PLEXUS_BUFFER='$spool' plx-buffer --status | awk '\$1 == \"depth\" { print \$2 }')\" = 0 ]"
eq "every record arrived once: stored = appended" "$(wc -l < "$T/s.store")" "$((13 * per))"
eq "the spool acknowledged each once: acked = appended" "$(status acked)" "$(status accepted)"
eq "the points of each run: 13 of cron.a, 13 of cron.b" "$(grep -c '"cron.a"' "$T/s.store"):$(grep -c '"cron.b"' "$T/s.store")" "13:13"
kill -TERM -- "-$drain"; wait "$drain"
eq "the drainer stops with status 0" $? 0
