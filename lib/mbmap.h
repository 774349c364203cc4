/* The Modbus register map, modbus-read.conf(5) (mbmap.c): devices and their
 * points, read by modbus-read and written by modbus-write. */
#ifndef PLX_MBMAP_H
#define PLX_MBMAP_H
#include <stddef.h>

#include "mbcodec.h"

/* The functions a device takes for writes: auto, a register (coil) with
 * function 6 (5) and more with 16 (15); single, always 6 (5), a value of
 * several registers as one write each; multiple, always 16 (15). */
enum mb_write_fn { MB_WRITE_AUTO, MB_WRITE_SINGLE, MB_WRITE_MULTIPLE };

struct mb_device {
	char *name;
	char *host;                 /* TCP: host and port */
	int port;
	char *tty;                  /* RTU: serial device, baud, parity N/E/O, bits */
	int baud, data_bits, stop_bits;
	char parity;
	int rs485;                  /* -1: leave the port as it is; 0 RS-232, 1 RS-485 */
	int rts;                    /* -1 none, else MODBUS_RTU_RTS_UP/DOWN (1, 2) */
	int timeout_ms;             /* response timeout */
	int retries;                /* extra attempts of a failed request */
	int gap;                    /* largest gap (registers or bits) read through */
	int pause_connect_ms;       /* wait after connecting */
	int pause_request_ms;       /* wait between requests */
	int interval_ms;            /* default poll interval of its points */
	int unit_id;                /* default unit id of its points */
	char *lock;                 /* lock file (RTU: default derived from tty) */
	enum mb_write_fn write_fn;  /* how modbus-write writes one register or coil */
	int line;                   /* where it was defined, for messages */
};

#define MB_TAGS_MAX 8
struct mb_point {
	char *metric;
	int dev;                    /* index in conf.dev */
	int unit_id;
	enum mb_func func;
	int addr;                   /* 0-based PDU address */
	enum mb_type type;
	int arg;                    /* bit number or string length */
	enum mb_order order;
	double scale, offset;
	char *unit;                 /* engineering unit, emitted as tag "unit" */
	int interval_ms;
	int ntags;
	char *tag_key[MB_TAGS_MAX], *tag_val[MB_TAGS_MAX];
	int line;
};

struct mb_conf {
	struct mb_device *dev;
	int ndev, capdev;
	struct mb_point *pt;
	int npt, cappt;
	int status_ms;              /* interval of the status records (0: only at exit) */
};

/* Parses a map file (path for messages, text of n bytes).  0, or -1 with
 * "FILE:LINE: expected ..." in err.  mb_conf_free releases it either way. */
int mb_conf_parse(struct mb_conf *c, const char *path, const char *text, size_t n,
                  char *err, size_t errlen);
int mb_conf_load(struct mb_conf *c, const char *path, char *err, size_t errlen);
/* The one-line forms of the command line: a device ("127.0.0.1:5020",
 * "/dev/ttyUSB0:9600:8N1") and points ("holding:0:float32:ABCD:temp").
 * Each appends to c; 0 or -1 with the reason in err. */
int mb_conf_add_device(struct mb_conf *c, const char *spec, char *err, size_t errlen);
int mb_conf_add_point(struct mb_conf *c, const char *spec, int unit_id, char *err, size_t errlen);
void mb_conf_free(struct mb_conf *c);
/* "auto", "single", "multiple": 0, else -1. */
int mb_write_fn_parse(const char *s, enum mb_write_fn *f);
/* "500ms", "10s", "5m" in [min, max] milliseconds: 0, else -1. */
int mb_conf_duration(const char *s, long min, long max, int *ms);

/* The lib/opts.h entries of the device options modbus-read and
 * modbus-write share, so that a letter means one thing in both: -c MAP,
 * -H DEVICE, and for -H only -U, -t and --retries (int64_t targets, -1 when
 * not given). */
#define MB_OPTS_DEVICE(map, host, unit, timeout, retries) \
	{ 'c', "config", PLX_OPT_STR, map, 0, 0, 0, NULL, "MAP", "the register map, modbus-read.conf(5)", NULL }, \
	{ 'H', "host", PLX_OPT_STR, host, 0, 0, 0, NULL, "DEVICE", \
	  "a device: host[:port] or /dev/tty[:baud[:8E1]]", NULL }, \
	{ 'U', "unit", PLX_OPT_NUM, unit, 0, 255, 0, NULL, "UNIT", "-H: unit id (slave address) of the points (1)", NULL }, \
	{ 't', "timeout", PLX_OPT_DUR, timeout, 1, 600000, 1, NULL, "DURATION", \
	  "-H: response timeout (500ms; a bare number is ms)", NULL }, \
	{ 0, "retries", PLX_OPT_NUM, retries, 0, 10, 0, NULL, "N", \
	  "-H: extra attempts of a request that got no answer (1)", NULL }

#endif
