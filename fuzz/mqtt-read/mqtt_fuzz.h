/* The body of every fuzz_mqtt_FORMAT target: one payload decoder of
 * mqtt-read (cmd/mqtt-read/fmt_*.c) and the naming after it, on a message
 * made of the input: the topic up to the first NUL, the payload after it.
 * A target is this header included after #define FORMAT "name".
 *
 * Checked: the decoder answers -1 (with a reason), MQ_IGNORE or its
 * readings' count; each reading has a name of 1 to 256 bytes and a device
 * name that fits; every record made of them is one the server takes
 * (plx_record_parse, the full check), and there are no more records than
 * readings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_mqtt_" FORMAT ": " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mq_dec d;
	static struct namer nm;
	static json_tokener *tok;
	static const struct mq_format *f;
	char topic[1024], err[400];
	const uint8_t *z = memchr(data, 0, size < sizeof topic ? size : sizeof topic);
	size_t tl, off;
	int64_t seq;
	json_object *rec;
	char *nl;
	int n, i;

	if (!f) {
		CHECK((f = mq_format_find(FORMAT)) != NULL, "no format");
		mq_dec_init(&d);
		plx_recs_init(&nm.out);
		plx_live_init(&nm.live, "mqtt");
		nm.metric = "%m";
		tok = plx_tokener_new();
	}
	if (!z || z == data)
		return 0;
	tl = (size_t)(z - data);
	memcpy(topic, data, tl);
	topic[tl] = '\0';
	n = mq_decode(&d, f, topic, (const char *)z + 1, size - tl - 1, 1763800000000, err, sizeof err);
	CHECK(n == -1 || n == MQ_IGNORE || (n >= 0 && n == d.n), "answer %d with %d readings", n, d.n);
	if (n == -1)
		CHECK(err[0], "refused without a reason");
	if (n <= 0)
		return 0;
	CHECK(strlen(d.device) <= MQ_DEVICE_MAX, "device of %zu bytes", strlen(d.device));
	for (i = 0; i < d.n; i++)
		CHECK(d.r[i].name[0] && strlen(d.r[i].name) <= PLX_NAME_MAX, "reading name of %zu bytes",
		      strlen(d.r[i].name));
	if ((n = name_records(&nm, &d, 1, err, sizeof err)) < 0)
		return 0;
	CHECK(n == nm.out.n && n <= d.n, "%d records of %d readings", n, d.n);
	for (off = 0, i = 0; off < nm.out.len; i++) {
		nl = memchr(nm.out.s + off, '\n', nm.out.len - off);
		CHECK(nl, "a record without its newline");
		rec = plx_record_parse(tok, nm.out.s + off, (size_t)(nl - nm.out.s - off), &seq, err, sizeof err);
		CHECK(rec, "a record the server refuses: %s: %.*s", err, (int)(nl - nm.out.s - off), nm.out.s + off);
		json_object_put(rec);
		off = (size_t)(nl - nm.out.s) + 1;
	}
	CHECK(i == n, "%d records counted, %d written", n, i);
	return 0;
}
