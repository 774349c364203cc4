/* The broker: one libmosquitto client driven by lib/loop, no thread of its
 * own.  Before each wait (client_prepare) its socket is watched for input,
 * and for output while libmosquitto has bytes to send (mosquitto_want_write);
 * what poll says goes to mosquitto_loop_read / _write, and a timer calls
 * mosquitto_loop_misc (keepalive pings, retries of QoS 1 and 2).
 *
 * The session: a fixed client id and clean session off (unless --clean),
 * so that messages of QoS 1 and 2 published while the gateway restarts
 * wait at the broker and arrive when it is back.  Subscriptions are made
 * again at each connection (a broker that lost the session).
 *
 * The broker refusing, vanishing or never answering does not end the tool:
 * the connection is tried again after a wait that doubles from 100 ms to
 * --backoff-max, each new reason said once; a refused login is said and
 * tried again only after --backoff-max (a wrong password does not hammer
 * the broker, and fixing the file and sending SIGHUP tries at once).
 *
 * mosquitto_connect_async resolves the host name blocking (getaddrinfo);
 * the TCP connection and the TLS handshake do not block.  It tries only the
 * first address it gets (a connection in progress is taken for one made:
 * mosquitto issue 574), so a broker on 127.0.0.1 named "localhost", which
 * resolves to ::1 first, was never reached.  When the name has addresses
 * of both families, each attempt goes to one family, chosen by binding to
 * its wildcard address (libmosquitto passes over the addresses the bind
 * does not fit), the other family tried at once when it fails; the name
 * stays the host's, for TLS. */
#include <errno.h>
#include <mosquitto.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "loop.h"
#include "mqtt.h"

#define MISC_MS 1000            /* mosquitto_loop_misc: pings, retries */

enum state { DOWN, CONNECTING, UP };

struct client {
	const struct opts *o;
	struct plx_loop *l;
	struct mosquitto *m;
	client_msg_fn *fn;
	client_state_fn *state_fn;
	void *arg;
	struct auth auth;
	enum state state;
	int watch;               /* the socket's watch */
	int started;             /* mosquitto_connect_async was called once */
	int refused;             /* the last CONNACK refused us */
	int stopping;
	int64_t at;              /* DOWN: the next attempt (monotonic ms) */
	int64_t since;           /* CONNECTING: since when */
	struct plx_backoff b;
	int fam[2], nfam, fi;    /* the host's address families, the resolver's order; the one tried */
	char name[300];          /* "broker HOST:PORT" */
	char said[200];          /* the failure last said */
	unsigned long reconnects;
};

static void
set_state(struct client *c, enum state s)
{
	int was_up = c->state == UP;

	c->state = s;
	if (was_up != (s == UP) && c->state_fn)
		c->state_fn(c->arg, s == UP);
}

/* The attempt failed, or the connection went: why said when new, the next
 * attempt after wait ms (-1: the backoff's). */
static void
down(struct client *c, const char *why, int64_t wait)
{
	int was_up = c->state == UP, was_down = c->state == DOWN;

	set_state(c, DOWN);       /* first: mosquitto_disconnect calls on_disconnect */
	if (!was_down)
		mosquitto_disconnect(c->m);
	if (c->stopping)
		return;
	if (!was_up && wait < 0 && c->fi + 1 < c->nfam) {
		c->fi++;                 /* the other family, at once */
		c->at = plx_mono_ms();
		return;
	}
	c->fi = 0;
	if (was_up) {
		c->reconnects++;
		plx_warn("%s: connection lost (%s); reconnecting", c->name, why);
		snprintf(c->said, sizeof c->said, "%s", why);
		plx_backoff_reset(&c->b);
	} else if (strcmp(why, c->said)) {
		plx_warn("%s: unable to connect%s: %s; retrying", c->name, c->nfam > 1 ? " over IPv6 or IPv4" : "", why);
		snprintf(c->said, sizeof c->said, "%s", why);
	}
	c->at = plx_mono_ms() + (wait >= 0 ? wait : plx_backoff_next(&c->b, 1));
}

/* The families of the host's addresses, in the resolver's order (none
 * when it cannot say: libmosquitto says why at the attempt). */
