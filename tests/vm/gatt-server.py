#!/usr/bin/python3
"""gatt-server.py ADAPTER READY: a GATT server registered with bluetoothd
(GattManager1.RegisterApplication on /org/bluez/ADAPTER), the way BlueZ's
test/example-gatt-server does: the Environmental Sensing service (181A)
with Temperature (2A6E), Humidity (2A6F) and Pressure (2A6D), and the
Battery service (180F) with Battery Level (2A19), each readable, with the
values of tests/golden/ble/gatt.txt (the GATT Specification Supplement's
encodings): 23.48 °C, 50 %, 1013.266 hPa, 87 %.  Writes READY once
bluetoothd has taken the application; runs until killed.  Each read is
counted in READY.reads (one line each: the UUID)."""
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

ADAPTER, READY = sys.argv[1:3]
VALUES = {  # uuid: (service, bytes)
    '2a6e': ('181a', '2c09'),
    '2a6f': ('181a', '8813'),
    '2a6d': ('181a', '12760f00'),
    '2a19': ('180f', '57'),
}
BASE = '0000%s-0000-1000-8000-00805f9b34fb'
GATT_SERVICE, GATT_CHRC = 'org.bluez.GattService1', 'org.bluez.GattCharacteristic1'


class Chrc(dbus.service.Object):
    def __init__(self, bus, path, uuid, service, value):
        super().__init__(bus, path)
        self.path = path
        self.uuid, self.service, self.value = uuid, service, bytes.fromhex(value)

    def props(self):
        return {GATT_CHRC: {'UUID': BASE % self.uuid, 'Service': dbus.ObjectPath(self.service.path),
                            'Flags': dbus.Array(['read'], signature='s')}}

    @dbus.service.method(GATT_CHRC, in_signature='a{sv}', out_signature='ay')
    def ReadValue(self, options):
        with open(READY + '.reads', 'a') as f:
            print(self.uuid, file=f)
        return dbus.Array(self.value, signature='y')


class Service(dbus.service.Object):
    def __init__(self, bus, path, uuid):
        super().__init__(bus, path)
        self.path = path
        self.uuid = uuid

    def props(self):
        return {GATT_SERVICE: {'UUID': BASE % self.uuid, 'Primary': True}}


class App(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, '/plexus/gatt')
        self.objs = []
        svcs = {}
        for s in ('181a', '180f'):
            svcs[s] = Service(bus, '/plexus/gatt/s%s' % s, s)
            self.objs.append(svcs[s])
        for c, (s, v) in VALUES.items():
            self.objs.append(Chrc(bus, '/plexus/gatt/s%s/c%s' % (s, c), c, svcs[s], v))

    @dbus.service.method('org.freedesktop.DBus.ObjectManager', out_signature='a{oa{sa{sv}}}')
    def GetManagedObjects(self):
        return {dbus.ObjectPath(o.path): o.props() for o in self.objs}


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    app = App(bus)
    loop = GLib.MainLoop()
    mgr = dbus.Interface(bus.get_object('org.bluez', '/org/bluez/' + ADAPTER), 'org.bluez.GattManager1')

    def ok():
        open(READY, 'w').write('registered\n')

    def fail(e):
        print('gatt-server: RegisterApplication: %s' % e, file=sys.stderr)
        loop.quit()

    mgr.RegisterApplication(app, {}, reply_handler=ok, error_handler=fail)
    loop.run()
    sys.exit(1)


main()
