#!/bin/bash
# The API key in plx-upload: never on the command line (attached forms
# too), not in a core dump or in reach of ptrace (non-dumpable), wiped from
# its environment once read, and said when http:// would send it in clear
# text to another machine.
. "$(dirname "$0")/lib.sh"
need setpriv
export PLEXUS_GATEWAY_URL=http://127.0.0.1:9
for a in -kplx_abc -uplx_abc -splx_abc --url=plx_abc; do
	plx-upload $a < /dev/null 2>"$T/argv.err"
	eq "a key attached to an option ($a): refused (64), not echoed" "$?-$(grep -c plx_abc "$T/argv.err")" 64-0
done

# a running plx-upload, as an ordinary user, its key in the environment
chmod 755 "$T"; mkfifo "$T/in"; chmod 666 "$T/in"
PLEXUS_API_KEY=plx_secret_4711 setpriv --reuid nobody --regid nogroup --clear-groups \
	"$BIN/plx-upload" --status-interval 0 < "$T/in" 2>/dev/null & pid=$!
_pids="$_pids $pid"
exec 8>"$T/in"
wait_for 10 sh -c "grep -q plx-upload /proc/$pid/cmdline"
# a process that is not dumpable has its /proc files owned by root
check "plx-upload is not dumpable (its /proc/PID/environ is root's)" wait_for 5 sh -c "[ \$(stat -c %u /proc/$pid/environ) = 0 ]"
check "... and the key is wiped from its environment" wait_for 5 sh -c "! grep -q plx_secret_4711 /proc/$pid/environ"
exec 8>&-; wait $pid

# http:// to another machine
PLEXUS_API_KEY=plx_k PLEXUS_GATEWAY_URL=http://user@192.0.2.7:8080/x plx-upload < /dev/null 2>"$T/h.err"
check "http:// to another host: said" grep -q 'is http://: the API key goes in clear text to 192.0.2.7 (use https://)' "$T/h.err"
for u in http://127.0.0.1:9 http://localhost:9 'http://[::1]:9' https://192.0.2.7; do
	PLEXUS_API_KEY=plx_k PLEXUS_GATEWAY_URL=$u plx-upload < /dev/null 2>"$T/h.err"
	eq "... not for $u" "$(grep -c 'clear text' "$T/h.err")" 0
done
