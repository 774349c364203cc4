#!/usr/bin/python3
"""plexus-server.py: a Plexus-compatible HTTP ingest server for tests and demos.

Python 3 standard library only. It speaks the ingest API described in
shared/PLEXUS-API.md, enforcing every rule there the way the public gateway
does, and adds fault injection, a point store and counters that the C tests read.

Wire protocol (what a client sees)
    POST /ingest    x-api-key: plx_...   Content-Type: application/json
                    User-Agent: tool/version   [Content-Encoding: gzip]
                    {"source_id":"sid","points":[{"metric":"a.b","value":1}, ...]}
      200 {"success":true,"count":N,"source_id":"sid"[,"dropped":N]}
      400 {"error":"points[3].value must be a number for class=metric"}
      401 missing x-api-key | invalid API key      403 key lacks write scope |
      413 payload too large                            key bound to another source
    GET  /health    200 {"status":"ok"}

Usage
    plexus-server.py [--host 127.0.0.1] [--port 0] [--port-file FILE] [--key KEY]...
                     [--store FILE] [--faults JSON] [--fault-rate P --seed N]
                     [--rate-limit N] [--reject-tag K=V]... [--crash-tag K=V]...
                     [--tls-cert FILE --tls-key FILE
                     [--tls-client-ca FILE]] [--quiet]
    --port 0 picks a free port; the port is written to --port-file (digits and a
    newline, via a rename) and "plexus-server: listening on http://HOST:PORT" goes
    to stderr. --key forms: plx_abc (write), plx_abc:read (valid, no write scope:
    403), plx_abc:source=foo (403 for any other source); no --key at all = any
    plx_ key is a write key (demo mode). --store appends each accepted point as
    a JSON line: as received, plus source_id from the envelope when absent and
    the timestamp normalised to ms (missing = receive time). --rate-limit N
    (default 2000, 0 = off): requests per second per (key, source_id); over it
    the points are answered 200 count 0 "dropped":N and not stored.
    --reject-tag K=V (repeatable): a point whose tags hold K=V makes the request
    a 400 "points[i] refused by --reject-tag K=V", every time: a point the real
    gateway refuses for a reason no client can check first, so that a client's
    bisection can be tested. --crash-tag K=V (repeatable): such a point makes
    the server fail, 500 "internal error" every time (a record that crashes
    the real gateway's parser), while requests without one are served: a
    client's handling of a batch that keeps failing can be tested. --tls-cert/--tls-key (PEM): serve HTTPS instead;
    --tls-client-ca: and require a client certificate signed by that CA.
    Exit: 0 after SIGTERM/SIGINT, 64 bad usage, 71 cannot listen, 73 cannot
    open --store.

Fault entries (--faults '[...]' or POST /_control/faults; one entry is used
by each POST /ingest, after its body is read, then requests are normal again;
--fault-rate P --seed N gives each otherwise normal request a fault with
probability P, chosen from 500, 502, 503, 429 + Retry-After 1, reset, delay 0.3)
    {"status":503}                  error answer; 500/502/503 carry the gateway's
                                    messages, other statuses "injected";
                                    "error":"text" overrides the message
    {"status":429,"retry_after":2}  adds Retry-After: 2 (any status);
                                    "retry_after_date":true sends an HTTP-date
    {"reset":true}                  no answer, TCP RST (SO_LINGER 0)
    {"delay":1.5}                   sleep, then serve normally
    {"hang":true}                   serve and store, then never answer; close
                                    when the client does or after 60 s
                                    ("hang":5 waits at most 5 s)
    {"ok":true}                     serve normally
    {"status":200,"dropped":2}      serve, but do not store the last 2 points:
                                    count is 2 less, "dropped":2
    {"short_count":true}            store all, answer count one less
    {"body":"<html>..."}            answer this text (Content-Type text/html)
                                    with "status" (default 200) and store
                                    nothing: a captive portal or a proxy
    {"status":302,"location":"URL"} adds Location: URL (any status)
    Fields combine: {"delay":1,"status":503} sleeps, then answers 503.

Control endpoints (test-only; not counted in the stats)
    GET    /_control/stats          {"requests","by_status","points_stored",
                                    "points_dropped","gzip_requests",
                                    "max_points_in_request","max_body_bytes" (wire),
                                    "max_decoded_bytes","keepalive_reuses",
                                    "max_in_flight" (POST /ingest at once),
                                    "faults_injected","faults_pending","user_agents"}
                                    by_status keys are statuses, or "reset",
                                    "hang", "aborted" (client left mid-request)
    POST   /_control/reset_stats    zero the counters
    POST   /_control/faults         body: a list of fault entries, appended
    GET    /_control/faults         {"pending":[...]}
    DELETE /_control/faults         empty the queue
    POST   /_control/keys           {"add":["plx_x:read"],"remove":["plx_y"]};
                                    a removed key stays invalid, even in demo mode

Stricter than the gateway, never looser (a client that passes here passes there)
    - Content-Type must be application/json (parameters allowed) and a
      User-Agent of the form tool/version: the request headers of the API
      doc, which the gateway itself does not check. 400 otherwise.
    - Invalid UTF-8, or anything after the JSON object, is "invalid JSON
      body"; the gateway replaces the one and ignores the other.
    - A "class" or per-point "source_id" that is present but not a string is
      a 400; the gateway infers the class / falls back to the envelope.
    Like the gateway: a "source_id" of "" or null counts as absent, and event
    objects are measured as Go's json.Marshal writes them (see go_json_len).

Map of this file
    1. Limits and messages        the numbers and strings of PLEXUS-API.md
    2. Request validation         parse_body(), validate_points()
    3. Keys                       KeyTable: --key forms, demo mode, revocation
    4. Faults                     check_fault(), FaultQueue (--faults, --fault-rate)
    5. Rate limit                 RateLimiter: sliding 1 s window per (key, source)
    6. Stats and store            Stats, Store
    7. HTTP handler               Handler: body reading, routing, /ingest, control
    8. main()                     options, bind, port file, signals

Order of checks on POST /ingest (the gateway's order, then ours):
    read the whole body (so keep-alive survives any answer) -> fault entry ->
    401/403 key -> 400 Content-Type / User-Agent -> 413 raw size -> gunzip
    (400 bad gzip, 413 too large) -> 400 bad JSON -> 400 points missing /
    not an array -> empty = 200 count 0 -> 400 too many points -> per-point
    validation (first bad point rejects all) -> 400 --reject-tag -> 500 --crash-tag ->
    403 source binding -> rate limit -> store -> 200.
"""

