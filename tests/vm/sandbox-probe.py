#!/usr/bin/python3
"""sandbox-probe.py WHAT...: tries each WHAT and prints one line for it,
"WHAT allowed" or "WHAT denied (ERRNO)"; exits 0.  Run as a unit's
ExecStart= (tests/vm/t-systemd.sh), it shows what the unit's sandbox lets
a process do; run as the same user outside it, what the system alone does.

  af:NAME      socket() of address family AF_NAME (CAN, INET, INET6,
               BLUETOOTH, NETLINK, PACKET)
  read:PATH    open PATH and read it
  write:DIR    create a file in DIR (and remove it)
  dev:PATH     open a device; an answer from its driver (EIO: no UART
               behind a ttyS) counts as allowed
  cred:NAME    read $CREDENTIALS_DIRECTORY/NAME
  bus:NAME     call NAME's ObjectManager.GetManagedObjects on the system bus"""
import errno
import os
import socket
import sys

SOCK = {  # family: (type, protocol) a process without privilege may open
    'CAN': (socket.SOCK_RAW, 1),                 # CAN_RAW
    'INET': (socket.SOCK_STREAM, 0),
    'INET6': (socket.SOCK_STREAM, 0),
    'BLUETOOTH': (socket.SOCK_SEQPACKET, 0),     # BTPROTO_L2CAP
    'NETLINK': (socket.SOCK_RAW, 0),             # NETLINK_ROUTE
    'PACKET': (socket.SOCK_DGRAM, 0),
}


def attempt(what):
    kind, arg = what.split(':', 1)
    if kind == 'af':
        t, p = SOCK[arg]
        socket.socket(getattr(socket, 'AF_' + arg), t, p).close()
    elif kind == 'read':
        with open(arg) as f:
            f.read()
    elif kind == 'write':
        path = os.path.join(arg, 'sandbox-probe.%d' % os.getpid())
        with open(path, 'w') as f:
            f.write('x')
        os.unlink(path)
    elif kind == 'dev':
        try:
            os.close(os.open(arg, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY))
        except OSError as e:
            if e.errno != errno.EIO:
                raise
    elif kind == 'cred':
        with open(os.path.join(os.environ['CREDENTIALS_DIRECTORY'], arg)) as f:
            f.read()
    elif kind == 'bus':
        import dbus
        obj = dbus.SystemBus().get_object(arg, '/')
        dbus.Interface(obj, 'org.freedesktop.DBus.ObjectManager').GetManagedObjects()
    else:
        raise SystemExit('sandbox-probe: %s?' % what)


for w in sys.argv[1:]:
    try:
        attempt(w)
        print(w, 'allowed')
    except OSError as e:
        print(w, 'denied (%s)' % errno.errorcode.get(e.errno, e.errno))
    except KeyError as e:
        print(w, 'denied (no %s)' % e)
    except Exception as e:        # D-Bus: an error reply
        print(w, 'denied (%s)' % type(e).__name__)
