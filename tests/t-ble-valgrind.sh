#!/bin/bash
# ble-read's decoders under valgrind: every golden case of tests/golden/ble/
# (malformed packets, wrong MICs, the encrypted path) and the limits of
# tests/unit/ble-read/t_ble_decode, with no invalid access and no leak
# (ASan binaries cannot run under valgrind: a plain build of its own).
. "$(dirname "$0")/lib.sh"
valgrind_build tests/unit/ble-read/t_ble_decode
cd "$TOP" || exit 1
$VG "$VGBUILD/tests/unit/ble-read/t_ble_decode" > "$T/out" 2> "$T/vg"
rc=$?
check "the golden cases and limits under valgrind: exit 0 (got $rc)" [ $rc -eq 0 ]
check "no valgrind report" [ ! -s "$T/vg" ]
check "every case passed under valgrind" [ "$(grep -c '^not ok' "$T/out")" -eq 0 ]
check "the golden cases ran" grep -q 'golden cases in [0-9]* files, 0 differ' "$T/out"
[ -s "$T/vg" ] && head -20 "$T/vg" | sed 's/^/#   /'
exit 0
