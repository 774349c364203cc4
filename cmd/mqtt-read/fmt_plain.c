/* -F plain: the payload is one value - a number in JSON's grammar
 * (21.5, -3, 1e3), true or false, else a text - named by the topic's last
 * level; the device is the topic before it:
 *
 *   sensors/room1/temp  21.5   -> device sensors/room1: temp 21.5
 *   home/door/state     open   -> device home/door: state "open"
 *
 * Surrounding blanks (a trailing newline from `echo`) are not the value. */
#include <stdio.h>
#include <string.h>

#include "decode.h"

int
fmt_plain(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	const char *last = d->level[d->nlevel - 1];

	while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (!n) {
		snprintf(err, errlen, "empty payload");
		return -1;
	}
	if (memchr(p, '\0', n) || plx_utf8_bad((const unsigned char *)p, n) != n) {
		snprintf(err, errlen, "payload is not UTF-8 text");
		return -1;
	}
	if (d->nlevel > 1)
		mq_device(d, d->topic, strlen(d->topic) - strlen(last) - 1);
	if (mq_text(d, last, p, n, err, errlen) < 0)
		return -1;
	return d->n;
}
