/* Device identity, once for every reader (plexus-devices(5)): one file that
 * says what each device is called, which source its records belong to and
 * which tags they carry, keyed by what identifies the device to its reader:
 *
 *   # /etc/plexus/devices
 *   [device fridge]
 *   ble = A4:C1:38:12:34:56
 *   source-id = kitchen
 *   tag = room=kitchen
 *   expect = 10s
 *
 *   [device furnace]
 *   serial = /dev/serial/by-id/usb-Arduino_Uno-if00
 *
 * Kinds: ble (a MAC), serial (a port's path), modbus (HOST[:PORT]/UNIT, the
 * port 502 when not said, or /dev/tty.../UNIT), can (an interface), mqtt (a
 * topic).  A device may be
 * named by several lines.  Unknown devices keep each reader's own names.
 * The file is read whole at start (and again on SIGHUP); a fault stops the
 * load with the file's line, and the reader says it and goes on without. */
#ifndef PLX_DEVICES_H
#define PLX_DEVICES_H
#include <stddef.h>
#include <stdint.h>

#include "recs.h"

#define PLX_DEVICES_DEFAULT "/etc/plexus/devices"
#define PLX_DEVICE_NAME_MAX 64

enum plx_dev_kind { PLX_DEV_BLE, PLX_DEV_SERIAL, PLX_DEV_MODBUS, PLX_DEV_CAN, PLX_DEV_MQTT, PLX_DEV_KINDS };

struct plx_device {
	char *name;              /* 1-64 bytes of [A-Za-z0-9._-]: the device tag, a metric part */
	char *source_id;         /* or NULL: the reader's own */
	struct plx_tags tags;    /* with the strings below */
	char *tag_kv[PLX_TAGS_MAX];
	int ntags;
	int64_t expect_ms;       /* how often it speaks (liveness); 0: not said */
	unsigned line;           /* where the file names it */
};

struct plx_devices {
	struct plx_device *dev;
	int n;
	struct { enum plx_dev_kind kind; char *id; int dev; } *key;
	int nkeys;
	char *path;              /* where it was read from, NULL: none */
};

/* Reads path (NULL: $PLEXUS_DEVICES, else /etc/plexus/devices when it
 * exists; a missing default is no error: no devices).  0, or -1 with
 * "FILE:LINE: what" in err and *d empty. */
int plx_devices_load(struct plx_devices *d, const char *path, char *err, size_t errlen);
/* Parses a file's text (fuzz targets, tests): as plx_devices_load. */
int plx_devices_parse(struct plx_devices *d, const char *name, const char *text, size_t len,
                      char *err, size_t errlen);
void plx_devices_free(struct plx_devices *d);
/* The device a reader knows by (kind, id), or NULL.  MACs compare without
 * regard to case, serial paths as given and as the path they resolve to
 * (a /dev/serial/by-id link names the same port as its /dev/ttyUSB0). */
const struct plx_device *plx_devices_find(const struct plx_devices *d, enum plx_dev_kind kind,
                                          const char *id);

/* For readers, the same in each (serial-read, can-read, modbus-read,
 * ble-read):
 *
 *   plx_devices_reload(&devs);                 at start and on SIGHUP
 *   d = plx_devices_lookup(&devs, PLX_DEV_CAN, "can0");
 *   plx_device_tags(&devs, d, &base, keep_source, NULL, &tags);
 *
 * The file again: into *d when it loads (the one before freed: tags made
 * from it must be made again); a fault is said on stderr ("devices file:
 * FILE:LINE: what; names as they were") and *d kept.  0, or -1: kept. */
int plx_devices_reload(struct plx_devices *d);
/* plx_devices_find, and a device found said on stderr (plx_info: "ID is
 * device NAME (FILE)"). */
const struct plx_device *plx_devices_lookup(const struct plx_devices *d, enum plx_dev_kind kind,
                                            const char *id);
/* The tags of device d's records: base (the reader's -T and -s), then d's
 * tags, then device=NAME (d NULL: device=dflt, none when dflt is NULL);
 * d's source-id unless keep_source (-s was given: the command line wins).
 * A tag refused (base full, a key the reader uses) is said and left out:
 * -1, else 0.  The tags point into ds and base: made again after a reload. */
int plx_device_tags(const struct plx_devices *ds, const struct plx_device *d, const struct plx_tags *base,
                     int keep_source, const char *dflt, struct plx_tags *out);

#endif
