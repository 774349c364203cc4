#!/bin/bash
# Who may acknowledge (delete) a spool's rows: plx-upload acknowledges only
# records that carry the id of the spool it was given (-d, PLEXUS_BUFFER),
# and never opens a spool it was not told about.  A device that prints
# {"_plx_seq":5,...}, a record from another spool, a default spool lying
# around: none of them deletes a row.
. "$(dirname "$0")/lib.sh"
export PLEXUS_API_KEY=plx_test
start_server s --key plx_test
depth() { plx-buffer -d "$1" --status | awk '$1 == "depth" { print $2 }'; }
up() { timeout 30 plx-upload --status-interval 0 --batch-ms 10 "$@"; }

# 16 rows of another writer, undelivered
S=$T/spool.db
gen 16 | plx-buffer -a -d "$S"
forged='{"_plx_seq":5,"metric":"dev.x","value":1}'

echo "$forged" | up -d "$S" 2>"$T/f.err"
eq "a forged _plx_seq deletes no row of the spool given" "$(depth "$S")" 16
check "... and is said" grep -q 'line 1: a sequence number not from spool .*: sent, not acknowledged' "$T/f.err"
echo '{"_plx_seq":6,"_plx_spool":"0123456789abcdef","metric":"dev.x","value":1}' | up -d "$S" 2>/dev/null
eq "a sequence number with another spool's id deletes nothing" "$(depth "$S")" 16
echo '{"metric":"dev.x","_plx_seq":7,"value":1}' | up -d "$S" 2>/dev/null
eq "nor one elsewhere in the line" "$(depth "$S")" 16

# another spool's records: sent, but not acknowledged to this one
S2=$T/other.db
gen 3 100 | plx-buffer -d "$S2" > "$T/other.out"
up -d "$S" < "$T/other.out" 2>/dev/null
eq "records of another spool delete nothing in this one" "$(depth "$S")-$(depth "$S2")" 16-3

# the default spool, there but not given: never opened (as a user, whose
# default is under XDG_STATE_HOME; root's is /var/lib/plexus/spool.db)
need setpriv
N=$T/nobody; mkdir -p "$N/plexus"; chmod 755 "$T"
D=$N/plexus/spool.db
gen 16 | plx-buffer -a -d "$D"
chown -R nobody: "$N"
echo "$forged" | XDG_STATE_HOME=$N setpriv --reuid nobody --regid nogroup --clear-groups \
	timeout 30 "$BIN/plx-upload" --status-interval 0 2>"$T/d.err"
eq "without -d the default spool is not touched" "$(depth "$D")" 16
check "... and it says the sequence numbers go unacknowledged" grep -q 'no spool is given' "$T/d.err"

# the real thing still works: plx-buffer's own rows are acknowledged
plx-buffer -d "$S" < /dev/null | up -d "$S" 2>/dev/null
eq "plx-buffer | plx-upload on one spool: every row acknowledged" "$(depth "$S")" 0
PLEXUS_BUFFER=$D plx-buffer < /dev/null | PLEXUS_BUFFER=$D up 2>/dev/null
eq "... PLEXUS_BUFFER names it as well" "$(depth "$D")" 0
