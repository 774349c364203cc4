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

For modbus-write's tests: a unit with "busy": true answers every request
with exception 6 (slave device busy), one with "refuse": [FC, ...] answers
those functions with exception 1 (illegal function), as a device without
function 6 or 16 does; one with "ignore-writes": true answers writes
and keeps its registers as they were.  --log F appends "UNIT FUNCTION" for each request
received; --dump F holds, after each request, the datastore as the server
has it: {"UNIT": {"hr": [...], "co": [0, 1, ...]}}, protocol addresses
from 0 (read through the slave context, not over Modbus).
"""
import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from pymodbus.constants import Endian
from pymodbus.pdu import ModbusExceptions as merror
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
BUSY = set()   # unit ids that answer exception 6
REFUSE = {}    # unit id -> function codes answered with exception 1
IGNORE = set() # unit ids whose registers writes do not change
ARGS = None


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


def dump(ctx):
    out = {}
    for uid in ctx.slaves():
        c, size = ctx[uid], SIZE[uid]
        out[str(uid)] = {"hr": c.getValues(3, 0, size - 1), "co": [int(b) for b in c.getValues(1, 0, size - 1)]}
    with open(ARGS.dump + ".tmp", "w") as f:
        json.dump(out, f)
    os.rename(ARGS.dump + ".tmp", ARGS.dump)


def execute_as_told(execute):
    """pymodbus' execute of a request, unless its unit is busy or refuses
    its function; the request logged and the datastore dumped."""
    def told(self, request, *addr):
        if ARGS.log:
            with open(ARGS.log, "a") as f:
                f.write("%d %d\n" % (request.unit_id, request.function_code))
        if request.unit_id in BUSY or request.function_code in REFUSE.get(request.unit_id, ()):
            code = merror.SlaveBusy if request.unit_id in BUSY else merror.IllegalFunction
            response = request.doException(code)
            response.transaction_id, response.unit_id = request.transaction_id, request.unit_id
            self.send(response, *addr)
            return
        c = self.server.context[request.unit_id] if request.unit_id in IGNORE else None
        if c:
            kept = c.getValues(3, 0, SIZE[request.unit_id] - 1), c.getValues(1, 0, SIZE[request.unit_id] - 1)
        execute(self, request, *addr)
        if c:
            c.setValues(3, 0, kept[0])
            c.setValues(1, 0, kept[1])
        if ARGS.dump:
            dump(self.server.context)
    return told


ModbusBaseRequestHandler.execute = execute_as_told(ModbusBaseRequestHandler.execute)
SIZE = {}


def context(spec):
    slaves = {}
    for uid, u in spec["units"].items():
        size = u.get("size", 2000)
        blocks = {k: ModbusSequentialDataBlock(0, [0] * size) for k in FX}
        c = ModbusSlaveContext(co=blocks["co"], di=blocks["di"], hr=blocks["hr"], ir=blocks["ir"],
                               zero_mode=False)
        DELAY[int(uid)] = u.get("delay", 0.0)
        SIZE[int(uid)] = size
        if u.get("busy"):
            BUSY.add(int(uid))
        REFUSE[int(uid)] = set(u.get("refuse", []))
        if u.get("ignore-writes"):
            IGNORE.add(int(uid))
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
    ap.add_argument("--log")
    ap.add_argument("--dump")
    global ARGS
    ARGS = a = ap.parse_args()
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
