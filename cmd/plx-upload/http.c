/* HTTP: one libcurl easy handle for the life of the process, so the TCP
 * (and TLS) connection to the gateway is reused from request to request.
 *
 *   POST /ingest HTTP/1.1
 *   x-api-key: plx_...
 *   Content-Type: application/json
 *   Content-Encoding: gzip                  (bodies over 1,024 bytes)
 *   User-Agent: plx-upload/0.1.0
 *
 *   HTTP/1.1 200 OK     {"success":true,"count":5000,"source_id":"ble-gw"}
 *   HTTP/1.1 429 ...    Retry-After: 2      {"error":"rate limited"}
 *
 * This file only moves bytes and keeps what send.c needs from the answer:
 * the status, the body, and the headers answer.c reads.  The policy lives
 * in send.c.
 *
 * A request blocks its caller, for at most --timeout: the handle goes
 * through a multi handle of its own only so that the wait can also watch
 * wake_fd (plx-upload's: readable while a SIGTERM or SIGINT waits) and ask
 * whether to go on, and gather_fd (stdin: the next batch gathers).  The connection stays in the multi handle's cache
 * from one request to the next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "upload.h"

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t k = size * n, room = ANSWER_MAX - h->alen;

	/* Keep the head of the answer, enough for any message; drop the rest. */
	if (k < room)
		room = k;
	memcpy(h->ans + h->alen, p, room);
	h->alen += room;
	h->ans[h->alen] = '\0';
	return k;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	answer_header(arg, p, size * n);
	return size * n;
}

int
http_init(struct http *h, const struct opts *o, const char *gateway, int own_multi)
{
	size_t n = strlen(gateway) + sizeof "/ingest";   /* and "/health" */
	CURL *c;

	memset(h, 0, sizeof *h);
	h->wake_fd = h->gather_fd = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c = h->h = curl_easy_init()) ||
	    (own_multi && !(h->m = curl_multi_init())))
		return -1;
	h->url = plx_xmalloc(n);
	h->health_url = plx_xmalloc(n);
	h->ans = plx_xmalloc(ANSWER_MAX + 1);
	snprintf(h->url, n, "%s/ingest", gateway);
	snprintf(h->health_url, n, "%s/health", gateway);
	h->ans[0] = '\0';
	/* Only the gateway's own scheme, and no redirects: following one would
	 * send x-api-key to whatever host the Location names. */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_PRIVATE, h);
	/* TLS peer and host verification are libcurl's defaults; these only
	 * choose what to trust and who we are. */
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert);
	if (o->cert_key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, o->cert_key);
	return 0;
}