import argparse
import collections
import email.utils
import json
import math
import os
import random
import re
import select
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROG = "plexus-server"

# --------------------------------------------------------------------------
# 1. Limits and messages
# --------------------------------------------------------------------------

MAX_BODY = 5 * 1024 * 1024          # bytes, before and after gunzip
MAX_POINTS = 10000                  # points per request
MAX_STR = 256                       # metric, source_id, tag keys/values, event strings
MAX_VALUE_BYTES = 4096              # event object/array as compact JSON
MAX_TAGS = 16
# Bodies up to this size are read (drained) even when over MAX_BODY, so the
# 413 reaches the client on a connection that stays usable. Past it we answer
# and close instead of reading.
DRAIN_CAP = 64 * 1024 * 1024
IDLE_TIMEOUT = 120                  # s, a silent keep-alive connection is closed
HANG_MAX = 60.0                     # s, longest a "hang" fault holds a connection

# RE2's `$` (Go) is end of text; Python's also matches before a final "\n",
# so the pattern ends in \Z instead.
SOURCE_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
USER_AGENT_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[^\s/]+")

MSG_TOO_LARGE = "payload too large"
MSG_BAD_JSON = "invalid JSON body"
MSG_BAD_GZIP = "invalid gzip body"
MSG_NO_KEY = "missing x-api-key"
MSG_BAD_KEY = "invalid API key"
MSG_NO_WRITE = "key lacks write scope"
MSG_WRONG_SOURCE = "key bound to another source"
# Injected error statuses answer with the gateway's own message where it has one.
FAULT_MESSAGES = {500: "internal error", 502: "failed to queue telemetry",
                  503: "gateway degraded"}

# --------------------------------------------------------------------------
# 2. Request validation
# --------------------------------------------------------------------------

class Reject(Exception):
    """An ingest request refused with an HTTP status and {"error": message}."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _no_constant(name):
    # NaN, Infinity, -Infinity are not JSON; Go's decoder refuses them.
    raise ValueError("non-standard JSON constant " + name)


_FLOAT_MAX = sys.float_info.max


def _float(text):
    # 1e400 overflows to inf in Python but is a decode error in Go.
    f = float(text)
    if f - f != 0.0:
        raise ValueError("number out of range " + text)
    return f


def _int(text):
    # Go decodes every JSON number as float64; one past its range is an error.
    v = int(text)
    if len(text) > 308 and abs(v) > _FLOAT_MAX:
        raise ValueError("number out of range")
    return v


_decode = json.JSONDecoder(parse_float=_float, parse_int=_int,
                           parse_constant=_no_constant).decode
# compact(v): compact JSON, UTF-8 text left as is. JSONEncoder.encode builds
# a new C encoder on every call, half the cost of writing the store; this
# one is built once.
try:
    from json.encoder import c_make_encoder, encode_basestring
    _c_encode = c_make_encoder(None, json.JSONEncoder().default, encode_basestring,
                               None, ":", ",", False, False, True)

    def compact(v, _join="".join):
        return _join(_c_encode(v, 0))
except ImportError:
    compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def blen(s):
    """UTF-8 length in bytes. A lone surrogate (from a \\ud800 escape) counts
    3 bytes, as the U+FFFD that Go's decoder puts in its place does."""
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


def go_json_len(value):
    """Length of `value` as Go's json.Marshal writes it: compact, with <, >
    and & escaped as \\u003c (6 bytes) and U+2028/U+2029 as \\u2028 (6 bytes
    instead of 3). Float formatting can still differ by a few bytes (Go
    writes 1e5 as 100000, Python as 100000.0)."""
    s = compact(value)
    n = blen(s)
    if "<" in s or ">" in s or "&" in s:
        n += 5 * (s.count("<") + s.count(">") + s.count("&"))
    if "\u2028" in s or "\u2029" in s:
        n += 3 * (s.count("\u2028") + s.count("\u2029"))
    return n


