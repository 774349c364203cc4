/* can-read: CAN frames (SocketCAN, a candump log, or a passed socket) into
 * Plexus records, raw or decoded through a DBC file.
 *
 *   main.c    options
 *   filter.c  candump filters: 123:7FF, 123~7FF, #ERRMASK, j
 *   log.c     candump -L log lines: (1436509052.249713) can0 123#DEADBEEF
 *   sock.c    SocketCAN raw sockets, and any fd of struct can(fd)_frame datagrams
 *   link.c    libsocketcan: bus state, bitrate
 *   errframe.c error frames (linux/can/error.h) into words
 *   rate.c    --on-change, --interval, --agg: per signal and per CAN id
 *   emit.c    a frame into records: raw, DBC signals, errors; status
 *   ident.c   the devices file (plexus-devices(5)) and liveness per interface
 *   loop.c    the inputs as callbacks of lib/loop: live sockets, --fd, a log
 *   dbc.c, dbc_decode.c (from the can-dbc branch) the DBC parser and decoder,
 *   dbc_overlap.c signals that share bits (the parser's warnings) */
#ifndef CAN_READ_H
#define CAN_READ_H
#include <stddef.h>
#include <stdint.h>
#include <linux/can.h>
#include <linux/can/raw.h>

#include "backoff.h"
#include "log.h"
#include "recs.h"

#define MAX_IFACES   16      /* interfaces named on the command line */
#define MAX_FILTERS  64      /* candump filters per interface */
#define MAX_NAMES    64      /* distinct interface names seen (log, "any") */

/* One frame as it came: the kernel's layout, when, where. */
struct cframe {
	struct canfd_frame f;   /* classic frames use len <= 8 */
	int fd;                 /* 1: CAN FD (CANFD_MTU datagram, "##" in a log) */
	int64_t ts;             /* epoch ms */
	int iface;              /* index into the interface names (names.c in emit) */
};

/* filter.c: the filters of one socket, as candump takes them. */
struct filters {
	struct can_filter f[MAX_FILTERS];
	int n;
	int given;              /* a filter list was given (even one holding only #mask) */
	can_err_mask_t err_mask;
	int join;               /* j: every filter must match (CAN_RAW_JOIN_FILTERS) */
};
void filters_init(struct filters *fl);
/* "123:7FF,400~700,#FFFFFFFF,j" (appended to fl); 0, or -1 with why. */
int filters_parse(struct filters *fl, const char *s, char *err, size_t errlen);
/* The kernel's decision, for inputs the kernel did not filter (logs, --fd). */
int filters_match(const struct filters *fl, canid_t id);

/* log.c: one candump -L line (or one line of candump's screen output). */
struct logline {
	int64_t ts_us;          /* epoch microseconds; -1: the line had none (candump's screen format) */
	const char *iface;      /* into the line, ifacelen bytes */
	size_t ifacelen;
	struct canfd_frame f;
	int fd;
};
/* 0, or -1 with why (the line is not changed). */
int log_parse(const char *line, size_t len, struct logline *l, char *err, size_t errlen);

/* errframe.c: the words of an error frame ("bus-off", "controller: rx-overflow");
 * calls fn once per error class set in the frame; returns how many. */
typedef void errword_fn(void *ctx, const char *word);
int errframe_words(const struct canfd_frame *f, errword_fn *fn, void *ctx);

/* rate.c */
enum agg { AGG_LAST, AGG_MIN, AGG_MAX, AGG_MEAN, AGG_ALL };
struct rate_opts {
	int on_change;
	int64_t max_quiet_ms;   /* on-change: re-send an unchanged value after this; 0: never */
	int64_t interval_ms;    /* 0: every sample */
	enum agg agg;
};
struct rstate {                 /* one signal (by dbc_sig.index) or one CAN id */
	int64_t win;            /* interval window (ts / interval) being gathered, -1 none */
	int64_t last_ts;        /* newest sample in the window */
	double min, max, mean, last;    /* of the samples of the window */
	unsigned long n;
	const char *label;      /* label of the last sample */
	int iface;
	int has_sent;
	double sent;            /* the last value sent (on-change) */
	const char *sent_label;
	int64_t sent_ts;
};
/* A sample; returns 1 when it is to be sent now as it is (no interval) and
 * the on-change gate lets it through.  With an interval, a sample from a
 * newer window first closes the old one: *flushed is set to 1 and the caller
 * sends what rate_closed describes, then this sample starts the new window. */
int rate_sample(const struct rate_opts *o, int64_t interval_ms, struct rstate *s, int64_t ts,
                double v, const char *label, int iface, int *flushed, struct rstate *closed);
/* A window whose end is at or before now: 1 and *closed to send, the state emptied. */
int rate_due(int64_t interval_ms, struct rstate *s, int64_t now, struct rstate *closed);
/* The on-change gate for a value about to be sent: 1 send, 0 skip; records it. */
int rate_gate(const struct rate_opts *o, struct rstate *s, double v, const char *label, int64_t ts);
void rstate_init(struct rstate *s);

/* Raw frames keyed by CAN id: a bounded open-addressing table. */
#define RAW_IDS_MAX 4096
struct rawent {
	canid_t id;             /* can_id with flags */
	int used;
	struct rstate st;
	struct cframe last;     /* newest frame in the window */
	struct cframe sent;     /* the last frame sent (on-change compares its bytes) */
};
struct rawtab {
	struct rawent *e;       /* RAW_IDS_MAX entries, allocated on first use */
	unsigned n;
};
struct rawent *rawtab_get(struct rawtab *t, canid_t id);   /* NULL: full */
void rawtab_free(struct rawtab *t);