static void
resolve(struct client *c)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *p;

	c->nfam = 0;
	if (getaddrinfo(c->o->host, NULL, &hints, &ai))
		return;
	for (p = ai; p && c->nfam < 2; p = p->ai_next)
		if ((p->ai_family == AF_INET || p->ai_family == AF_INET6) && (!c->nfam || c->fam[0] != p->ai_family))
			c->fam[c->nfam++] = p->ai_family;
	freeaddrinfo(ai);
}

static const char *
family(const struct client *c)
{
	return c->nfam < 2 ? "" : c->fam[c->fi] == AF_INET6 ? " over IPv6" : " over IPv4";
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct client *c = arg;
	char *filters[MQ_SUBS];
	char why[200];
	int i, e;

	(void)m;
	if (rc) {
		/* a refused login or client id: not better in 100 ms */
		snprintf(why, sizeof why, "the broker refused the connection: %s%s", mosquitto_connack_string(rc),
		         rc == 4 || rc == 5 ? " (the user name and password: --auth-file or"
		                              " PLEXUS_MQTT_USERNAME, PLEXUS_MQTT_PASSWORD)" : "");
		c->refused = 1;
		down(c, why, c->o->backoff_max_ms);
		return;
	}
	for (i = 0; i < c->o->nsub; i++)
		filters[i] = (char *)c->o->sub[i].filter;
	if ((e = mosquitto_subscribe_multiple(c->m, NULL, c->o->nsub, filters, (int)c->o->qos, 0, NULL))) {
		snprintf(why, sizeof why, "subscribe: %s", mosquitto_strerror(e));
		down(c, why, -1);
		return;
	}
	if (c->said[0] || c->reconnects)
		plx_warn("%s: connected%s", c->name, family(c));
	else
		plx_info("%s: connected%s", c->name, family(c));
	c->said[0] = '\0';
	c->refused = 0;
	plx_backoff_reset(&c->b);
	set_state(c, UP);
}