def gunzip(data):
    """Decompress a gzip body (several members allowed, as Go's reader does),
    refusing more than MAX_BODY bytes of output."""
    out = []
    total = 0
    while True:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = d.decompress(data, MAX_BODY + 1 - total)
        except zlib.error:
            raise Reject(400, MSG_BAD_GZIP)
        total += len(chunk)
        if total > MAX_BODY:
            raise Reject(413, MSG_TOO_LARGE)
        out.append(chunk)
        if not d.eof:               # output under the cap, yet no end: truncated
            raise Reject(400, MSG_BAD_GZIP)
        data = d.unused_data
        if not data:
            return b"".join(out)


def parse_body(raw, gzipped):
    """Raw request body -> (envelope dict, decoded size). Raises Reject."""
    if len(raw) > MAX_BODY:
        raise Reject(413, MSG_TOO_LARGE)
    data = gunzip(raw) if gzipped else raw
    try:
        doc = _decode(data.decode("utf-8"))
    except (ValueError, RecursionError):    # includes UnicodeDecodeError
        raise Reject(400, MSG_BAD_JSON)
    if type(doc) is not dict:
        raise Reject(400, MSG_BAD_JSON)
    return doc, len(data)


_MISSING = object()


def validate_points(points, env_sid, recv_ms):
    """Check every point of a request; the first bad one rejects them all.

    Edits points in place the way they are stored: `source_id` filled in from
    the envelope when absent (or empty, which the gateway treats as absent),
    `timestamp` normalised to ms (seconds scaled, missing = recv_ms). Returns
    {source_id: number of points}. Raises Reject(400) naming the point."""
    groups = {}
    for i, pt in enumerate(points):
        if type(pt) is not dict:
            if pt is None:
                raise Reject(400, "points[%d] is null" % i)
            raise Reject(400, "points[%d] must be an object" % i)

        sid = pt.get("source_id")
        fill = sid is None or sid == ""
        if fill:
            sid = env_sid
            if not sid:
                raise Reject(400, "points[%d] missing source_id (set top-level "
                                  "source_id or per-point source_id)" % i)
        elif type(sid) is not str:
            raise Reject(400, "points[%d].source_id must be a string" % i)
        n = groups.get(sid)
        if n is None:               # first time this request sees this source
            if blen(sid) > MAX_STR:
                raise Reject(400, "points[%d] source_id exceeds max length (%d)"
                             % (i, MAX_STR))
            if not SOURCE_ID_RE.match(sid):
                raise Reject(400, "points[%d] source_id must match "
                                  "^[a-z0-9][a-z0-9._-]*$" % i)
            n = 0
        groups[sid] = n + 1

        value = pt.get("value", _MISSING)
        vt = type(value)
        cls = pt.get("class", _MISSING)
        if cls is _MISSING:
            # bool is not a number here: type() is exact, isinstance() is not.
            cls = "metric" if vt is int or vt is float else "event"
        elif cls != "metric" and cls != "event":
            raise Reject(400, "points[%d].class must be 'metric' or 'event', got %s"
                         % (i, json.dumps(cls)))

        m = pt.get("metric")
        if type(m) is not str or not m or blen(m) > MAX_STR:
            raise Reject(400, "points[%d].metric must be a non-empty string of "
                              "at most %d bytes" % (i, MAX_STR))

        if value is _MISSING:
            raise Reject(400, "points[%d].value is required" % i)
        if value is None:
            raise Reject(400, "points[%d].value cannot be null" % i)
        if cls == "metric":
            # Finite is guaranteed: the decoder refuses NaN, Infinity, 1e400.
            if vt is not int and vt is not float:
                raise Reject(400, "points[%d].value must be a number for "
                                  "class=metric" % i)
        elif vt is str:
            if blen(value) > MAX_STR:
                raise Reject(400, "points[%d].value string exceeds max length (%d)"
                             % (i, MAX_STR))
        elif vt is dict or vt is list:
            if go_json_len(value) > MAX_VALUE_BYTES:
                raise Reject(400, "points[%d].value exceeds max bytes (%d)"
                             % (i, MAX_VALUE_BYTES))
        # else bool, int or float: any is a valid event value

        ts = pt.get("timestamp", _MISSING)
        if ts is _MISSING:
            pt["timestamp"] = recv_ms
        else:
            tt = type(ts)
            if tt is not int and tt is not float:
                raise Reject(400, "points[%d].timestamp must be a number" % i)
            if 0 < ts < 1e12:           # seconds, not milliseconds
                ts = ts * 1000
                pt["timestamp"] = ts
            if tt is float and ts.is_integer():
                # Go writes a whole float64 without ".0"; so does the store.
                pt["timestamp"] = int(ts)

        tags = pt.get("tags", _MISSING)
        if tags is not _MISSING:
            if type(tags) is not dict:
                raise Reject(400, "points[%d].tags must be an object" % i)
            if len(tags) > MAX_TAGS:
                raise Reject(400, "points[%d].tags exceeds max entries (%d)"
                             % (i, MAX_TAGS))
            for k, v in tags.items():
                if blen(k) > MAX_STR:
                    raise Reject(400, "points[%d].tags key too long" % i)
                if type(v) is not str:
                    raise Reject(400, "points[%d].tags[%s] must be a string"
                                 % (i, json.dumps(k)))
                if blen(v) > MAX_STR:
                    raise Reject(400, "points[%d].tags[%s] value too long"
                                 % (i, json.dumps(k)))

        if fill:
            pt["source_id"] = sid
    return groups


