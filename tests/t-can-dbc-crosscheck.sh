#!/bin/bash
# can-read's DBC decoder (lib/dbc.c, dbc_decode.c) against
# canmatrix (Debian's python3-canmatrix) on the same frames.  For each test
# DBC of tests/golden/can/, canmatrix generates frames for every message: all
# zeros, all ones, 0x55/0xAA/0x7F/0x80 patterns, each single bit set (so a
# bit landing in the wrong place shows), and 400 random payloads (seeded)
# that hit every multiplexer value.  Both decoders decode them; every
# (frame, signal) pair must be decoded by both, with the same value
# (relative tolerance 1e-12: canmatrix scales in Decimal, we in double) and
# the same VAL_ label, and every signal of the file must be decoded at
# least once.
#
# Where canmatrix 0.9.5 departs from the DBC format, the script follows the
# format (Vector's "DBC File Format Documentation"):
#  - Labels: canmatrix's named_value looks the VAL_ table up with the
#    *scaled* value; VAL_ numbers raw values, so the script looks up
#    signal.values[raw_value] itself.
#  - SIG_VALTYPE_: canmatrix makes a signal float whatever the type number,
#    even 0 (integer); the files here only use 1 and 2 with it.
#  - Extended multiplexing (m1M, SG_MUL_VAL_): in a message that has any,
#    canmatrix drops a muxed signal that no SG_MUL_VAL_ line names, where
#    we fall back to the M signal and its m<n>; mux-ext.dbc names them all.
#  - A message that is no frame (VECTOR__INDEPENDENT_SIG_MSG, DBC id
#    0xC0000000) becomes extended id 0 in canmatrix; it is no frame at all,
#    so it gets no frames here and dbc_find never returns it.
#  - canmatrix refuses payloads shorter than the message, as we do (t_dbc
#    tests that we refuse them, and longer ones).
. "$(dirname "$0")/lib.sh"
DEC=$BUILD/tests/unit/lib/can-dbc-decode
[ -x "$DEC" ] || make -s -C "$TOP" FLAVOUR="${BUILD##*-}" "$DEC" >&2 || { nok "build $DEC"; exit 1; }
need_py canmatrix

for dbc in basic mux mux-ext float fd; do
	f=$TOP/tests/golden/can/$dbc.dbc
	# canmatrix: frames and its decoding of them (stdout: its own chatter)
	$PY - "$f" "$T/$dbc.frames" "$T/$dbc.want" >"$T/$dbc.pylog" 2>&1 <<'PYEOF'
