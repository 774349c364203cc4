#!/bin/bash
# plx-buffer on a full filesystem (a 2 MiB tmpfs): --max-bytes bounds the
# spool's room on disk, its WAL included; a filesystem filled by something
# else makes it hold what it read (one transaction), pause standard input,
# say so, and go on once there is room: nothing it read is lost.
. "$(dirname "$0")/lib.sh"
M=$T/mnt; mkdir -p "$M"
mount -t tmpfs -o size=2m tmpfs "$M" 2>/dev/null || skip "cannot mount a tmpfs (not root?)"
_umount() { umount "$M" 2>/dev/null; }
trap '_umount; _cleanup' EXIT
counter() { plx-buffer -d "$2" --status | awk -v k="$1" '$1 == k { print $2 }'; }

# --max-bytes 1M on 2 MiB: the spool and its WAL stay within it
gen 20000 | plx-buffer -a --max-bytes 1M -d "$M/a.db" 2>"$T/a.err"
eq "--max-bytes 1M on a 2 MiB filesystem: exit 0, no disk full" "$?-$(grep -c full "$T/a.err")" 0-0
eq "... every record spooled or counted as dropped" \
	$(( $(counter depth "$M/a.db") + $(counter dropped "$M/a.db") )) 20000
sz=$(du -b -c "$M"/a.db* | tail -1 | cut -f1)
check "... the file and its WAL within 1 MiB + 64 KiB ($sz bytes)" [ "$sz" -le $((1024 * 1024 + 65536)) ]
rm -f "$M"/a.db*

# a filesystem filled by someone else: held, paused, said, resumed
dd if=/dev/zero of="$M/filler" bs=1k count=1700 2>/dev/null
gen 5000 > "$T/in"
plx-buffer -a -d "$M/b.db" < "$T/in" 2>"$T/b.err" & pid=$!
check "a full filesystem is said" wait_for 10 grep -q 'the filesystem is full: [0-9]* records held in memory, standard input paused' "$T/b.err"
check "... and plx-buffer waits (still running)" kill -0 $pid
rm "$M/filler"
wait $pid; rc=$?
eq "room again: exit 0" $rc 0
check "... said, with how long it waited" grep -q 'room again after [0-9]*s: [0-9]* held records committed' "$T/b.err"
eq "nothing read was lost: 5000 records in the spool" "$(counter depth "$M/b.db")-$(counter dropped "$M/b.db")" 5000-0
plx-buffer -d "$M/b.db" < /dev/null > "$T/b.out"
check "... each once, in order" sh -c "grep -o '\"value\":[0-9]*' '$T/b.out' | cut -d: -f2 | awk '\$1 != NR { exit 1 } END { exit NR != 5000 }'"
rm -f "$M"/b.db*

# a stop (SIGTERM) while still full: what it could not commit is counted as lost
dd if=/dev/zero of="$M/filler" bs=1k count=1900 2>/dev/null
gen 3000 | plx-buffer -a -d "$M/c.db" 2>"$T/c.err" & pid=$!
wait_for 10 grep -q 'the filesystem is full' "$T/c.err"
kill -TERM $pid; wait $pid; rc=$?
eq "SIGTERM while full: exit 74" $rc 74
check "... and the records lost are said with their number" grep -q 'still full: [0-9]* records read but not committed are lost' "$T/c.err"
