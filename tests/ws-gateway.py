#!/usr/bin/python3
"""A test gateway for plx-command: the device WebSocket /ws/device as
../shared/PLEXUS-WS.md says the Plexus gateway serves it, enforced:

  - auth within --auth-timeout (10 s) or close 1008 "auth failed" with no
    error frame; a first frame that is not device_auth (or a bad source_id
    or api_key) gets {"type":"error","message":"first message must be
    device_auth"}, a key not in --key {"message":"Invalid API key"}, then
    close 1008;
  - "authenticated" with the echoed source_id and server_time_ms, and with
    --protocol 1 also protocol 1 and max_frame_bytes;
  - frames after auth: the types G accepts (and with --protocol 1
    command_status and command_sync), else INVALID_MESSAGE; not JSON:
    INVALID_JSON; rate limits, per connection: telemetry 500/s burst 2000,
    control 20/s burst 60, RATE_LIMITED;
  - the read limit, 1,048,576 bytes: a bigger frame closes 1009;
  - a WebSocket ping every --ping-interval (30 s), and a client that does
    not answer within it is closed (1011), as coder/websocket's Ping
    stalls;
  - one connection per (key, source_id): a new one evicts the old without
    a close frame (CloseNow);
  - v1: every command_status is acknowledged (command_status_ack) unless
    acks are turned off.

The "dashboard" is an HTTP GET API on the same port (websockets'
process_request), which answers JSON:

  /_control/push?source=S&command=NAME&params=JSON[&run_id=R][&ttl_ms=N][&attempt=N]
        a typed_command (legacy) or command_run (v1) to S: {"queued":bool,"id":...}
  /_control/goodbye?source=S    close 1001 "gateway restarting"
  /_control/drop?source=S       the connection dropped, no close frame
  /_control/acks?on=0|1         acknowledge statuses, or not
  /_control/state               connections, pongs, counts

Every frame received (and every connect and close) is one JSON line in
--record FILE: {"t":ms,"conn":N,"source":S,"event":"frame","frame":{...}}.
"""
import argparse
import asyncio
import http
import json
import os
import re
import ssl
import sys
import time
import urllib.parse
import uuid

import websockets

SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
READ_LIMIT = 1048576
LEGACY_TYPES = {"telemetry", "heartbeat", "video_frame", "device_error", "command_result", "pong"}
V1_TYPES = {"command_status", "command_sync"}
TELEMETRY_TIER = {"telemetry", "video_frame"}


