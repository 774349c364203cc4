/* DBC files (Vector's CAN database format) and the decoding of CAN frames
 * into signal values (can-read).  Pure code: no I/O but dbc_load, no
 * allocation while decoding.  A DBC message and two of its signals:
 *
 *   BO_ 2364540158 EEC1: 8 Engine                  (bit 31 set: extended id 0x0CF004FE)
 *    SG_ EngineSpeed : 24|16@1+ (0.125,0) [0|8031.875] "rpm" Vector__XXX
 *    SG_ Torque M : 7|8@0- (1,-125) [-125|125] "%" Dash
 *
 * dbc.c parses the text, dbc_decode.c looks frames up and decodes them,
 * dbc_encode.c encodes them (can-send), dbc_overlap.c finds signals that
 * share bits. */
#ifndef CAN_DBC_H
#define CAN_DBC_H

#include <stddef.h>
#include <stdint.h>
#include <linux/can.h>   /* CAN_EFF_FLAG, CAN_EFF_MASK, CAN_SFF_MASK */

#define DBC_MAX_SIZE 64  /* bytes in a message: CAN FD */

/* Whether a CAN frame can have len bytes: classic 0 to 8, CAN FD also 12, 16, 20, 24, 32, 48,
 * 64 (its DLC codes 9 to 15); there is no CAN FD frame of 9 bytes. */
static inline int
dbc_len_exists(unsigned len)
{
	return len <= 8 || (len <= 24 && len % 4 == 0) || len == 32 || len == 48 || len == 64;
}

enum dbc_mux { DBC_PLAIN, DBC_MUXER, DBC_MUXED };            /* "M" and "m<n>" in SG_ lines */
enum dbc_vtype { DBC_INT, DBC_FLOAT32, DBC_FLOAT64 };         /* SIG_VALTYPE_ 1 and 2 */

struct dbc_val { int64_t raw; char *label; };                 /* VAL_ entry */
struct dbc_range { uint64_t lo, hi; };                        /* SG_MUL_VAL_ entry: lo-hi */

struct dbc_sig {
	char *name, *unit, *comment;  /* unit "" when none, comment NULL when none */
	unsigned start, len;        /* as written in the DBC */
	int little_endian;          /* @1 Intel, @0 Motorola */
	int is_signed;              /* - */
	enum dbc_vtype vtype;
	double factor, offset, min, max;
	enum dbc_mux mux; uint64_t mux_val;   /* DBC_MUXED: the muxer value it belongs to */
	int muxer;                  /* DBC_MUXED: index in the message's sig of its multiplexer:
	                             * the M signal, or the one SG_MUL_VAL_ names (an m<n>M) */
	struct dbc_range *ranges; int nranges;  /* SG_MUL_VAL_: the muxer values that pick it,
	                             * instead of mux_val alone */
	struct dbc_val *vals; int nvals;      /* value table, sorted by raw */
	unsigned index;             /* 0..dbc->nsig-1 over the whole file: per-signal state arrays */
	double init; int has_init;  /* BA_ "GenSigStartValue": its raw value before anything sets it */
	/* derived by the parser, for the decoder: */
	unsigned bitpos;            /* Intel: start; Motorola: the MSB counted from bit 7 of byte 0 */
	unsigned need;              /* bytes of payload the signal needs (its last byte + 1) */
	int line;                   /* line of its SG_ in the file */
};

struct dbc_msg {
	uint32_t id;                /* CAN id, CAN_EFF_FLAG set for extended (DBC id bit 31);
	                             * a message that is no frame (VECTOR__INDEPENDENT_SIG_MSG,
	                             * DBC id 0xC0000000) keeps its DBC id and dbc_find skips it */
	uint32_t dbc_id;            /* the id as written in the DBC (CM_, VAL_ refer to it) */
	char *name, *transmitter, *comment;
	unsigned size;              /* bytes, up to 64 (CAN FD) */
	struct dbc_sig *sig; int nsig;
	int muxer;                  /* index in sig of the multiplexer "M", -1 when none */
	int line;                   /* line of its BO_ */
};

struct dbc_node { char *name, *comment; };                    /* BU_ entry */
struct dbc_table { char *name; struct dbc_val *vals; int nvals; }; /* VAL_TABLE_ */

struct dbc {
	struct dbc_msg *msg; int nmsg;
	unsigned nsig;              /* signals in all messages */
	char *version, *comment;    /* VERSION "..."; CM_ "..." (global); NULL when none */
	struct dbc_node *node; int nnode;
	struct dbc_table *table; int ntable;
	int32_t *hash; uint32_t hmask;  /* id -> msg index, open addressing, -1 empty */
	char **warn; int nwarn;     /* what the file says that cannot be right, but that does not
	                             * stop it being read: "FILE:LINE: ..." (signals that overlap, a
	                             * message size no frame has); the first DBC_MAX_WARN of them */
	unsigned warn_more;         /* ... and how many more there were */
	double init_default;       /* BA_DEF_DEF_ "GenSigStartValue": of a signal without one; 0 */
};

