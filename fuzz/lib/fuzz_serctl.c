/* libFuzzer target: the control protocol of serial-read's --control socket
 * (lib/serctl.h), its two parsers against what the protocol promises.
 *
 * The input is taken as a request and as an answer, each without its LF.
 * A request accepted has a timeout in range and a line of at most
 * SERCTL_TEXT_MAX bytes with no CR, LF or NUL, inside the input; the
 * request formatted again from it parses to the same timeout and line.  A
 * request refused says why, with MALFORMED or REFUSED.  An answer accepted
 * has a known code and a message inside the input; formatted again, it
 * parses to the same code, its message the same up to the answer's limit
 * (with CR and LF made spaces). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serctl.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz_serctl: " __VA_ARGS__); \
	fprintf(stderr, "\n"); abort(); } } while (0)

static void
request(const char *s, size_t n)
{
	struct serctl_req r, r2;
	enum serctl_code code;
	char err[200], buf[SERCTL_REQ_MAX];
	size_t k;

	if (serctl_parse_req(s, n, &r, &code, err, sizeof err) < 0) {
		CHECK(code == SERCTL_MALFORMED || code == SERCTL_REFUSED, "refused with code %d", code);
		CHECK(err[0], "refused without a reason");
		return;
	}
	CHECK(r.timeout_ms >= 0 && r.timeout_ms <= SERCTL_TIMEOUT_MAX, "timeout %lld", (long long)r.timeout_ms);
	CHECK(r.text >= s && r.text + r.len == s + n, "the line is not the input's end");
	CHECK(r.len <= SERCTL_TEXT_MAX, "a line of %zu bytes", r.len);
	CHECK(!memchr(r.text, '\n', r.len) && !memchr(r.text, '\r', r.len) && !memchr(r.text, 0, r.len),
	      "a line with CR, LF or NUL accepted");
	k = serctl_format_req(buf, r.timeout_ms, r.text, r.len);
	CHECK(k <= sizeof buf && buf[k - 1] == '\n', "formatted request without its LF");
	CHECK(serctl_parse_req(buf, k - 1, &r2, &code, err, sizeof err) == 0, "own request refused: %s", err);
	CHECK(r2.timeout_ms == r.timeout_ms && r2.len == r.len && !memcmp(r2.text, r.text, r.len),
	      "request round trip");
}

static void
answer(const char *s, size_t n)
{
	enum serctl_code c, c2;
	const char *msg, *msg2;
	size_t len, len2, k, i;
	char buf[SERCTL_ANSWER_MAX], *m;

	if (serctl_parse_answer(s, n, &c, &msg, &len) < 0)
		return;
	CHECK(serctl_code_name(c), "code %d", c);
	CHECK(msg >= s && msg + len <= s + n, "message outside the answer");
	if (c == SERCTL_OK)
		return;
	m = malloc(len + 1);
	memcpy(m, msg, len);
	m[len] = '\0';
	k = serctl_format_answer(buf, c, m);
	CHECK(k < sizeof buf && buf[k - 1] == '\n' && !memchr(buf, '\n', k - 1), "formatted answer: one line");
	CHECK(serctl_parse_answer(buf, k - 1, &c2, &msg2, &len2) == 0 && c2 == c, "answer round trip");
	/* the message up to its first NUL (a C string), cut to fit */
	len = strlen(m);
	CHECK(len2 <= len, "message grew");
	for (i = 0; i < len2; i++)
		CHECK(msg2[i] == ((m[i] == '\r' || m[i] == '\n') ? ' ' : m[i]), "message changed at %zu", i);
	CHECK(len2 == len || k == SERCTL_ANSWER_MAX - 1, "message cut short of the limit");
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	request(s, size);
	answer(s, size);
	free(s);
	return 0;
}
