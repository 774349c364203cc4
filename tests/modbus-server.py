#!/usr/bin/python3
"""A Modbus server for modbus-read's tests, built on pymodbus 3.0 (run with
/usr/bin/python3): serves the datastore a JSON spec describes, over TCP on
127.0.0.1 or RTU on a serial device (one end of a socat pty pair).

    modbus-server.py --spec S.json (--port N --port-file F | --rtu /dev/pts/N)

Spec: {"units": {"1": {"size": 2000, "delay": 0.0,
                       "hr": [[ADDR, TYPE, ORDER, VALUE], [ADDR, "regs", [W, ...]]],
                       "ir": [...], "co": [[ADDR, [0, 1, ...]]], "di": [...],
                       "block": {"hr": [[INDEX, [W, ...]]]}}}}

ADDR is the 0-based protocol (PDU) address: values are written through the
slave context, which applies pymodbus' own offset (zero_mode=False: address
A lives at block index A+1).  "block" writes block indexes directly, so a
test can check that offset.  TYPE/ORDER/VALUE are encoded by pymodbus'
BinaryPayloadBuilder (ABCD = byteorder Big, wordorder Big; CDAB = Big,
Little; BADC = Little, Big; DCBA = Little, Little); "stringN" pads VALUE
with NULs to N bytes (and a word order reverses its registers, as pymodbus
does with the words of its other values).  A unit with "delay" answers that
many seconds after each request, and the server goes on meanwhile (other
connections, other units: a slow device, not a stalled server); unit ids not in the spec get no answer at all (ignore_missing_slaves),
addresses beyond "size" get exception 2 (illegal data address).
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSequentialDataBlock
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.server.async_io import ModbusBaseRequestHandler
from pymodbus.transaction import ModbusRtuFramer

ORDERS = {"ABCD": (Endian.Big, Endian.Big), "CDAB": (Endian.Big, Endian.Little),
          "BADC": (Endian.Little, Endian.Big), "DCBA": (Endian.Little, Endian.Little)}
ADD = {"int16": "add_16bit_int", "uint16": "add_16bit_uint", "int32": "add_32bit_int",
       "uint32": "add_32bit_uint", "int64": "add_64bit_int", "uint64": "add_64bit_uint",
       "float32": "add_32bit_float", "float64": "add_64bit_float"}
FX = {"co": 1, "di": 2, "hr": 3, "ir": 4}


def encode(typ, order, value):
    bo, wo = ORDERS[order]
    if typ.startswith("string"):
        # pymodbus' byte order reaches a string's registers with repack;
        # it has no word order for strings: the one of its other values
        # (the words of a value reversed) is applied here
        b = BinaryPayloadBuilder(byteorder=bo, wordorder=wo, repack=True)
        n = int(typ[6:])
        b.add_string(value.encode().ljust(n + n % 2, b"\0"))
        regs = b.to_registers()
        return regs[::-1] if wo == Endian.Little else regs
    b = BinaryPayloadBuilder(byteorder=bo, wordorder=wo)
    getattr(b, ADD[typ])(value)
    return b.to_registers()


DELAY = {}     # unit id -> seconds before its answers go out


def send_later(send):
    """pymodbus' send of an answer, put off by its unit's delay."""
    def delayed(self, message, *addr, **kwargs):
        d = DELAY.get(message.unit_id, 0.0)
        if d:
            asyncio.get_running_loop().call_later(d, lambda: send(self, message, *addr, **kwargs))
        else:
            send(self, message, *addr, **kwargs)
    return delayed


ModbusBaseRequestHandler.send = send_later(ModbusBaseRequestHandler.send)


def context(spec):
    slaves = {}
    for uid, u in spec["units"].items():
        size = u.get("size", 2000)
        blocks = {k: ModbusSequentialDataBlock(0, [0] * size) for k in FX}
        c = ModbusSlaveContext(co=blocks["co"], di=blocks["di"], hr=blocks["hr"], ir=blocks["ir"],
                               zero_mode=False)
        DELAY[int(uid)] = u.get("delay", 0.0)
        for table in FX:
            for e in u.get(table, []):
                if table in ("co", "di"):
                    c.setValues(FX[table], e[0], [bool(x) for x in e[1]])
                elif e[1] == "regs":
                    c.setValues(FX[table], e[0], e[2])
                else:
                    c.setValues(FX[table], e[0], encode(e[1], e[2], e[3]))
        for table, entries in u.get("block", {}).items():
            for index, values in entries:
                blocks[table].setValues(index, values)
        slaves[int(uid)] = c
    return ModbusServerContext(slaves=slaves, single=False)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--rtu")
    ap.add_argument("--baud", type=int, default=19200)
    ap.add_argument("--parity", default="N")   # pyserial cannot set E or O on a pty
    a = ap.parse_args()
    with open(a.spec) as f:
        ctx = context(json.load(f))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: os._exit(0))
    if a.rtu:
        server = await StartAsyncSerialServer(context=ctx, framer=ModbusRtuFramer, port=a.rtu,
                                              baudrate=a.baud, bytesize=8, parity=a.parity, stopbits=1,
                                              ignore_missing_slaves=True, defer_start=True)
        await server.start()
        if a.port_file:
            with open(a.port_file + ".tmp", "w") as f:
                f.write(a.rtu + "\n")
            os.rename(a.port_file + ".tmp", a.port_file)
        await asyncio.Event().wait()
    server = await StartAsyncTcpServer(context=ctx, address=("127.0.0.1", a.port),
                                       ignore_missing_slaves=True, defer_start=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.port_file + ".tmp", a.port_file)
    await task


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
