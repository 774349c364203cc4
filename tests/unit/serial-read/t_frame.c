/* Unit tests of serial-read's framer (cmd/serial-read/frame.c): what ends
 * a line with -d auto (LF, CR only, CRLF even split across two reads),
 * pieces of a line joined across pauses, an unfinished line dropped or
 * flushed, and the cause told for a line too long.  (Framing independent
 * of how reads split the bytes: fuzz/serial-read/fuzz_frame.c.) */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "serial.h"
#include "unit.h"

static char got[4096];             /* lines handed out, each followed by '|'; "#" dropped */
static struct fr_line last;        /* the last one */

static void
on_line(void *ctx, const struct fr_line *l)
{
	size_t n = strlen(got);

	(void)ctx;
	last = *l;
	snprintf(got + n, sizeof got - n, "%s|", l->s ? l->s : "#");
}

/* Feeds each of the NULL-ended pieces as one read, 1 s apart. */
static const char *
feed(struct frame *f, ...)
{
	va_list ap;
	const char *s;
	int64_t t = 0;

	got[0] = '\0';
	va_start(ap, f);
	while ((s = va_arg(ap, const char *)))
		frame_feed(f, s, strlen(s), 5000 + t, t), t += 1000;
	va_end(ap);
	return got;
}

int
main(void)
{
	struct frame f;
	char big[200];

	frame_init(&f, 16, FR_AUTO, on_line, NULL);
	T_STR(feed(&f, "a=1\nb=2\r\nc=3\rd=4\r", NULL), "a=1|b=2|c=3|d=4|", "auto: LF, CRLF and CR only end lines");
	T(!frame_pending(&f), "a line ended by a CR is out at once");
	T_STR(feed(&f, "\ne=5\r", "\n", "f=6\n\r\n", NULL), "e=5|f=6||",
	      "auto: the LF of a CRLF in the next read is not an empty line");
	T_STR(feed(&f, "x\r", "y\n", NULL), "x|y|", "auto: a CR, then a new line in the next read");

	T_STR(feed(&f, "t=", "21.5", "\r\n", NULL), "t=21.5|", "pieces with pauses between them: one line");
	T(last.pause == 1000 && last.pause_at == 2, "the longest pause is told (%lld ms after byte %zu)",
	  (long long)last.pause, last.pause_at);
	T_STR(feed(&f, "u=1\n", NULL), "u=1|", "the next line has no pause");
	T(last.pause == 0, "... its pause is 0");

	T_STR(feed(&f, "seq=61 hum=4", NULL), "", "a line without its end is not handed out");
	T(frame_pending(&f), "... it is pending");
	T(frame_drop(&f) == 12 && !frame_pending(&f), "frame_drop forgets it and says how long it was");
	T_STR(feed(&f, "0.5\n", NULL), "0.5|", "what comes next starts a new line");
	T(frame_drop(&f) == 0, "frame_drop with nothing pending: 0");
	T_STR(feed(&f, "v=7", NULL), "", "an unfinished line...");
	frame_flush(&f);
	T_STR(got, "v=7|", "... is a line when flushed (end of a file, --flush-ms)");
	T_STR(feed(&f, "x\r", NULL), "x|", "a CR at the end of a read...");
	frame_drop(&f);
	T_STR(feed(&f, "\ny\n", NULL), "|y|", "... forgotten by frame_drop: an LF after it ends an empty line");

	T_STR(feed(&f, "0123456789abcdefX", "yz\nok\n", NULL), "#|ok|", "a line over max: reported once, skipped to its end");
	T(last.s != NULL, "the line after it is whole");
	T_STR(feed(&f, "0123456789abcdefXY", NULL), "#|", "a drop while skipping...");
	T(frame_drop(&f) == 0, "... is not a fragment: the line was reported already");
	T_STR(feed(&f, "ok\n", NULL), "ok|", "and the next line is whole");
	frame_free(&f);

	frame_init(&f, 16, FR_LF, on_line, NULL);
	T_STR(feed(&f, "0123456789abcdef\r\n", NULL), "0123456789abcdef|", "-d lf: a line of max bytes and its CRLF fit");
	T_STR(feed(&f, "a=1\rb=2\rc=3\rd=4\re=5\r", NULL), "#|", "-d lf, a device ending lines with CR only: too long");
	T(last.stray == '\r', "... and the report says it holds CRs");
	frame_drop(&f);
	T_STR(feed(&f, "0123456789abcdefg\r\n", NULL), "#|", "-d lf, too long, a CRLF at its end");
	T(last.stray == 0, "... is no stray CR");
	frame_free(&f);

	frame_init(&f, 16, FR_CRLF, on_line, NULL);
	T_STR(feed(&f, "a\nb\r\n", NULL), "a\nb|", "-d crlf: a bare LF is a byte of the line");
	memset(big, 'x', sizeof big);
	memcpy(big + 5, "\n", 1);
	big[30] = '\0';
	T_STR(feed(&f, big, NULL), "#|", "-d crlf, a device ending lines with LF: too long");
	T(last.stray == '\n', "... and the report says it holds LFs");
	frame_free(&f);

	frame_init(&f, 16, FR_CR, on_line, NULL);
	T_STR(feed(&f, "a\r", "\nb\r\n", NULL), "a|b|", "-d cr: an LF after the CR is dropped, also in the next read");
	frame_free(&f);
	UNIT_END();
}
