#!/usr/bin/python3
"""bench/relay.py: a TCP relay that delays every byte by half a round trip
each way, so that a loopback benchmark sees a long link (no netem in this
kernel, no root needed).

    relay.py LISTEN_PORT_FILE TARGET_PORT RTT_MS

Binds 127.0.0.1 port 0, writes the port to LISTEN_PORT_FILE (via a rename),
and forwards each connection to 127.0.0.1:TARGET_PORT.  Whatever arrives on
one side is written to the other RTT_MS / 2 later, in order; bandwidth is not
limited (only the delay is modelled).  Runs until SIGTERM."""

import asyncio
import os
import signal
import socket
import sys


async def pipe(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def later():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.ensure_future(later())
    try:
        while True:
            data = await reader.read(262144)
            await queue.put((loop.time() + delay, data or None))
            if not data:
                break
    except (ConnectionError, OSError):
        await queue.put((loop.time() + delay, None))
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def main(port_file, target, rtt_ms):
    delay = rtt_ms / 2000.0

    async def serve(cr, cw):
        cw.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cw.close()
            return
        sw.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pipe(cr, sw, delay), pipe(sr, cw, delay))

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    tmp = "%s.tmp" % port_file
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.sockets[0].getsockname()[1])
    os.replace(tmp, port_file)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with srv:
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: relay.py LISTEN_PORT_FILE TARGET_PORT RTT_MS")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