def tagged(points, rules):
    """The index of the first point whose tags hold one of the (key, value)
    rules, and that rule; None when there is none."""
    for i, pt in enumerate(points):
        tags = pt.get("tags")
        if tags:
            for k, v in rules:
                if tags.get(k) == v:
                    return i, k, v
    return None


def reject_tagged(points, rules):
    """--reject-tag: the first point whose tags hold one of the (key, value)
    rules refuses the request, as a bad point does."""
    hit = tagged(points, rules)
    if hit:
        raise Reject(400, "points[%d] refused by --reject-tag %s=%s" % hit)


def crash_tagged(points, rules):
    """--crash-tag: such a point makes the server fail, as a record that
    crashes the gateway's decoder would: a 500 every time."""
    if tagged(points, rules):
        raise Reject(500, FAULT_MESSAGES[500])


# --------------------------------------------------------------------------
# 3. Keys
# --------------------------------------------------------------------------

Key = collections.namedtuple("Key", "write source")   # source: bound sid or None


def parse_key(spec):
    """'plx_abc' | 'plx_abc:read' | 'plx_abc:source=foo' (options combine,
    e.g. 'plx_abc:read:source=foo') -> (name, Key). Raises ValueError."""
    name, *opts = spec.split(":")
    if not name:
        raise ValueError("empty key in %r" % spec)
    write, source = True, None
    for o in opts:
        if o == "read":
            write = False
        elif o == "write":
            write = True
        elif o.startswith("source=") and len(o) > 7:
            source = o[7:]
        else:
            raise ValueError("unknown key option %r in %r" % (o, spec))
    return name, Key(write, source)


class KeyTable:
    """Accepted API keys. With no --key at all the server is in demo mode:
    any key starting with plx_ is a write key. Keys removed at run time are
    remembered as revoked, so revocation works in demo mode too."""

    def __init__(self, specs):
        self.demo = not specs
        self.keys = dict(parse_key(s) for s in specs)
        self.revoked = set()
        self.lock = threading.Lock()

    def lookup(self, name):
        with self.lock:
            k = self.keys.get(name)
            if k is None and self.demo and name.startswith("plx_") \
                    and name not in self.revoked:
                k = Key(True, None)
            return k

    def change(self, add, remove):
        parsed = [parse_key(s) for s in add]    # all or nothing
        with self.lock:
            for name, k in parsed:
                self.keys[name] = k
                self.revoked.discard(name)
            for s in remove:
                name = s.split(":", 1)[0]
                self.keys.pop(name, None)
                self.revoked.add(name)


# --------------------------------------------------------------------------
# 4. Faults
# --------------------------------------------------------------------------

# Field -> accepted types, compared with type() so that true is not a number.
_FAULT_FIELDS = {
    "status": (int,), "retry_after": (int, float), "retry_after_date": (bool,),
    "reset": (bool,), "delay": (int, float), "hang": (bool, int, float),
    "ok": (bool,), "dropped": (int,), "short_count": (bool,), "error": (str,),
    "body": (str,), "location": (str,),
}


def check_fault(e):
    """Validate one fault entry; returns it. Raises ValueError."""
    if type(e) is not dict:
        raise ValueError("fault entry must be an object: %s" % json.dumps(e))
    for k, v in e.items():
        want = _FAULT_FIELDS.get(k)
        if want is None:
            raise ValueError("unknown fault field %r" % k)
        if type(v) not in want:
            raise ValueError("fault field %r has the wrong type" % k)
        if type(v) in (int, float) and not 0 <= v < math.inf:
            raise ValueError("fault field %r must be a finite number >= 0" % k)
    if "status" in e and not 100 <= e["status"] <= 599:
        raise ValueError("fault status must be 100..599")
    return e


class FaultQueue:
    """Faults for POST /ingest: queued entries first, one per request, then
    with --fault-rate P a random one with probability P (seeded, so a run is
    reproducible given the same order of requests)."""

    RANDOM = ({"status": 500}, {"status": 502}, {"status": 503},
              {"status": 429, "retry_after": 1}, {"reset": True}, {"delay": 0.3})

    def __init__(self, entries, rate, seed):
        self.queue = collections.deque(entries)
        self.rate = rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            if self.queue:
                return self.queue.popleft()
            if self.rate > 0 and self.rng.random() < self.rate:
                return self.rng.choice(self.RANDOM)
            return None

    def extend(self, entries):
        with self.lock:
            self.queue.extend(entries)
            return len(self.queue)

    def clear(self):
        with self.lock:
            self.queue.clear()

    def pending(self):
        with self.lock:
            return list(self.queue)


def describe_fault(f):
    return ",".join("%s=%s" % (k, json.dumps(v)) for k, v in f.items())


# --------------------------------------------------------------------------
# 5. Rate limit
# --------------------------------------------------------------------------

class RateLimiter:
    """At most `limit` requests in any 1 s window per (key, source_id).
    A sliding window, not a per-second counter, so a test that sends
    limit+1 requests at once sees a drop whatever the clock reads."""

    def __init__(self, limit):
        self.limit = limit
        self.windows = {}
        self.lock = threading.Lock()

    def allow(self, key, sid, now):
        if self.limit <= 0:
            return True
        with self.lock:
            w = self.windows.get((key, sid))
            if w is None:
                w = self.windows[(key, sid)] = collections.deque()
            cutoff = now - 1.0
            while w and w[0] <= cutoff:
                w.popleft()
            if len(w) >= self.limit:
                return False
            w.append(now)
            return True


