#!/usr/bin/python3
"""A fake bluetoothd for bench/ble.sh: owns org.bluez on the bus at
$DBUS_SYSTEM_BUS_ADDRESS, answers GetManagedObjects (one adapter, hci0),
SetDiscoveryFilter, StartDiscovery and StopDiscovery, then makes N devices
appear (InterfacesAdded) and advertise at RATE Hz each for SECS seconds
(PropertiesChanged on org.bluez.Device1 with BTHome service data and RSSI,
as BlueZ sends them with DuplicateData on).

  ble-emit.py N RATE SECS COUNTFILE

Writes "sent SECONDS" to COUNTFILE at the end, and exits."""
import os
import sys
import time

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

N, RATE, SECS, COUNT = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
DEV = 'org.bluez.Device1'
ADAPTER = '/org/bluez/hci0'
SVC = '0000fcd2-0000-1000-8000-00805f9b34fb'

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])


def path(i):
    return f'{ADAPTER}/dev_A4_C1_38_00_{i >> 8:02X}_{i & 0xff:02X}'


class Root(dbus.service.Object):
    @dbus.service.method('org.freedesktop.DBus.ObjectManager', out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        return {dbus.ObjectPath(ADAPTER): {'org.bluez.Adapter1': {
            'Powered': dbus.Boolean(True, variant_level=1),
            'Discovering': dbus.Boolean(False, variant_level=1)}}}


class Adapter(dbus.service.Object):
    @dbus.service.method('org.bluez.Adapter1', in_signature='a{sv}')
    def SetDiscoveryFilter(self, f):
        pass

    @dbus.service.method('org.bluez.Adapter1')
    def StartDiscovery(self):
        state['discovering'] = True

    @dbus.service.method('org.bluez.Adapter1')
    def StopDiscovery(self):
        state['discovering'] = False


def service_data(i, k):
    # BTHome v2: packet id, temperature (0.01 °C), humidity (0.01 %)
    t = 2000 + (i + k) % 500
    body = bytes([0x40, 0x00, k & 0xff, 0x02, t & 0xff, t >> 8, 0x03, 0x88, 0x13])
    return dbus.Dictionary({SVC: dbus.Array(body, signature='y', variant_level=1)},
                           signature='sv', variant_level=1)


def added(i):
    m = dbus.lowlevel.SignalMessage('/', 'org.freedesktop.DBus.ObjectManager', 'InterfacesAdded')
    props = {'Address': dbus.String(path(i)[-17:].replace('_', ':'), variant_level=1),
             'Name': dbus.String(f'Bench {i}', variant_level=1),
             'RSSI': dbus.Int16(-60, variant_level=1),
             'ServiceData': service_data(i, 0)}
    m.append(dbus.ObjectPath(path(i)), {DEV: props}, signature='oa{sa{sv}}')
    bus.send_message(m)


def advert(i, k):
    m = dbus.lowlevel.SignalMessage(path(i), 'org.freedesktop.DBus.Properties', 'PropertiesChanged')
    m.append(DEV, {'RSSI': dbus.Int16(-50 - k % 40, variant_level=1), 'ServiceData': service_data(i, k)},
             dbus.Array([], signature='s'), signature='sa{sv}as')
    bus.send_message(m)


state = {'discovering': False, 'start': None, 'sent': 0}
Root(bus, '/')
Adapter(bus, ADAPTER)
name = dbus.service.BusName('org.bluez', bus)
loop = GLib.MainLoop()


def tick():
    if not state['discovering']:
        return True
    now = time.monotonic()
    if state['start'] is None:
        for i in range(N):
            added(i)
        state['start'] = now
    el = now - state['start']
    if el >= SECS:
        with open(COUNT, 'w') as f:
            f.write(f"{state['sent']} {el:.3f}\n")
        loop.quit()
        return False
    due = int(el * RATE * N)
    while state['sent'] < due:
        s = state['sent']
        advert(s % N, s // N + 1)
        state['sent'] = s + 1
    return True


GLib.timeout_add(10, tick)
loop.run()
