#!/bin/bash
# Docs match the code: each tool's -h prints its man page's SYNOPSIS; every
# page renders without warnings (man --warnings, mandoc -Tlint); make install puts binaries and pages under
# DESTDIR/PREFIX.
. "$(dirname "$0")/lib.sh"
norm() { tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'; }
for t in "$TOP"/bin/*; do
	n=$(basename "$t")
	page=$TOP/cmd/$n/$n.1
	check "$n has a man page beside it" [ -f "$page" ] || continue
	syn=$(MANWIDTH=250 man -l "$page" 2>/dev/null | sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | norm)
	use=$("$t" -h | sed '/^$/,$d' | sed 's/^usage: //' | norm)
	eq "$n -h matches the SYNOPSIS of $n(1)" "$use" "$syn"
	# every option -h lists (a line each, after the synopsis) is in the page
	page_text=$(MANWIDTH=250 man -l "$page" 2>/dev/null)
	missing=$("$t" -h | sed '1,/^$/d' | grep -oE '^ +(-[a-zA-Z0-9], )?--?[a-zA-Z0-9][a-z0-9-]*' |
		grep -oE -- '--?[a-zA-Z0-9][a-z0-9-]*$' | while read -r o; do
			printf '%s\n' "$page_text" | grep -q -- "$o" || printf '%s ' "$o"; done)
	eq "every option $n -h lists is in $n(1)" "$missing" ""
done
for p in "$TOP"/cmd/*/*.[1-8] "$TOP"/man/*.[1-8]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null | grep -v 'cannot adjust line' | head -3)
	eq "$(basename "$p") renders without warnings" "$w" ""
done
# mandoc's checker too: no error and no warning (its STYLE notes, long
# source lines, are not faults of the rendered page)
if want mandoc; then
	for p in "$TOP"/cmd/*/*.[1-8] "$TOP"/man/*.[1-8]; do
		eq "$(basename "$p"): mandoc -Tlint clean" "$(mandoc -Tlint -W warning "$p" 2>&1 | head -3)" ""
	done
fi
make -s -C "$TOP" install DESTDIR="$T/root" PREFIX=/usr >/dev/null
for t in "$TOP"/bin/*; do
	n=$(basename "$t")
	check "make install: /usr/bin/$n and its man page" [ -x "$T/root/usr/bin/$n" -a -f "$T/root/usr/share/man/man1/$n.1" ]
done
check "make install: the overview page" [ -f "$T/root/usr/share/man/man7/plexus-gateway.7" ]