#define DBC_MAX_WARN 100

struct dbc *dbc_parse(const char *text, size_t len, const char *fname, char *err, size_t errlen);
struct dbc *dbc_load(const char *path, char *err, size_t errlen);   /* err: "FILE:LINE: expected X, found Y" */
void dbc_free(struct dbc *d);

/* can_id as in struct can_frame (EFF flag), RTR/ERR flags ignored; O(1). */
const struct dbc_msg *dbc_find(const struct dbc *d, uint32_t can_id);

/* Decodes the signals of a frame of m (multiplexing applied: the muxer's value picks the
 * muxed signals, through every level of extended multiplexing).  Calls fn for each; label
 * is the VAL_ label of the raw value or NULL.  Returns the number of signals decoded, or
 * -1 without a call when len is not m->size: a shorter or longer frame is not the message
 * the DBC describes, and its values would be made up.  No allocation. */
typedef void dbc_sig_fn(void *ctx, const struct dbc_msg *m, const struct dbc_sig *s, double value, const char *label);
int dbc_decode(const struct dbc_msg *m, const uint8_t *data, unsigned len, dbc_sig_fn *fn, void *ctx);

/* The raw value of s in data (which holds at least s->need bytes), as the
 * bits on the bus: two's complement bits for signed, IEEE bits for floats. */
uint64_t dbc_raw(const struct dbc_sig *s, const uint8_t *data);
/* The physical value of a raw value: sign extension or IEEE, factor, offset. */
double dbc_phys(const struct dbc_sig *s, uint64_t raw);
/* Whether the raw value v of a muxed signal's multiplexer picks it (its
 * m<n>, or its SG_MUL_VAL_ ranges). */
int dbc_mux_picks(const struct dbc_sig *s, uint64_t v);
/* The VAL_ label of a raw value, or NULL. */
const char *dbc_label(const struct dbc_sig *s, uint64_t raw);

/* The bits of the payload s occupies, bit n being bit n % 8 of byte n / 8 as the DBC numbers
 * them (dbc_overlap.c). */
void dbc_sig_bits(const struct dbc_sig *s, uint64_t bits[DBC_MAX_SIZE / 8]);

/* dbc_encode.c, the inverse of the decoder: the raw value of s whose
 * physical value (dbc_phys) is the text, a number or a label of its VAL_
 * table.  Refused, never rounded or wrapped: a value that is not a whole
 * number of factor steps from the offset, one that does not fit the
 * signal's bits (or float32), one outside its [min|max] (unless both are
 * 0, which says none).  0, or -1 with why in err. */
int dbc_value_parse(const struct dbc_sig *s, const char *text, uint64_t *raw, char *err, size_t errlen);
/* The raw value of s into its bits of data, the others as they are. */
void dbc_put(const struct dbc_sig *s, uint8_t *data, uint64_t raw);
/* The raw value of a signal not given: its GenSigStartValue, else the
 * file's default of it, else 0. */
uint64_t dbc_start_raw(const struct dbc *d, const struct dbc_sig *s);
/* A frame of m (m->size bytes into data) from the raw values of the
 * signals set[i] (indexes in m->sig, raw[i]), the others at their start
 * value.  Multiplexing: a muxed signal given sets its multiplexers to a
 * value that picks it (up the chain of extended multiplexing), unless
 * they are given; only the signals the multiplexers pick are written.
 * 0, or -1 with why in err: two given signals that need their multiplexer
 * at two values, a given multiplexer that does not pick a given signal. */
int dbc_encode(const struct dbc *d, const struct dbc_msg *m, const int *set, const uint64_t *raw, int n,
               uint8_t *data, char *err, size_t errlen);

/* Internal to dbc.c and dbc_decode.c: builds the id lookup; -1 on a duplicate id (*dup = its index). */
int dbc_index(struct dbc *d, int *dup);
/* Internal to dbc.c and dbc_overlap.c: calls fn for each pair of signals of m that one frame
 * can hold together (see dbc_overlap.c) and that share bits: how many, and the lowest. */
typedef void dbc_overlap_fn(void *ctx, const struct dbc_msg *m, const struct dbc_sig *a,
                            const struct dbc_sig *b, unsigned nbits, unsigned first);
void dbc_overlaps(const struct dbc_msg *m, dbc_overlap_fn *fn, void *ctx);

#endif
