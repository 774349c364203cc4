#!/usr/bin/python3
"""bench/latency-sink.py: an ingest sink that measures end-to-end latency.

    latency-sink.py PORT_FILE RESULT_FILE

Each point's "value" is the time it was written upstream, in microseconds
since the epoch (bench/uplink.sh's slow generator); on arrival the sink
notes now - value.  Answers POST /ingest 200 {"success":true,"count":N}.  On
SIGTERM it writes "n=N p50_ms=X p99_ms=Y max_ms=Z" to RESULT_FILE.
TCP_NODELAY on (disable_nagle_algorithm): without it Nagle and the
client's delayed ACK add 40 ms to answers written in two parts."""

import gzip
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lat = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.time_ns() // 1000
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            body = gzip.decompress(body)
        pts = json.loads(body).get("points", [])
        with lock:
            lat.extend((now - p["value"]) / 1000.0 for p in pts if isinstance(p.get("value"), int))
        ans = json.dumps({"success": True, "count": len(pts)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ans)))
        self.end_headers()
        self.wfile.write(ans)


def main(port_file, result):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(port_file + ".tmp", port_file)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    done.wait()
    with lock:
        s = sorted(lat)
    q = lambda f: s[min(len(s) - 1, int(f * len(s)))] if s else -1
    with open(result, "w") as f:
        f.write("n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n" % (len(s), q(0.5), q(0.99), s[-1] if s else -1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