import math, random, sys
import canmatrix.formats
dbc, frames_out, want_out = sys.argv[1:]
db = canmatrix.formats.loadp_flat(dbc)
rnd = random.Random(7)
frames = []
for fr in db.frames:
    if fr.name == "VECTOR__INDEPENDENT_SIG_MSG":
        continue
    n = fr.size
    pays = [bytes([b] * n) for b in (0, 0xFF, 0x55, 0xAA, 0x7F, 0x80)]
    for bit in range(8 * n):
        p = bytearray(n)
        p[bit // 8] = 1 << (bit % 8)
        pays.append(bytes(p))
    pays += [bytes(rnd.randrange(256) for _ in range(n)) for _ in range(400)]
    for p in pays:
        frames.append((fr, p))
with open(frames_out, "w") as fo, open(want_out, "w") as wo:
    for line, (fr, p) in enumerate(frames, 1):
        aid = fr.arbitration_id
        ident = "%08X" % aid.id if aid.extended else "%03X" % aid.id
        sep = "##0" if fr.size > 8 else "#"
        fo.write("%s%s%s\n" % (ident, sep, p.hex().upper()))
        for name, d in fr.decode(p).items():
            s = d.signal
            raw = d.raw_value
            v = float(d.phys_value)
            label = "" if s.is_float else s.values.get(int(raw), "")
            # the scale of the terms, for the tolerance of a sum that cancels
            scale = abs(float(raw) * float(s.factor)) + abs(float(s.offset))
            wo.write("%d\t%s.%s\t%r\t%s\t%r\n" % (line, fr.name, name, v, label, scale))
PYEOF
	if [ $? -ne 0 ]; then
		nok "$dbc.dbc: canmatrix failed"; sed 's/^/#   /' "$T/$dbc.pylog" | tail -n 5; continue
	fi
	if ! "$DEC" "$f" <"$T/$dbc.frames" >"$T/$dbc.got" 2>"$T/$dbc.err"; then
		nok "$dbc.dbc: can-dbc-decode failed: $(cat "$T/$dbc.err")"; continue
	fi
	check "$dbc.dbc: can-dbc-decode read every frame line" test ! -s "$T/$dbc.err"
	$PY - "$f" "$T/$dbc.want" "$T/$dbc.got" <<'PYEOF'
import math, re, sys
dbc, want_f, got_f = sys.argv[1:]
name = dbc.rsplit("/", 1)[1]
want, got = {}, {}
for l in open(want_f):
    line, sig, v, label, scale = l.rstrip("\n").split("\t")
    want[(int(line), sig)] = (float(v), label, float(scale))
for l in open(got_f):
    line, sig, v, label = l.rstrip("\n").split("\t")
    got[(int(line), sig)] = (float(v), label)
# every SG_ of every message that is a frame, as MESSAGE.SIGNAL
sigs, msg = set(), None
for l in open(dbc, encoding="latin-1"):
    m = re.match(r"BO_ (\d+) (\w+)", l)
    if m:
        msg = m.group(2) if m.group(2) != "VECTOR__INDEPENDENT_SIG_MSG" else None
    m = re.match(r"\s+SG_ (\w+)", l)
    if m and msg:
        sigs.add(msg + "." + m.group(1))

def same(a, b, scale):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), scale) + 1e-300

bad = []
for k in sorted(set(want) | set(got)):
    if k not in got:
        bad.append("frame %d %s: canmatrix %r, not decoded here" % (k[0], k[1], want[k][0]))
    elif k not in want:
        bad.append("frame %d %s: %r here, not decoded by canmatrix" % (k[0], k[1], got[k][0]))
    elif not same(got[k][0], want[k][0], want[k][2]) or got[k][1] != want[k][1]:
        bad.append("frame %d %s: %r %r here, canmatrix %r %r" % (k + got[k] + want[k][:2]))
frames = len({k[0] for k in want})
print(("ok" if want and not bad else "not ok") + " - %s: %d values in %d frames agree with canmatrix" % (name, len(want) - len(bad), frames)
      + ("" if not bad else ", %d differ" % len(bad)))
for b in bad[:10]:
    print("#   " + b)
missing = sorted(sigs - {k[1] for k in got})
print(("ok" if sigs and not missing else "not ok") + " - %s: all %d signals decoded at least once" % (name, len(sigs))
      + ("" if not missing else ": never " + " ".join(missing)))
labels = sum(1 for k in got if got[k][1])
print(("ok" if labels or not re.search(r"^VAL_ ", open(dbc, encoding="latin-1").read(), re.M) else "not ok")
      + " - %s: %d decoded values carry a VAL_ label" % (name, labels))
PYEOF
	# (a comparison that dies prints no verdict of its own)
	[ $? -eq 0 ] || nok "$dbc.dbc: the comparison with canmatrix failed"
done

# Signals that share bits (dbc_overlap.c) against canmatrix's own placement
# of each signal: random DBC files (seeded) of 8- and 64-byte messages whose
# signals lie anywhere, in either byte order, some multiplexed.  canmatrix
# packs each signal alone with every bit set (signals_to_bytes, which
# follows the DBC's sawtooth numbering of Motorola signals), which gives the
# bits it occupies; two signals of a message conflict when they share one
# and one frame can hold both (both plain or the multiplexer, or either of
# them, or the same multiplexer value).  can-read must warn of exactly those
# pairs, with the number of bits shared and the lowest.
for seed in 1 2 3 4 5 6; do
	dbc=$T/overlap$seed.dbc
	$PY - "$seed" "$dbc" "$T/overlap$seed.want" >"$T/overlap$seed.pylog" 2>&1 <<'PYEOF'