# --------------------------------------------------------------------------
# 6. Stats and store
# --------------------------------------------------------------------------

class Stats:
    """Counters for GET /_control/stats. Control requests are not counted,
    so polling the stats does not change them."""

    MAX_AGENTS = 100

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = 0
            self.by_status = {}
            self.points_stored = 0
            self.points_dropped = 0
            self.gzip_requests = 0
            self.max_points = 0
            self.max_body = 0
            self.max_decoded = 0
            self.active = 0
            self.max_active = 0
            self.keepalive_reuses = 0
            self.faults_injected = 0
            self.user_agents = []

    def request(self, label, reused, agent):
        with self.lock:
            self.requests += 1
            self.by_status[label] = self.by_status.get(label, 0) + 1
            if reused:
                self.keepalive_reuses += 1
            if agent is not None and agent not in self.user_agents \
                    and len(self.user_agents) < self.MAX_AGENTS:
                self.user_agents.append(agent)

    def ingest(self, body_bytes, gzipped, faulted):
        with self.lock:
            self.max_body = max(self.max_body, body_bytes)
            self.gzip_requests += gzipped
            self.faults_injected += faulted

    def enter(self, d):
        """A POST /ingest begins (d = 1) or ends (d = -1)."""
        with self.lock:
            self.active += d
            self.max_active = max(self.max_active, self.active)

    def decoded(self, nbytes, npoints):
        with self.lock:
            self.max_decoded = max(self.max_decoded, nbytes)
            self.max_points = max(self.max_points, npoints)

    def points(self, stored, dropped):
        with self.lock:
            self.points_stored += stored
            self.points_dropped += dropped

    def snapshot(self, pending_faults):
        with self.lock:
            return {
                "requests": self.requests,
                "by_status": dict(self.by_status),
                "points_stored": self.points_stored,
                "points_dropped": self.points_dropped,
                "gzip_requests": self.gzip_requests,
                "max_points_in_request": self.max_points,
                "max_body_bytes": self.max_body,
                "max_decoded_bytes": self.max_decoded,
                "max_in_flight": self.max_active,
                "keepalive_reuses": self.keepalive_reuses,
                "faults_injected": self.faults_injected,
                "faults_pending": pending_faults,
                "user_agents": list(self.user_agents),
            }


