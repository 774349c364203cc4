/* The window: up to --in-flight requests at once, each carrying a batch,
 * so that a long link carries several round trips' worth of records.
 *
 *   u->b:  [ slow path's batch | flight | flight | ... | batch gathering ]
 *            (send.c, sealed)    oldest first            (input.c)
 *
 * Each flight is a batch sent on its own libcurl handle (its own
 * connection) through one multi handle whose sockets and timer are the
 * loop's (lib/loop), so stdin is read, and the next batch gathers, while
 * they travel.  Its records' texts travel only in its body (gzipped, a
 * tenth of their size: batch_release), so that the window costs little
 * memory.  A flight answered the ingest service's way is delivered at
 * once: its records are acknowledged to the spool.  Any other answer (or
 * none) fails it: no new flight starts, those in flight are waited for,
 * and then the failed ones go, oldest first, one at a time through send.c's
 * status policy exactly as a single batch always did (retry, split,
 * bisect, hold, dead letters); the first with the answer it got, the
 * others sent again as they are, their texts taken back from their bodies
 * (batch_restore).  Records leave memory in order, when
 * everything before them is delivered.
 *
 * Order: the server sees batches in the order they were read when nothing
 * fails, but may process several at once; a failed batch is delivered
 * after the ones that were in flight with it. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "log.h"
#include "upload.h"

static struct flight *
front(struct window *w)
{
	return w->n ? &w->f[w->order[0]] : NULL;
}

static void
pop(struct window *w)
{
	memmove(w->order, w->order + 1, (size_t)--w->n * sizeof *w->order);
}

size_t
window_records(const struct up *u)
{
	const struct window *w = &u->w;
	size_t k = 0;
	int i;

	for (i = 0; i < w->n; i++)
		k += w->f[w->order[i]].n;
	return k;
}

int
window_room(const struct up *u)
{
	return !u->s.sealed && !u->w.failed && u->w.n < u->o.window;
}

/* An answer came (or none will): delivered, or failed for the slow path. */
static void
answered(struct up *u, struct flight *f)
{
	struct window *w = &u->w;
	size_t lo = u->s.sealed;
	char why[600];
	int i;

	for (i = 0; i < w->n && &w->f[w->order[i]] != f; i++)
		lo += w->f[w->order[i]].n;
	w->sent--;
	send_reason(&f->http, why, sizeof why);
	health_answer(u, &f->http, why);
	if (send_ok(&f->http)) {
		send_delivered(u, &f->http, lo, lo + f->n);
		f->state = F_DONE;
		return;
	}
	f->state = F_FAILED;
	w->failed++;
}

/* Whatever the multi handle finished. */
static void
collect(struct up *u)
{
	struct http *h;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(u->w.m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&h);
		curl_multi_remove_handle(u->w.m, msg->easy_handle);
		http_end(h, msg->data.result);
		answered(u, (struct flight *)h);    /* http is a flight's first member */
	}
}

void
window_start(struct up *u, size_t k)
{
	struct window *w = &u->w;
	struct flight *f = NULL;
	size_t lo = window_records(u), len;
	const void *body;
	int i, used, gz;

	for (i = 0; i < u->o.window && !f; i++) {
		for (used = 0; used < w->n && w->order[used] != i; used++)
			;
		if (used == w->n)
			f = &w->f[i];
	}
	if (!f)
		plx_die(EX_SOFTWARE, "no free flight");
	if (f->keygen != w->keygen) {
		http_set_key(&f->http, u->cf.api_key);
		f->keygen = w->keygen;
	}
	clock_fix(u);
	body = batch_body(&u->b, lo, lo + k, &len, &gz);
	if (len > f->cap) {
		f->buf = plx_xrealloc(f->buf, len);
		f->cap = len;
	}
	memcpy(f->buf, body, len);
	f->len = len;
	f->gz = gz;
	batch_release(&u->b, lo, k);
	f->n = k;
	f->state = F_SENT;
	w->order[w->n++] = i - 1;
	w->sent++;
	u->c.requests++;
	if (http_post_start(&f->http, w->m, f->buf, len, gz) < 0)
		answered(u, f);
}

void
window_reap(struct up *u)
{
	struct window *w = &u->w;
	struct flight *f;

	/* send.c's batch is at the front of the records, before theirs */
	if (u->s.sealed)
		return;
	while ((f = front(w)) && f->state == F_DONE) {
		batch_drop_front(&u->b, f->n);
		pop(w);
	}
}

int
window_slow(struct up *u)
{
	struct window *w = &u->w;
	struct flight *f = front(w);
	size_t k;

	if (!f || f->state != F_FAILED || w->sent)
		return -1;
	k = f->n;
	batch_restore(&u->b, 0, k, f->buf, f->len, f->gz);
	send_start(u, k);
	pop(w);
	w->failed--;
	if (w->replayed) {
		w->replayed = w->failed > 0;
		u->c.retries++;         /* it failed once, as counted in the health */
		return send_run(u);
	}
	/* the first failure with the answer it got; the others as they are */
	w->replayed = w->failed > 0;
	return send_answer(u, &f->http);
}

