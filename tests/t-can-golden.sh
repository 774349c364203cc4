#!/bin/bash
# can-read's decode path against golden files: tests/golden/can/CASE.log is
# a candump -L log, CASE.args the options (DBC files beside them), CASE.out
# the records expected, CASE.err the stderr expected.  Timestamps of frames
# come from the log, so only status records (written "timestamp":T) vary.
# GOLDEN_UPDATE=1 rewrites .out and .err from what the tool prints now
# (read the diff before committing it).
. "$(dirname "$0")/lib.sh"
G=$TOP/tests/golden/can
cd "$G" || exit 1
shopt -s nullglob
cases=(*.log)
[ ${#cases[@]} -gt 0 ] || { nok "no golden cases in $G"; exit 1; }
set -f
touch "$T/empty"
for in in "${cases[@]}"; do
	c=${in%.log}
	args=$(cat "$c.args" 2>/dev/null)
	# status records carry the wall clock: their timestamps are masked
	# shellcheck disable=SC2086
	timeout 10 can-read --status-interval 0 $args -r "$in" 2>"$T/$c.err" |
		sed '/"metric":"gateway\.can\./s/"timestamp":[0-9]*/"timestamp":T/' > "$T/$c.out"
	rc=${PIPESTATUS[0]}
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$T/$c.out" "$c.out"
		if [ -s "$T/$c.err" ]; then cp "$T/$c.err" "$c.err"; else rm -f "$c.err"; fi
	fi
	want_err=$([ -e "$c.err" ] && echo "$c.err" || echo "$T/empty")
	if [ $rc -eq 0 ] && cmp -s "$T/$c.out" "$c.out" && cmp -s "$T/$c.err" "$want_err"; then
		ok "golden $c"
	else
		nok "golden $c (exit $rc)"
		diff "$c.out" "$T/$c.out" | head -20 | sed 's/^/#   /'
		diff "$want_err" "$T/$c.err" | head -10 | sed 's/^/#   /'
	fi
done
# the same log from standard input gives the same records
can-read --status-interval 0 -D basic.dbc -r - < dbc.log > "$T/stdin.out" 2>/dev/null
check "stdin (-r -) gives what the file gives" cmp -s "$T/stdin.out" dbc.out
# --now restamps: every frame of the 2015 log is stamped with the clock
can-read --status-interval 0 --now -r raw.log > "$T/now.out" 2>/dev/null
now=$(date +%s%3N)
eq "--now: every frame stamped with the clock" \
	"$(grep -o '"timestamp":[0-9]*' "$T/now.out" | cut -d: -f2 | awk -v now="$now" '$1 > now - 60000 && $1 <= now' | wc -l)" \
	"$(grep -c '"timestamp":14365' raw.out)"
