/* ble-read: what the files of the tool share (the decoders have decode.h).
 *
 *   main.c     options and environment -> struct ble_opts
 *   keyfile.c  BTHome bindkeys: --bind-key MAC=KEY, --keys FILE
 *   dev.c      the device table: bounded, keyed by BlueZ object path; names (slugs)
 *   bluez.c    BlueZ over D-Bus: objects, signals, adapter, discovery
 *   gattread.c --gatt: connect, read the ESS characteristics, disconnect
 *   emit.c     filters, metric names, records, status records
 *   ident.c    the devices file (plexus-devices(5)) and liveness per sensor
 *   loop.c     the bus, timers and signals as callbacks of lib/loop
 *
 * One struct app holds the state of a run; every function gets it. */
#ifndef BLE_H
#define BLE_H

#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "decode.h"
#include "devices.h"
#include "live.h"
#include "log.h"
#include "recs.h"

#define BLE_PATH_MAX   64     /* /org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF is 37 */
#define BLE_NAME_KEEP  64     /* bytes of a device name kept for the slug */
#define BLE_NCHARS     4      /* GATT characteristics read: 2A6E 2A6F 2A6D 2A19 */
#define BLE_UUID_LEN   37     /* "0000181a-0000-1000-8000-00805f9b34fb" and NUL */

struct ble_key {
	char mac[18];               /* "AA:BB:CC:DD:EE:FF", upper case */
	char hex[33];               /* 32 hex digits */
};

struct ble_alias {              /* --alias MAC=NAME */
	char mac[18];
	char slug[BLE_NAME_KEEP];   /* NAME made a slug */
};

struct ble_opts {
	const char *bus;            /* --bus ADDRESS, or NULL: the system bus */
	const char *adapter;        /* "hci0", or NULL: the first one BlueZ lists */
	const char *prefix;         /* metric name prefix */
	int prefix_set;             /* -p given (per-device mode names) */
	const char *source_id;      /* records' source_id (-s, PLEXUS_SOURCE_ID), or NULL */
	int source_given;           /* -s on the command line: a device's source-id does not replace it */
	struct plx_tags tags;       /* -T: on every record */
	int per_device;             /* --source-per-device: source_id = slug */
	const char *name_filter;    /* substring of the name, case ignored, or NULL */
	char (*macs)[18];           /* the allowlist, upper case */
	int nmacs;
	char (*uuids)[BLE_UUID_LEN];/* service UUIDs, 128-bit, lower case */
	int nuuids;
	int rssi_min, has_rssi_min; /* dBm */
	int keep_unknown;           /* --unknown */
	int64_t scan_ms;            /* 0: continuous, else ms of scanning per interval */
	int64_t interval_ms;        /* scan period (with scan_ms) and GATT read period */
	int gatt;                   /* --gatt */
	int64_t status_ms;          /* 0: no status records */
	int64_t max_devices;
	int64_t out_max;            /* bytes queued on stdout before records drop */
	struct ble_key *keys;
	int nkeys;
	struct ble_alias *aliases;
	int naliases;
};

enum { DEV_ALLOW = 1, DEV_UUID = 2, DEV_DECODES = 4, DEV_ESS = 8, DEV_NAMEOK = 16 };
enum { G_IDLE, G_CONNECTING, G_RESOLVING, G_READING };

struct dev {
	char path[BLE_PATH_MAX];    /* BlueZ object path; "" when the slot is free */
	char addr[18];              /* from the path: "AA:BB:CC:DD:EE:FF" */
	char mac[18];               /* the sensor's: its own when its packets say it, else addr */
	char name[BLE_NAME_KEEP];   /* Device1 Name, "" until known */
	char slug[BLE_NAME_KEEP];   /* of name and mac, or of an --alias (dev.c) */
	int rssi, has_rssi;
	unsigned flags;             /* DEV_* */
	int64_t last_seen;          /* monotonic ms: eviction of the oldest */
	unsigned gen;               /* bumped when the slot is reused: stale replies */
	int next;                   /* hash chain, -1 at the end */
	struct ble_dev st;          /* decoder state: bindkey, last packet id */
	char chr[BLE_NCHARS][40];   /* GATT characteristic paths after `path`, "" unknown */
	int gstate;                 /* G_* */
	int gpending;               /* ReadValue calls in flight */
	int resolved;               /* Device1 ServicesResolved */
	int64_t gnext;              /* monotonic ms: next GATT read (or its deadline) */
	const struct plx_device *named;  /* what the devices file calls it, or NULL (ident.c) */
	int tags_ok;                /* ... its tags fit with -T's */
	int live;                   /* its index in the liveness, -1: not followed */
};

