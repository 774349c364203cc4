#!/usr/bin/python3
"""can-canon.py candump|can-read FILE: the frames of a candump -L log, or of
can-read's records, one line each in the same form, so that the two can be
compared frame for frame with diff:

  TIMESTAMP_MS INTERFACE ID FLAGS LEN DATA

ID as both print it (3 hex digits for an 11-bit id, 8 for a 29-bit one),
FLAGS the sorted set of ext, rtr, fd, brs, esi ("-": none), DATA in hex
("-": none).  The timestamp is candump's microseconds cut to milliseconds,
as can-read stamps (its man page: the kernel's time of reception).

candump -L (can-utils lib.c, sprint_canframe):
  (1436509052.249713) vcan0 123#DEADBEEF      classic; '.' may separate bytes
  (1436509052.249713) vcan0 12345678#         29-bit id, no data
  (1436509052.249713) vcan0 123#R4            remote request, its DLC
  (1436509052.249713) vcan0 123##3DEADBEEF    CAN FD: flags nibble (1 BRS, 2 ESI)
can-read (can-read(1), RECORDS): an event can.frame, value the data in hex or
"R", tags interface, id (0x...), len, flags.  Status records are skipped."""
import json
import re
import sys


def candump(line):
    m = re.match(r'\((\d+)\.(\d{6})\) (\S+) ([0-9A-F]+)#(#?)(\S*)$', line.strip())
    if not m:
        raise SystemExit('can-canon: not a candump -L line: %r' % line)
    sec, usec, iface, cid, fd, rest = m.groups()
    flags = set()
    if len(cid) == 8:
        flags.add('ext')
    if fd:
        nib = int(rest[0], 16)
        flags.add('fd')
        if nib & 1:
            flags.add('brs')
        if nib & 2:
            flags.add('esi')
        data = rest[1:]
    elif rest.startswith('R'):
        flags.add('rtr')
        data = ''
        length = int(rest[1:] or '0', 16)
    else:
        data = rest.replace('.', '')
    if 'rtr' not in flags:
        length = len(data) // 2
    ms = int(sec) * 1000 + int(usec) // 1000
    return ms, iface, cid, flags, length, data


def canread(line):
    r = json.loads(line)
    if r.get('metric') != 'can.frame':
        return None
    t = r['tags']
    flags = set(filter(None, t.get('flags', '').split(',')))
    data = '' if r['value'] == 'R' else r['value']
    return r['timestamp'], t['interface'], t['id'][2:], flags, int(t['len']), data


def main():
    kind, path = sys.argv[1:3]
    parse = candump if kind == 'candump' else canread
    for line in open(path):
        if not line.strip():
            continue
        f = parse(line)
        if f:
            ms, iface, cid, flags, length, data = f
            print(ms, iface, cid, ','.join(sorted(flags)) or '-', length, data or '-')


main()
