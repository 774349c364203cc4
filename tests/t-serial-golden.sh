#!/bin/bash
# serial-read's parsers against golden files: tests/golden/serial/CASE.in is
# what a device prints, CASE.args the options, CASE.out the records expected
# (timestamps written "timestamp":T), CASE.err the stderr expected.  A new
# case is a few lines of data.  GOLDEN_UPDATE=1 rewrites .out and .err from
# what the tool prints now (read the diff before committing it).
. "$(dirname "$0")/lib.sh"
G=$TOP/tests/golden/serial
cd "$G" || exit 1
shopt -s nullglob
cases=(*.in)
[ ${#cases[@]} -gt 0 ] || { nok "no golden cases in $G"; exit 1; }
set -f                            # args hold regex brackets: no globbing
for in in "${cases[@]}"; do
	c=${in%.in}
	args=$(cat "$c.args" 2>/dev/null)
	# shellcheck disable=SC2086
	timeout 10 serial-read --status-interval 0 $args -r "$in" 2>"$T/$c.err" |
		sed 's/"timestamp":[0-9]*/"timestamp":T/' > "$T/$c.out"
	rc=${PIPESTATUS[0]}
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$T/$c.out" "$c.out"
		if [ -s "$T/$c.err" ]; then cp "$T/$c.err" "$c.err"; else rm -f "$c.err"; fi
	fi
	touch "$T/empty"
	if [ $rc -eq 0 ] && cmp -s "$T/$c.out" "$c.out" &&
	   cmp -s "$T/$c.err" "$([ -e "$c.err" ] && echo "$c.err" || echo "$T/empty")"; then
		ok "golden $c"
	else
		nok "golden $c (exit $rc)"
		diff "$c.out" "$T/$c.out" | head -20 | sed 's/^/#   /'
		diff "$([ -e "$c.err" ] && echo "$c.err" || echo "$T/empty")" "$T/$c.err" | head -10 | sed 's/^/#   /'
	fi
done
