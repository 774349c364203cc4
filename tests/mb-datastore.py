#!/usr/bin/python3
"""The values in a pymodbus server's datastore (tests/modbus-server.py
--dump), decoded by pymodbus' own BinaryPayloadDecoder, not by our codec:
for modbus-write's tests.

    mb-datastore.py DUMP < points      (a point a line: UNIT TABLE ADDR TYPE ORDER NAME)

prints NAME=VALUE a line: floats as repr, strings without their NULs,
"co" the coil, "bitN" bit N of the register.
"""
import json
import sys

from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadDecoder

ORDERS = {"ABCD": (Endian.Big, Endian.Big), "CDAB": (Endian.Big, Endian.Little),
          "BADC": (Endian.Little, Endian.Big), "DCBA": (Endian.Little, Endian.Little)}
NREGS = {"16": 1, "32": 2, "64": 4}

store = json.load(open(sys.argv[1]))
for line in sys.stdin:
    unit, table, addr, typ, order, name = line.split()
    u, addr = store[unit], int(addr)
    if table == "co":
        print("%s=%d" % (name, u["co"][addr]))
        continue
    if typ.startswith("bit"):
        print("%s=%d" % (name, u["hr"][addr] >> int(typ[3:]) & 1))
        continue
    bo, wo = ORDERS[order]
    if typ.startswith("string"):
        n = int(typ[6:])
        regs = u["hr"][addr:addr + (n + 1) // 2]
        # the server's encoding of strings (modbus-server.py): the word
        # order reverses the registers, the byte order swaps their bytes
        # (its builder's repack; the decoder has no byte order for strings)
        if wo == Endian.Little:
            regs = regs[::-1]
        if bo == Endian.Little:
            regs = [(r & 0xff) << 8 | r >> 8 for r in regs]
        d = BinaryPayloadDecoder.fromRegisters(regs, byteorder=Endian.Big)
        print("%s=%s" % (name, d.decode_string(n).rstrip(b"\0").decode()))
        continue
    bits = "".join(c for c in typ if c.isdigit())
    regs = u["hr"][addr:addr + NREGS[bits]]
    d = BinaryPayloadDecoder.fromRegisters(regs, byteorder=bo, wordorder=wo)
    v = getattr(d, "decode_%sbit_%s" % (bits, "float" if typ.startswith("float") else
                                       "uint" if typ.startswith("u") else "int"))()
    print("%s=%r" % (name, v))
