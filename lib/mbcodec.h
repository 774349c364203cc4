/* Modbus values: registers + data type + word/byte order <-> value, the
 * one codec of modbus-read and modbus-write (mbcodec.c), so that a point
 * read as holding:100:float32:CDAB is written the same way.  Pure: no
 * libmodbus, no I/O.
 *
 * Addresses are 0-based PDU addresses everywhere, as they go on the wire:
 * holding register "40001" is address 0 of function 3. */
#ifndef PLX_MBCODEC_H
#define PLX_MBCODEC_H
#include <stddef.h>
#include <stdint.h>

#define MB_MAX_REGS   125     /* registers in one read (function 3, 4) */
#define MB_MAX_BITS   2000    /* bits in one read (function 1, 2) */
#define MB_STR_MAX    (2 * MB_MAX_REGS)

enum mb_func { MB_COIL, MB_DISCRETE, MB_HOLDING, MB_INPUT };
enum mb_type { MB_BOOL, MB_BIT, MB_INT16, MB_UINT16, MB_INT32, MB_UINT32, MB_INT64,
               MB_UINT64, MB_FLOAT32, MB_FLOAT64, MB_STRING };
/* Byte order of a value whose most significant byte is A: ABCD is big endian
 * words in big endian order, CDAB swaps the words (a value of more words,
 * a string too, has them in reverse order), BADC the bytes of each word,
 * DCBA both.  A value of one register (16-bit types, bitN: bit 0 the least
 * significant of the value) has only its bytes to swap.  Coils and discrete
 * inputs have no order (the map refuses one). */
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
/* The inverse of mb_decode: the registers of a raw value v (of the kind
 * mb_decode gives for t: MB_V_INT for bool, bits and integers, MB_V_UINT or
 * MB_V_INT for uint64, MB_V_FLOAT, MB_V_STR), in order o, into regs of
 * mb_type_regs(t, arg) elements; mb_decode of them gives v back.  MB_BIT:
 * regs[0] holds the register as it is, and only its bit changes.  A string
 * shorter than the type is padded with NULs.  0, or -1 when v does not fit
 * t (out of the type's range: never wrapped or cut). */
int mb_encode(const struct mb_value *v, enum mb_type t, int arg, enum mb_order o, uint16_t *regs);
/* mbvalue.c: a value to write, as a person writes it ("21.5", "-7",
 * "0x1F", "on", a string), for a point of type t scaled by scale and
 * offset: the raw value that reads back as it (raw * scale + offset), for
 * mb_encode.  0, or -1 with why in err ("70000 does not fit uint16 (0 to
 * 65535)"): nothing is rounded into another value, wrapped or cut. */
int mb_value_parse(const char *text, enum mb_type t, int arg, double scale, double offset, struct mb_value *v,
                   char *err, size_t errlen);
/* raw * scale + offset; integers stay integers when scale is 1 and offset 0. */
void mb_scale(struct mb_value *v, double scale, double offset);
/* Shortest text that reads back as the same value (float32 at float
 * precision); "nan"/"inf" for non-finite; strings as they are. */
const char *mb_value_text(const struct mb_value *v, char *buf, size_t len);

#endif
