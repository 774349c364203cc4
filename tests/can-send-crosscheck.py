#!/usr/bin/python3
"""can-send's DBC encoder against canmatrix's (Debian's python3-canmatrix):
for each message of a DBC that canmatrix can encode (not extended
multiplexing), each multiplexer value of it, 3 samples of random raw values
of every signal it picks, written as exact decimal physical values
(raw * factor + offset): canmatrix's phys2raw and Frame.encode make the
payload, `can-send -n` another; they must be the same bytes.

    can-send-crosscheck.py DBC CAN-SEND    prints "SAMPLES DIFFERENT", and
                                            the first differences ("# ...")
"""
import decimal, random, subprocess, sys
import canmatrix.formats
D = decimal.Decimal
dbc, cansend = sys.argv[1:3]
db = canmatrix.formats.loadp_flat(dbc)
rnd = random.Random(5)
n = bad = 0
for fr in db.frames:
    if fr.is_complex_multiplexed:
        continue
    groups = sorted({s.mux_val for s in fr.signals if s.mux_val is not None}) or [None]
    for g in groups:
        for k in range(3):
            args, raw = [], {}
            for s in fr.signals:
                if s.mux_val is not None and s.mux_val != g:
                    continue
                if s.is_multiplexer:
                    r = g
                elif s.is_float:
                    r = D(rnd.choice(["1.5", "-2.25", "0", "1024", "-0.125", "3.0e10"]))
                else:
                    lo, hi = (-(1 << s.size - 1), (1 << s.size - 1) - 1) if s.is_signed else (0, (1 << s.size) - 1)
                    if s.size > 52 and (s.factor != 1 or s.offset != 0):
                        lo, hi = max(lo, -(1 << 50)), min(hi, 1 << 50)
                    r = rnd.randint(lo, hi)
                phys = D(r) * D(s.factor) + D(s.offset)
                args.append("%s=%s" % (s.name, phys.normalize() if phys else "0"))
                raw[s.name] = s.phys2raw(phys)
            want = fr.encode(raw).hex().upper()
            out = subprocess.run([cansend, "-n", "-D", dbc, "can0", fr.name] + args, capture_output=True, text=True)
            got = out.stdout.strip().split("#")[-1].lstrip("#")
            if out.returncode or got[-len(want):] != want or len(got) not in (len(want), len(want) + 1):
                bad += 1
                if bad < 5:
                    print("# %s %s: can-send %s (%s), canmatrix %s" % (fr.name, " ".join(args), out.stdout.strip(), out.stderr.strip(), want))
            n += 1
print("%d %d" % (n, bad))
