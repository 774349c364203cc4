#!/bin/bash
# serial-read's command line: usage errors, -h against the man page, files
# and stdin, status records at exit, EPIPE, options that go together.
. "$(dirname "$0")/lib.sh"
M=$TOP/cmd/serial-read/serial-read.1

# -h prints exactly the man page's SYNOPSIS (roff fonts removed)
syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$M" | grep -v '^\.' |
	sed 's/\\f[BIR]//g; s/\\-/-/g' | tr -s ' ' | sed 's/^ //')
hlp=$(serial-read -h | sed '/^$/,$d' | sed 's/^usage: //' | tr -s ' ' | sed 's/^ //')
eq "-h prints the man page SYNOPSIS first" "$hlp" "$syn"
serial-read -h >/dev/null; eq "-h exits 0" $? 0
eq "--version" "$(serial-read --version)" "serial-read $(sed -n 's/^VERSION *= *//p' "$TOP/config.mk")"

for bad in "" "--bogus -" "-F yaml -" "-T novalue -" "-s Bad_Id -" "-b 10 -" "--parity mark -" \
	"--max-line 100000 -" "--pattern x -" "-F pattern -" "--pattern ( --fields a -" \
	"--delimiter abc -" "a b" "-r x y"; do
	# shellcheck disable=SC2086
	serial-read $bad </dev/null >/dev/null 2>&1
	eq "usage error exits 64: serial-read $bad" $? 64
done
serial-read -r "$T/nonexistent" 2>"$T/err"; rc=$?
eq "a missing file: exit 66" "$rc" 66
check "and why" grep -q "serial-read: unable to open $T/nonexistent: No such file or directory" "$T/err"

# stdin and -r -, EOF ends the run with exit 0 and a final status
printf 'a=1\nbad line\nb=2' | timeout 5 serial-read -T site=x - > "$T/out" 2>"$T/err"
eq "stdin: exit 0 at EOF" $? 0
eq "stdin: records, and the last line without newline" "$(grep -c '"metric":"[ab]"' "$T/out")" 2
check "a final status at exit, tagged port=stdin" \
	grep -q '"metric":"gateway.serial.lines_read","value":3,.*"tags":{"site":"x","port":"stdin"}' "$T/out"
check "rejected line counted" grep -q '"metric":"gateway.serial.lines_rejected","value":1,' "$T/out"
check "reported as stdin:LINE" grep -q '^serial-read: stdin:2: kv: "bad" is not key=value$' "$T/err"
printf 'a=1\n' | timeout 5 serial-read --status-interval 0 -r - > "$T/out2"
eq "-r - reads stdin" "$(wc -l < "$T/out2")" 1
# the old spellings work for a release, and say so
printf 'a=1\003' | timeout 5 serial-read --status-interval 0 -d '\x03' -f - > "$T/out4" 2>"$T/err4"
eq "deprecated -d and -f still work" "$(wc -l < "$T/out4")" 1
check "... and say they are deprecated" sh -c "grep -q -- '-d is deprecated: use --delimiter' '$T/err4' && grep -q -- '-f/--file is deprecated: use -r/--read' '$T/err4'"

# a custom delimiter byte
printf 'a=1\003b=2\003' | timeout 5 serial-read --status-interval 0 --delimiter '\x03' - > "$T/out3"
eq "--delimiter \\x03 splits on ETX" "$(wc -l < "$T/out3")" 2

# EPIPE: the next stage went away -> exit 0, quickly
awk 'BEGIN { for (i = 0; i < 200000; i++) print "i=" i }' > "$T/big"
timeout 10 serial-read --status-interval 0 -r "$T/big" | head -1 > /dev/null
st=("${PIPESTATUS[@]}")
eq "stdout closed (EPIPE): exit 0" "${st[0]}" 0

# the status records pass plx-buffer's validation, with a source id
printf 't=1\n' | timeout 5 serial-read -s gw-1 -p env - | plx-buffer -d "$T/s.db" -a 2>"$T/berr"
eq "records and status accepted by plx-buffer" "$(plx-buffer -d "$T/s.db" --status | awk '$1 == "accepted" { print $2 }')-$(wc -c < "$T/berr")" "9-0"