class Store:
    """--store FILE: one compact JSON line per accepted point, appended and
    flushed once per request under a lock, so lines of concurrent requests
    never interleave."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "ab") if path else None

    def write(self, points):
        if self.f is None or not points:
            return
        text = "\n".join(map(compact, points)) + "\n"
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate cannot be UTF-8; write those points as ASCII
            # JSON, which keeps it as a \ud800 escape.
            data = ("\n".join(json.dumps(p, separators=(",", ":"))
                              for p in points) + "\n").encode("ascii")
        with self.lock:
            if self.f is not None:      # closed at shutdown
                self.f.write(data)
                self.f.flush()

    def close(self):
        with self.lock:
            if self.f is not None:
                self.f.close()
                self.f = None


# --------------------------------------------------------------------------
# 7. HTTP handler
# --------------------------------------------------------------------------

class ClientGone(Exception):
    """The client closed the connection before its request was complete."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive; every answer has Content-Length
    server_version = PROG + "/1"
    timeout = IDLE_TIMEOUT

    # --- plumbing -------------------------------------------------------

    def version_string(self):
        return self.server_version      # no "Python/3.x" in the Server header

    def date_time_string(self, timestamp=None):
        # The Date header, from a clock --clock-skew seconds off ours: a
        # client's clock looks wrong by as much.
        if timestamp is None:
            timestamp = time.time() + self.server.clock_skew
        return super().date_time_string(timestamp)

    def setup(self):
        # TLS: the handshake happens here, in the connection's own thread, so
        # a client that never completes it cannot stall the accept loop.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle and
        # the client's delayed ACK can add 40 ms to every keep-alive request.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.nreq = 0                   # requests seen on this connection

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("%s: %s:%s %s\n" % (PROG, self.client_address[0],
                                                self.client_address[1], fmt % args))

    def log_request(self, code="-", size="-"):
        pass                            # one line per request comes from account()

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (bad request line, 414, 431...) as JSON.
        if message is None:
            message = self.responses.get(code, ("error",))[0]
        self.log_error("code %d, message %s", code, message)
        self.respond(code, {"error": message}, close=True)

    def respond(self, status, obj=None, headers=(), close=False):
        # 1xx, 204 and 304 answers have neither a body nor a Content-Length.
        bodiless = status < 200 or status in (204, 304)
        body = b"" if obj is None or bodiless else \
            json.dumps(obj, separators=(",", ":")).encode()
        self.status_label = str(status)
        self.send_response(status)
        if not bodiless:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body and getattr(self, "command", None) != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        """The whole request body, or None when the request was answered
        already (bad framing, or too big to drain) and the connection must
        close. Raises ClientGone on a short read."""
        te = self.headers.get("Transfer-Encoding")
        if te is not None and te.strip().lower() != "identity":
            if te.strip().lower() != "chunked":
                self.respond(501, {"error": "unsupported transfer-encoding"}, close=True)
                return None
            return self.read_chunked()
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
            if n < 0:
                raise ValueError
        except ValueError:
            self.respond(400, {"error": "invalid Content-Length"}, close=True)
            return None
        if n > DRAIN_CAP:
            self.respond(413, {"error": MSG_TOO_LARGE}, close=True)
            return None
        data = self.rfile.read(n)
        if len(data) < n:
            raise ClientGone("got %d of %d body bytes" % (len(data), n))
        return data

    def read_chunked(self):
        parts, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ClientGone("connection closed inside chunked body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size < 0:
                    raise ValueError
            except ValueError:
                self.respond(400, {"error": "invalid chunked body"}, close=True)
                return None
            if size == 0:
                while True:             # trailer section, then the blank line
                    line = self.rfile.readline(65536)
                    if not line:
                        raise ClientGone("connection closed inside chunked body")
                    if line in (b"\r\n", b"\n"):
                        return b"".join(parts)
            total += size
            if total > DRAIN_CAP:
                self.respond(413, {"error": MSG_TOO_LARGE}, close=True)
                return None
            data = self.rfile.read(size)
            if len(data) < size or not self.rfile.readline(3):
                raise ClientGone("connection closed inside chunked body")
            parts.append(data)

    # --- routing --------------------------------------------------------

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    ROUTES = {
        "/ingest": ("POST",),
        "/health": ("GET", "HEAD"),
        "/_control/stats": ("GET",),
        "/_control/reset_stats": ("POST",),
        "/_control/faults": ("GET", "POST", "DELETE"),
        "/_control/keys": ("POST",),
    }

    def dispatch(self):
        self.t0 = time.monotonic()
        self.nreq += 1
        self.status_label = None
        self.notes = []                 # for the log line
        self.accounted = False
        path = self.path.split("?", 1)[0]
        self.control = path.startswith("/_control/")
        try:
            body = self.read_body()
            if body is None:
                return
            methods = self.ROUTES.get(path)
            if methods is None:
                self.respond(404, {"error": "not found"})
            elif self.command == "OPTIONS" and path == "/ingest":
                # CORS preflight, as the gateway answers it.
                self.respond(204, None, [("Access-Control-Allow-Origin", "*"),
                                         ("Access-Control-Allow-Methods", "POST, OPTIONS"),
                                         ("Access-Control-Allow-Headers",
                                          "Content-Type, x-api-key")])
            elif self.command not in methods:
                self.respond(405, {"error": "method not allowed"},
                             [("Allow", ", ".join(methods))])
            elif path == "/ingest":
                self.server.stats.enter(1)
                try:
                    self.ingest(body)
                finally:
                    self.server.stats.enter(-1)
            elif path == "/health":
                self.respond(200, {"status": "ok"})
            else:
                self.control_request(path, body)
        except ClientGone as e:
            self.status_label = "aborted"
            self.notes.append("client disconnected mid-request (%s)" % e)
            self.close_connection = True
        except (ConnectionError, TimeoutError) as e:
            self.status_label = self.status_label or "aborted"
            self.notes.append("client went away (%s)" % (e.strerror or type(e).__name__))
            self.close_connection = True
        finally:
            self.account()

    def account(self):
        """Count and log the request once (a hang does it before hanging)."""
        if self.accounted:
            return
        self.accounted = True
        label = self.status_label or "none"
        if not self.control:
            self.server.stats.request(label, self.nreq > 1,
                                      self.headers.get("User-Agent"))
        self.log_message('"%s %s" %s %.1fms %s', self.command, self.path, label,
                         (time.monotonic() - self.t0) * 1000, " ".join(self.notes))

    # --- POST /ingest ---------------------------------------------------

    def ingest(self, raw):
        srv = self.server
        recv_ms = int(time.time() * 1000)
        enc = self.headers.get("Content-Encoding")
        gzipped = enc is not None and enc.strip().lower() == "gzip"
        fault = srv.faults.next()
        srv.stats.ingest(len(raw), gzipped, fault is not None)
        if fault is not None:
            self.notes.append("fault " + describe_fault(fault))
            if fault.get("delay"):
                time.sleep(fault["delay"])
            if fault.get("reset"):
                self.reset_connection()
                return
            status = fault.get("status", 200)
            if "body" in fault:
                self.respond_text(status, fault["body"], self.fault_headers(fault))
                return
            if not 200 <= status < 300:
                msg = fault.get("error") or FAULT_MESSAGES.get(status, "injected")
                self.respond(status, {"error": msg}, self.fault_headers(fault))
                return
        else:
            fault = {}

        try:
            answer, to_store, dropped = self.accept(raw, gzipped, recv_ms)
        except Reject as r:
            self.notes.append(r.message)
            status, answer, headers = r.status, {"error": r.message}, []
        else:
            # Fault modifiers on an accepted request.
            extra = min(fault.get("dropped", 0), len(to_store))
            if extra:
                del to_store[len(to_store) - extra:]
                dropped += extra
            srv.store.write(to_store)
            srv.stats.points(len(to_store), dropped)
            answer["count"] = len(to_store)
            if fault.get("short_count") and to_store:
                answer["count"] -= 1
            if dropped:
                answer["dropped"] = dropped
            self.notes.insert(0, "points=%d stored=%d" % (len(to_store) + dropped,
                                                          len(to_store)))
            status, headers = fault.get("status", 200), self.fault_headers(fault)
        if fault.get("hang"):
            self.hang(fault["hang"])     # what was accepted stays stored
        else:
            self.respond(status, answer, headers)

    def accept(self, raw, gzipped, recv_ms):
        """Apply the API's rules. Returns (answer, points to store, number
        dropped by the rate limit); raises Reject."""
        srv = self.server
        name = self.headers.get("x-api-key")    # header names are case-insensitive
        if not name:
            raise Reject(401, MSG_NO_KEY)
        key = srv.keys.lookup(name)
        if key is None:
            raise Reject(401, MSG_BAD_KEY)
        if not key.write:
            raise Reject(403, MSG_NO_WRITE)

        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";", 1)[0].strip().lower() != "application/json":
            raise Reject(400, "content-type must be application/json")
        if not USER_AGENT_RE.match(self.headers.get("User-Agent", "")):
            raise Reject(400, "user-agent must be <tool>/<version>")

        doc, decoded = parse_body(raw, gzipped)
        points = doc.get("points")
        if points is None:
            raise Reject(400, "'points' array is required")
        if type(points) is not list:
            raise Reject(400, "points must be an array")
        srv.stats.decoded(decoded, len(points))
        env_sid = doc.get("source_id")
        if env_sid is None:
            env_sid = ""
        elif type(env_sid) is not str:
            raise Reject(400, "source_id must be a string")
        if not points:
            # An empty batch is a no-op the SDKs use to check a key.
            return {"success": True, "count": 0}, [], 0
        if len(points) > MAX_POINTS:
            raise Reject(400, "too many points: %d (max %d)" % (len(points), MAX_POINTS))

        groups = validate_points(points, env_sid, recv_ms)
        if srv.reject_tags:
            reject_tagged(points, srv.reject_tags)
        if srv.crash_tags:
            crash_tagged(points, srv.crash_tags)
        if key.source is not None and any(s != key.source for s in groups):
            raise Reject(403, MSG_WRONG_SOURCE)

        answer = {"success": True, "count": 0}
        if len(groups) == 1:
            answer["source_id"] = next(iter(groups))
        now = time.monotonic()
        refused = [s for s in groups if not srv.limiter.allow(name, s, now)]
        if not refused:
            return answer, points, 0
        dropped = sum(groups[s] for s in refused)
        return answer, [p for p in points if p["source_id"] not in refused], dropped

    def fault_headers(self, fault):
        h = [("Location", fault["location"])] if "location" in fault else []
        if "retry_after" not in fault and not fault.get("retry_after_date"):
            return h
        secs = fault.get("retry_after", 1)
        if fault.get("retry_after_date"):
            # by this server's clock, as its Date header (--clock-skew)
            when = time.time() + self.server.clock_skew + secs
            return h + [("Retry-After", email.utils.formatdate(when, usegmt=True))]
        return h + [("Retry-After", str(secs))]    # 2 -> "2", 1.5 -> "1.5"

    def respond_text(self, status, text, headers=()):
        """An answer that is not the ingest service's: a captive portal's page."""
        body = text.encode("utf-8", "surrogatepass")
        self.status_label = str(status)
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def reset_connection(self):
        """Close with SO_LINGER 0: the kernel sends RST, not FIN, so the
        client sees 'connection reset by peer' and no answer at all."""
        self.status_label = "reset"
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        # The socket really closes when the last file made from it (rfile)
        # does. wfile stays open: http.server flushes it after the handler.
        for f in (self.rfile, self.connection):
            try:
                f.close()
            except OSError:
                pass

    def hang(self, limit):
        """Say nothing until the client hangs up (or `limit` s, at most 60)."""
        self.status_label = "hang"
        self.close_connection = True
        self.account()
        limit = HANG_MAX if limit is True else min(float(limit), HANG_MAX)
        deadline = time.monotonic() + limit
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([self.connection], [], [], min(left, 1.0))
                if r and not self.connection.recv(65536):
                    break               # the client closed its end
        except OSError:
            pass

    # --- /_control/ -----------------------------------------------------

    def control_request(self, path, body):
        srv = self.server
        if path == "/_control/stats":
            self.respond(200, srv.stats.snapshot(len(srv.faults.pending())))
            return
        if path == "/_control/reset_stats":
            srv.stats.reset()
            self.respond(200, {"success": True})
            return
        if path == "/_control/faults" and self.command == "GET":
            self.respond(200, {"pending": srv.faults.pending()})
            return
        if path == "/_control/faults" and self.command == "DELETE":
            srv.faults.clear()
            self.respond(200, {"success": True, "pending": 0})
            return
        try:
            doc = json.loads(body or b"null")
            if path == "/_control/faults":
                if type(doc) is dict:
                    doc = [doc]
                if type(doc) is not list:
                    raise ValueError("body must be a JSON list of fault entries")
                n = srv.faults.extend([check_fault(e) for e in doc])
                self.respond(200, {"success": True, "pending": n})
            else:   # /_control/keys
                if type(doc) is not dict or set(doc) - {"add", "remove"} \
                        or not all(type(doc.get(k, [])) is list and
                                   all(type(s) is str for s in doc.get(k, []))
                                   for k in ("add", "remove")):
                    raise ValueError('body must be {"add":[...],"remove":[...]}')
                srv.keys.change(doc.get("add", []), doc.get("remove", []))
                self.respond(200, {"success": True})
        except ValueError as e:
            self.respond(400, {"error": str(e)})


