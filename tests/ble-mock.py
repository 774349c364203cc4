#!/usr/bin/python3
"""Drives python3-dbusmock's bluez5 template (org.bluez on the bus at
$DBUS_SYSTEM_BUS_ADDRESS) for ble-read's tests: one command per run.

  ble-mock.py adapter hci0                 AddAdapter (emits InterfacesAdded)
  ble-mock.py rm-adapter hci0              RemoveAdapter (InterfacesRemoved)
  ble-mock.py powered hci0 0|1             Adapter1.Powered, PropertiesChanged
  ble-mock.py discovering hci0             exit 0 when Adapter1.Discovering
  ble-mock.py calls hci0 METHOD            how often the adapter got METHOD
  ble-mock.py times hci0 METHOD            when (epoch seconds, a line each)
  ble-mock.py filter hci0                  the last SetDiscoveryFilter argument
  ble-mock.py device hci0 MAC NAME [ITEM...]   a device found (InterfacesAdded)
  ble-mock.py adv hci0 MAC ITEM...         an advertisement (PropertiesChanged)
  ble-mock.py rm-device hci0 MAC           the device gone (InterfacesRemoved)
  ble-mock.py gatt hci0 MAC UUID HEX|fail  a characteristic under service 181A
  ble-mock.py connects hci0 MAC            how often Device1.Connect was called
  ble-mock.py template-device hci0 MAC NAME   the template's own AddDevice (its
                                           ServiceData typed aa{sv}, ManufacturerData aa{qv})
  ble-mock.py flood hci0 MAC N             N BTHome advertisements, values 0..N-1

ITEM: svc=UUID:HEX (ServiceData), mfr=ID:HEX (ManufacturerData, ID hex),
rssi=N, uuids=U1,U2, noname, connect=fail.

The device objects are made with the mock's generic AddObject, typed as
BlueZ types them (ServiceData a{sv} of ay, ManufacturerData a{qv} of ay,
RSSI n), and signals are sent with the mock's EmitSignal: the template's
AddDevice and UpdateProperties get those types wrong in dbusmock 0.28."""
import os
import sys

import dbus

BUS = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
MOCK = 'org.freedesktop.DBus.Mock'
DEV = 'org.bluez.Device1'
ADAPTER = 'org.bluez.Adapter1'
OM = 'org.freedesktop.DBus.ObjectManager'


def obj(path):
    return BUS.get_object('org.bluez', path)


def dev_path(hci, mac):
    return f'/org/bluez/{hci}/dev_' + mac.upper().replace(':', '_')


def long_uuid(u):
    return f'0000{u.lower()}-0000-1000-8000-00805f9b34fb' if len(u) == 4 else u.lower()


def items(args):
    """Device1 properties from ITEMs."""
    p = {}
    for a in args:
        k, _, v = a.partition('=')
        if k == 'svc':
            sd = p.setdefault('ServiceData', dbus.Dictionary({}, signature='sv', variant_level=1))
            u, _, h = v.partition(':')
            sd[long_uuid(u)] = dbus.Array(bytes.fromhex(h), signature='y', variant_level=1)
        elif k == 'mfr':
            md = p.setdefault('ManufacturerData', dbus.Dictionary({}, signature='qv', variant_level=1))
            c, _, h = v.partition(':')
            md[dbus.UInt16(int(c, 16))] = dbus.Array(bytes.fromhex(h), signature='y', variant_level=1)
        elif k == 'rssi':
            p['RSSI'] = dbus.Int16(int(v), variant_level=1)
        elif k == 'uuids':
            p['UUIDs'] = dbus.Array([long_uuid(u) for u in v.split(',')], signature='s', variant_level=1)
    return p


def device(hci, mac, name, rest):
    path = dev_path(hci, mac)
    props = {
        'Address': dbus.String(mac.upper(), variant_level=1),
        'AddressType': dbus.String('random', variant_level=1),
        'Adapter': dbus.ObjectPath(f'/org/bluez/{hci}', variant_level=1),
        'Connected': dbus.Boolean(False, variant_level=1),
        'ServicesResolved': dbus.Boolean(False, variant_level=1),
        'UUIDs': dbus.Array([], signature='s', variant_level=1),
    }
    if 'noname' not in rest:
        props['Name'] = dbus.String(name, variant_level=1)
        props['Alias'] = dbus.String(name, variant_level=1)
    props.update(items(rest))
    connect = ''
    if 'connect=fail' in rest:
        connect = ('raise dbus.exceptions.DBusException("le-connection-abort-by-local", '
                   'name="org.bluez.Error.Failed")')
    obj('/').AddObject(path, DEV, props, [('Connect', '', '', connect), ('Disconnect', '', '', '')],
                       dbus_interface=MOCK)
    obj('/').EmitSignal(OM, 'InterfacesAdded', 'oa{sa{sv}}',
                        [dbus.ObjectPath(path), {DEV: props}], dbus_interface=MOCK)


