#!/bin/bash
# plexus-gateway init: the key read from standard input (never argv), not
# echoed on a terminal (tmux), written with the right owner and mode; a
# source id of the machine's own that stays the same on one machine and
# differs on clones; upload.env and config.json keep what else they hold;
# plx-upload then finds both.
. "$(dirname "$0")/lib.sh"
need tmux
E=$T/etc
export PLEXUS_MACHINE_FILES="$T/machine-id:$T/serial"
printf '0123456789abcdef0123456789abcdef\n' > "$T/machine-id"
printf '10000000a1b2c3d4' > "$T/serial"

# as root, into a directory standing for /etc/plexus
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$E"
	printf 'PLEXUS_GATEWAY_URL=http://127.0.0.1:1\n# a comment of the admin\n' > "$E/upload.env"
	echo plx_first_key | plexus-gateway init --etc "$E" > "$T/out" 2>"$T/err"
	eq "init: exit 0" $? 0
	eq "the key, one line" "$(cat "$E/api-key")" plx_first_key
	eq "... root's, 0600" "$(stat -c '%U %a' "$E/api-key")" "root 600"
	sid=$(sed -n 's/^PLEXUS_SOURCE_ID=//p' "$E/upload.env")
	check "a source id of the machine's own: host name and 6 hex digits ($sid)" \
		sh -c "echo '$sid' | grep -Eq -- '-[0-9a-f]{6}$'"
	check "upload.env keeps its other lines" sh -c "grep -qx 'PLEXUS_GATEWAY_URL=http://127.0.0.1:1' '$E/upload.env' && grep -qx '# a comment of the admin' '$E/upload.env'"
	check "the key is nowhere in what was printed" sh -c "! grep -q plx_first_key '$T/out' '$T/err'"
	echo plx_second_key | plexus-gateway init --etc "$E" >/dev/null 2>&1
	eq "init again: the new key" "$(cat "$E/api-key")" plx_second_key
	eq "... the same source id" "$(sed -n 's/^PLEXUS_SOURCE_ID=//p' "$E/upload.env")" "$sid"
	eq "... once" "$(grep -c PLEXUS_SOURCE_ID "$E/upload.env")" 1
	echo plx_second_key | plexus-gateway init --etc "$E" -s truck-7 -u https://example.test >/dev/null 2>&1
	eq "-s: the source id given" "$(sed -n 's/^PLEXUS_SOURCE_ID=//p' "$E/upload.env")" truck-7
	eq "-u: the URL, replaced" "$(grep -c '^PLEXUS_GATEWAY_URL=https://example.test$' "$E/upload.env")-$(grep -c PLEXUS_GATEWAY_URL "$E/upload.env")" 1-1
	echo plx_second_key | plexus-gateway init --etc "$E" -s raspberrypi >/dev/null 2>"$T/err"
	check "a source id many machines have: a warning" grep -q 'raspberrypi" is a name many machines have' "$T/err"
	no_files=$(ls "$E" | grep -c tmp)
	eq "no temporary file left" "$no_files" 0
else
	ok "# SKIP writing /etc/plexus needs root"
fi

# a clone of the same image in another board: another source id
first=$(plexus-gateway source-id 2>/dev/null)
printf '10000000e5f6a7b8' > "$T/serial"
second=$(plexus-gateway source-id 2>/dev/null)
check "one image in two boards: two source ids ($first, $second)" test "$first" != "$second"
printf '10000000a1b2c3d4' > "$T/serial"
eq "the same board: the same source id" "$(plexus-gateway source-id 2>/dev/null)" "$first"

# anyone: ~/.plexus/config.json, the Python SDK's file, its fields kept
mkdir -p "$HOME/.plexus"
printf '{"endpoint":"https://app.example","persistent_buffer":true}\n' > "$HOME/.plexus/config.json"
echo plx_user_key | plexus-gateway init --user >/dev/null 2>&1
eq "--user: exit 0" $? 0
cf=$HOME/.plexus/config.json
eq "config.json: the key" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["api_key"])' "$cf")" plx_user_key
eq "... the source id" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_id"])' "$cf")" "$first"
eq "... its other fields kept" "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["endpoint"], d["persistent_buffer"])' "$cf")" "https://app.example True"
eq "... 0600 in a 0700 directory" "$(stat -c %a "$cf") $(stat -c %a "$HOME/.plexus")" "600 700"

# plx-upload finds them: its key check against a server that takes that key
start_server s --key plx_user_key
gen 3 | plx-upload --status-interval 0 2>"$T/up.err"
eq "plx-upload sends with the key and source id init wrote" "$?-$(grep -c "\"source_id\": *\"$first\"" "$T/s.store")" "0-3"

# not a key; no key; the key never from argv
echo 'hello' | plexus-gateway init --user >/dev/null 2>&1
eq "what is not a key is refused: 65" $? 65
plexus-gateway init --user </dev/null >/dev/null 2>&1
eq "no key read: 66" $? 66
plexus-gateway init --user plx_in_argv </dev/null >/dev/null 2>"$T/argv.err"
eq "a key in argv is refused: 64" $? 64
check "... and why" grep -q 'never accepted on the command line' "$T/argv.err"

# on a terminal the key is not shown as it is typed
tmux -L "plx$$" -f /dev/null new-session -d -x 160 -y 20 \
	"env HOME=$HOME PATH=$PATH PLEXUS_MACHINE_FILES=$PLEXUS_MACHINE_FILES plexus-gateway init --user; sleep 30"
_tmux_kill() { tmux -L "plx$$" kill-server 2>/dev/null; }
trap '_tmux_kill; _cleanup' EXIT
screen() { tmux -L "plx$$" capture-pane -p; }
check "a prompt asks for the key" wait_for 10 sh -c "tmux -L plx$$ capture-pane -p | grep -q 'Plexus API key'"
tmux -L "plx$$" send-keys plx_typed_secret Enter
check "the key is written" wait_for 10 sh -c "grep -q plx_typed_secret '$cf'"
check "... and was never shown on the terminal" sh -c "! tmux -L plx$$ capture-pane -p | grep -q plx_typed"

# plx-upload says when the source id is a name many machines have
gen 1 | PLEXUS_SOURCE_ID=raspberrypi PLEXUS_API_KEY=plx_user_key plx-upload --status-interval 0 2>"$T/rp.err"
check "plx-upload warns about source id raspberrypi" grep -q 'source id "raspberrypi" is a name many machines have' "$T/rp.err"
gen 1 | PLEXUS_SOURCE_ID=truck-7 PLEXUS_API_KEY=plx_user_key plx-upload --status-interval 0 2>"$T/t7.err"
check "... and not about truck-7" sh -c "! grep -q 'many machines' '$T/t7.err'"
