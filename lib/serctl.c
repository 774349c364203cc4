/* The control protocol of serial-read's --control socket: see serctl.h. */
#include <stdio.h>
#include <string.h>

#include "serctl.h"

static const char *const names[SERCTL_NCODES] = {
	"ok", "malformed", "refused", "timeout", "gone", "io", "busy", "stopped",
};

const char *
serctl_code_name(enum serctl_code c)
{
	return (unsigned)c < SERCTL_NCODES ? names[c] : NULL;
}

int
serctl_text_check(const char *s, size_t n, char *err, size_t errlen)
{
	size_t i;

	if (n > SERCTL_TEXT_MAX) {
		snprintf(err, errlen, "longer than %d bytes", SERCTL_TEXT_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\0') {
			/* the port's line end is serial-read's to add: one inside
			 * would split the line, a NUL most devices take for an end */
			snprintf(err, errlen, "holds a %s at byte %zu", s[i] == '\n' ? "newline (LF)"
			         : s[i] == '\r' ? "carriage return (CR)" : "NUL", i + 1);
			return -1;
		}
	return 0;
}

int
serctl_parse_req(const char *s, size_t n, struct serctl_req *r, enum serctl_code *code,
                 char *err, size_t errlen)
{
	const char *p = s, *end = s + n;
	int64_t t = 0;

	*code = SERCTL_MALFORMED;
	if (n < 6 || memcmp(s, "write ", 6)) {
		snprintf(err, errlen, "not \"write TIMEOUT_MS TEXT\"");
		return -1;
	}
	for (p += 6; p < end && *p >= '0' && *p <= '9'; p++)
		if ((t = t * 10 + (*p - '0')) > SERCTL_TIMEOUT_MAX) {
			snprintf(err, errlen, "timeout over %d ms", SERCTL_TIMEOUT_MAX);
			return -1;
		}
	if (p == s + 6 || p == end || *p != ' ') {
		snprintf(err, errlen, "no timeout in ms and a space after \"write \"");
		return -1;
	}
	r->timeout_ms = t;
	r->text = p + 1;
	r->len = (size_t)(end - r->text);
	if (serctl_text_check(r->text, r->len, err, errlen) < 0) {
		*code = SERCTL_REFUSED;
		return -1;
	}
	return 0;
}

size_t
serctl_format_req(char *buf, int64_t timeout_ms, const char *text, size_t n)
{
	int k = snprintf(buf, SERCTL_REQ_MAX, "write %lld ", (long long)timeout_ms);

	memcpy(buf + k, text, n);
	buf[k + n] = '\n';
	return (size_t)k + n + 1;
}

size_t
serctl_format_answer(char *buf, enum serctl_code c, const char *msg)
{
	int k;
	char *p;

	if (c == SERCTL_OK)
		return (size_t)snprintf(buf, SERCTL_ANSWER_MAX, "ok\n");
	k = snprintf(buf, SERCTL_ANSWER_MAX - 1, "err %s %s", names[c], msg);
	if (k > SERCTL_ANSWER_MAX - 2)
		k = SERCTL_ANSWER_MAX - 2;
	for (p = buf; p < buf + k; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	buf[k] = '\n';
	buf[k + 1] = '\0';
	return (size_t)k + 1;
}

int
serctl_parse_answer(const char *s, size_t n, enum serctl_code *c, const char **msg, size_t *msglen)
{
	size_t i, k;

	*msg = s + n, *msglen = 0;
	if (n == 2 && !memcmp(s, "ok", 2))
		return *c = SERCTL_OK, 0;
	if (n < 4 || memcmp(s, "err ", 4))
		return -1;
	for (i = 1; i < SERCTL_NCODES; i++) {
		k = strlen(names[i]);
		if (n >= 4 + k && !memcmp(s + 4, names[i], k) && (n == 4 + k || s[4 + k] == ' ')) {
			*c = (enum serctl_code)i;
			*msg = s + 4 + k + (n > 4 + k);
			*msglen = (size_t)(s + n - *msg);
			return 0;
		}
	}
	return -1;
}