import random, sys
import canmatrix.formats
seed, dbc, want = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rnd = random.Random(seed)
lines = ['VERSION ""', "", "NS_ :", "", "BS_:", "", "BU_: A", ""]
for mi in range(6):
    size = rnd.choice([8, 8, 64])
    lines.append("BO_ %d M%d: %d A" % (100 + mi, mi, size))
    muxed = rnd.random() < 0.5
    for si in range(6):
        length = rnd.randint(1, 20)
        pos = rnd.randint(0, 8 * size - length)     # first bit in the order the signal takes them
        if rnd.random() < 0.5:
            order, start = 1, pos
        else:                                        # Motorola: pos in the big-endian bit string
            order, start = 0, pos // 8 * 8 + 7 - pos % 8
        mux = ""
        if muxed and si == 0:
            mux = "M "
        elif muxed and rnd.random() < 0.6:
            mux = "m%d " % rnd.randint(0, 2)
        lines.append(' SG_ S%d %s: %d|%d@%d%s (1,0) [0|1] "" A'
                     % (si, mux, start, length, order, rnd.choice("+-")))
    lines.append("")
open(dbc, "w").write("\n".join(lines) + "\n")

db = canmatrix.formats.loadp_flat(dbc)
out = []
for fr in db.frames:
    bits = {}
    for s in fr.signals:
        raw = -1 if s.is_signed else (1 << s.size) - 1
        v = int.from_bytes(bytes(fr.signals_to_bytes({s.name: raw})), "little")
        bits[s.name] = {i for i in range(8 * fr.size) if v >> i & 1}
    sigs = sorted(fr.signals, key=lambda s: int(s.name[1:]))
    for j, b in enumerate(sigs):
        for a in sigs[:j]:
            common = bits[a.name] & bits[b.name]
            if not common:
                continue
            if a.mux_val is not None and b.mux_val is not None and a.mux_val != b.mux_val:
                continue
            out.append("%s %s %s %d %d" % (fr.name, a.name, b.name, len(common), min(common)))
open(want, "w").write("".join(l + "\n" for l in sorted(out)))
PYEOF
	if [ $? -ne 0 ]; then
		nok "overlap$seed.dbc: canmatrix failed"; sed 's/^/#   /' "$T/overlap$seed.pylog" | tail -n 5; continue
	fi
	can-read --status-interval 0 -D "$dbc" -r /dev/null >/dev/null 2>"$T/overlap$seed.err"
	rc=$?
	sed -n 's/.*: signals \([A-Za-z0-9]*\) (line [0-9]*) and \([A-Za-z0-9]*\) of message \([A-Za-z0-9]*\) overlap: \([0-9]*\) bits\{0,1\} in both, from bit \([0-9]*\)$/\3 \1 \2 \4 \5/p' \
		"$T/overlap$seed.err" | sort > "$T/overlap$seed.got"
	n=$(grep -c . "$T/overlap$seed.want")
	if [ $rc -eq 0 ] && cmp -s "$T/overlap$seed.want" "$T/overlap$seed.got" && [ "$(grep -c . "$T/overlap$seed.err")" = "$n" ]; then
		ok "overlap$seed.dbc: the $n pairs of signals that share bits, as canmatrix places them"
	else
		nok "overlap$seed.dbc: can-read exits $rc, or the pairs of signals that share bits differ from canmatrix's placement (< canmatrix, > can-read)"
		diff "$T/overlap$seed.want" "$T/overlap$seed.got" | head -n 10 | sed 's/^/#   /'
		grep -v 'overlap:' "$T/overlap$seed.err" | head -n 3 | sed 's/^/#   /'
	fi
done
