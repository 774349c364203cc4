#!/bin/bash
# can-read's DBC decoding speed (issue 5): a generated 50-message DBC and a
# candump -L log of N frames (default 1,000,000) of random payloads for its
# messages, decoded by bench/can_decode.c (dbc_find + dbc_decode, in memory,
# best of 3 passes) and, for the ratio, by canmatrix (Debian's
# python3-canmatrix: Frame.decode on the first M frames of the same log,
# all of them by default, the frame looked up in a dict, log parsing untimed).
#   bench/can.sh [N [M]]
# The DBC and the log are kept in bench/out/ (can-50.dbc, can-N.log) for
# can-read's own benchmark.  See bench/README.md.
cd "$(dirname "$0")/.." || exit 1
N=${1:-1000000}
M=${2:-$N}
PY=/usr/bin/python3
OUT=bench/out
mkdir -p "$OUT"
# the decoder alone (bench/can-read/can_decode.c), from the plain build
DEC=$(make -s FLAVOUR=plain print-build)/bench/can-read/can_decode
make -s FLAVOUR=plain "${DEC#"$PWD"/}" || exit 1   # make knows its targets by relative path
DBC=$OUT/can-50.dbc LOG=$OUT/can-$N.log

if [ ! -s "$LOG" ] || [ ! -s "$DBC" ]; then
	$PY - "$DBC" "$LOG" "$N" <<'PYEOF' || exit 1
import random, sys
dbc, log, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(5)
msgs, out = [], ['VERSION "bench"', "", "NS_ :", "", "BS_:", "", "BU_: Ecu Gw", ""]
vals, types = [], []
for i in range(50):
    ext = i % 5 == 4
    ident = (0x18F00000 + i * 0x100 + 0xFE) if ext else 0x100 + 8 * i
    size = {7: 16, 17: 32, 27: 64, 37: 24, 47: 12}.get(i, 8)
    motorola = i % 2 == 1
    out.append("BO_ %d M%02d: %d Ecu" % (ident | (1 << 31 if ext else 0), i, size))
    pos, k, mux = 0, 0, i % 10 == 3
    if mux:
        out.append(' SG_ Sel M : %d|4@%d+ (1,0) [0|15] "" Gw' % (7 if motorola else 0, 0 if motorola else 1))
        pos = 8
    while pos < size * 8:
        ln = rnd.choice([1, 2, 4, 8, 8, 12, 16, 16, 32])
        if ln == 32 and pos % 8:
            ln = 8
        if pos + ln > size * 8:
            ln = size * 8 - pos
        start = (pos // 8) * 8 + 7 - pos % 8 if motorola else pos
        signed = rnd.random() < 0.3
        name = "S%d" % k
        tag = (" m%d" % (k % 2)) if mux else ""
        factor = rnd.choice(["1", "0.1", "0.5", "0.01", "0.125"])
        offset = rnd.choice(["0", "0", "-40", "100"])
        out.append(' SG_ %s%s : %d|%d@%d%s (%s,%s) [0|0] "u" Gw'
                   % (name, tag, start, ln, 0 if motorola else 1, "-" if signed else "+", factor, offset))
        if ln == 32 and rnd.random() < 0.3:
            types.append("SIG_VALTYPE_ %d %s : 1;" % (ident | (1 << 31 if ext else 0), name))
        if ln <= 4 and rnd.random() < 0.5:
            vals.append("VAL_ %d %s 0 \"Off\" 1 \"On\" 2 \"Err\" ;" % (ident | (1 << 31 if ext else 0), name))
        pos += ln
        k += 1
    out.append("")
    msgs.append((ident, ext, size))
open(dbc, "w").write("\n".join(out + vals + types) + "\n")
with open(log, "w") as f:
    t = 1763800000.0
    for j in range(n):
        ident, ext, size = rnd.choice(msgs)
        p = rnd.getrandbits(8 * size).to_bytes(size, "little").hex().upper()
        idt = "%08X" % ident if ext else "%03X" % ident
        f.write("(%.6f) can0 %s%s%s\n" % (t + j * 0.0001, idt, "##0" if size > 8 else "#", p))
PYEOF
fi
echo "# $(date -u '+%Y-%m-%d %H:%M UTC') commit $(git rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# DBC: $(grep -c '^BO_' "$DBC") messages, $(grep -c '^ SG_' "$DBC") signals; log: $N frames, $(du -m "$LOG" | cut -f1) MiB"
c=$($DEC "$DBC" "$LOG") || exit 1
echo "dbc.c         $c"
p=$($PY - "$DBC" "$LOG" "$M" 2>/dev/null <<'PYEOF'
import sys, time
import canmatrix.formats
dbc, log, m = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = canmatrix.formats.loadp_flat(dbc)
byid = {(f.arbitration_id.id, f.arbitration_id.extended): f for f in db.frames}
frames = []
for line in open(log):
    fr = line.split()[-1]
    ident, _, data = fr.partition("#")
    frames.append(((int(ident, 16), len(ident) == 8), bytes.fromhex(data[2:] if data.startswith("#") else data)))
    if len(frames) == m:
        break
t = time.perf_counter()
sigs = 0
for key, data in frames:
    sigs += len(byid[key].decode(data))
t = time.perf_counter() - t
print("frames %d signals %d %.3f s %.0f frames/s" % (len(frames), sigs, t, len(frames) / t))
PYEOF
) || { echo "canmatrix failed (python3-canmatrix installed?)"; exit 1; }
echo "canmatrix     $p"
fc=$(echo "$c" | sed 's/.* s \([0-9]*\) frames\/s.*/\1/')
fp=$(echo "$p" | sed 's/.* s \([0-9]*\) frames\/s.*/\1/')
echo "ratio dbc.c / canmatrix: $(awk -v a="$fc" -v b="$fp" 'BEGIN { printf "%.0f x", a / b }')"
sc=$(echo "$c" | sed 's/.*signals \([0-9]*\) .*/\1/')
sp=$(echo "$p" | sed 's/.*signals \([0-9]*\) .*/\1/')
[ "$M" -ne "$N" ] || [ "$sc" = "$sp" ] || { echo "MISMATCH: $sc signals decoded here, $sp by canmatrix"; exit 1; }
echo "target: decode well above 1,000,000 frames/s: $(awk -v a="$fc" 'BEGIN { print (a >= 1000000 ? "met" : "MISSED") }')"
