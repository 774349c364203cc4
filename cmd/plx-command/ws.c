/* The WebSocket transport (RFC 6455) to the gateway's /ws/device, by
 * libwebsockets: the upgrade, TLS (the system's CAs, or --cacert; the host
 * name checked), framing, masking, answering the server's pings with
 * pongs, the close handshake.  This file adds a queue of text frames to
 * send, paced, and whole messages out of fragments.
 *
 * One poll loop: Debian's libwebsockets has no external-poll callbacks
 * (LWS_WITH_EXTERNAL_POLL is off), but it runs on a libuv loop given to
 * it ("foreign loop"), and libuv's whole state is one epoll descriptor
 * and one timeout (uv_backend_fd, uv_backend_timeout: its documented way
 * to be embedded).  lib/loop polls that descriptor with the tool's own
 * and its signals, and runs uv_run(UV_RUN_NOWAIT) when it is ready or the
 * timeout is due.  libwebsockets' callbacks therefore run inside the
 * loop's callbacks, never at another time.
 *
 * Pacing: the server allows 20 control frames a second, 60 at once, and
 * drops the rest (RATE_LIMITED); frames leave here at most PACE_PER_S a
 * second after a burst of PACE_BURST, so a backlog of results replayed
 * after a reconnect is sent, not dropped.
 *
 * Closing: the server's close code is passed on (1001 goodbye, 1008 auth,
 * 1009 too big, 1013 try later); a connection that ends without a close
 * frame (the network, a duplicate source id evicted) is 1006. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <libwebsockets.h>
#include <uv.h>

#include "clock.h"
#include "command.h"
#include "log.h"

#define PACE_PER_S  15
#define PACE_BURST  40
#define CONNECT_TIMEOUT_S 10
#define CLOSE_ACK_S 3
/* lws_write()'s type for a close frame: libwebsockets' LWS_WRITE_CLOSE,
 * which its public header leaves out (lws-write.h: "handled by
 * lws_close_reason()") */
#define LWS_WRITE_CLOSE_ ((enum lws_write_protocol)4)

struct ws {
	struct plx_loop *l;
	struct ws_hooks h;
	uv_loop_t uv;
	struct lws_context *ctx;
	struct lws *wsi;         /* the connection, or NULL */
	uintptr_t gen;           /* its number: callbacks of an older one are ignored */
	int watch;               /* uv's epoll descriptor in the loop */
	int connecting;          /* from ws_connect to the end of it */
	int open;                /* upgraded */
	char **q;                /* frames to send, q[qh, qt) */
	size_t qh, qt, qcap;
	char *rx;                /* a message being assembled */
	size_t nrx;
	int rx_binary;
	int closing;             /* ws_close: 1 code and reason once q is out, 2 sent */
	int close_code;
	char close_reason[120];
	int peer_code;           /* the server's close frame */
	char peer_reason[124];
	double tokens;           /* pacing */
	int64_t tokens_at;
	char host[256];          /* of the connection (lws keeps pointers) */
	char path[1024];
};

static void
log_emit(int level, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	(void)level;
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	/* lws' lines begin with a time stamp and a level: "[2026/...] E: " */
	if (line[0] == '[' && (p = strstr(line, "] ")) && (size_t)(p - line) < n) {
		n -= (size_t)(p + 2 - line);
		line = p + 2;
	}
	plx_warn("libwebsockets: %.*s", (int)n, line);
}

static void
q_clear(struct ws *w)
{
	while (w->qh < w->qt)
		free(w->q[w->qh++]);
	w->qh = w->qt = 0;
}

void
ws_send(struct ws *w, char *text)
{
	if (!w->open) {
		free(text);
		return;
	}
	if (w->qh > 0 && w->qt == w->qcap) {
		memmove(w->q, w->q + w->qh, (w->qt - w->qh) * sizeof *w->q);
		w->qt -= w->qh;
		w->qh = 0;
	}
	if (w->qt == w->qcap)
		w->q = plx_xrealloc(w->q, (w->qcap = w->qcap ? w->qcap * 2 : 16) * sizeof *w->q);
	w->q[w->qt++] = text;
	lws_callback_on_writable(w->wsi);
}

size_t
ws_queued(const struct ws *w)
{
	return w->qt - w->qh;
}

int
ws_is_open(const struct ws *w)
{
	return w->open;
}

void
ws_close(struct ws *w, int code, const char *reason)
{
	if (!w->wsi || w->closing)
		return;
	w->closing = 1;
	w->close_code = code;
	snprintf(w->close_reason, sizeof w->close_reason, "%s", reason);
	lws_callback_on_writable(w->wsi);
}

