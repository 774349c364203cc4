/* The server's answer, as far as plx-upload believes it: the headers it
 * keeps (Date, Retry-After, Location) and whether the body is the ingest
 * service's acknowledgement.  Both come from whatever answers on the
 * gateway's address (a proxy, a captive portal, a hostile host), so both
 * are parsed defensively and fuzzed (fuzz/plx-upload/fuzz_answer.c).
 *
 * Only an answer shaped like the ingest service's,
 *
 *   {"success":true,"count":N[,"dropped":N][,"source_id":"..."]}
 *
 * acknowledges: a captive portal's "200 <html>" is no delivery, and
 * deleting rows on it would lose them. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "clock.h"
#include "upload.h"

/* A Retry-After date read against our own clock while it is not
 * synchronised (and the answer had no Date to compare it with) waits at
 * most this long: a board booted in 1970 would otherwise wait an hour. */
#define RETRY_AFTER_UNSYNCED_MAX 60000
#define SECONDS_MAX 1000000000000LL   /* 31,000 years */

void
answer_reset(struct http *h)
{
	h->retry_after_ms = -1;
	h->retry_date = -1;
	h->date = -1;
	h->location[0] = '\0';
}

/* The value of header line p[0, k) if it is `name` (lower case, with its
 * colon), trimmed, into v; else NULL. */
static const char *
header_value(const char *p, size_t k, const char *name, char *v, size_t vlen)
{
	size_t i, n = strlen(name);
	char *e;

	if (k <= n || strncasecmp(p, name, n))
		return NULL;
	for (i = n; i < k && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	snprintf(v, vlen, "%.*s", (int)(k - i), p + i);
	e = v + strlen(v);
	while (e > v && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return v;
}

/* Retry-After: either delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"), RFC 9110 §10.2.3; a date is turned
 * into a wait once the whole answer is in (answer_done), against its Date.
 * Date: the server's clock, to measure ours against.  Location: named
 * when a 3xx is said (never followed: it would carry the key elsewhere). */
void
answer_header(struct http *h, const char *p, size_t k)
{
	char v[256], *e;
	double s;

	if (header_value(p, k, "date:", v, sizeof v)) {
		h->date = curl_getdate(v, NULL);
	} else if (header_value(p, k, "location:", v, sizeof v)) {
		snprintf(h->location, sizeof h->location, "%s", v);
	} else if (header_value(p, k, "retry-after:", v, sizeof v)) {
		s = strtod(v, &e);   /* RFC says an integer; a fraction does no harm */
		if (e > v && !*e && s >= 0 && s < 1e9)
			h->retry_after_ms = (int64_t)(s * 1000);
		else
			h->retry_date = curl_getdate(v, NULL);
	}
}

/* A Retry-After date is compared with the server's own Date when the
 * answer has one (both are its clock: ours may be days off); else with
 * ours, bounded while ours is not known to be synchronised. */
/* Seconds, bounded so that any two of curl_getdate's values subtract and
 * scale to ms without overflow (a year 10^12 in an answer is junk). */
static int64_t
bounded_s(int64_t t)
{
	return t > SECONDS_MAX ? SECONDS_MAX : t < -SECONDS_MAX ? -SECONDS_MAX : t;
}

void
answer_done(struct http *h)
{
	int64_t s;

	if (h->retry_date == -1 || h->retry_after_ms >= 0)
		return;
	if (h->date != -1)
		s = bounded_s(h->retry_date) - bounded_s(h->date);
	else
		s = bounded_s(h->retry_date) - plx_now_ms() / 1000;
	if (s < 0)
		s = 0;
	h->retry_after_ms = bounded_s(s) * 1000;
	if (h->date == -1 && plx_clock_synced() != 1 && h->retry_after_ms > RETRY_AFTER_UNSYNCED_MAX)
		h->retry_after_ms = RETRY_AFTER_UNSYNCED_MAX;
}

int
answer_ack(const char *body, size_t len, int64_t *count, int64_t *dropped)
{
	json_tokener *t = json_tokener_new();
	json_object *o, *v;
	int ok = 0;

	*count = *dropped = 0;
	if (!t)
		return 0;
	json_tokener_set_flags(t, JSON_TOKENER_STRICT);   /* no comments, no single quotes */
	o = json_tokener_parse_ex(t, body, (int)(len > INT32_MAX ? INT32_MAX : len));
	/* one object, and nothing but blanks after it */
	if (o && json_tokener_get_error(t) == json_tokener_success &&
	    json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "success", &v) && json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v) &&
	    json_object_object_get_ex(o, "count", &v) && json_object_is_type(v, json_type_int) &&
	    (*count = json_object_get_int64(v)) >= 0) {
		size_t i = (size_t)json_tokener_get_parse_end(t);
		/* JSON's own blanks: RFC 8259 §2 */
		while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
			i++;
		ok = i == len;
		if (json_object_object_get_ex(o, "dropped", &v) && json_object_is_type(v, json_type_int) &&
		    (*dropped = json_object_get_int64(v)) < 0)
			ok = 0;
	}
	json_object_put(o);
	json_tokener_free(t);
	if (!ok)
		*count = *dropped = 0;
	return ok;
}
