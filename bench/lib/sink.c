/* bench/sink.c: a fast loopback HTTP/1.1 ingest sink for benchmarking
 * plx-upload.  Not a Plexus server (tests/plexus-server.py is that): it
 * checks only what is cheap and counts points, so that a benchmark
 * measures plx-upload and not the server.
 *
 *   sink PORT_FILE [STATS_FILE]
 *
 * Binds 127.0.0.1 port 0, writes the port (digits and a newline, via a
 * rename) to PORT_FILE, and serves until SIGTERM or SIGINT, then prints its
 * totals as one line to STATS_FILE (default stdout):
 *
 *   requests=N points=N gzip=N wire_bytes=N body_bytes=N leaks=N errors=N conns=N cpu=S
 *
 * (cpu: the sink's own user+system seconds, to show it is not the bottleneck.)
 * Requests: POST /ingest with a Content-Length body (keep-alive; pipelined
 * requests are fine; Expect: 100-continue is honoured), gunzipped with zlib
 * when Content-Encoding is gzip (any letter case).  Points are counted as
 * occurrences of "metric": in the decoded body.  leaks counts bodies holding
 * "_plx_seq" (the spool's sequence key must never reach the wire).  Answers:
 *   200 {"success":true,"count":N}
 *   401 when x-api-key is missing; 413 when the body is over 5 MiB before or
 *   after gunzip; 400 for bad gzip; 411 without Content-Length (chunked
 *   bodies are not supported).
 * GET /health answers {"status":"ok"}; GET /stats the totals so far, as JSON.
 *
 * Single-threaded: one poll() loop over every connection, non-blocking
 * sockets, one buffer per connection, decoding streamed through a 256 KiB
 * scratch buffer.  Build: cc -O2 -o sink sink.c -lz */
#ifndef _GNU_SOURCE             /* the Makefile defines it; cc alone does not */
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_CONN   64
#define BODY_MAX   5242880
#define HEAD_MAX   65536
#define SCRATCH    (256 * 1024)

struct conn {
	int fd;
	char *buf;
	size_t len, cap;
	char *out;                  /* pending answer bytes */
	size_t olen, ooff;
};

static struct {
	uint64_t requests, points, gzip, wire, body, leaks, errors, conns;
} tot;

static volatile sig_atomic_t stop;
static void on_stop(int s) { (void)s; stop = 1; }

static unsigned char scratch[SCRATCH + 16];

static const char pat[] = "\"metric\":";
static const char leak[] = "_plx_seq";

/* Occurrences of pat in [p, p + n). */
static uint64_t
count(const char *p, size_t n)
{
	const char *e = p + n, *q;
	uint64_t c = 0;

	while ((q = memmem(p, e - p, pat, sizeof pat - 1))) {
		c++;
		p = q + sizeof pat - 1;
	}
	return c;
}

/* Counts points in a gzip body, streamed through scratch; a match may
 * straddle two chunks, so the last few bytes of each chunk are carried over.
 * Returns 0, -1 for bad gzip, -2 when the decoded body is over BODY_MAX. */
static int
count_gzip(const char *p, size_t n, uint64_t *pts, uint64_t *dec, int *leaked)
{
	z_stream z = { 0 };
	const size_t keep = sizeof pat - 1 > sizeof leak - 1 ? sizeof pat - 2 : sizeof leak - 2;
	size_t carry = 0, have;
	int rc;

	*pts = *dec = 0;
	*leaked = 0;
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)p;
	z.avail_in = n;
	do {
		z.next_out = scratch + carry;
		z.avail_out = SCRATCH - carry;
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) {
			inflateEnd(&z);
			return -1;
		}
		have = SCRATCH - carry - z.avail_out;
		*dec += have;
		if (*dec > BODY_MAX) {
			inflateEnd(&z);
			return -2;
		}
		have += carry;
		*pts += count((char *)scratch, have);
		if (!*leaked && memmem(scratch, have, leak, sizeof leak - 1))
			*leaked = 1;
		/* Carry the tail that could start a match not yet complete;
		 * a match wholly inside the tail was counted already, and
		 * cannot be counted twice since the tail is shorter than pat. */
		carry = have < keep ? have : keep;
		memmove(scratch, scratch + have - carry, carry);
		if (rc != Z_STREAM_END && z.avail_in == 0 && z.avail_out != 0) {
			inflateEnd(&z);
			return -1;      /* truncated stream */
		}
	} while (rc != Z_STREAM_END);
	inflateEnd(&z);
	return 0;
}

