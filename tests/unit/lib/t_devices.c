/* lib/devices.c: the devices file (plexus-devices(5)): names, sources,
 * tags and expected intervals found by what identifies a device, and
 * every fault refused with its line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "unit.h"

static int
parse(struct plx_devices *d, const char *text, char *err)
{
	return plx_devices_parse(d, "devices", text, strlen(text), err, 300);
}

static void
refused(const char *text, const char *want)
{
	struct plx_devices d;
	char err[300] = "";

	T(parse(&d, text, err) < 0 && strstr(err, want), "refused: %s (%s)", want, err);
}

int
main(void)
{
	struct plx_devices d;
	const struct plx_device *v;
	const char *k, *val;
	char err[300], tmp[] = "/tmp/t_devices.XXXXXX", link[64];
	int fd;

	T(parse(&d, "# a comment\n\n[device fridge]\nble = a4:c1:38:12:34:56\nsource-id = kitchen\n"
	            "tag = room=kitchen\ntag = shelf=top\nexpect = 10s\n"
	            "[device freezer]\nble = A4-C1-38-12-34-57\n"
	            "[device meter]\nmodbus = 192.168.1.10:502/1\nmodbus = /dev/ttyUSB1/7\n"
	            "[device truck]\ncan = can0\n[device lounge]\nmqtt = zigbee2mqtt/lounge\n", err) == 0,
	  "a file of five devices parses (%s)", err);
	T(d.n == 5 && d.nkeys == 6, "5 devices, 6 keys");
	v = plx_devices_find(&d, PLX_DEV_BLE, "A4:C1:38:12:34:56");
	T(v && !strcmp(v->name, "fridge"), "a MAC finds its device, whatever its case");
	T(v && v->source_id && !strcmp(v->source_id, "kitchen") && !strcmp(plx_tags_source(&v->tags), "kitchen"),
	  "... with its source");
	T(v && plx_tags_count(&v->tags) == 2 && plx_tags_get(&v->tags, 1, &k, &val) == 0 &&
	  !strcmp(k, "shelf") && !strcmp(val, "top"), "... and its tags");
	T(v && v->expect_ms == 10000, "... and how often it speaks");
	v = plx_devices_find(&d, PLX_DEV_BLE, "a4:c1:38:12:34:57");
	T(v && !strcmp(v->name, "freezer"), "two identical sensors, named apart by their MACs");
	T(!plx_devices_find(&d, PLX_DEV_BLE, "A4:C1:38:12:34:58"), "an unknown MAC: none");
	T(!plx_devices_find(&d, PLX_DEV_SERIAL, "A4:C1:38:12:34:56"), "a MAC is no serial port");
	v = plx_devices_find(&d, PLX_DEV_MODBUS, "/dev/ttyUSB1/7");
	T(v && !strcmp(v->name, "meter"), "a device named by two lines is found by either");
	T((v = plx_devices_find(&d, PLX_DEV_MQTT, "zigbee2mqtt/lounge")) && !strcmp(v->name, "lounge"), "mqtt");
	T((v = plx_devices_find(&d, PLX_DEV_CAN, "can0")) && !strcmp(v->name, "truck") && !v->source_id,
	  "can; no source: the reader's own");
	plx_devices_free(&d);

	/* a serial port by its by-id link and by the node it names */
	T((fd = mkstemp(tmp)) >= 0, "a file standing in for a port");
	close(fd);
	snprintf(link, sizeof link, "%s.link", tmp);
	T(symlink(tmp, link) == 0, "a link to it, as /dev/serial/by-id/...");
	char text[300];
	snprintf(text, sizeof text, "[device furnace]\nserial = %s\n", link);
	T(parse(&d, text, err) == 0, "serial = a link");
	T((v = plx_devices_find(&d, PLX_DEV_SERIAL, link)) != NULL, "found by the link");
	T((v = plx_devices_find(&d, PLX_DEV_SERIAL, tmp)) != NULL, "found by the node it names");
	plx_devices_free(&d);
	unlink(link);
	unlink(tmp);

	refused("ble = A4:C1:38:12:34:56\n", "devices:1: 'ble' before the first [device NAME]");
	refused("[device a b]\nble = A4:C1:38:12:34:56\n", "devices:1: device name 'a b'");
	refused("[devise x]\n", "devices:1: expected [device NAME]");
	refused("[device x]\nble = A4:C1:38:12:34\n", "devices:2: ble = 'A4:C1:38:12:34': not a MAC");
	refused("[device x]\nble = A4:C1:38:12:34:56\n[device y]\nble = a4:c1:38:12:34:56\n",
	        "devices:4: ble A4:C1:38:12:34:56: already device x");
	refused("[device x]\nble = A4:C1:38:12:34:56\n[device x]\ncan = can0\n", "devices:3: device x: named twice");
	refused("[device x]\nsource-id = Kitchen\nble = A4:C1:38:12:34:56\n", "devices:2: source-id:");
	refused("[device x]\ntag = novalue\n", "devices:2: tag = 'novalue': not key=value");
	refused("[device x]\nexpect = soon\n", "devices:2: expect = 'soon'");
	refused("[device x]\ncolour = red\n", "devices:2: unknown key 'colour'");
	refused("[device x]\nsource-id = a\n", "devices:1: device x: no ble, serial");
	refused("[device x]\nserial =\n", "devices:2: serial = '': empty");
	refused("[device x]\nserial\n", "devices:2: expected key = value");

	/* a Modbus unit as modbus-read gives it (host:port/unit, path/unit)
	 * found by the forms people write: no port (502), hex, IPv6 */
	T(parse(&d, "[device meter]\nmodbus = 192.168.1.10/0x01\n[device pump]\nmodbus = [fd00::5]:1502/7\n"
	            "[device drive]\nmodbus = /dev/ttyUSB0/12\n[device plc]\nmodbus = plc.local:5020/255\n", err) == 0,
	  "modbus keys (%s)", err);
	T((v = plx_devices_find(&d, PLX_DEV_MODBUS, "192.168.1.10:502/1")) && !strcmp(v->name, "meter"),
	  "modbus: no port is 502, a unit in hex");
	T(!plx_devices_find(&d, PLX_DEV_MODBUS, "192.168.1.10:503/1"), "... another port is another device");
	T(!plx_devices_find(&d, PLX_DEV_MODBUS, "192.168.1.10:502/2"), "... another unit is another device");
	T((v = plx_devices_find(&d, PLX_DEV_MODBUS, "[fd00::5]:1502/7")) && !strcmp(v->name, "pump"), "IPv6");
	T((v = plx_devices_find(&d, PLX_DEV_MODBUS, "/dev/ttyUSB0/12")) && !strcmp(v->name, "drive"), "RTU");
	T((v = plx_devices_find(&d, PLX_DEV_MODBUS, "plc.local:5020/255")) && !strcmp(v->name, "plc"), "a name");

	/* the tags a reader gives a device's records */
	{
		struct plx_devices f;
		struct plx_tags base = { 0 }, t;
		const char *src;
		T(plx_tags_add(&base, "site", "north", err, sizeof err) == 0 &&
		  plx_tags_set_source(&base, "gw-1", err, sizeof err) == 0, "base tags");
		T(parse(&f, "[device fridge]\nble = A4:C1:38:12:34:56\nsource-id = kitchen\ntag = room=k\n", err) == 0,
		  "a device with tags and a source");
		v = plx_devices_find(&f, PLX_DEV_BLE, "A4:C1:38:12:34:56");
		T(plx_device_tags(&f, v, &base, 0, NULL, &t) == 0 && plx_tags_count(&t) == 3 &&
		  plx_tags_get(&t, 1, &k, &val) == 0 && !strcmp(k, "room") && plx_tags_get(&t, 2, &k, &val) == 0 &&
		  !strcmp(k, "device") && !strcmp(val, "fridge") && (src = plx_tags_source(&t)) && !strcmp(src, "kitchen"),
		  "device tags: the reader's, the device's, device=NAME, its source");
		T(plx_device_tags(&f, v, &base, 1, NULL, &t) == 0 && !strcmp(plx_tags_source(&t), "gw-1"),
		  "... the source given on the command line wins");
		T(plx_device_tags(&f, NULL, &base, 0, "meter1", &t) == 0 && plx_tags_count(&t) == 2 &&
		  plx_tags_get(&t, 1, &k, &val) == 0 && !strcmp(val, "meter1") && !strcmp(plx_tags_source(&t), "gw-1"),
		  "no device: the reader's own name");
		T(plx_device_tags(&f, NULL, &base, 0, NULL, &t) == 0 && plx_tags_count(&t) == 1, "... or none");
		plx_devices_free(&f);
	}
	plx_devices_free(&d);
	refused("[device x]\nmodbus = 10.0.0.1\n", "devices:2: modbus = '10.0.0.1': not HOST[:PORT]/UNIT");
	refused("[device x]\nmodbus = 10.0.0.1:0/1\n", "not HOST[:PORT]/UNIT");
	refused("[device x]\nmodbus = 10.0.0.1/256\n", "not HOST[:PORT]/UNIT");
	refused("[device x]\nmodbus = [fd00::1/1\n", "not HOST[:PORT]/UNIT");
	refused("[device x]\nmodbus = 10.0.0.1:502/1\nmodbus = 10.0.0.1/1\n", "already device x");

	/* the default file missing is no error; a file given that is missing is */
	setenv("PLEXUS_DEVICES", "/nonexistent/devices", 1);
	T(plx_devices_load(&d, NULL, err, sizeof err) < 0 && strstr(err, "/nonexistent/devices"),
	  "PLEXUS_DEVICES missing: an error (%s)", err);
	UNIT_END();
}
