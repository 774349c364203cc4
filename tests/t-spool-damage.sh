#!/bin/bash
# One bad page in a spool of 20,000 records: the readable rows are salvaged
# into the fresh spool and what was lost is counted and said.  --status, a
# health check, looks only: it renames, creates and repairs nothing, and
# says what it found in its exit status.
. "$(dirname "$0")/lib.sh"
need sqlite3
counter() { plx-buffer -d "$2" --status | awk -v k="$1" '$1 == k { print $2 }'; }
S=$T/spool.db
gen 20000 | plx-buffer -a -d "$S"
pages=$(sqlite3 "$S" 'PRAGMA page_count')
dd if=/dev/urandom of="$S" bs=4096 seek=$((pages / 2)) count=1 conv=notrunc 2>/dev/null
before=$(ls "$T")

plx-buffer -d "$S" --status > "$T/home/st" 2>"$T/home/st.err"
eq "--status on a damaged spool: exit 4 (unreadable)" $? 4
check "... says so" grep -q "^health *unreadable" "$T/home/st"
eq "... and renames or creates nothing" "$(ls "$T")" "$before"
plx-buffer -d "$T/none.db" --status > "$T/st" 2>/dev/null
eq "--status where there is no spool: exit 5, nothing created" "$?-$(ls "$T" | grep -c none)" 5-0

plx-buffer -a -d "$S" < /dev/null 2>"$T/err"
eq "opening it for work: exit 0" $? 0
line=$(grep 'is damaged' "$T/err")
n=$(echo "$line" | sed -n 's/.* \([0-9]*\) records salvaged into it, \([0-9]*\) lost (unreadable)$/\1 \2/p')
set -- $n
eq "the rows salvaged and the rows lost are said, and make 20000" "$(( ${1:-0} + ${2:-0} ))" 20000
check "... one page lost: fewer than 100 rows (${2:-?})" [ "${2:-1000}" -lt 100 -a "${2:-1000}" -gt 0 ]
eq "... the fresh spool holds the salvaged rows" "$(counter depth "$S")" "${1:-x}"
check "... the damaged file set aside beside it" sh -c "ls '$T' | grep -q '^spool.db.damaged-[0-9]*$'"
plx-buffer -d "$S" < /dev/null > "$T/out"
eq "... and they go out, in their order" "$(values "$T/out" | wc -l)-$(grep -o '"value":[0-9]*' "$T/out" | cut -d: -f2 | sort -n -c && echo sorted)" "${1:-x}-sorted"
