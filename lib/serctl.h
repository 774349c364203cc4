/* The control protocol of serial-read's --control socket (serial-read(1),
 * CONTROL SOCKET), shared by serial-read and serial-write.  One request a
 * line, one answer a line, in order, over a Unix stream socket:
 *
 *   request:  write SP TIMEOUT_MS SP TEXT LF
 *   answer:   ok LF
 *             err SP CODE SP MESSAGE LF
 *
 * TEXT is the line for the port without its end (serial-read adds the
 * one --eol says): 0 to SERCTL_TEXT_MAX bytes, none of them CR, LF or NUL.
 * TIMEOUT_MS (0 to SERCTL_TIMEOUT_MAX, decimal) is how long the line may
 * wait for the port (unplugged, or busy with other lines) and its writing
 * and draining take, from when serial-read reads the request.  "ok" says
 * the line was written and the port's output queue drained.  CODE is one
 * word a program can act on; MESSAGE is for people. */
#ifndef PLX_SERCTL_H
#define PLX_SERCTL_H
#include <stddef.h>
#include <stdint.h>

#define SERCTL_TEXT_MAX    4096
#define SERCTL_TIMEOUT_MAX 3600000
#define SERCTL_REQ_MAX     (SERCTL_TEXT_MAX + 32)   /* a request, its LF included */
#define SERCTL_ANSWER_MAX  512

enum serctl_code {
	SERCTL_OK,
	SERCTL_MALFORMED,   /* the request is not one of the protocol */
	SERCTL_REFUSED,     /* the line holds CR, LF or NUL, or is too long */
	SERCTL_TIMEOUT,     /* the port was not there (or did not drain) in time */
	SERCTL_GONE,        /* the port went away while the line was being written */
	SERCTL_IO,          /* writing to the port failed */
	SERCTL_BUSY,        /* too many clients */
	SERCTL_STOPPED,     /* serial-read is stopping */
	SERCTL_NCODES
};

struct serctl_req {
	int64_t timeout_ms;
	const char *text;      /* inside the request; not NUL-terminated */
	size_t len;
};

/* "ok", "malformed"...; NULL for a code out of range. */
const char *serctl_code_name(enum serctl_code c);
/* A line for the port: 0, or -1 with why it is refused in err. */
int serctl_text_check(const char *s, size_t n, char *err, size_t errlen);
/* One request, s[0, n) without its LF: 0; -1 with the code (MALFORMED,
 * REFUSED) returned in *code and why in err. */
int serctl_parse_req(const char *s, size_t n, struct serctl_req *r, enum serctl_code *code,
                     char *err, size_t errlen);
/* The request for text (checked first) into buf of SERCTL_REQ_MAX bytes;
 * its length. */
size_t serctl_format_req(char *buf, int64_t timeout_ms, const char *text, size_t n);
/* An answer line into buf of SERCTL_ANSWER_MAX bytes (a message cut to
 * fit, CR and LF in it made spaces); its length. */
size_t serctl_format_answer(char *buf, enum serctl_code c, const char *msg);
/* One answer, s[0, n) without its LF: its code and message (*msg points
 * into s, *msglen bytes); -1 if it is none. */
int serctl_parse_answer(const char *s, size_t n, enum serctl_code *c, const char **msg,
                        size_t *msglen);

#endif