/* link.c: libsocketcan (all -1 where the kernel has no CAN). */
const char *link_state(const char *ifname);      /* "error-active", ... or NULL */
long link_bitrate(const char *ifname);           /* bit/s or -1 */
int link_set_bitrate(const char *ifname, unsigned long bitrate, char *err, size_t errlen);

struct emit;
struct plx_loop;

/* The options. */
struct iface {
	const char *name;       /* "can0", "any" */
	struct filters fl;
	int sock;               /* -1 closed */
	int watch;              /* its lib/loop watch */
	int down;               /* ENETDOWN said; cleared by the next frame */
	int name_idx;           /* into the names table */
	uint32_t drops;         /* last SO_RXQ_OVFL count */
	struct plx_reopen ro;   /* its comings and goings (lib/backoff.h) */
};

struct opts {
	struct iface ifc[MAX_IFACES];
	int nifc;
	int in_fd;              /* --fd N: a socket of CAN frame datagrams, else -1 */
	const char *fd_name;    /* its interface name */
	const char *replay;     /* -r FILE ("-": stdin), else NULL */
	int now;                /* --now: replay stamped with the clock */
	struct filters fl;      /* --filter: for every input */
	const char *dbc_path[8];
	int ndbc;
	/* sigs_init (sigs.c) when -D is given: loads the DBC files into e */
	int (*dbc_init)(struct emit *e, char *err, size_t errlen);
	const char *prefix;     /* "can" */
	const char *name_fmt;   /* "%p.%m.%s" */
	int raw_unknown;
	struct rate_opts rate;
	struct { char *pat; int64_t ms; } sigrate[32];   /* --signal-rate */
	int nsigrate;
	struct plx_tags tags;   /* -T, -s */
	int source_given;       /* -s on the command line (not PLEXUS_SOURCE_ID): a device's source does not replace it */
	int64_t status_ms;      /* 0: no status records */
	int64_t backoff_max_ms;
	int64_t queue_max;
	int64_t bitrate;        /* --bitrate, 0 none */
	int64_t rcvbuf;         /* SO_RCVBUF bytes */
	/* how an interface is opened: sock_open (tests give another socket of
	 * the same datagrams) */
	int (*open_iface)(struct iface *ic, int rcvbuf, char *err, size_t errlen);
};

/* sock.c: a CAN_RAW socket bound to ic, non-blocking, with its filters and
 * control messages: the descriptor, or SOCK_FAILED (the interface is not
 * there, or refused: it may come) or SOCK_NO_CAN (the kernel has no CAN:
 * nothing to wait for), why in err. */
enum { SOCK_FAILED = -1, SOCK_NO_CAN = -2 };
int sock_open(struct iface *ic, int rcvbuf, char *err, size_t errlen);
/* Reads up to max frames from fd (a CAN socket or a datagram socket) without
 * blocking: each into out[i]; ts from the kernel when given, else now.
 * *drops gets the SO_RXQ_OVFL count when the kernel gave it.  Returns frames
 * read (>= 0), or -1 with errno (EAGAIN: none now; 0-length: EOF is -2).
 * ifindex[i] is the interface a frame came on (0 when unknown). */
struct sockbatch;
struct sockbatch *sockbatch_new(void);
void sockbatch_free(struct sockbatch *b);
int sockbatch_eof(const struct sockbatch *b);   /* the end was seen: the next read says -2 */
int sock_read(int fd, struct sockbatch *b, struct cframe *out, int *ifindex, int max,
              uint32_t *drops, int *has_drops, unsigned long *bad);
#define SOCK_BATCH 64

/* emit.c: the decode path, shared by every input. */
struct counters {
	unsigned long read, decoded, unknown, errors, filtered, bad, rejected, kdrops;
	unsigned long bad_length;   /* frames whose length does not fit: emit_misfit */
};
struct emit;
/* Records go out through l's stdout queue; NULL with why in err when a
 * DBC file cannot be used. */
struct emit *emit_new(const struct opts *o, struct plx_loop *l, char *err, size_t errlen);
void emit_free(struct emit *e);
int emit_name(struct emit *e, const char *name, size_t len);   /* interface name index */
const char *emit_iface(const struct emit *e, int idx);
/* One frame: filtered (when filter != NULL), decoded, rate-controlled, queued. */
void emit_frame(struct emit *e, const struct cframe *cf, const struct filters *filter);
/* Where the frames now given come from, for what is said about them: a log
 * (kept, not copied) and its line, formatted only when something is said; or NULL. */
void emit_where(struct emit *e, const char *name, unsigned long lineno);
/* Windows due at now (epoch ms; INT64_MAX at the end of input). */
void emit_due(struct emit *e, int64_t now);
void emit_status(struct emit *e, int live);
/* Liveness of the interface of name index k (ident.c): followed (a live
 * interface or --fd), up or down, a frame at now (monotonic ms); the
 * silent ones said. */
void ident_follow(struct emit *e, int k);
void ident_up(struct emit *e, int k, int up);
void ident_data(struct emit *e, int k, int64_t now);
void ident_check(struct emit *e, int64_t now);
void ident_reload(struct emit *e);          /* SIGHUP: the devices file again */
struct counters *emit_counters(struct emit *e);
/* Warnings about input: at most 20 a second (then counted, said later);
 * for plx_warn_limited. */
struct plx_ratelim *emit_ratelim(struct emit *e);

/* loop.c: reads the inputs of o until their end, a signal or stdout gone;
 * the exit status. */
int run(struct opts *o);

#endif
