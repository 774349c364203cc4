#!/usr/bin/python3
"""Writes tests/golden/can/many.dbc (seeded: the same file every run): 48
messages for can-send's round trip (tests/unit/lib/t_dbc_encode.c) and its
cross-check with canmatrix (tests/t-can-send.sh).  Signals of 1 to 64 bits
placed at random without overlap, Intel and Motorola, signed and unsigned,
factors and offsets, float32 and float64 (SIG_VALTYPE_), value tables,
GenSigStartValue; standard and extended ids; classic and CAN FD sizes;
every 4th message multiplexed (a 4-bit M and groups m0..m3 on the same
bits).

    tests/gen-many-dbc.py > tests/golden/can/many.dbc
"""
import random

rnd = random.Random(16)
SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 12, 16, 20, 24, 32, 48, 64]
FACTORS = [1, 1, 1, 0.5, 0.1, 0.125, 2, 0.01, 0.25]
OFFSETS = [0, 0, 0, -40, 100, -1000.5]


def bits(intel, start_or_q, n):
    """Payload bits (byte*8 + bit) of a signal: Intel from start up; Motorola
    from big-endian bit-string position q on."""
    if intel:
        return {start_or_q + k for k in range(n)}
    return {(p // 8) * 8 + 7 - p % 8 for p in range(start_or_q, start_or_q + n)}


def num(x):
    """The shortest text that reads back as the double x."""
    return repr(float(x)).replace(".0e", "e").removesuffix(".0")


def place(used, size, n):
    for _ in range(200):
        intel = rnd.random() < 0.5
        pos = rnd.randrange(0, 8 * size - n + 1)
        b = bits(intel, pos, n)
        if not b & used:
            start = pos if intel else (pos // 8) * 8 + 7 - pos % 8
            return intel, start, b
    return None


out = ['VERSION "many"', "", "NS_ :", "\tBA_DEF_", "\tBA_", "\tBA_DEF_DEF_", "\tVAL_",
       "\tSIG_VALTYPE_", "", "BS_:", "", "BU_: Ecu Gw", ""]
tail = []
for i in range(48):
    size = rnd.choice(SIZES)
    ext = rnd.random() < 0.4
    cid = rnd.randrange(0x100, 0x1FFFFFFF) if ext else 0x100 + i
    dbc_id = cid | 0x80000000 if ext else cid
    name = "Msg%02d" % i
    out.append("BO_ %d %s: %d Ecu" % (dbc_id, name, size))
    used = set()
    mux = i % 4 == 3 and size >= 2
    groups = [None]
    if mux:
        intel, start, b = place(used, size, 4)
        used |= b
        out.append(' SG_ Mode M : %d|4@%d+ (1,0) [0|15] "" Gw' % (start, 1 if intel else 0))
        groups = [None, 0, 1, 2, 3]
    for g in groups:
        if g is None:
            pass
        elif g == 0:
            base = set(used)        # the plain signals' bits and the M's
        if g is not None:
            used = set(base)        # each group on the same free bits
        for j in range(rnd.randint(1, 5)):
            kind = rnd.random()
            if kind < 0.12 and 8 * size - len(used) >= 32:
                n, vt = 32, 1
            elif kind < 0.18 and 8 * size - len(used) >= 64:
                n, vt = 64, 2
            else:
                n, vt = rnd.randint(1, min(64, 8 * size)), 0
            p = place(used, size, n)
            if not p:
                continue
            intel, start, b = p
            used |= b
            sname = "S%02d_%s%d" % (i, "g%d_" % g if g is not None else "", j)
            signed = vt == 0 and n > 1 and rnd.random() < 0.5
            if vt:
                f, o, lo, hi = 1, 0, 0, 0
            else:
                f, o = rnd.choice(FACTORS), rnd.choice(OFFSETS)
                rlo, rhi = (-(1 << n - 1), (1 << n - 1) - 1) if signed else (0, (1 << n) - 1)
                lo, hi = rlo * f + o, rhi * f + o
                if n > 52:     # [min|max] as doubles would not hold the raw range exactly
                    lo = hi = 0
            mx = " m%d" % g if g is not None else ""
            out.append(' SG_ %s%s : %d|%d@%d%s (%r,%r) [%s|%s] "" Gw' %
                       (sname, mx, start, n, 1 if intel else 0, "-" if signed else "+", f, o, num(lo), num(hi)))
            if vt:
                tail.append("SIG_VALTYPE_ %d %s : %d;" % (dbc_id, sname, vt))
            elif n >= 2 and rnd.random() < 0.2:
                tail.append('VAL_ %d %s 0 "Zero" 1 "One" ;' % (dbc_id, sname))
            if vt == 0 and rnd.random() < 0.2:
                tail.append('BA_ "GenSigStartValue" SG_ %d %s %d;' % (dbc_id, sname, 1))
    out.append("")
out.append('BA_DEF_ SG_ "GenSigStartValue" INT 0 2147483647;')
out.append('BA_DEF_DEF_ "GenSigStartValue" 0;')
print("\n".join(out + tail))