class Server(ThreadingHTTPServer):
    daemon_threads = True               # a hung or idle connection never blocks exit
    request_queue_size = 256            # benchmarks open many connections at once

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn), which can
        # stall for seconds without DNS; nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # A client that vanishes is routine here: one line, no traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ClientGone)):
            if not self.quiet:
                sys.stderr.write("%s: %s:%s connection error: %s\n"
                                 % (PROG, client_address[0], client_address[1], exc))
        else:
            super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# 8. main
# --------------------------------------------------------------------------

class UsageParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: %s\n" % (PROG, message))
        sys.exit(64)                    # EX_USAGE


def parse_args(argv):
    p = UsageParser(prog="plexus-server.py",
                    description="Plexus-compatible HTTP ingest server for tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the bound port here (atomically)")
    p.add_argument("--key", action="append", default=[],
                   help="KEY, KEY:read or KEY:source=SID; repeatable. "
                        "None: any plx_ key is accepted")
    p.add_argument("--store", help="append accepted points here, one JSON line each")
    p.add_argument("--faults", default="[]", help="JSON list of fault entries")
    p.add_argument("--fault-rate", type=float, default=0.0,
                   help="probability of a random fault per request")
    p.add_argument("--seed", type=int, default=0, help="seed for --fault-rate")
    p.add_argument("--rate-limit", type=int, default=2000,
                   help="requests/s per (key, source_id); 0 = none")
    p.add_argument("--reject-tag", action="append", default=[], metavar="K=V",
                   help="refuse (400) any request with a point tagged K=V; repeatable")
    p.add_argument("--crash-tag", action="append", default=[], metavar="K=V",
                   help="fail (500) any request with a point tagged K=V; repeatable")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="the certificate's private key (PEM)")
    p.add_argument("--tls-client-ca", help="require client certificates from this CA (PEM)")
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    p.add_argument("--clock-skew", type=float, default=0.0, metavar="SECONDS",
                   help="answer with a Date header this far off the real time")
    a = p.parse_args(argv)
    for opt, given in (("--reject-tag", a.reject_tag), ("--crash-tag", a.crash_tag)):
        if any("=" not in r or r.startswith("=") for r in given):
            p.error(opt + " wants KEY=VALUE")
    a.reject_tags = [tuple(r.split("=", 1)) for r in a.reject_tag]
    a.crash_tags = [tuple(r.split("=", 1)) for r in a.crash_tag]
    if bool(a.tls_cert) != bool(a.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if a.tls_client_ca and not a.tls_cert:
        p.error("--tls-client-ca needs --tls-cert")
    try:
        a.keys = KeyTable(a.key)
        faults = json.loads(a.faults)
        if type(faults) is not list:
            raise ValueError("--faults must be a JSON list")
        a.fault_list = [check_fault(e) for e in faults]
    except ValueError as e:
        p.error(str(e))
    if not 0.0 <= a.fault_rate <= 1.0:
        p.error("--fault-rate must be between 0 and 1")
    return a


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv):
    a = parse_args(argv)
    Server.address_family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    try:
        srv = Server((a.host, a.port), Handler)
    except OSError as e:
        sys.stderr.write("%s: fatal: unable to listen on %s:%d: %s\n"
                         % (PROG, a.host, a.port, e.strerror or e))
        return 71                       # EX_OSERR
    srv.quiet = a.quiet
    srv.keys = a.keys
    srv.faults = FaultQueue(a.fault_list, a.fault_rate, a.seed)
    srv.limiter = RateLimiter(a.rate_limit)
    srv.reject_tags = a.reject_tags
    srv.crash_tags = a.crash_tags
    srv.clock_skew = a.clock_skew
    scheme = "http"
    if a.tls_cert:
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(a.tls_cert, a.tls_key)
            if a.tls_client_ca:
                ctx.load_verify_locations(a.tls_client_ca)
                ctx.verify_mode = ssl.CERT_REQUIRED
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write("%s: fatal: unable to load %s: %s\n" % (PROG, a.tls_cert, e))
            return 64                   # EX_USAGE
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
        scheme = "https"
    srv.stats = Stats()
    try:
        srv.store = Store(a.store)
    except OSError as e:
        sys.stderr.write("%s: fatal: unable to open %s: %s\n" % (PROG, a.store, e.strerror))
        return 73                       # EX_CANTCREAT
    port = srv.server_address[1]
    if a.port_file:
        write_port_file(a.port_file, port)
    host = "[%s]" % a.host if ":" in a.host else a.host
    sys.stderr.write("%s: listening on %s://%s:%d\n" % (PROG, scheme, host, port))
    sys.stderr.flush()

    # serve_forever runs in a thread so the main thread is free to wait for
    # a signal; shutdown() called from the handler's own thread would deadlock.
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True)
    t.start()
    while not stop.wait(1.0):
        pass
    srv.shutdown()
    srv.server_close()
    srv.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
