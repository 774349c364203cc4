#!/bin/bash
# A WAL left from another database (spool.db copied or restored without its
# -wal, beside the old one's): SQLite would replay its pages onto the file.
# The spool's id, rewritten by every write, tells the WAL's database from
# the file's: the foreign WAL is set aside, said, and never applied.
. "$(dirname "$0")/lib.sh"
counter() { plx-buffer -d "$2" --status | awk -v k="$1" '$1 == k { print $2 }'; }
A=$T/a.db B=$T/b.db
gen 300 1 | plx-buffer -a -d "$A"
gen 300 5001 | plx-buffer -a -d "$B"
# a WAL of A's, as a writer killed before a checkpoint leaves it
$PY - "$A" "$T/a.wal" <<'PY'
import shutil, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("DELETE FROM records WHERE seq <= 150")
c.execute("UPDATE stats SET depth = depth - 150")
c.commit()
shutil.copy(sys.argv[1] + "-wal", sys.argv[2])
PY
cp "$T/a.wal" "$B-wal"

plx-buffer -d "$B" --status > "$T/st" 2>"$T/st.err"
eq "--status: a foreign WAL makes the spool unreadable (4)" $? 4
check "... says whose WAL it is" grep -q "its WAL belongs to another database" "$T/st.err"
check "... and leaves it where it is" cmp -s "$T/a.wal" "$B-wal"

plx-buffer -d "$B" < /dev/null > "$T/out" 2>"$T/err"
check "opened for work: the foreign WAL is said and set aside" \
	grep -q "spool $B: its WAL belongs to another database (spool id [0-9a-f]*, the file's [0-9a-f]*): set aside as $B-wal.foreign-[0-9]*" "$T/err"
eq "... the spool's own 300 records, none of the other's" "$(values "$T/out" | head -1)-$(values "$T/out" | tail -1)-$(wc -l < "$T/out")" "5001-5300-300"
eq "... its counters its own" "$(counter depth "$B")" 300
check "... the foreign WAL kept beside it" sh -c "ls '$T' | grep -q '^b.db-wal.foreign-'"

# its own WAL (a writer killed before a checkpoint) is no foreign one
$PY - "$B" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("DELETE FROM records WHERE seq <= 100")
c.execute("UPDATE stats SET depth = depth - 100")
c.commit()
os._exit(0)
PY
plx-buffer -d "$B" < /dev/null > "$T/out2" 2>"$T/err2"
eq "the spool's own WAL is applied, nothing said" "$(wc -l < "$T/out2")-$(wc -c < "$T/err2")" "200-0"