struct devtab {
	struct dev *d;
	int max, used;
	int *bucket;                /* hash of path -> first slot, -1 */
	unsigned nbucket;           /* a power of two */
};

struct counters {
	unsigned long devices_seen, adverts, decoded, decode_errors, conn_failures,
		bluez_restarts, rejected;
};

struct adapter {
	char path[BLE_PATH_MAX];    /* "" when there is none */
	int powered;
	int armed;                  /* our filter set and StartDiscovery answered */
	int pending;                /* a discovery call is in flight */
	int64_t retry_at;           /* monotonic ms: next try after a failure, 0 */
};

struct plx_loop;

struct app {
	const struct ble_opts *o;
	sd_bus *bus;
	struct plx_loop *l;         /* its stdout queue takes the records */
	int bus_watch;              /* the bus's lib/loop watch */
	int bus_more;               /* messages left after a batch */
	int64_t bus_due;            /* sd-bus's deadline (monotonic ms), or -1 */
	struct plx_recs recs;
	struct devtab tab;
	struct counters n;
	struct adapter ad;
	int bluez_up;               /* org.bluez has an owner */
	int bluez_seen;             /* ... had one before: a return is a restart */
	int scanning;               /* in a scan window (always, when continuous) */
	int64_t scan_start;         /* monotonic ms: the window's start */
	int64_t scan_next;          /* ... and the next window start or end */
	int scan_timer;             /* its lib/loop timer */
	int gatt_busy;              /* slot being read over GATT, -1 */
	struct plx_ratelim rl;      /* warnings about what devices send */
	struct plx_devices devs;    /* the devices file as last read (ident.c) */
	struct plx_live live;       /* the sensors it names: heard lately, silent */
	int live_ticking;           /* their check armed (loop.c) */
};

/* keyfile.c */
int keys_add(struct ble_opts *o, const char *mac, const char *hex, char *err, size_t errlen);
int keys_arg(struct ble_opts *o, const char *arg, char *err, size_t errlen);   /* MAC=KEY */
int keys_file(struct ble_opts *o, const char *path, char *err, size_t errlen);
int keys_stream(struct ble_opts *o, FILE *f, const char *name, char *err, size_t errlen);
const char *keys_find(const struct ble_opts *o, const char *mac);
void keys_wipe(struct ble_opts *o);

/* dev.c */
void devtab_init(struct devtab *t, int max);
void devtab_free(struct devtab *t);
struct dev *dev_find(struct devtab *t, const char *path);
/* Finds or adds (evicting the device unseen longest); NULL when path is
 * not a device path; *added says it is new. */
struct dev *dev_get(struct app *a, const char *path, int *added);
void dev_drop(struct devtab *t, struct dev *d);
void dev_set_name(struct app *a, struct dev *d, const char *name);  /* and the slug */
void dev_set_mac(struct app *a, struct dev *d, const char *mac);    /* the sensor's own; the slug */
size_t ble_slugify(char *dst, size_t cap, const char *s);
int dev_index(const struct devtab *t, const struct dev *d);

/* emit.c */
void emit_flags(struct app *a, struct dev *d);            /* allowlist, name filter */
int emit_pass(const struct app *a, const struct dev *d);  /* the filters */
void emit_adv(struct app *a, struct dev *d, const struct ble_adv *adv, int had_data, int had_rssi);
void emit_gatt(struct app *a, struct dev *d, const struct ble_reading *r);
void emit_status(struct app *a);
void emit_flush(struct app *a);
int uuid_norm(const char *in, char out[BLE_UUID_LEN]);

/* ident.c */
void ident_init(struct app *a);
void ident_free(struct app *a);
void ident_dev(struct app *a, struct dev *d);      /* its MAC known or changed: who it is */
void ident_gone(struct app *a, struct dev *d);     /* BlueZ no longer lists it */
void ident_reload(struct app *a);                  /* SIGHUP */
void ident_records(struct app *a, int64_t ts);     /* liveness, with the status */

/* bluez.c */
int bluez_start(struct app *a);
void bluez_scan_update(struct app *a);    /* arm or stop discovery as wanted now */
void bluez_stop(struct app *a);           /* at exit: StopDiscovery */

/* gattread.c */
void gatt_char_seen(struct app *a, const char *path, const char *uuid);
void gatt_dev_changed(struct app *a, struct dev *d);
void gatt_tick(struct app *a);
void gatt_forget(struct app *a, struct dev *d);

/* loop.c */
int run(const struct ble_opts *o);
/* The bus failed (r: -errno): said; the run ends with EX_UNAVAILABLE. */
void app_fatal_bus(struct app *a, int r, const char *what);

#endif