/* The tokens there are now. */
static double
tokens(struct ws *w)
{
	int64_t now = plx_mono_ms();

	w->tokens += (double)(now - w->tokens_at) * PACE_PER_S / 1000.0;
	if (w->tokens > PACE_BURST)
		w->tokens = PACE_BURST;
	w->tokens_at = now;
	return w->tokens;
}

/* Our close frame, then the server's answer (or CLOSE_ACK_S).  Not
 * lws_close_reason() and a -1: on a libuv loop libwebsockets 4.1 frees
 * the connection at once without sending it (its "uv repeat test"
 * path); so the frame is written here, with opcode 8's write type. */
static int
close_frame(struct ws *w, struct lws *wsi)
{
	unsigned char buf[LWS_PRE + 2 + sizeof w->close_reason];
	size_t n = strlen(w->close_reason);

	buf[LWS_PRE] = (unsigned char)(w->close_code >> 8);
	buf[LWS_PRE + 1] = (unsigned char)w->close_code;
	memcpy(buf + LWS_PRE + 2, w->close_reason, n);
	w->closing = 2;
	if (lws_write(wsi, buf + LWS_PRE, n + 2, LWS_WRITE_CLOSE_) < (int)(n + 2))
		return -1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, CLOSE_ACK_S);
	return 0;
}

static int
writeable(struct ws *w, struct lws *wsi)
{
	unsigned char *buf;
	size_t n;
	int r;

	if (w->qh == w->qt) {
		if (w->closing == 1)
			return close_frame(w, wsi);
		return 0;
	}
	if (tokens(w) < 1)
		return 0;   /* ws_prepare asks again when a token is there */
	w->tokens -= 1;
	n = strlen(w->q[w->qh]);
	buf = plx_xmalloc(LWS_PRE + n);
	memcpy(buf + LWS_PRE, w->q[w->qh], n);
	r = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
	free(buf);
	free(w->q[w->qh++]);
	if (r < (int)n)
		return -1;
	if ((w->qh < w->qt && w->tokens >= 1) || (w->qh == w->qt && w->closing == 1))
		lws_callback_on_writable(wsi);
	return 0;
}

static int
receive(struct ws *w, struct lws *wsi, const char *in, size_t len)
{
	if (lws_is_first_fragment(wsi)) {
		w->nrx = 0;
		w->rx_binary = lws_frame_is_binary(wsi);
	}
	if (w->nrx + len > CMD_MSG_MAX) {
		static const char why[] = "message too big";
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)why, sizeof why - 1);
		plx_warn("a message from the server is larger than %d bytes: closing", CMD_MSG_MAX);
		return -1;
	}
	w->rx = plx_xrealloc(w->rx, w->nrx + len + 1);
	memcpy(w->rx + w->nrx, in, len);
	w->nrx += len;
	w->rx[w->nrx] = '\0';
	if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
		if (!w->rx_binary)
			w->h.message(w->h.arg, w->rx, w->nrx);
		w->nrx = 0;
	}
	return 0;
}

