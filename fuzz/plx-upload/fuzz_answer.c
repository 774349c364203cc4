/* libFuzzer target: what plx-upload believes of a server's answer
 * (cmd/plx-upload/answer.c).  Input: header lines, a blank line, the body.
 * Checked: a Retry-After becomes a wait of at least 0 (or none), and one
 * given as a date with a Date beside it waits only when it is later (years
 * up to 31,000); the
 * Location kept is a string; a body acknowledges only when it is one JSON
 * object with "success":true and a count of at least 0 (json-c's own
 * parse of it agreeing), and then count and dropped are not negative. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upload.h"

#define CHECK(c, what) do { if (!(c)) { fprintf(stderr, "fuzz_answer: %s\n", what); abort(); } } while (0)

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl, *sep;
	struct http h;
	json_object *o, *v;
	int64_t count, dropped, delta;
	char *body;
	size_t blen, i;
	int ok;

	memset(&h, 0, sizeof h);
	answer_reset(&h);
	sep = memmem(p, size, "\n\n", 2);
	for (; p < (sep ? sep : end); p = nl + 1) {
		nl = memchr(p, '\n', (size_t)((sep ? sep : end) - p));
		if (!nl)
			nl = sep ? sep : end;
		answer_header(&h, p, (size_t)(nl - p));
	}
	delta = h.retry_after_ms;
	answer_done(&h);
	CHECK(h.retry_after_ms == -1 || h.retry_after_ms >= 0, "a negative wait");
	CHECK(h.retry_date == -1 || h.retry_after_ms >= 0, "a Retry-After date and no wait");
	if (delta == -1 && h.retry_date != -1 && h.date != -1 && llabs((long long)h.retry_date) < 1000000000000LL &&
	    llabs((long long)h.date) < 1000000000000LL)
		CHECK((h.retry_after_ms > 0) == (h.retry_date > h.date), "a Retry-After date not against Date");
	CHECK(memchr(h.location, '\0', sizeof h.location), "Location not a string");

	blen = sep ? (size_t)(end - sep - 2) : 0;
	body = malloc(blen + 1);
	if (!body)
		return 0;
	memcpy(body, sep ? sep + 2 : "", blen);
	body[blen] = '\0';
	ok = answer_ack(body, blen, &count, &dropped);
	if (ok) {
		CHECK(count >= 0 && dropped >= 0, "negative counts acknowledged");
		for (i = 0; i < blen && blank(body[i]); i++)
			;
		CHECK(i < blen && body[i] == '{', "acknowledged by something not an object");
		for (i = blen; i > 0 && blank(body[i - 1]); i--)
			;
		CHECK(i > 0 && body[i - 1] == '}', "acknowledged with something after the object");
		o = json_tokener_parse(body);
		CHECK(o && json_object_object_get_ex(o, "success", &v) && json_object_get_boolean(v) &&
		      json_object_object_get_ex(o, "count", &v) && json_object_get_int64(v) == count,
		      "acknowledged, but json-c reads it otherwise");
		json_object_put(o);
	} else {
		CHECK(count == 0 && dropped == 0, "counts from an answer not believed");
	}
	free(body);
	return 0;
}