static void
answer(struct conn *c, int status, const char *reason, const char *body)
{
	char head[256];
	size_t bl = strlen(body);
	int hl = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	                  "Content-Length: %zu\r\n\r\n", status, reason, bl);
	size_t need = c->olen + hl + bl;

	if (need > 1 << 20) {            /* a client that never reads: drop it */
		c->olen = c->ooff = 0;
		need = hl + bl;
	}
	c->out = realloc(c->out, need);
	memcpy(c->out + c->olen, head, hl);
	memcpy(c->out + c->olen + hl, body, bl);
	c->olen = need;
}

/* Finds header `name` in [h, h + n) (the header block); its value, or NULL. */
static const char *
header(const char *h, size_t n, const char *name, size_t *vlen)
{
	size_t k = strlen(name);
	const char *p = h, *e = h + n, *l;

	while (p < e && (l = memmem(p, e - p, "\r\n", 2))) {
		if ((size_t)(l - p) > k && p[k] == ':' && !strncasecmp(p, name, k)) {
			p += k + 1;
			while (p < l && (*p == ' ' || *p == '\t'))
				p++;
			*vlen = l - p;
			while (*vlen && (p[*vlen - 1] == ' ' || p[*vlen - 1] == '\t'))
				(*vlen)--;
			return p;
		}
		p = l + 2;
	}
	return NULL;
}

static void
stats_json(char *b, size_t n)
{
	snprintf(b, n, "{\"requests\":%llu,\"points\":%llu,\"gzip\":%llu,\"wire_bytes\":%llu,"
	         "\"body_bytes\":%llu,\"leaks\":%llu,\"errors\":%llu,\"conns\":%llu}",
	         (unsigned long long)tot.requests, (unsigned long long)tot.points,
	         (unsigned long long)tot.gzip, (unsigned long long)tot.wire,
	         (unsigned long long)tot.body, (unsigned long long)tot.leaks,
	         (unsigned long long)tot.errors, (unsigned long long)tot.conns);
}

/* Serves every complete request in c->buf.  -1: close the connection. */
static int
serve(struct conn *c)
{
	char msg[512];
	const char *he, *v;
	size_t hlen, vlen, clen, total;
	int gz, close_after;

	for (;;) {
		if (!(he = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
			if (c->len > HEAD_MAX)
				return -1;
			return 0;
		}
		hlen = he + 4 - c->buf;
		v = header(c->buf, hlen - 2, "Connection", &vlen);
		close_after = v && vlen == 5 && !strncasecmp(v, "close", 5);
		if (!strncmp(c->buf, "GET ", 4)) {
			if (!strncmp(c->buf + 4, "/stats ", 7)) {
				stats_json(msg, sizeof msg);
				answer(c, 200, "OK", msg);
			} else if (!strncmp(c->buf + 4, "/health ", 8)) {
				answer(c, 200, "OK", "{\"status\":\"ok\"}");
			} else {
				answer(c, 404, "Not Found", "{\"error\":\"not found\"}");
			}
			memmove(c->buf, c->buf + hlen, c->len - hlen);
			c->len -= hlen;
			if (close_after)
				return -1;
			continue;
		}
		if (!(v = header(c->buf, hlen - 2, "Content-Length", &vlen))) {
			answer(c, 411, "Length Required", "{\"error\":\"Content-Length required\"}");
			tot.errors++;
			return -1;
		}
		clen = strtoul(v, NULL, 10);
		if (clen > BODY_MAX) {
			answer(c, 413, "Payload Too Large", "{\"error\":\"payload too large\"}");
			tot.errors++;
			return -1;
		}
		total = hlen + clen;
		if (c->len < total) {
			/* Honour Expect: 100-continue once, when no body byte came yet. */
			if (c->len == hlen && (v = header(c->buf, hlen - 2, "Expect", &vlen)) &&
			    vlen == 12 && !strncasecmp(v, "100-continue", 12) && !c->olen) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				c->out = realloc(c->out, sizeof cont - 1);
				memcpy(c->out, cont, sizeof cont - 1);
				c->olen = sizeof cont - 1;
				c->ooff = 0;
			}
			if (c->cap < total) {
				c->cap = total;
				c->buf = realloc(c->buf, c->cap);
			}
			return 0;
		}
		tot.requests++;
		tot.wire += clen;
		if (!header(c->buf, hlen - 2, "x-api-key", &vlen)) {
			answer(c, 401, "Unauthorized", "{\"error\":\"missing x-api-key\"}");
			tot.errors++;
		} else {
			const char *body = c->buf + hlen;
			uint64_t pts, dec;
			int leaked, rc = 0;

			v = header(c->buf, hlen - 2, "Content-Encoding", &vlen);
			gz = v && vlen == 4 && !strncasecmp(v, "gzip", 4);
			if (gz) {
				tot.gzip++;
				rc = count_gzip(body, clen, &pts, &dec, &leaked);
			} else {
				pts = count(body, clen);
				dec = clen;
				leaked = memmem(body, clen, leak, sizeof leak - 1) != NULL;
			}
			if (rc == -1) {
				answer(c, 400, "Bad Request", "{\"error\":\"invalid gzip body\"}");
				tot.errors++;
			} else if (rc == -2) {
				answer(c, 413, "Payload Too Large", "{\"error\":\"payload too large\"}");
				tot.errors++;
			} else {
				tot.points += pts;
				tot.body += dec;
				tot.leaks += leaked;
				snprintf(msg, sizeof msg, "{\"success\":true,\"count\":%llu}",
				         (unsigned long long)pts);
				answer(c, 200, "OK", msg);
			}
		}
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
		if (close_after)
			return -1;
	}
}