class Bucket:
    def __init__(self, rate, burst):
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Gateway:
    def __init__(self, args):
        self.a = args
        self.conns = {}        # source -> (ws, conn number, protocol)
        self.n = 0
        self.acks = True
        self.pongs = 0
        self.counts = {}
        self.rec = open(args.record, "a", buffering=1) if args.record else None

    def record(self, conn, source, event, **kw):
        self.counts[event] = self.counts.get(event, 0) + 1
        if self.rec:
            line = {"t": int(time.time() * 1000), "conn": conn, "source": source, "event": event}
            line.update(kw)
            self.rec.write(json.dumps(line) + "\n")

    async def pinger(self, ws):
        while True:
            await asyncio.sleep(self.a.ping_interval)
            try:
                waiter = await ws.ping()
                await asyncio.wait_for(waiter, self.a.ping_interval)
                self.pongs += 1
            except asyncio.TimeoutError:
                await ws.close(1011, "ping timeout")
                return
            except websockets.ConnectionClosed:
                return

    async def auth(self, ws, conn):
        try:
            first = await asyncio.wait_for(ws.recv(), self.a.auth_timeout)
        except asyncio.TimeoutError:
            self.record(conn, None, "auth_timeout")
            await ws.close(1008, "auth failed")
            return None
        try:
            m = json.loads(first)
        except (ValueError, TypeError):
            await ws.close(1008, "auth failed")
            return None
        self.record(conn, m.get("source_id") if isinstance(m, dict) else None, "frame", frame=redact(m))
        sid = m.get("source_id") if isinstance(m, dict) else None
        if (not isinstance(m, dict) or m.get("type") != "device_auth" or not isinstance(sid, str)
                or not SOURCE_RE.match(sid) or len(sid) > 256 or not isinstance(m.get("api_key"), str)):
            await ws.send(json.dumps({"type": "error", "message": "first message must be device_auth"}))
            await ws.close(1008, "auth failed")
            return None
        if m["api_key"] not in self.a.key:
            self.record(conn, sid, "auth_refused")
            await ws.send(json.dumps({"type": "error", "message": "Invalid API key"}))
            await ws.close(1008, "auth failed")
            return None
        proto = 1 if self.a.protocol == 1 and m.get("protocol") == 1 else 0
        ok = {"type": "authenticated", "source_id": sid, "server_time_ms": int(time.time() * 1000) + self.a.clock_skew_ms}
        if proto:
            ok.update(protocol=1, max_frame_bytes=READ_LIMIT)
        await ws.send(json.dumps(ok))
        old = self.conns.get(sid)
        self.conns[sid] = (ws, conn, proto)
        if old:
            # CloseNow: no close frame; the client sees an abnormal closure
            self.record(old[1], sid, "evicted")
            old[0].transport.abort()
        self.record(conn, sid, "authenticated", protocol=proto)
        return sid, proto

    async def handler(self, ws, path=None):
        self.n += 1
        conn = self.n
        self.record(conn, None, "connect", path=ws.path)
        if ws.path != "/ws/device":
            await ws.close(1008, "not found")
            return
        pinger = asyncio.ensure_future(self.pinger(ws))
        try:
            got = await self.auth(ws, conn)
            if not got:
                return
            sid, proto = got
            tele, ctrl = Bucket(500, 2000), Bucket(20, 60)
            async for msg in ws:
                if isinstance(msg, bytes):
                    tele.take()
                    continue
                try:
                    m = json.loads(msg)
                except ValueError:
                    await ws.send(json.dumps({"type": "error", "code": "INVALID_JSON", "detail": "not JSON"}))
                    continue
                self.record(conn, sid, "frame", frame=m)
                t = m.get("type") if isinstance(m, dict) else None
                if t not in LEGACY_TYPES and not (proto and t in V1_TYPES):
                    await ws.send(json.dumps({"type": "error", "code": "INVALID_MESSAGE", "detail": "unknown message type"}))
                    continue
                if not (tele if t in TELEMETRY_TIER else ctrl).take():
                    self.record(conn, sid, "rate_limited", type=t)
                    await ws.send(json.dumps({"type": "error", "code": "RATE_LIMITED"}))
                    continue
                if t == "command_status" and self.acks:
                    await ws.send(json.dumps({"type": "command_status_ack", "run_id": m.get("run_id"), "seq": m.get("seq")}))
        except websockets.ConnectionClosed:
            pass
        finally:
            pinger.cancel()
            self.record(conn, None, "closed", code=ws.close_code)
            for k, v in list(self.conns.items()):
                if v[1] == conn:
                    del self.conns[k]

    def control(self, path):
        u = urllib.parse.urlparse(path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        c = self.conns.get(q.get("source", ""))
        if u.path == "/_control/state":
            return {"connections": {k: {"conn": v[1], "protocol": v[2]} for k, v in self.conns.items()},
                    "pongs": self.pongs, "counts": self.counts}
        if u.path == "/_control/acks":
            self.acks = q.get("on") == "1"
            return {"acks": self.acks}
        if u.path == "/_control/push":
            if not c:
                return {"queued": False}
            ws, conn, proto = c
            params = json.loads(q.get("params", "{}"))
            if proto:
                rid = q.get("run_id") or str(uuid.uuid4())
                f = {"type": "command_run", "run_id": rid, "command": q["command"], "params": params,
                     "ttl_ms": int(q.get("ttl_ms", 30000)), "attempt": int(q.get("attempt", 1))}
            else:
                rid = q.get("run_id") or str(uuid.uuid4())
                f = {"type": "typed_command", "id": rid, "command": q["command"], "params": params}
            if q.get("raw"):
                f = json.loads(q["raw"])
            asyncio.ensure_future(ws.send(json.dumps(f)))
            self.record(conn, q.get("source"), "pushed", frame=f)
            return {"queued": True, "id": rid}
        if u.path == "/_control/goodbye":
            if not c:
                return {"ok": False}
            asyncio.ensure_future(c[0].close(1001, "gateway restarting"))
            return {"ok": True}
        if u.path == "/_control/drop":
            if not c:
                return {"ok": False}
            c[0].transport.abort()
            return {"ok": True}
        return None

    async def process_request(self, path, headers):
        if not path.startswith("/_control/"):
            return None
        try:
            r = self.control(path)
        except Exception as e:          # a bad request is the test's bug: say it
            return http.HTTPStatus.BAD_REQUEST, [], (str(e) + "\n").encode()
        if r is None:
            return http.HTTPStatus.NOT_FOUND, [], b"no such control\n"
        return http.HTTPStatus.OK, [("Content-Type", "application/json")], (json.dumps(r) + "\n").encode()


def redact(m):
    if isinstance(m, dict) and "api_key" in m:
        m = dict(m)
        m["api_key"] = "plx_…" if str(m["api_key"]).startswith("plx_") else "…"
    return m


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--key", action="append", default=[])
    p.add_argument("--protocol", type=int, default=0, choices=(0, 1))
    p.add_argument("--ping-interval", type=float, default=30)
    p.add_argument("--auth-timeout", type=float, default=10)
    p.add_argument("--clock-skew-ms", type=int, default=0)
    p.add_argument("--record")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    a = p.parse_args()
    g = Gateway(a)
    ctx = None
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    async with websockets.serve(g.handler, "127.0.0.1", a.port, ssl=ctx, max_size=READ_LIMIT,
                                ping_interval=None, process_request=g.process_request) as srv:
        port = srv.sockets[0].getsockname()[1]
        if a.port_file:
            with open(a.port_file + ".tmp", "w") as f:
                f.write("%d\n" % port)
            os.rename(a.port_file + ".tmp", a.port_file)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
