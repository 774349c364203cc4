#!/usr/bin/python3
"""A serial device that prints but does not read, until told: a pty whose
slave is linked at LINK (the port serial-read opens) and whose master this
script holds, so nothing (no socat) sits between the two.

  serial-device.py LINK DIR N
    waits for DIR/go, prints N lines "n=I" 10 ms apart without reading
    what is written to the port, touches DIR/fed; waits for DIR/drain,
    then reads what the port wrote into DIR/got until 2 s pass without a
    byte, and exits.
"""
import os, pty, sys, time, select

link, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
m, s = pty.openpty()
os.symlink(os.ttyname(s), link)
os.close(s)  # serial-read opens it; a pty master reads EIO only once all slaves closed


def wait_file(name):
    while not os.path.exists(os.path.join(d, name)):
        time.sleep(0.05)


wait_file("go")
for i in range(1, n + 1):
    os.write(m, b"n=%d\n" % i)
    time.sleep(0.01)
open(os.path.join(d, "fed"), "w").close()
wait_file("drain")
with open(os.path.join(d, "got"), "wb") as out:
    while select.select([m], [], [], 2)[0]:
        try:
            b = os.read(m, 65536)
        except OSError:
            break
        if not b:
            break
        out.write(b)
