#!/bin/bash
# ble-read's decoders under valgrind: every golden case of tests/golden/ble/
# (malformed packets, wrong MICs, the encrypted path) and the limits of
# tests/unit/t_ble_decode, with no invalid access and no leak.  ASan
# binaries cannot run under valgrind, so a plain driver is built in the
# temp dir.
. "$(dirname "$0")/lib.sh"
need valgrind
cc -O1 -g -std=c11 -D_GNU_SOURCE -I"$TOP/lib" -o "$T/t_ble_decode" "$TOP/tests/unit/t_ble_decode.c" \
	"$TOP"/cmd/ble-read/{decode,bthome,thermo181a,ruuvi,mibeacon,gatt,key}.c -lcrypto -lm 2>"$T/cc.err" ||
	{ nok "plain build"; cat "$T/cc.err"; exit 1; }
cd "$TOP" || exit 1
$VG "$T/t_ble_decode" > "$T/out" 2> "$T/vg"
rc=$?
check "the golden cases and limits under valgrind: exit 0 (got $rc)" [ $rc -eq 0 ]
check "no valgrind report" [ ! -s "$T/vg" ]
check "every case passed under valgrind" [ "$(grep -c '^not ok' "$T/out")" -eq 0 ]
check "the golden cases ran" grep -q 'golden cases in [0-9]* files, 0 differ' "$T/out"
[ -s "$T/vg" ] && head -20 "$T/vg" | sed 's/^/#   /'
exit 0