static void
ended(struct ws *w, const char *error)
{
	int code = w->peer_code ? w->peer_code : 1006;

	w->wsi = NULL;
	w->open = w->closing = w->connecting = 0;
	q_clear(w);
	w->h.closed(w->h.arg, code, w->peer_reason, error);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws *w = lws_context_user(lws_get_context(wsi));
	const unsigned char *c = in;

	/* not lws' pwsi: it writes NULL there when an old connection is freed,
	 * which may be after the next one began */
	if (!wsi || !w || !w->connecting || (uintptr_t)lws_get_opaque_user_data(wsi) != w->gen)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	w->wsi = wsi;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		w->open = 1;
		w->tokens = PACE_BURST;
		w->tokens_at = plx_mono_ms();
		w->h.open(w->h.arg);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return receive(w, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return writeable(w, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		w->peer_code = len >= 2 ? c[0] << 8 | c[1] : 1005;
		snprintf(w->peer_reason, sizeof w->peer_reason, "%.*s", len > 2 ? (int)(len - 2) : 0,
		         len > 2 ? (const char *)in + 2 : "");
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		ended(w, in && len ? (const char *)in : "connection failed");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		ended(w, NULL);
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "plexus-device", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
on_uv(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct ws *w = arg;

	uv_run(&w->uv, UV_RUN_NOWAIT);
}

struct ws *
ws_new(struct plx_loop *l, const struct ws_tls *tls, const struct ws_hooks *h)
{
	struct lws_context_creation_info info;
	struct ws *w = plx_xcalloc(1, sizeof *w);
	void *loops[1];
	int e;

	w->l = l;
	w->h = *h;
	if ((e = uv_loop_init(&w->uv)) < 0)
		plx_die(EX_OSERR, "libuv: %s", uv_strerror(e));
	loops[0] = &w->uv;
	lws_set_log_level(getenv("PLX_LWS_DEBUG") ? atoi(getenv("PLX_LWS_DEBUG")) : LLL_ERR, log_emit);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.user = w;
	info.timeout_secs = CONNECT_TIMEOUT_S;
	info.connect_timeout_secs = CONNECT_TIMEOUT_S;
	info.client_ssl_ca_filepath = tls->cacert;
	info.client_ssl_cert_filepath = tls->cert;
	info.client_ssl_private_key_filepath = tls->cert_key;
	if (!(w->ctx = lws_create_context(&info)))
		plx_die(EX_SOFTWARE, "libwebsockets: unable to create a context (is libwebsockets-evlib-uv installed?)");
	w->watch = plx_loop_fd(l, uv_backend_fd(&w->uv), POLLIN, on_uv);
	plx_loop_fd_arg(l, w->watch, w);
	return w;
}

void
ws_free(struct ws *w)
{
	int i;

	if (!w)
		return;
	/* a foreign loop: lws closes its handles in the loop, then is done */
	lws_context_destroy(w->ctx);
	for (i = 0; i < 100 && uv_run(&w->uv, UV_RUN_NOWAIT); i++)
		;
	lws_context_destroy(w->ctx);
	for (i = 0; i < 100 && uv_run(&w->uv, UV_RUN_NOWAIT); i++)
		;
	if (uv_loop_close(&w->uv) < 0)
		plx_warn("libuv: handles left at the end");
	q_clear(w);
	free(w->q);
	free(w->rx);
	free(w);
}

int
ws_url_split(const char *url, int *tls, char *host, size_t hostlen, int *port, char *path, size_t pathlen,
             char *err, size_t errlen)
{
	char buf[2048];
	const char *prot, *ads, *p;
	size_t n;

	if (strlen(url) >= sizeof buf - 16) {
		snprintf(err, errlen, "URL longer than %zu bytes", sizeof buf - 16);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", url);
	if (lws_parse_uri(buf, &prot, &ads, port, &p) || !*ads) {
		snprintf(err, errlen, "\"%s\" is not a URL", url);
		return -1;
	}
	if (strcmp(prot, "ws") && strcmp(prot, "wss")) {
		snprintf(err, errlen, "\"%s\" is neither ws:// nor wss://", url);
		return -1;
	}
	*tls = !strcmp(prot, "wss");
	snprintf(host, hostlen, "%s", ads);
	/* the SDK's rule: /ws/device appended unless the URL ends with it */
	snprintf(path, pathlen, "/%s", p);
	for (n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	n = strlen(path);
	if (n < 10 || strcmp(path + n - 10, "/ws/device"))
		snprintf(path + n, pathlen - n, "%s", n == 1 ? "ws/device" : "/ws/device");
	return 0;
}

int
ws_connect(struct ws *w, const char *url, char *err, size_t errlen)
{
	struct lws_client_connect_info ci;
	struct lws *wsi;
	int tls, port;

	if (ws_url_split(url, &tls, w->host, sizeof w->host, &port, w->path, sizeof w->path, err, errlen) < 0)
		return -1;
	memset(&ci, 0, sizeof ci);
	ci.context = w->ctx;
	ci.address = w->host;
	ci.port = port;
	ci.path = w->path;
	ci.host = w->host;
	ci.origin = w->host;
	ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	ci.opaque_user_data = (void *)++w->gen;
	w->peer_code = 0;
	w->peer_reason[0] = '\0';
	w->nrx = 0;
	w->connecting = 1;
	/* a failure at once may have been said by CLIENT_CONNECTION_ERROR */
	if (!(wsi = lws_client_connect_via_info(&ci)) && w->connecting)
		ended(w, "unable to start the connection");
	else if (wsi && w->connecting)
		w->wsi = wsi;
	return 0;
}

int64_t
ws_prepare(struct ws *w)
{
	int64_t due = -1, now;
	int t, i;

	/* what is due in libuv now runs now; then its next timeout */
	for (i = 0; i < 8; i++) {
		uv_update_time(&w->uv);
		if ((t = uv_backend_timeout(&w->uv)) != 0)
			break;
		uv_run(&w->uv, UV_RUN_NOWAIT);
	}
	now = plx_mono_ms();
	if (t >= 0)
		due = now + t;
	/* a frame that waited for a token: asked for when it is there */
	if (w->wsi && w->open && w->qh < w->qt) {
		if (tokens(w) >= 1) {
			lws_callback_on_writable(w->wsi);
		} else {
			int64_t tok = now + (int64_t)((1 - w->tokens) * 1000 / PACE_PER_S) + 1;
			if (due < 0 || tok < due)
				due = tok;
		}
	}
	return due;
}
