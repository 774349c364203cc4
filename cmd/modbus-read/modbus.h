/* modbus-read: the register map, the decoder, the request plan and the poller.
 *
 * decode.c and conf.c and plan.c are pure (no libmodbus, no I/O but reading
 * the map), so the unit test and the fuzz target link them alone; conn.c
 * and dev.c talk to devices through libmodbus, a thread per connection,
 * poll.c turns what they read into records, probe.c and main.c are the
 * one-shot paths and the options.
 *
 * Addresses are 0-based PDU addresses everywhere in this code, as they go on
 * the wire: holding register "40001" is address 0 of function 3. */
#ifndef MODBUS_READ_H
#define MODBUS_READ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "recs.h"

#define MB_MAX_REGS   125     /* registers in one read (function 3, 4) */
#define MB_MAX_BITS   2000    /* bits in one read (function 1, 2) */
#define MB_STR_MAX    (2 * MB_MAX_REGS)

/* ---- decode.c: registers + type + order -> value ---- */
enum mb_func { MB_COIL, MB_DISCRETE, MB_HOLDING, MB_INPUT };
enum mb_type { MB_BOOL, MB_BIT, MB_INT16, MB_UINT16, MB_INT32, MB_UINT32, MB_INT64,
               MB_UINT64, MB_FLOAT32, MB_FLOAT64, MB_STRING };
/* Byte order of a value whose most significant byte is A: ABCD is big endian
 * words in big endian order, CDAB swaps the words (a value of more words,
 * a string too, has them in reverse order), BADC the bytes of each word,
 * DCBA both.  A value of one register (16-bit types, bitN: bit 0 the least
 * significant of the value) has only its bytes to swap.  Coils and discrete
 * inputs have no order (conf.c refuses one). */
enum mb_order { MB_ABCD, MB_CDAB, MB_BADC, MB_DCBA };

struct mb_value {
	enum { MB_V_INT, MB_V_UINT, MB_V_FLOAT, MB_V_STR } kind;
	int64_t i;                  /* MB_V_INT (bool, bit, signed types) */
	uint64_t u;                 /* MB_V_UINT */
	double f;                   /* MB_V_FLOAT */
	int single;                 /* MB_V_FLOAT from a float32: print with float precision */
	char s[MB_STR_MAX + 1];     /* MB_V_STR, NUL and trailing spaces trimmed */
};

const char *mb_func_name(enum mb_func f);        /* "holding" */
int mb_func_parse(const char *s, enum mb_func *f);
int mb_int(const char *s, long min, long max, int *out);   /* whole, decimal or 0x hex, in range: 0, else -1 */
int mb_func_bits(enum mb_func f);                /* coils and discrete inputs */
const char *mb_type_name(enum mb_type t);        /* "float32"; "bit", "string" without N */
/* "float32", "bit3" (arg = bit 0..15), "string20" (arg = bytes 1..250). */
int mb_type_parse(const char *s, enum mb_type *t, int *arg);
int mb_type_regs(enum mb_type t, int arg);       /* registers (or bits) a value spans */
const char *mb_order_name(enum mb_order o);
int mb_order_parse(const char *s, enum mb_order *o);

/* Decodes n registers (for MB_BOOL: n bits, one per element, 0 or 1). */
int mb_decode(const uint16_t *regs, size_t n, enum mb_type t, int arg, enum mb_order o,
              struct mb_value *v);
/* raw * scale + offset; integers stay integers when scale is 1 and offset 0. */
void mb_scale(struct mb_value *v, double scale, double offset);
/* Shortest text that reads back as the same value (float32 at float
 * precision); "nan"/"inf" for non-finite; strings as they are. */
const char *mb_value_text(const struct mb_value *v, char *buf, size_t len);

/* ---- conf.c: the register map (modbus-read.conf(5)) ---- */
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
 * "FILE:LINE: expected ..." in err.  conf_free releases it either way. */
int conf_parse(struct mb_conf *c, const char *path, const char *text, size_t n,
               char *err, size_t errlen);
int conf_load(struct mb_conf *c, const char *path, char *err, size_t errlen);
/* The one-line forms of the command line: a device ("127.0.0.1:5020",
 * "/dev/ttyUSB0:9600:8N1") and points ("holding:0:float32:ABCD:temp").
 * Each appends to c; 0 or -1 with the reason in err. */
int conf_add_device(struct mb_conf *c, const char *spec, char *err, size_t errlen);
int conf_add_point(struct mb_conf *c, const char *spec, int unit_id, char *err, size_t errlen);
void conf_free(struct mb_conf *c);
/* "500ms", "10s", "5m" in [min, max] milliseconds: 0, else -1. */
int conf_duration(const char *s, long min, long max, int *ms);

/* ---- plan.c: points -> requests ---- */
struct mb_req {
	int dev, unit_id, interval_ms;
	enum mb_func func;
	int addr, count;            /* registers or bits */
	int *pt;                    /* indexes of its points in conf.pt */
	int npt;
};
struct mb_plan {
	struct mb_req *req;
	int nreq;
};
/* Groups the points by device, unit, function and interval and coalesces
 * neighbours into requests of at most 125 registers / 2000 bits, reading
 * through gaps of at most the device's gap. */
void plan_make(struct mb_plan *p, const struct mb_conf *c);
void plan_print(const struct mb_plan *p, const struct mb_conf *c, FILE *f);
void plan_free(struct mb_plan *p);

/* ---- poll.c, conn.c: polling, a thread per connection ---- */
struct mb_run {
	int once;                   /* poll every request once, then exit */
	int lock_wait_ms;           /* how long to wait for a serial line's lock */
	const char *map;            /* the map file (SIGHUP rereads it), or NULL: -H */
	int64_t status_ms;          /* --status-interval (0: no status records), -1: the map's */
	const char *prefix;         /* -p: before every point's metric name */
	struct plx_tags tags;       /* -s, -T: on every record */
	int source_given;           /* -s on the command line: a device's source-id does not replace it */
};
/* Polls until a signal (or once): takes c and p over (they are freed);
 * the exit status. */
int poll_run(struct mb_conf *c, struct mb_plan *p, const struct mb_run *o);
/* probe.c: --probe, every interpretation of a range of registers; the
 * exit status. */
int probe(const struct mb_conf *c, enum mb_func f, int addr, int count, int lock_wait_ms);

#endif
