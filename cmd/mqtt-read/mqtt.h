/* mqtt-read: what devices publish to an MQTT broker (zigbee2mqtt, Tasmota,
 * Shelly, ChirpStack, The Things Stack, anything in JSON or plain numbers),
 * as Plexus records on stdout.
 *
 *   main.c      options
 *   client.c    the broker: libmosquitto driven by lib/loop (its socket, its
 *               timers), TLS, the login, reconnection with a backoff
 *   auth.c      the user name and password: a file or the environment
 *   decode.c    the format table and what the formats share (decode.h)
 *   fmt_*.c     the formats
 *   name.c      readings into records: templates of metric names and
 *               devices, one source per device, the devices file, liveness
 *   run.c       the run: messages in, records out, status records */
#ifndef MQTT_READ_H
#define MQTT_READ_H
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "devices.h"
#include "live.h"
#include "recs.h"

#define MQ_SUBS 32

struct sub {
	const char *filter;          /* a topic filter, wildcards + and # */
	const struct mq_format *fmt; /* how its messages read */
};

struct opts {
	const char *host;            /* the broker */
	int64_t port;                /* 0: 1883, or 8883 with TLS */
	const char *client_id;       /* NULL: made from the host name and the subscriptions */
	int64_t qos;                 /* of the subscriptions */
	int clean;                   /* --clean: no session kept at the broker */
	int64_t keepalive_ms;
	int tls;                     /* --tls, or implied by --cacert, --capath, --cert */
	const char *cacert, *capath, *cert, *cert_key;
	const char *auth_file;       /* user name and password */
	struct sub sub[MQ_SUBS];
	int nsub;
	int64_t status_ms, backoff_max_ms, queue_max;
};

/* Turning a message's readings into records. */
struct namer {
	const char *metric;          /* template of metric names */
	const char *device;          /* template of devices, NULL: the format's */
	int source_given;            /* -s on the command line: one source for all */
	const char *prefix;          /* -p */
	struct plx_tags base;        /* -T, -s */
	struct plx_devices devs;     /* the devices file as last read */
	struct plx_live live;        /* liveness per device */
	struct plx_recs out;         /* the records of the last message */
	unsigned long refused;       /* readings no record could be made of */
};
/* Templates: %m the reading, %d the device, %1..%9 and %{N} topic levels,
 * %{a.b} payload fields, %% a '%'.  0, or -1 with why (checked once, at
 * start: an unknown %x). */
int name_check(const char *tpl, int allow_m, char *err, size_t errlen);
void name_init(struct namer *nm);
void name_free(struct namer *nm);
/* The devices file (again, SIGHUP): a fault is said, the names stay. */
void name_devices(struct namer *nm);
/* The records of d's readings into nm->out (cleared first): how many,
 * with why the first refused reading was refused in err (else ""); or -1
 * with why no record could be made (a level or field a template names is
 * missing). */
int name_records(struct namer *nm, const struct mq_dec *d, int64_t now, char *err, size_t errlen);
/* Every followed device is not connected (the broker is gone). */
void name_all_down(struct namer *nm);

/* auth.c: from --auth-file (lines username=..., password=...), else
 * PLEXUS_MQTT_USERNAME and PLEXUS_MQTT_PASSWORD.  Strings owned by *a;
 * 0, or -1 with why. */
struct auth { char *user, *pass; };
int auth_load(struct auth *a, const char *file, char *err, size_t errlen);
void auth_free(struct auth *a);

/* client.c: the broker's session on the loop.  fn gets each message. */
struct plx_loop;
typedef void client_msg_fn(void *arg, const char *topic, const void *payload, size_t len);
typedef void client_state_fn(void *arg, int up);
struct client;
struct client *client_new(const struct opts *o, struct plx_loop *l, client_msg_fn *fn,
                          client_state_fn *state, void *arg);
void client_free(struct client *c);
/* SIGHUP: the login read again, the broker again at once. */
void client_reconnect(struct client *c);
/* A clean DISCONNECT: the session stays at the broker. */
void client_stop(struct client *c);
/* Before each wait (the loop's prepare): the socket watched as
 * libmosquitto wants, a connection attempt when due; the next deadline. */
int64_t client_prepare(struct client *c);
unsigned long client_reconnects(const struct client *c);
int client_connected(const struct client *c);

/* run.c: the run; the exit status. */
int run(const struct opts *o, struct namer *nm);
/* The subscription a topic came through, or NULL. */
const struct sub *sub_find(const struct opts *o, const char *topic);

#endif