void
window_forget(struct up *u)
{
	u->w.n = u->w.failed = 0;
	u->w.replayed = 0;
}

/* libcurl's sockets, as the loop's watches. */
static int
on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct up *u = arg;
	struct window *w = &u->w;
	int i, free_i = -1;

	for (i = 0; i < SOCKS_MAX && w->sock[i].fd != fd; i++)
		if (w->sock[i].fd < 0 && free_i < 0)
			free_i = i;
	if (i == SOCKS_MAX) {
		if (what == CURL_POLL_REMOVE)
			return 0;
		if (free_i < 0)
			return -1;
		i = free_i;
		w->sock[i].fd = fd;
	}
	w->sock[i].events = (what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0);
	if (what == CURL_POLL_REMOVE) {
		w->sock[i].fd = -1;
		w->sock[i].events = 0;
	}
	plx_loop_fd_set(u->l, w->sock[i].h, w->sock[i].fd, w->sock[i].events);
	return 0;
}

static int
on_curl_timer(CURLM *m, long ms, void *arg)
{
	struct up *u = arg;

	u->w.due = ms < 0 ? -1 : plx_mono_ms() + ms;
	plx_loop_arm(u->l, u->w.timer, u->w.due);
	return 0;
}

static void
act(struct up *u, int fd, short revents)
{
	int flags = 0;

	if (fd != CURL_SOCKET_TIMEOUT)
		flags = (revents & POLLIN ? CURL_CSELECT_IN : 0) | (revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
		        (revents & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);
	curl_multi_socket_action(u->w.m, fd, flags, &u->w.running);
	collect(u);
}

static void
on_sock(struct plx_loop *l, int fd, short revents, void *arg)
{
	act(arg, fd, revents);
	feed(arg);
}

static void
on_timeout(struct plx_loop *l, void *arg)
{
	act(arg, CURL_SOCKET_TIMEOUT, 0);
	feed(arg);
}

void
window_init(struct up *u)
{
	struct window *w = &u->w;
	int i;

	if (!(w->m = curl_multi_init()))
		plx_die(EX_OSERR, "unable to set up libcurl");
	curl_multi_setopt(w->m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(w->m, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(w->m, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(w->m, CURLMOPT_TIMERDATA, u);
	for (i = 0; i < SOCKS_MAX; i++) {
		w->sock[i].fd = -1;
		w->sock[i].h = plx_loop_fd(u->l, -1, 0, on_sock);
	}
	w->timer = plx_loop_timer(u->l, -1, on_timeout);
	w->due = -1;
	for (i = 0; i < u->o.window; i++) {
		if (http_init(&w->f[i].http, &u->o, u->cf.gateway_url, 0) < 0)
			plx_die(EX_OSERR, "unable to set up libcurl");
		http_set_key(&w->f[i].http, u->cf.api_key);
		w->f[i].keygen = w->keygen;
	}
}

/* The end of the run: every flight answered, before anything else is
 * done with their records.  The loop no longer runs: its sockets are
 * polled here, with the stop signals (a second one abandons them). */
void
window_drain(struct up *u)
{
	struct window *w = &u->w;
	struct pollfd p[SOCKS_MAX + 1];
	int i, n, wait;

	while (w->sent) {
		n = 0;
		for (i = 0; i < SOCKS_MAX; i++)
			if (w->sock[i].fd >= 0 && w->sock[i].events)
				p[n++] = (struct pollfd){ .fd = w->sock[i].fd, .events = w->sock[i].events };
		p[n++] = (struct pollfd){ .fd = u->http.wake_fd, .events = POLLIN };
		wait = w->due < 0 ? 1000 : (int)(w->due - plx_mono_ms());
		if (poll(p, (nfds_t)n, wait < 0 ? 0 : wait > 1000 ? 1000 : wait) < 0)
			continue;
		if (p[n - 1].revents && u->http.wake(u->http.wake_arg)) {
			for (i = 0; i < u->o.window; i++) {
				struct flight *f = &w->f[i];
				int j;
				for (j = 0; j < w->n && w->order[j] != i; j++)
					;
				if (j == w->n || f->state != F_SENT)
					continue;
				curl_multi_remove_handle(w->m, f->http.h);
				snprintf(f->http.err, sizeof f->http.err, "abandoned: stopping");
				http_end(&f->http, CURLE_ABORTED_BY_CALLBACK);
				answered(u, f);
			}
			break;
		}
		for (i = 0; i < n - 1; i++)
			if (p[i].revents)
				act(u, p[i].fd, p[i].revents);
		if (w->due >= 0 && plx_mono_ms() >= w->due) {
			w->due = -1;
			act(u, CURL_SOCKET_TIMEOUT, 0);
		}
	}
}

void
window_free(struct up *u)
{
	struct window *w = &u->w;
	int i;

	for (i = 0; i < u->o.window; i++) {
		if (w->f[i].http.h && w->m)
			curl_multi_remove_handle(w->m, w->f[i].http.h);
		http_free(&w->f[i].http);
		free(w->f[i].buf);
	}
	if (w->m)
		curl_multi_cleanup(w->m);
	w->m = NULL;
}
