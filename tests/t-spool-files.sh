#!/bin/bash
# Files another user planted: with fs.protected_symlinks=0 (the kernel then
# follows any link), a symbolic link or a file of another user's in a
# directory anyone may write must not make root write where that user
# chose.  The spool (and its -wal), the dead-letter file and the key file
# are checked; new spools and dead-letter files get their mode whatever the
# umask.
. "$(dirname "$0")/lib.sh"
need setpriv
[ "$(id -u)" = 0 ] || skip "needs root (another user plants the files)"
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
export PLEXUS_API_KEY=plx_test PLEXUS_GATEWAY_URL=http://127.0.0.1:9
P=$T/pub; mkdir -m 1777 "$P"; chmod 755 "$T"
mode() { stat -c %a "$1"; }

# the spool: a link of nobody's to a file of root's
: > "$T/victim"
as_nobody ln -s "$T/victim" "$P/spool.db"
gen 1 | plx-buffer -a -d "$P/spool.db" 2>"$T/a.err"
eq "a spool path that is another user's symbolic link: refused (73)" "$?-$(wc -c < "$T/victim")" "73-0"
check "... and said" grep -q "symbolic link of another user's (uid [0-9]*): refused" "$T/a.err"

# its -wal
: > "$T/victim2"
as_nobody ln -s "$T/victim2" "$P/s2.db-wal"
gen 1 | plx-buffer -a -d "$P/s2.db" 2>/dev/null
eq "a -wal planted as another user's link: refused, the file untouched" "$?-$(wc -c < "$T/victim2")" "73-0"

# a file of nobody's in a directory anyone may write
as_nobody touch "$P/s3.db"
gen 1 | plx-buffer -a -d "$P/s3.db" 2>"$T/c.err"
eq "a spool file of another user's in a directory anyone may write: refused" "$?-$(wc -c < "$P/s3.db")" "73-0"

# the dead-letter file
: > "$T/victim3"
as_nobody ln -s "$T/victim3" "$P/dead"
plx-upload --dead-letter "$P/dead" --status-interval 0 < /dev/null 2>"$T/d.err"
eq "--dead-letter through another user's link: refused (73)" "$?-$(wc -c < "$T/victim3")" "73-0"
check "... and said" grep -q "symbolic link of another user's" "$T/d.err"

# the key file
echo plx_other > "$T/key"; chmod 600 "$T/key"
as_nobody ln -s "$T/key" "$P/key"
plx-upload -k "$P/key" --status-interval 0 < /dev/null 2>"$T/k.err"
eq "a key file reached through another user's link: refused (78)" "$?" 78
check "... and said" grep -q "key file $P/key is a symbolic link of another user's" "$T/k.err"

# root's own links still work
ln -s "$T/mine.db" "$T/link.db"
gen 1 | plx-buffer -a -d "$T/link.db"
eq "a spool through root's own link: used" "$?-$(plx-buffer -d "$T/mine.db" --status | awk '$1 == "depth" { print $2 }')" 0-1

# modes whatever the umask
(umask 0; gen 1 | plx-buffer -a -d "$T/m.db")
eq "a new spool is 0640 with umask 0" "$(mode "$T/m.db")" 640
(umask 0; plx-upload --dead-letter "$T/m.dead" --status-interval 0 < /dev/null 2>/dev/null)
eq "a new dead-letter file is 0600 with umask 0" "$(mode "$T/m.dead")" 600
