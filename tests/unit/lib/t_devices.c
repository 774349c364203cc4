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

	/* the default file missing is no error; a file given that is missing is */
	setenv("PLEXUS_DEVICES", "/nonexistent/devices", 1);
	T(plx_devices_load(&d, NULL, err, sizeof err) < 0 && strstr(err, "/nonexistent/devices"),
	  "PLEXUS_DEVICES missing: an error (%s)", err);
	UNIT_END();
}
