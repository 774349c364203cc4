#!/usr/bin/python3
"""bench/bytes-per-point.py: request bytes per point of plx-upload's bodies
against gzip level, batch size and record order inside a batch.

    bench/bytes-per-point.py < records.ndjson     (bench/uplink.sh's stream)

Bodies are built as plx-upload builds them ({"source_id":"bench","points":[
records as read, comma-separated]}) and gzipped with zlib as it does
(deflateInit2, windowBits 15 + 16, memLevel 8); "grouped" orders each batch
by metric name (stable: within a metric, input order; every point keeps its
own timestamp).  Prints bytes per point and zlib's CPU per million points."""

import re
import sys
import time
import zlib

lines = sys.stdin.read().split("\n")
lines = [l for l in lines if l][:200000]
metric = re.compile(r'"metric":"([^"]*)"')


def body(recs):
    return ('{"source_id":"bench","points":[' + ",".join(recs) + "]}").encode()


print("%-6s %-6s %-8s %12s %14s" % ("batch", "level", "order", "bytes/point", "CPU s/M"))
for bs in (1000, 5000, 10000):
    for lvl in (1, 6, 9):
        for grouped in (False, True):
            size = cpu = n = 0
            for i in range(0, len(lines), bs):
                recs = lines[i:i + bs]
                if grouped:
                    recs = sorted(recs, key=lambda l: metric.search(l).group(1))
                b = body(recs)
                t = time.process_time()
                z = zlib.compressobj(lvl, zlib.DEFLATED, 31, 8)
                size += len(z.compress(b) + z.flush())
                cpu += time.process_time() - t
                n += len(recs)
            print("%-6d %-6d %-8s %12.2f %14.2f" % (bs, lvl, "grouped" if grouped else "input",
                                                    size / n, cpu / n * 1e6))