static void
on_disconnect(struct mosquitto *m, void *arg, int rc)
{
	struct client *c = arg;

	(void)m;
	if (c->state != DOWN)
		down(c, rc ? mosquitto_strerror(rc) : "the broker closed it", -1);
}

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct client *c = arg;

	(void)m;
	c->fn(c->arg, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

/* A failed call of libmosquitto on a connection: it is down. */
static void
failed(struct client *c, const char *what, int rc)
{
	char why[200];

	if (c->state == DOWN)
		return;       /* on_disconnect said it */
	snprintf(why, sizeof why, "%s: %s", what, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	down(c, why, -1);
}

static void
on_socket(struct plx_loop *l, int fd, short revents, void *arg)
{
	struct client *c = arg;
	int rc;

	(void)l, (void)fd;
	if ((revents & POLLOUT) && (rc = mosquitto_loop_write(c->m, 1)) != MOSQ_ERR_SUCCESS) {
		failed(c, "write", rc);
		return;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && c->state != DOWN &&
	    (rc = mosquitto_loop_read(c->m, 1)) != MOSQ_ERR_SUCCESS)
		failed(c, "read", rc);
	/* A connection refused or closed during the TLS handshake:
	 * libmosquitto takes it for one in progress (the error went to its
	 * first write) and asks to be called again, a busy loop until "no
	 * answer to CONNECT". */
	else if ((revents & POLLHUP) && c->state == CONNECTING)
		down(c, "the connection was refused or closed before the broker answered", -1);
}

static void
misc(struct plx_loop *l, void *arg)
{
	struct client *c = arg;
	int rc;

	(void)l;
	/* a broker silent after the TCP connection (stopped, or a firewall
	 * that lets SYNs through): given as long as a ping would be */
	if (c->state == CONNECTING && plx_mono_ms() - c->since > c->o->keepalive_ms)
		down(c, "no answer to CONNECT", -1);
	else if (c->state == UP && (rc = mosquitto_loop_misc(c->m)) != MOSQ_ERR_SUCCESS)
		failed(c, "keepalive", rc);
}

static void
attempt(struct client *c)
{
	char err[300];
	int rc;

	if (auth_load(&c->auth, c->o->auth_file, err, sizeof err) < 0) {
		down(c, err, c->o->backoff_max_ms);
		return;
	}
	if (!c->fi)
		resolve(c);
	if (mosquitto_username_pw_set(c->m, c->auth.user, c->auth.pass) != MOSQ_ERR_SUCCESS ||
	    mosquitto_string_option(c->m, MOSQ_OPT_BIND_ADDRESS,
	                            c->nfam < 2 ? NULL : c->fam[c->fi] == AF_INET6 ? "::" : "0.0.0.0") != MOSQ_ERR_SUCCESS)
		plx_die(EX_OSERR, "out of memory");
	rc = c->started ? mosquitto_reconnect_async(c->m)
	     : mosquitto_connect_async(c->m, c->o->host, (int)c->o->port, (int)((c->o->keepalive_ms + 999) / 1000));
	c->state = CONNECTING;
	c->since = plx_mono_ms();
	if (rc == MOSQ_ERR_SUCCESS) {
		c->started = 1;
		return;
	}
	if (rc == MOSQ_ERR_ERRNO)
		snprintf(err, sizeof err, "%s", strerror(errno));
	else if (rc == MOSQ_ERR_EAI)
		snprintf(err, sizeof err, "%s: unknown host", c->o->host);
	else
		snprintf(err, sizeof err, "%s", mosquitto_strerror(rc));
	c->started = 1;   /* host and port are kept even by a failed call */
	down(c, err, -1);
}

int64_t
client_prepare(struct client *c)
{
	int fd;

	if (c->state == DOWN && !c->stopping && plx_mono_ms() >= c->at)
		attempt(c);
	fd = c->state == DOWN ? -1 : mosquitto_socket(c->m);
	/* (what TLS decrypted before poll could know, mosquitto_loop_read
	 * reads on its own: SSL_pending) */
	plx_loop_fd_set(c->l, c->watch, fd, fd < 0 ? 0 : POLLIN | (mosquitto_want_write(c->m) ? POLLOUT : 0));
	return c->state == DOWN && !c->stopping ? c->at : -1;
}

static int
password_cb(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf, (void)size, (void)rwflag, (void)userdata;
	return 0;       /* an encrypted key: no one to ask */
}

struct client *
client_new(const struct opts *o, struct plx_loop *l, client_msg_fn *fn, client_state_fn *state, void *arg)
{
	struct client *c = plx_xcalloc(1, sizeof *c);
	int rc;

	c->o = o, c->l = l, c->fn = fn, c->state_fn = state, c->arg = arg;
	snprintf(c->name, sizeof c->name, "broker %s:%lld", o->host, (long long)o->port);
	plx_backoff_init(&c->b, 100, o->backoff_max_ms);
	mosquitto_lib_init();
	if (!(c->m = mosquitto_new(o->client_id, o->clean, c)))
		plx_die(EX_OSERR, "mosquitto_new:");
	mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(c->m, on_connect);
	mosquitto_disconnect_callback_set(c->m, on_disconnect);
	mosquitto_message_callback_set(c->m, on_message);
	if (o->tls) {
		rc = mosquitto_tls_set(c->m, o->cacert, o->capath, o->cert, o->cert_key, password_cb);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(c->m, 1, NULL, NULL);      /* SSL_VERIFY_PEER */
		if (rc != MOSQ_ERR_SUCCESS)
			plx_die(EX_USAGE, "TLS: %s (--cacert, --capath, --cert, --cert-key)",
			        rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	}
	c->watch = plx_loop_fd(l, -1, 0, on_socket);
	plx_loop_fd_arg(l, c->watch, c);
	plx_loop_timer_arg(l, plx_loop_every(l, MISC_MS, misc), c);
	return c;
}

void
client_reconnect(struct client *c)
{
	if (c->state != DOWN) {
		plx_info("%s: SIGHUP, connecting again", c->name);
		set_state(c, DOWN);
		mosquitto_disconnect(c->m);
	}
	c->said[0] = '\0';
	plx_backoff_reset(&c->b);
	c->at = plx_mono_ms();
}

void
client_stop(struct client *c)
{
	int was = c->state;

	c->stopping = 1;
	set_state(c, DOWN);
	if (was == UP) {
		/* DISCONNECT out before the socket closes: the session stays */
		mosquitto_disconnect(c->m);
		mosquitto_loop_write(c->m, 1);
	}
}

void
client_free(struct client *c)
{
	if (!c)
		return;
	mosquitto_destroy(c->m);
	auth_free(&c->auth);
	mosquitto_lib_cleanup();
	free(c);
}

unsigned long
client_reconnects(const struct client *c)
{
	return c->reconnects;
}

int
client_connected(const struct client *c)
{
	return c->state == UP;
}
