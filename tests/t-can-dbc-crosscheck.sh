#!/bin/bash
# can-read's DBC decoder (cmd/can-read/dbc.c, dbc_decode.c) against
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
make -s -C "$TOP" tests/can-dbc-decode >&2 || { nok "build tests/can-dbc-decode"; exit 1; }
DEC=$TOP/tests/can-dbc-decode
$PY -c 'import canmatrix' >/dev/null 2>&1 || { nok "python3-canmatrix is not installed (make deps)"; exit 1; }

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
print(("ok" if not bad else "not ok") + " - %s: %d values in %d frames agree with canmatrix" % (name, len(want) - len(bad), frames)
      + ("" if not bad else ", %d differ" % len(bad)))
for b in bad[:10]:
    print("#   " + b)
missing = sorted(sigs - {k[1] for k in got})
print(("ok" if not missing else "not ok") + " - %s: all %d signals decoded at least once" % (name, len(sigs))
      + ("" if not missing else ": never " + " ".join(missing)))
labels = sum(1 for k in got if got[k][1])
print(("ok" if labels or not re.search(r"^VAL_ ", open(dbc, encoding="latin-1").read(), re.M) else "not ok")
      + " - %s: %d decoded values carry a VAL_ label" % (name, labels))
PYEOF
done
