/* The control protocol of serial-read's --control (lib/serctl.h): requests
 * and answers as serial-read(1), CONTROL SOCKET, writes them. */
#include <string.h>

#include "serctl.h"
#include "unit.h"

static int
req(const char *s, size_t n, struct serctl_req *r, enum serctl_code *code)
{
	char err[200];

	return serctl_parse_req(s, n, r, code, err, sizeof err);
}

int
main(void)
{
	struct serctl_req r;
	enum serctl_code code;
	char buf[SERCTL_REQ_MAX], big[SERCTL_TEXT_MAX + 40];
	const char *msg;
	size_t n, len;

	T(req("write 5000 SET LED 1", 20, &r, &code) == 0 && r.timeout_ms == 5000 && r.len == 9 &&
	  !memcmp(r.text, "SET LED 1", 9), "a request: its timeout and line");
	T(req("write 0 ", 8, &r, &code) == 0 && r.timeout_ms == 0 && r.len == 0, "an empty line: the line end alone");
	T(req("write 10  two  spaces ", 22, &r, &code) == 0 && r.len == 13, "spaces are the line's");
	T(req("write 10 a\0b", 12, &r, &code) < 0 && code == SERCTL_REFUSED, "a NUL: refused");
	T(req("write 10 a\rb", 12, &r, &code) < 0 && code == SERCTL_REFUSED, "a CR: refused");
	T(req("write 3600000 x", 15, &r, &code) == 0, "an hour: the longest timeout");
	T(req("write 3600001 x", 15, &r, &code) < 0 && code == SERCTL_MALFORMED, "over an hour: malformed");
	T(req("write 99999999999999999999999 x", 31, &r, &code) < 0 && code == SERCTL_MALFORMED,
	  "a timeout that overflows: malformed, not wrapped");
	T(req("write 10", 8, &r, &code) < 0 && code == SERCTL_MALFORMED, "no line: malformed");
	T(req("write x y", 9, &r, &code) < 0 && code == SERCTL_MALFORMED, "no timeout: malformed");
	T(req("write -1 y", 10, &r, &code) < 0 && code == SERCTL_MALFORMED, "a negative timeout: malformed");
	T(req("WRITE 10 y", 10, &r, &code) < 0 && code == SERCTL_MALFORMED, "the verb is lower case");
	n = (size_t)snprintf(big, sizeof big, "write 1 ");
	memset(big + n, 'x', SERCTL_TEXT_MAX + 1);
	T(req(big, n + SERCTL_TEXT_MAX, &r, &code) == 0, "a line of SERCTL_TEXT_MAX bytes");
	T(req(big, n + SERCTL_TEXT_MAX + 1, &r, &code) < 0 && code == SERCTL_REFUSED, "one byte more: refused");

	n = serctl_format_req(buf, 250, "GET T", 5);
	T(n == 16 && !memcmp(buf, "write 250 GET T\n", 16), "a request as serial-write sends it");
	n = serctl_format_req(buf, SERCTL_TIMEOUT_MAX, big + 8, SERCTL_TEXT_MAX);
	T(n <= SERCTL_REQ_MAX - 1 && req(buf, n - 1, &r, &code) == 0, "the longest request fits, and parses");

	n = serctl_format_answer(buf, SERCTL_OK, "");
	T_STR(buf, "ok\n", "ok");
	n = serctl_format_answer(buf, SERCTL_TIMEOUT, "the port\nwas not there");
	T_STR(buf, "err timeout the port was not there\n", "an error: code, message on one line");
	T(serctl_parse_answer(buf, n - 1, &code, &msg, &len) == 0 && code == SERCTL_TIMEOUT && len == 22 &&
	  !memcmp(msg, "the port was not there", len), "... parsed back");
	T(serctl_parse_answer("err gone", 8, &code, &msg, &len) == 0 && code == SERCTL_GONE && len == 0,
	  "an error without a message");
	T(serctl_parse_answer("err goner x", 11, &code, &msg, &len) < 0, "an unknown code: none of the protocol");
	T(serctl_parse_answer("ok ", 3, &code, &msg, &len) < 0, "ok is alone on its line");
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	n = serctl_format_answer(buf, SERCTL_IO, big);
	T(n == SERCTL_ANSWER_MAX - 1 && buf[n - 1] == '\n' && buf[n] == '\0', "a long message is cut to fit");
	UNIT_END();
}