/* Frees a header list, wiping the key it holds first. */
static void
free_headers(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

void
http_free(struct http *h)
{
	if (h->h)
		curl_easy_cleanup(h->h);
	if (h->m)
		curl_multi_cleanup(h->m);
	free_headers(h->plain);
	free_headers(h->gzip);
	free(h->url);
	free(h->health_url);
	free(h->ans);
	curl_global_cleanup();
	memset(h, 0, sizeof *h);
}

/* curl_slist_append, with the one out-of-memory policy (log.h) */
static struct curl_slist *
xappend(struct curl_slist *l, const char *s)
{
	struct curl_slist *t = curl_slist_append(l, s);

	if (!t)
		plx_die(EX_OSERR, "out of memory");
	return t;
}

static struct curl_slist *
headers(const char *key, int gz)
{
	char line[1200];
	struct curl_slist *l;
	const char *fixed[] = {
		"Content-Type: application/json",
		"User-Agent: plx-upload/" PLX_VERSION,
		"Expect:",          /* no 100-continue round trip before big bodies */
		gz ? "Content-Encoding: gzip" : NULL,
	};
	size_t i;

	snprintf(line, sizeof line, "x-api-key: %s", key);
	l = xappend(NULL, line);
	explicit_bzero(line, sizeof line);
	for (i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (fixed[i])
			l = xappend(l, fixed[i]);
	return l;
}

void
http_set_key(struct http *h, const char *key)
{
	free_headers(h->plain);
	free_headers(h->gzip);
	h->plain = headers(key, 0);
	h->gzip = headers(key, 1);
}

/* The request, to its end; a wake_fd readable meanwhile asks wake()
 * whether to abandon it, a gather_fd readable is read by gather(). */
static CURLcode
perform(struct http *h)
{
	struct curl_waitfd w[2] = { { .fd = h->wake_fd, .events = CURL_WAIT_POLLIN },
	                            { .fd = h->gather_fd, .events = CURL_WAIT_POLLIN } };
	unsigned nw = h->wake_fd >= 0 ? 1 + (h->gather && h->gather_fd >= 0) : 0;
	CURLcode rc = CURLE_OK;
	CURLMcode mc;
	CURLMsg *msg;
	int running = 1, left;

	if ((mc = curl_multi_add_handle(h->m, h->h)) != CURLM_OK)
		goto failed;
	while (running) {
		if ((mc = curl_multi_perform(h->m, &running)) != CURLM_OK)
			goto failed;
		if (!running)
			break;
		w[0].revents = w[1].revents = 0;
		if ((mc = curl_multi_poll(h->m, w, nw, 1000, NULL)) != CURLM_OK)
			goto failed;
		if (w[0].revents && h->wake(h->wake_arg)) {
			snprintf(h->err, sizeof h->err, "abandoned: stopping");
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (nw > 1 && w[1].revents && !h->gather(h->wake_arg))
			nw = 1;
	}
	while ((msg = curl_multi_info_read(h->m, &left)))
		if (msg->msg == CURLMSG_DONE && rc == CURLE_OK)
			rc = msg->data.result;
	curl_multi_remove_handle(h->m, h->h);
	return rc;
failed:
	snprintf(h->err, sizeof h->err, "%s", curl_multi_strerror(mc));
	curl_multi_remove_handle(h->m, h->h);
	return CURLE_FAILED_INIT;
}

static void
begin(struct http *h)
{
	h->status = 0;
	h->alen = 0;
	h->ans[0] = '\0';
	h->err[0] = '\0';
	answer_reset(h);
	h->offset_ms = INT64_MIN;
	h->wall0 = plx_now_ms();
	h->mono0 = plx_mono_ms();
}

void
http_end(struct http *h, CURLcode rc)
{
	h->latency_ms = plx_mono_ms() - h->mono0;
	answer_done(h);
	/* Date has whole seconds, truncated: its middle against the middle
	 * of the exchange, so the error is at most half a second plus half
	 * the round trip. */
	if (h->date != -1)
		h->offset_ms = (int64_t)h->date * 1000 + 500 - (h->wall0 + h->latency_ms / 2);
	if (rc != CURLE_OK) {
		if (!h->err[0])
			snprintf(h->err, sizeof h->err, "%s", curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(h->h, CURLINFO_RESPONSE_CODE, &h->status);
	if (h->status == 0)
		snprintf(h->err, sizeof h->err, "no HTTP status in the answer");
}

/* One exchange on the kept-alive handle, set up by the caller. */
static void
exchange(struct http *h)
{
	begin(h);
	http_end(h, perform(h));
}

static void
post_setup(struct http *h, const void *body, size_t len, int gz)
{
	curl_easy_setopt(h->h, CURLOPT_URL, h->url);
	curl_easy_setopt(h->h, CURLOPT_POST, 1L);
	curl_easy_setopt(h->h, CURLOPT_HTTPHEADER, gz ? h->gzip : h->plain);
	curl_easy_setopt(h->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->h, CURLOPT_POSTFIELDS, body);
}

void
http_post(struct http *h, const void *body, size_t len, int gz)
{
	post_setup(h, body, len, gz);
	exchange(h);
}

int
http_post_start(struct http *h, CURLM *m, const void *body, size_t len, int gz)
{
	CURLMcode mc;

	post_setup(h, body, len, gz);
	begin(h);
	if ((mc = curl_multi_add_handle(m, h->h)) != CURLM_OK) {
		snprintf(h->err, sizeof h->err, "%s", curl_multi_strerror(mc));
		http_end(h, CURLE_FAILED_INIT);
		return -1;
	}
	return 0;
}

void
http_probe(struct http *h)
{
	curl_easy_setopt(h->h, CURLOPT_URL, h->health_url);
	curl_easy_setopt(h->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->h, CURLOPT_HTTPHEADER, h->plain);
	exchange(h);
}
