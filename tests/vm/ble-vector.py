#!/usr/bin/python3
"""ble-vector.py: a vector of tests/golden/ble/ as an advertisement, and
ble-read's records checked against it.

  ble-vector.py ad GOLDEN PAYLOAD
      the AD structures (hex, for btmgmt add-adv -d) carrying the golden
      line of GOLDEN whose payload is PAYLOAD: service data (type 0x16:
      length, 16 LL HH UUID, data) or manufacturer data (0xff: length, ff,
      company LL HH, data), per the Core Specification Supplement, A.1.4
      and A.1.11
  ble-vector.py ad-svc UUID HEX | ad-mfr COMPANY HEX
      the same for bytes not in a golden file
  ble-vector.py expect GOLDEN PAYLOAD FORMAT OUT FROM
      exit 0 when the lines of OUT after line FROM hold every reading the
      golden line expects ("temperature=25 °C; humidity=50.55 %"): a record
      whose metric ends with the reading's name, of that value, unit and
      format (and mac, for a line ending "@ MAC")
  ble-vector.py expect-text "READINGS" FORMAT OUT FROM
      the same for readings given here

Golden lines: "[keyring MAC=KEY] [mac M] svc|mfr ID HEX => READINGS [@ MAC]"."""
import json
import sys


def golden(path, payload):
    for line in open(path):
        if line.startswith('#') or ' => ' not in line:
            continue
        left, right = line.rstrip('\n').split(' => ', 1)
        w = left.split()
        for i in range(len(w) - 2):
            if w[i] in ('svc', 'mfr') and w[i + 2] == payload:
                return w[i], w[i + 1], w[i + 2], right
    sys.exit('ble-vector: no vector %s in %s' % (payload, path))


def ad(kind, ident, data):
    body = bytes([0x16 if kind == 'svc' else 0xff]) + int(ident, 16).to_bytes(2, 'little') + bytes.fromhex(data)
    return (bytes([len(body)]) + body).hex()


def readings(text):
    mac = None
    if ' @ ' in text:
        text, mac = text.split(' @ ')
    out = []
    for r in text.split(';'):
        r = r.strip()
        if not r or r == '-':
            continue
        name, v = r.split('=', 1)
        value, _, unit = v.partition(' ')
        out.append((name, value, unit or None))
    return out, mac


def found(recs, fmt, mac, name, value, unit):
    for r in recs:
        t = r.get('tags', {})
        if not r.get('metric', '').endswith('.' + name) or t.get('format') != fmt:
            continue
        if t.get('unit') != unit or (mac and t.get('mac') != mac):
            continue
        if value.startswith('"'):
            if r['value'] == json.loads(value):
                return True
        elif isinstance(r['value'], (int, float)) and abs(r['value'] - float(value)) < 1e-9:
            return True
    return False


def expect(text, fmt, out, start):
    want, mac = readings(text)
    recs = [json.loads(l) for l in open(out).readlines()[int(start):] if l.strip()]
    missing = [n for n, v, u in want if not found(recs, fmt, mac, n, v, u)]
    if missing or not want:
        print('ble-vector: not out: %s' % (', '.join(missing) or 'nothing expected'), file=sys.stderr)
        sys.exit(1)


def main():
    a = sys.argv[1:]
    if a[0] == 'ad':
        kind, ident, data, _ = golden(a[1], a[2])
        print(ad(kind, ident, data))
    elif a[0] in ('ad-svc', 'ad-mfr'):
        print(ad(a[0][3:], a[1], a[2]))
    elif a[0] == 'expect':
        expect(golden(a[1], a[2])[3], *a[3:6])
    elif a[0] == 'expect-text':
        expect(*a[1:5])
    else:
        sys.exit(__doc__)


main()
