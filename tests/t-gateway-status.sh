#!/bin/bash
# plexus-gateway status, the one command a person runs first: the key there
# (never printed), the source id and where it comes from, the spool's
# plx-buffer --status, the plexus-* units when systemd runs the machine
# (a systemctl of the test's own), a verdict: 0 when all is well, else 1
# with the first thing wrong.
. "$(dirname "$0")/lib.sh"
E=$T/etc
mkdir -p "$E" "$T/bin"
(umask 077; echo plx_status_key_123 > "$E/api-key")
echo PLEXUS_SOURCE_ID=truck-7 > "$E/upload.env"
export PLEXUS_BUFFER=$T/spool.db PLEXUS_SYSTEMD_RUN=$T/no-systemd
export PLEXUS_MACHINE_FILES="$T/machine-id"
printf '0123456789abcdef0123456789abcdef\n' > "$T/machine-id"
gen 10 | plx-buffer -a -d "$PLEXUS_BUFFER"
gs() { plexus-gateway status --etc "$E" > "$T/out" 2>"$T/err"; echo "$?"; }
verdict() { sed -n 's/^verdict *//p' "$T/out"; }

eq "all well: exit 0" "$(gs)" 0
eq "... the verdict says so" "$(verdict)" "ok: all is well"
check "the key is there, and not printed" sh -c "grep -q '^key .*api-key: a key, mode 0600' '$T/out' && ! grep -q plx_status_key '$T/out' '$T/err'"
check "the source id and where it comes from" grep -q "^source_id *truck-7 (from $E/upload.env)" "$T/out"
check "the spool's plx-buffer --status, its figures and health" sh -c "grep -q '^depth *10$' '$T/out' && grep -q '^health *ok' '$T/out'"
check "no systemd: said, not a failure" grep -q '^units *systemd is not PID 1' "$T/out"

# the source id: the machine's own when upload.env has none
: > "$E/upload.env"
gs > /dev/null
check "no PLEXUS_SOURCE_ID: the machine's default, said so" \
	grep -q "^source_id *$(plexus-gateway source-id 2>/dev/null) (the machine's default" "$T/out"

# a dead letter nobody looked at: the spool's reason
sqlite3 "$PLEXUS_BUFFER" "INSERT INTO dead VALUES (99, 1, 400, 'bad', '{}'); UPDATE stats SET dead = 1"
eq "a dead letter not looked at: exit 1" "$(gs)" 1
check "... the verdict names it" sh -c "sed -n 's/^verdict *//p' '$T/out' | grep -q '^spool: dead letters nobody looked at (plx-buffer --dead) (plx-buffer --status: 6)'"
plx-buffer -d "$PLEXUS_BUFFER" --dead > /dev/null
eq "listed: all well again" "$(gs)" 0

# a device its reader says is silent (its liveness record, lib/live.c)
echo '{"metric":"gateway.serial.device.silent","value":1,"timestamp":1,"tags":{"device":"furnace"}}' |
	plx-buffer -a -d "$PLEXUS_BUFFER"
eq "a silent device: exit 1" "$(gs)" 1
check "... the verdict says so" sh -c "sed -n 's/^verdict *//p' '$T/out' | grep -q '^spool: a device is silent, or its reader stopped reporting it (plx-buffer --status: 7)'"
check "... and the spool's health line names it" grep -q '^health .*serial/furnace' "$T/out"
echo '{"metric":"gateway.serial.device.silent","value":0,"timestamp":2,"tags":{"device":"furnace"}}' |
	plx-buffer -a -d "$PLEXUS_BUFFER"
eq "speaking again: all well" "$(gs)" 0

# no key: the first reason, before the spool's
chmod 644 "$E/api-key"
eq "the key readable by others: exit 1" "$(gs)" 1
check "... said" sh -c "sed -n 's/^verdict *//p' '$T/out' | grep -q 'api-key is readable by others (chmod 600'"
rm "$E/api-key"
mv "$PLEXUS_BUFFER" "$T/aside.db"
eq "no key and no spool: exit 1" "$(gs)" 1
eq "... the first reason: the key" "$(verdict)" "no API key in $E/api-key (plexus-gateway init)"
check "... the spool's said too" grep -q '^health *missing' "$T/out"
(umask 077; echo plx_status_key_123 > "$E/api-key")
eq "no spool: exit 1" "$(gs)" 1
check "... said" sh -c "sed -n 's/^verdict *//p' '$T/out' | grep -q '^spool: there is no spool'"
mv "$T/aside.db" "$PLEXUS_BUFFER"

# systemd as PID 1: each plexus-* unit's state from systemctl (a stand-in
# that answers from a table), a failed one the reason
mkdir -p "$T/systemd"
export PLEXUS_SYSTEMD_RUN=$T/systemd
cat > "$T/bin/systemctl" <<EOS
#!/bin/sh
echo "\$*" >> "$T/systemctl.calls"
case \$1 in
list-units) awk '{ print \$1, "loaded", \$2, \$2, "Plexus" }' "$T/units" ;;
is-active) s=\$(awk -v u="\$2" '\$1 == u { print \$2 }' "$T/units"); echo "\$s"; [ "\$s" = active ] ;;
*) exit 1 ;;
esac
EOS
chmod +x "$T/bin/systemctl"
printf 'plexus-upload.service active\nplexus-serial-read@uno.service active\nplexus-health.service inactive\n' > "$T/units"
eq "units active: exit 0" "$(PATH=$T/bin:$PATH gs)" 0
check "... each unit's state shown" sh -c "grep -q '^unit *plexus-serial-read@uno.service active' '$T/out' && grep -q '^unit *plexus-health.service inactive' '$T/out'"
check "... asked with systemctl is-active UNIT" grep -qx 'is-active plexus-upload.service' "$T/systemctl.calls"
printf 'plexus-upload.service active\nplexus-serial-read@uno.service failed\n' > "$T/units"
eq "a failed unit: exit 1" "$(PATH=$T/bin:$PATH gs)" 1
eq "... named" "$(verdict)" "plexus-serial-read@uno.service failed (journalctl -u plexus-serial-read@uno.service)"
printf 'plexus-upload.service inactive\n' > "$T/units"
eq "the uploader stopped: exit 1" "$(PATH=$T/bin:$PATH gs)" 1
check "... said" sh -c "sed -n 's/^verdict *//p' '$T/out' | grep -q '^plexus-upload.service is inactive: nothing is delivered'"