static int
flush_out(struct conn *c)
{
	ssize_t w;

	while (c->ooff < c->olen) {
		w = write(c->fd, c->out + c->ooff, c->olen - c->ooff);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w < 0)
			return -1;
		c->ooff += w;
	}
	c->olen = c->ooff = 0;
	return 0;
}

static void
drop(struct conn *c)
{
	close(c->fd);
	free(c->buf);
	free(c->out);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

/* Reads what is there; -1 when the peer is gone or misbehaved. */
static int
readable(struct conn *c)
{
	ssize_t r;

	for (;;) {
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 1 << 17;
			if (!(c->buf = realloc(c->buf, c->cap)))
				return -1;
		}
		r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0)
			return -1;
		c->len += r;
		if ((size_t)r < 65536)
			break;
	}
	if (serve(c) < 0) {
		flush_out(c);
		return -1;
	}
	return flush_out(c);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	struct pollfd pf[MAX_CONN + 1];
	struct conn cs[MAX_CONN];
	struct sigaction sa = { .sa_handler = on_stop };
	struct rusage ru;
	char tmp[4096];
	FILE *f, *out = stdout;
	int ls, one = 1, i, n;

	if (argc < 2) {
		fprintf(stderr, "usage: sink PORT_FILE [STATS_FILE]\n");
		return 64;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < MAX_CONN; i++)
		cs[i] = (struct conn){ .fd = -1 };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
		perror("sink: listen");
		return 71;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) ||
	    rename(tmp, argv[1]) < 0) {
		perror("sink: port file");
		return 73;
	}

	while (!stop) {
		pf[0] = (struct pollfd){ .fd = ls, .events = POLLIN };
		for (i = 0; i < MAX_CONN; i++)
			pf[i + 1] = (struct pollfd){ .fd = cs[i].fd,
			    .events = POLLIN | (cs[i].ooff < cs[i].olen ? POLLOUT : 0) };
		if ((n = poll(pf, MAX_CONN + 1, -1)) < 0) {
			if (errno == EINTR)
				continue;
			perror("sink: poll");
			return 71;
		}
		if (pf[0].revents & POLLIN) {
			int fd;
			while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				for (i = 0; i < MAX_CONN && cs[i].fd >= 0; i++)
					;
				if (i == MAX_CONN) {
					close(fd);
					continue;
				}
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				cs[i].fd = fd;
				tot.conns++;
			}
		}
		for (i = 0; i < MAX_CONN; i++) {
			short ev = pf[i + 1].revents;
			if (cs[i].fd < 0 || !ev)
				continue;
			if ((ev & POLLOUT) && flush_out(&cs[i]) < 0) {
				drop(&cs[i]);
				continue;
			}
			if ((ev & (POLLIN | POLLHUP | POLLERR)) && readable(&cs[i]) < 0)
				drop(&cs[i]);
		}
	}
	if (argc > 2 && !(out = fopen(argv[2], "w"))) {
		perror("sink: stats file");
		out = stdout;
	}
	getrusage(RUSAGE_SELF, &ru);
	fprintf(out, "requests=%llu points=%llu gzip=%llu wire_bytes=%llu body_bytes=%llu leaks=%llu"
	        " errors=%llu conns=%llu cpu=%.3f\n", (unsigned long long)tot.requests,
	        (unsigned long long)tot.points, (unsigned long long)tot.gzip,
	        (unsigned long long)tot.wire, (unsigned long long)tot.body,
	        (unsigned long long)tot.leaks, (unsigned long long)tot.errors,
	        (unsigned long long)tot.conns,
	        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	fclose(out);
	return 0;
}
