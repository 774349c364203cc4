#!/bin/bash
# The s6 service plexus-command under s6-svscan in a temp scan directory:
#   plexus-command: plx-command ==pipe==> log: plx-buffer -a
# with the key copied as plexus-upload/log does, command.env read, the
# commands of $PLEXUS_ETC/commands; against the test gateway.
. "$(dirname "$0")/lib.sh"
need s6-svscan
. "$TOP/tests/command-lib.sh"
S=$T/scan
mkdir -p "$S" "$T/etc"
for f in plexus.sh plexus-command plexus-log; do cp -R "$TOP/deploy/s6/$f" "$S/"; done
gw c --protocol 1 --key plx_s6_key
printf 'plx_s6_key\n' > "$T/etc/api-key" && chmod 600 "$T/etc/api-key"
printf 'PLEXUS_GATEWAY_WS_URL=%s\nPLEXUS_SOURCE_ID=s6-cmd\n' "$WS_c" > "$T/etc/command.env"
cmd_dir "$T/etc/commands"
mkcmd "$T/etc/commands" ping_s6 '{}' 'echo "{\"pong\":true}"'

svscan_stop() { s6-svscanctl -t "$S" 2>/dev/null; wait "$svscan" 2>/dev/null; }
trap 'svscan_stop; _cleanup' EXIT
env -u PLEXUS_API_KEY -u PLEXUS_QUIET PLEXUS_ETC="$T/etc" PLEXUS_STATE="$T/state" \
	PLEXUS_RUN="$T/run" PLEXUS_LOG="$T/log" PLEXUS_USER= s6-svscan "$S" >"$T/svscan.out" 2>"$T/svscan.err" &
svscan=$!
up() { s6-svstat -o up "$S/$1" 2>/dev/null | grep -qx true; }
for s in plexus-log plexus-command plexus-command/log; do
	check "$s is up under s6-svscan" wait_for 10 up "$s"
done
check "plexus-command: authenticated with the copied key, as command.env's source" wait_for 20 connected "$GW_c" s6-cmd
check "the key is nowhere in the environment of plx-command" sh -c \
	"! tr '\0' '\n' < /proc/\$(s6-svstat -o pid '$S/plexus-command')/environ | grep -q plx_s6_key"
push "$GW_c" s6-cmd ping_s6 '{}' run_id=r-s6 >/dev/null
check "a command runs, its result comes back" \
	wait_for 10 saw "$T/c.rec" '"run_id": "r-s6", "seq": 3, "state": "succeeded", "result": \{"pong": true\}'
s6-svc -d -wd -T 10000 "$S/plexus-command"
check "s6-svc -d: goodbye (close 1001)" wait_for 10 saw "$T/c.rec" '"event": "closed", "code": 1001'
check "its health records reached the spool through log/ (plx-buffer -a)" wait_for 10 sh -c \
	"sqlite3 '$T/state/spool.db' 'select data from records' | grep -q 'gateway.command.succeeded\",\"value\":1'"
