#!/usr/bin/python3
"""Feeds CAN frames, in the kernel's struct can_frame / canfd_frame layout,
into can-read --fd through a socketpair: the live path without a CAN bus.

  can-feed.py [--count N] [--rate R] [--inherit | --stall] [--type seqpacket|dgram]
              [--frames FILE] [--hup-after N] -- can-read ARGS...

FILE: one frame a line in candump's ID#DATA / ID##FDATA notation, and
steps: "SLEEP S" (seconds), "WAIT PATH" (until PATH exists, 60 s at
most), "HUP" (once can-read has read what was sent, a SIGHUP).  Without
it, N frames with id 0x100 + (i % 16) and an 8-byte counter as data.
--rate R: R frames a second (else as fast as it can); "sent N in S s" on stderr.
--inherit: can-read writes to our stdout itself (a fast consumer: | cat).
--stall: stdout of can-read is a pipe nobody reads until every frame is
written (the reader must keep reading: else this script would block), then
VmHWM of can-read is printed on stderr as "vmhwm KB" and the pipe is read.
--hup-after N: once can-read has read the first N frames (our socket's
queue is empty), it gets a SIGHUP; then the other frames.
can-read's stdout is copied to ours; its exit status is ours."""
import fcntl, os, signal, socket, struct, subprocess, sys, termios, threading, time

CAN_EFF_FLAG, CAN_RTR_FLAG, CAN_ERR_FLAG = 0x80000000, 0x40000000, 0x20000000

def delivered(pid, sig):
    """Waits until sig is no longer pending for pid (its handler ran): else
    the frames after it and the end of the stream may be read in one go,
    and the run end before the signal is taken."""
    bit = 1 << (sig - 1)
    for _ in range(2000):
        with open("/proc/%d/status" % pid) as f:
            pend = [int(l.split()[1], 16) for l in f if l.startswith(("SigPnd", "ShdPnd"))]
        if not any(x & bit for x in pend):
            return
        time.sleep(0.005)

def classic(can_id, data, dlc=None):
    n = len(data) if dlc is None else dlc
    return struct.pack("=IBBBB8s", can_id, n, 0, 0, 0, bytes(data).ljust(8, b"\0"))

def fd(can_id, flags, data):
    return struct.pack("=IBBBB64s", can_id, len(data), flags | 0x04, 0, 0, bytes(data).ljust(64, b"\0"))

def parse(text):
    i, rest = text.split("#", 1)
    cid = int(i, 16)
    if len(i) == 8 and not cid & CAN_ERR_FLAG:
        cid |= CAN_EFF_FLAG
    if rest.startswith("#"):
        return fd(cid, int(rest[1], 16), bytes.fromhex(rest[2:].replace(".", "")))
    if rest.startswith("R"):
        return classic(cid | CAN_RTR_FLAG, b"", int(rest[1:] or 0))
    return classic(cid, bytes.fromhex(rest.replace(".", "")))

def drained(s, secs=10):
    """Waits until the peer has read everything we sent (SIOCOUTQ 0)."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0] == 0:
            return
        time.sleep(0.01)

def main():
    a = sys.argv[1:]
    sep = a.index("--")
    opts, cmd = a[:sep], a[sep + 1:]
    count, stall, kind, frames_file, inherit, rate, hup = 1000, False, socket.SOCK_SEQPACKET, None, False, 0, -1
    k = 0
    while k < len(opts):
        if opts[k] == "--count": count = int(opts[k + 1]); k += 1
        elif opts[k] == "--stall": stall = True
        elif opts[k] == "--inherit": inherit = True
        elif opts[k] == "--rate": rate = float(opts[k + 1]); k += 1
        elif opts[k] == "--type": kind = socket.SOCK_DGRAM if opts[k + 1] == "dgram" else socket.SOCK_SEQPACKET; k += 1
        elif opts[k] == "--frames": frames_file = opts[k + 1]; k += 1
        elif opts[k] == "--hup-after": hup = int(opts[k + 1]); k += 1
        k += 1
    ours, theirs = socket.socketpair(socket.AF_UNIX, kind)
    os.set_inheritable(theirs.fileno(), True)
    cmd = [c.replace("FD", str(theirs.fileno())) for c in cmd]
    out = None if inherit else subprocess.PIPE
    p = subprocess.Popen(cmd, stdout=out, pass_fds=(theirs.fileno(),))
    theirs.close()
    got = [b""]
    if not stall and not inherit:
        t = threading.Thread(target=lambda: got.append(p.stdout.read()))
        t.start()
    if frames_file:
        for line in open(frames_file):
            line = line.strip()
            if line.startswith("SLEEP "):
                time.sleep(float(line[6:]))
            elif line.startswith("WAIT "):
                end = time.monotonic() + 60
                while not os.path.exists(line[5:]) and time.monotonic() < end:
                    time.sleep(0.05)
            elif line == "HUP":
                drained(ours)
                p.send_signal(signal.SIGHUP)
            elif line and not line.startswith("#"):
                ours.send(parse(line) if line != "BAD" else b"\1\2\3")
    elif rate:
        # paced: every 5 ms, the frames due by then (a bus at a steady load)
        start, i = time.monotonic(), 0
        while i < count:
            due = min(count, int((time.monotonic() - start) * rate) + 1)
            while i < due:
                ours.send(classic(0x100 + (i % 16), struct.pack("<Q", i)))
                i += 1
            time.sleep(0.005)
        print("sent %d in %.3f s" % (count, time.monotonic() - start), file=sys.stderr)
    else:
        start = time.monotonic()
        for i in range(count):
            if i == hup:
                drained(ours)
                p.send_signal(signal.SIGHUP)
                delivered(p.pid, signal.SIGHUP)
            ours.send(classic(0x100 + (i % 16), struct.pack("<Q", i)))
        print("sent %d in %.3f s" % (count, time.monotonic() - start), file=sys.stderr)
    if stall:
        with open("/proc/%d/status" % p.pid) as f:
            for line in f:
                if line.startswith("VmHWM"):
                    print("vmhwm", line.split()[1], file=sys.stderr)
    if kind == socket.SOCK_DGRAM:
        ours.send(b"")      # a datagram socket has no end: an empty datagram says it
    ours.close()
    if stall:
        got.append(p.stdout.read())
    elif not inherit:
        t.join()
    rc = p.wait()
    sys.stdout.buffer.write(got[-1])
    sys.exit(rc)

main()
