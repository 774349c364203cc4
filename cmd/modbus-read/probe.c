/* modbus-read --probe: reads a range of registers once and prints each
 * register raw, then every interpretation of every offset (each type, each
 * order), the way one finds out how an undocumented device encodes its
 * values:
 *
 *   addr  hex   uint16  int16  bits
 *   0     41a4  16804   16804  0100000110100100
 *   ...
 *   addr  type     ABCD          CDAB          BADC          DCBA
 *   0     float32  20.5          5.89951e-41   ...
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include "conn.h"
#include "mbdev.h"
#include "log.h"

int
probe(const struct mb_conf *c, enum mb_func f, int addr, int count, int lock_wait_ms)
{
	static const enum mb_type multi[] = { MB_INT32, MB_UINT32, MB_FLOAT32, MB_INT64, MB_UINT64,
	                                      MB_FLOAT64 };
	const struct mb_device *d = &c->dev[0];
	struct mb_dev v;
	uint16_t regs[MB_MAX_BITS];
	struct mb_value val;
	char buf[64], bits[17], err[300];
	int i, j, o, b, n, e;

	mb_dev_init(&v);
	if (mb_dev_lock(&v, d, lock_wait_ms, NULL, NULL, err, sizeof err) < 0 ||
	    mb_dev_open(&v, d, err, sizeof err) < 0) {
		plx_warn("%s: unable to open: %s", d->name, err);
		mb_dev_free(&v);
		return EX_UNAVAILABLE;
	}
	n = mb_dev_read(&v, f, d->unit_id, addr, count, regs);
	if (n != count) {
		e = n < 0 ? errno : EMBBADDATA;
		plx_warn("%s unit %d: read %s %d-%d: %s", d->name, d->unit_id, mb_func_name(f), addr,
		         addr + count - 1, mb_failure(e, d->timeout_ms, buf, sizeof buf));
		mb_dev_free(&v);
		return mb_exception(e) ? EX_PROTOCOL : EX_UNAVAILABLE;
	}
	mb_dev_free(&v);
	if (mb_func_bits(f)) {
		for (i = 0; i < n; i++)
			printf("%-6d %d\n", addr + i, regs[i]);
		return 0;
	}
	printf("%-6s %-5s %-7s %-7s %s\n", "addr", "hex", "uint16", "int16", "bits (15..0)");
	for (i = 0; i < n; i++) {
		for (b = 0; b < 16; b++)
			bits[b] = regs[i] >> (15 - b) & 1 ? '1' : '0';
		bits[16] = 0;
		printf("%-6d %04x  %-7u %-7d %s\n", addr + i, regs[i], regs[i], (int16_t)regs[i], bits);
	}
	printf("\n%-6s %-8s", "addr", "type");
	for (o = 0; o < 4; o++)
		printf(" %-22s", mb_order_name(o));
	printf("\n");
	for (i = 0; i < n; i++) {
		for (j = 0; j < (int)(sizeof multi / sizeof multi[0]); j++) {
			if (i + mb_type_regs(multi[j], 0) > n)
				continue;
			printf("%-6d %-8s", addr + i, mb_type_name(multi[j]));
			for (o = 0; o < 4; o++) {
				mb_decode(regs + i, n - i, multi[j], 0, o, &val);
				printf(" %-22s", mb_value_text(&val, buf, sizeof buf));
			}
			printf("\n");
		}
	}
	/* the whole range as text, in every order */
	for (o = 0; o < 4; o++) {
		mb_decode(regs, n, MB_STRING, 2 * n, o, &val);
		for (i = 0; i < 2 * n; i++)
			if ((unsigned char)val.s[i] < 0x20 || (unsigned char)val.s[i] > 0x7e)
				val.s[i] = '.';
		printf("string %s: \"%s\"\n", mb_order_name(o), val.s);
	}
	return 0;
}