def adv(hci, mac, rest):
    obj(dev_path(hci, mac)).EmitSignal(
        'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as',
        [DEV, dbus.Dictionary(items(rest), signature='sv'), dbus.Array([], signature='s')],
        dbus_interface=MOCK)


def rm_device(hci, mac):
    path = dev_path(hci, mac)
    obj('/').RemoveObject(path, dbus_interface=MOCK)
    obj('/').EmitSignal(OM, 'InterfacesRemoved', 'oas', [dbus.ObjectPath(path), [DEV]],
                        dbus_interface=MOCK)


def gatt(hci, mac, uuid, value):
    dpath = dev_path(hci, mac)
    spath = dpath + '/service0010'
    n = {'2a6e': 1, '2a6f': 2, '2a6d': 3, '2a19': 4}.get(uuid.lower(), 9)
    cpath = f'{spath}/char001{n}'
    root = obj('/')
    try:
        root.AddObject(spath, 'org.bluez.GattService1',
                       {'UUID': dbus.String(long_uuid('181a'), variant_level=1),
                        'Device': dbus.ObjectPath(dpath, variant_level=1),
                        'Primary': dbus.Boolean(True, variant_level=1)}, [], dbus_interface=MOCK)
        root.EmitSignal(OM, 'InterfacesAdded', 'oa{sa{sv}}',
                        [dbus.ObjectPath(spath), {'org.bluez.GattService1': {
                            'UUID': dbus.String(long_uuid('181a'), variant_level=1)}}],
                        dbus_interface=MOCK)
    except dbus.exceptions.DBusException:
        pass    # the service is there already
    if value == 'fail':
        code = 'raise dbus.exceptions.DBusException("Not connected", name="org.bluez.Error.Failed")'
    else:
        code = f'ret = dbus.ByteArray(bytes.fromhex("{value}"))'
    props = {'UUID': dbus.String(long_uuid(uuid), variant_level=1),
             'Service': dbus.ObjectPath(spath, variant_level=1),
             'Flags': dbus.Array(['read'], signature='s', variant_level=1)}
    root.AddObject(cpath, 'org.bluez.GattCharacteristic1', props,
                   [('ReadValue', 'a{sv}', 'ay', code)], dbus_interface=MOCK)
    root.EmitSignal(OM, 'InterfacesAdded', 'oa{sa{sv}}',
                    [dbus.ObjectPath(cpath), {'org.bluez.GattCharacteristic1': props}],
                    dbus_interface=MOCK)


def main(argv):
    cmd, hci = argv[0], argv[1]
    apath = f'/org/bluez/{hci}'
    if cmd == 'adapter':
        obj('/').AddAdapter(hci, 'gateway', dbus_interface='org.bluez.Mock')
    elif cmd == 'rm-adapter':
        obj('/').RemoveAdapter(hci, dbus_interface='org.bluez.Mock')
    elif cmd == 'powered':
        on = dbus.Boolean(argv[2] == '1', variant_level=1)
        a = obj(apath)
        a.UpdateProperties(ADAPTER, {'Powered': on, 'Discovering': dbus.Boolean(False, variant_level=1)},
                           dbus_interface=MOCK)
    elif cmd == 'discovering':
        return 0 if obj(apath).Get(ADAPTER, 'Discovering', dbus_interface=dbus.PROPERTIES_IFACE) else 1
    elif cmd == 'calls':
        print(len(obj(apath).GetMethodCalls(argv[2], dbus_interface=MOCK)))
    elif cmd == 'times':
        for t, _ in obj(apath).GetMethodCalls(argv[2], dbus_interface=MOCK):
            print(t)
    elif cmd == 'filter':
        calls = obj(apath).GetMethodCalls('SetDiscoveryFilter', dbus_interface=MOCK)
        f = calls[-1][1][0]
        print(' '.join(f'{k}={",".join(v) if isinstance(v, list) else v}' for k, v in sorted(f.items())))
    elif cmd == 'device':
        device(hci, argv[2], argv[3], argv[4:])
    elif cmd == 'adv':
        adv(hci, argv[2], argv[3:])
    elif cmd == 'rm-device':
        rm_device(hci, argv[2])
    elif cmd == 'gatt':
        gatt(hci, argv[2], argv[3], argv[4])
    elif cmd == 'template-device':
        obj('/').AddDevice(hci, argv[2], argv[3], dbus_interface='org.bluez.Mock')
    elif cmd == 'flood':
        o = obj(dev_path(hci, argv[2]))
        for i in range(int(argv[3])):
            o.EmitSignal('org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as',
                         [DEV, dbus.Dictionary(items([f'svc=fcd2:4002{i & 0xff:02x}{i >> 8 & 0xff:02x}']),
                                               signature='sv'), dbus.Array([], signature='s')],
                         dbus_interface=MOCK)
    elif cmd == 'connects':
        print(len(obj(dev_path(hci, argv[2])).GetMethodCalls('Connect', dbus_interface=MOCK)))
    else:
        sys.exit(f'ble-mock.py: unknown command {cmd}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
