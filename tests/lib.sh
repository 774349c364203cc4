# Shared by the scenario scripts: sourced, never run.  Gives each script a
# private temp dir ($T), the built tools on PATH, TAP-style ok/not ok
# output, a Plexus-compatible server on loopback, and cleanup of every
# background process when the script ends.
set -u
# the tree: the directory above this file's (tests/vm/ scripts source it too)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The build under test: PLX_BUILD (make check and tests/run set it), else
# the one ./bin points to (the last `make` or `make SAN=1`).
BUILD=${PLX_BUILD:-$(readlink -f "$TOP/bin/.." 2>/dev/null)}
BIN=$BUILD/bin
[ -x "$BIN/plx-buffer" ] || { echo "not ok - no build in '$BUILD': run make first"; exit 1; }
PATH=$BIN:$PATH
T=$(mktemp -d /tmp/plx-test.XXXXXX)
PY=/usr/bin/python3
export PLEXUS_QUIET=1 HOME=$T/home
unset PLEXUS_API_KEY PLEXUS_GATEWAY_URL PLEXUS_SOURCE_ID PLEXUS_BUFFER
export PLEXUS_CLOCK=${PLEXUS_CLOCK:-synced}   # as tests/run sets it
mkdir -p "$HOME"
_pids=""
# Cleanup stops what the script started, whatever signals it ignores:
# SIGTERM to each process and its group (run_unit-style setsid pipelines),
# then, 5 s later, SIGKILL to what is still there.
_alive() { for p in $_pids; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
_cleanup() {
	for p in $_pids; do kill "$p" 2>/dev/null; kill -- "-$p" 2>/dev/null; done
	i=0
	while [ $i -lt 50 ] && _alive; do sleep 0.1; i=$((i + 1)); done
	for p in $_pids; do kill -9 "$p" 2>/dev/null; kill -9 -- "-$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

ok()   { echo "ok - $*"; }
nok()  { echo "not ok - $*"; }
# check DESC CMD...: ok if CMD succeeds
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# eq DESC GOT WANT
eq() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (got '$2', want '$3')"; fi; }
bg() { "$@" & _pids="$_pids $!"; }
# skip WHY: the rest of the script cannot run here (not root, this kernel
# has CAN...): one "ok - # SKIP" line, counted as skipped, and exit.
skip() { echo "ok - # SKIP $*"; exit 0; }
# need CMD...: commands `make deps` installs (tests/deps).  A missing one
# skips the script, or fails it under PLEXUS_TEST_STRICT=1 (CI, where
# make deps has run).  need_py MODULE...: the same for /usr/bin/python3's
# modules.
_missing() {
	if [ "${PLEXUS_TEST_STRICT:-}" = 1 ]; then
		nok "$* is missing (make deps installs it)"; exit 1
	fi
	skip "$* not installed (make deps installs it)"
}
need() { for c; do command -v "$c" >/dev/null || _missing "$c"; done; }
need_py() { for m; do $PY -c "import $m" 2>/dev/null || _missing "python3 module $m"; done; }
# want_py MODULE, want CMD: for a part of a script: true when it is
# there, else a skip line (a failure under PLEXUS_TEST_STRICT=1) and false.
_lacks() {
	if [ "${PLEXUS_TEST_STRICT:-}" = 1 ]; then nok "$1 is missing (make deps installs it)"
	else ok "# SKIP $1 not installed (make deps installs it)"; fi
	return 1
}
want_py() { $PY -c "import $1" 2>/dev/null || _lacks "python3 module $1"; }
want() { command -v "$1" >/dev/null || _lacks "$1"; }

# start_server NAME [server args...]: starts tests/plexus-server.py, sets
# URL_NAME and exports PLEXUS_GATEWAY_URL to it; its store is $T/NAME.store.
start_server() {
	n=$1; shift
	rm -f "$T/$n.port"
	$PY "$TOP/tests/plexus-server.py" --quiet --port 0 --port-file "$T/$n.port" \
		--store "$T/$n.store" "$@" 2>"$T/$n.log" &
	_pids="$_pids $!"
	eval "PID_$n=$!"
	i=0
	while [ ! -s "$T/$n.port" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || { nok "server $n did not start"; cat "$T/$n.log"; exit 1; }
		sleep 0.1
	done
	eval "URL_$n=http://127.0.0.1:$(cat "$T/$n.port")"
	export PLEXUS_GATEWAY_URL="http://127.0.0.1:$(cat "$T/$n.port")"
}
stats() { curl -s "$PLEXUS_GATEWAY_URL/_control/stats"; }
faults() { curl -s -X POST --data "$1" "$PLEXUS_GATEWAY_URL/_control/faults" >/dev/null; }

# gen N [FROM] [METRIC]: N valid metric records, values FROM.., one per line
gen() {
	awk -v n="$1" -v f="${2:-1}" -v m="${3:-test.value}" 'BEGIN {
		for (i = f; i < f + n; i++)
			printf "{\"metric\":\"%s\",\"value\":%d,\"timestamp\":%.0f,\"tags\":{\"i\":\"%d\"}}\n", m, i, 1763800000000 + i, i }'
}
# values FILE: the sorted distinct values found in a store or stream
values() { grep -o '"value": *[0-9]*' "$1" | sed 's/.*: *//' | sort -n -u; }
# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() { s=$1; shift; i=0; while ! "$@"; do i=$((i + 1)); [ $i -lt $((s * 10)) ] || return 1; sleep 0.1; done; }

# valgrind_build FILE...: programs (bin/TOOL, tests/unit/...) built plain at -O1 (ASan binaries, as
# CI's, cannot run under valgrind) in a configuration of their own,
# `make FLAVOUR=vg`, their directory in VGBIN; and VG, the valgrind command
# every valgrind scenario uses.
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
valgrind_build() {
	need valgrind
	# not make check's MAKEFLAGS: its jobserver, its SAN=1
	VGBUILD=$(env -u MAKEFLAGS make -s -C "$TOP" FLAVOUR=vg print-build)
	VGBIN=$VGBUILD/bin
	env -u MAKEFLAGS make -s -C "$TOP" FLAVOUR=vg "${@/#/${VGBUILD#"$TOP"/}/}" >"$T/valgrind-build.log" 2>&1 ||
		{ nok "plain build for valgrind"; tail -20 "$T/valgrind-build.log"; exit 1; }
}

# golden_verdict CASE RC: a golden case's verdict, in the directory of its
# files: what the tool printed ($T/CASE.out, $T/CASE.err) against CASE.out
# and CASE.err (none: an empty stderr); GOLDEN_UPDATE=1 rewrites them first.
golden_verdict() {
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$T/$1.out" "$1.out"
		if [ -s "$T/$1.err" ]; then cp "$T/$1.err" "$1.err"; else rm -f "$1.err"; fi
	fi
	: > "$T/empty"
	_want=$([ -e "$1.err" ] && echo "$1.err" || echo "$T/empty")
	if [ "$2" -eq 0 ] && cmp -s "$T/$1.out" "$1.out" && cmp -s "$T/$1.err" "$_want"; then
		ok "golden $1"
	else
		nok "golden $1 (exit $2)"
		diff "$1.out" "$T/$1.out" | head -20 | sed 's/^/#   /'
		diff "$_want" "$T/$1.err" | head -10 | sed 's/^/#   /'
	fi
}

# test_certs SAN: in the current directory, a CA (ca.pem, ca.key), a server
# certificate for SAN ("IP:127.0.0.1", "DNS:localhost,IP:127.0.0.1":
# server.pem, server.key), a client certificate (client.pem, client.key), all
# signed by the CA, and a self-signed other.pem; 0 when all were made.
test_certs() {
	need openssl
	_cert() {
		openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "$1.pem" \
			${3:+-extfile <(printf 'subjectAltName=%s\n' "$3")} 2>/dev/null
	}
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>/dev/null &&
	_cert server /CN=gateway-test "$1" && _cert client /CN=gateway-1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=other 2>/dev/null
}
