#!/usr/bin/python3
"""The other end of can-send --fd: runs the command with one end of a
SOCK_SEQPACKET socketpair as descriptor FD (the word "FD" in its arguments
is replaced by the number), reads the frames it writes in the kernel's
layout (linux/can.h: struct can_frame, 16 bytes; struct canfd_frame, 72)
and prints each in can-utils' notation, formatted here, not by our
lib/canframe:

    can-sink.py -- can-send --fd FD can0 123#DEADBEEF

then "exit N", the command's status.  A datagram of another size is
printed as "bad size N".
"""
import socket
import struct
import subprocess
import sys

CAN_EFF_FLAG, CAN_RTR_FLAG, CAN_ERR_FLAG = 0x80000000, 0x40000000, 0x20000000

argv = sys.argv[sys.argv.index("--") + 1:]
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
fd = theirs.fileno()
p = subprocess.Popen([str(fd) if a == "FD" else a.replace("FD", str(fd)) if a.startswith("--fd=") else a
                      for a in argv], pass_fds=[fd])
theirs.close()
while True:
    b = ours.recv(128)
    if not b:
        break
    if len(b) not in (16, 72):
        print("bad size %d" % len(b))
        continue
    can_id, length, flags, res0, len8 = struct.unpack("=IBBBB", b[:8])
    data = b[8:8 + length]
    ident = "%08X" % (can_id & 0x1FFFFFFF | can_id & CAN_ERR_FLAG) if can_id & (CAN_EFF_FLAG | CAN_ERR_FLAG) \
        else "%03X" % (can_id & 0x7FF)
    if len(b) == 72:
        print("%s##%X%s" % (ident, flags, data.hex().upper()))
    elif can_id & CAN_RTR_FLAG:
        print("%s#R%s%s" % (ident, length if length else "", "_%X" % len8 if len8 else ""))
    else:
        print("%s#%s%s" % (ident, data.hex().upper(), "_%X" % len8 if len8 else ""))
    sys.stdout.flush()
print("exit %d" % p.wait())
