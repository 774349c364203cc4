/* plx-upload: the only stage that talks to the network (DESIGN §4).
 *
 *   stdin (NDJSON, maybe {"_plx_seq":N,...} from plx-buffer)
 *     -> batch (points, bytes, time) -> gzip -> POST $gateway/ingest
 *     -> 2xx: acknowledge the seqs to the spool, which deletes those rows.
 *
 * One file per concern:
 *   main.c   options, configuration, setup, exit
 *   files.c  the API key and the dead-letter file, again at run time
 *   input.c  the loop (lib/loop): stdin's lines -> records -> batches, deadlines
 *   batch.c  the batch of record texts, request bodies, gzip
 *   http.c   one libcurl handle kept alive; one POST and its answer
 *   answer.c what of the answer is believed: headers, the acknowledgement
 *   flight.c the window: several batches in flight on one multi handle
 *   send.c   the status policy: retry, split, bisect, hold; dead letters
 *   ack.c    acknowledgements to the spool, by a thread of their own
 *
 * One thread for the loop, and one that only acknowledges (ack.c), so that
 * waiting for the spool's lock and deleting never hold the loop up.
 * Up to --in-flight batches travel at once (flight.c), their
 * requests driven by the loop; while they do the next batch gathers, and
 * past its limits stdin is not read, so the pipe fills and plx-buffer
 * keeps the backlog on disk, where it belongs, rather than here in memory.
 * A batch that fails goes on its own through send.c, whose requests block
 * (for at most --timeout), waking for SIGTERM and SIGINT and to gather
 * stdin's lines; the waits between its requests (backoff, a refused key)
 * are the loop's timers. */
#ifndef PLX_UPLOAD_H
#define PLX_UPLOAD_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <libdeflate.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "backoff.h"
#include "config.h"
#include "io.h"
#include "log.h"
#include "loop.h"
#include "record.h"
#include "spool.h"

#define GZIP_MIN     1024      /* bodies above this are gzipped, as the Python SDK does */
#define ANSWER_MAX   65536     /* bytes of an answer body kept for messages */
#define SEND_DEPTH   64        /* ranges waiting in a split batch: log2(10,000) + 1 at most */
#define WINDOW_MAX   8         /* --in-flight at most */
#define SOCKS_MAX    (2 * WINDOW_MAX)   /* libcurl's sockets the loop watches */

struct opts {
	int64_t max_points;        /* --batch-points (default 5,000, at most 10,000) */
	int64_t max_bytes;         /* --batch-bytes: uncompressed body (default 1 MiB, at most 5 MiB) */
	int64_t batch_ms;          /* --batch-ms: a batch leaves this long after its first record */
	int64_t level;             /* -z: gzip level, 0 sends bodies uncompressed */
	int64_t backoff_ms;        /* first retry delay, doubled per failure ... */
	int64_t backoff_max_ms;    /* ... up to this cap */
	int64_t auth_retry_ms;     /* retry interval while the key is refused */
	int64_t timeout_ms;        /* whole request */
	int64_t connect_ms;        /* TCP + TLS connect */
	const char *keyfile;       /* -k */
	const char *spool;         /* -d, else PLEXUS_BUFFER */
	const char *dead_file;     /* --dead-letter */
	const char *cacert, *cert, *cert_key;
	const char *url, *source;  /* -u, -s: override the configuration */
	int64_t status_ms;         /* --status-interval: gateway.upload.* records; 0 none */
	int64_t clock_warn_ms;     /* --clock-warn: our clock this far off the server's is said */
	int64_t window;            /* --in-flight: requests at once (4) */
};

/* One record of a batch: its text lives in batch.text[off, off + len);
 * while its batch is in flight, in that flight's body alone, and off is
 * where it goes back (batch_restore). */
struct rec {
	size_t off, len;
	int64_t seq;               /* spool sequence number, -1 if none */
	unsigned long line;        /* input line number, for messages */
	int64_t boot_ms;           /* taken while our clock was unsynchronised: its
	                            * boot-clock ms (clock.h), else -1; its text then
	                            * ends in "timestamp":<20 characters>} */
};

struct batch {
	char *text;                /* the records' texts, back to back */
	size_t tlen, tcap;
	struct rec *rec;
	size_t n, ncap;
	int64_t t0;                /* monotonic ms when the first record arrived */
	char *prefix;              /* {"source_id":"sid","points":[ */
	size_t plen;
	char *body;                /* the last body built (or the records */
	size_t blen, bcap;         /* batch_restore takes back) */
	unsigned char *gz;         /* ... and its gzip */
	size_t gzcap;
	struct libdeflate_compressor *z;
	int level;
	size_t marked;             /* records with boot_ms >= 0 */
	int64_t clock_fix;         /* true epoch ms minus boot-clock ms, for them;
	                            * INT64_MIN: not known, sent as stamped */
};

struct http {
	CURL *h;
	CURLM *m;                  /* its multi handle: the wait can wake for wake_fd */
	struct curl_slist *plain;  /* request headers ... */
	struct curl_slist *gzip;   /* ... and the same with Content-Encoding: gzip */
	char *url;                 /* $gateway/ingest */
	char *health_url;          /* $gateway/health */
	long status;               /* of the last answer, 0 when none came */
	char *ans;                 /* its body, at most ANSWER_MAX bytes, NUL-terminated */
	size_t alen;
	int64_t retry_after_ms;    /* its Retry-After as a wait, -1 when absent */
	time_t retry_date;         /* ... given as a date: epoch s, -1 when not */
	time_t date;               /* its Date, epoch s, -1 when absent */
	char location[256];        /* its Location, "" when absent */
	int64_t latency_ms;        /* the whole exchange */
	int64_t wall0, mono0;      /* when it began */
	int64_t offset_ms;         /* the server's clock minus ours, INT64_MIN: unknown */
	char err[CURL_ERROR_SIZE]; /* why no answer came */
	int wake_fd;               /* -1, or readable during a request: wake(wake_arg) is */
	int (*wake)(void *);       /* asked, and nonzero abandons the request */
	void *wake_arg;
	int gather_fd;             /* -1, or readable during a request: gather(wake_arg) */
	int (*gather)(void *);     /* reads it; 0: not again during this request */
};

struct counters {
	uint64_t read, rejected;   /* records taken in; lines refused as invalid */
	uint64_t own;              /* health records of its own, sent with them */
	uint64_t delivered, dead;  /* answered 2xx; refused by the server for good */
	uint64_t requests, retries;
	uint64_t server_dropped;   /* "dropped" in 200 answers */
	uint64_t clock_corrected;  /* records stamped while unsynchronised, timestamp corrected */
	uint64_t clock_uncorrected;/* ... and sent as stamped: no time known, or another boot */
};

/* The batch being delivered (send.c): its first `sealed` records, as a
 * stack of ranges still to send; the top one is being sent, or waits for
 * the loop's timer (a retry, or the key's next try). */
struct send {
	size_t sealed;             /* 0: nothing being delivered */
	struct range {
		size_t lo, hi;         /* records [lo, hi) */
		int bisect;            /* the second half of a refused range: */
		uint64_t dead;         /* refused as well if no dead letter came since */
		int breaks;            /* part of a range that made the server fail */
	} st[SEND_DEPTH];
	int n;
	int tries;                 /* failures of the top range so far */
	int64_t since;             /* monotonic ms of the first */
	int loud;                  /* reported with plx_warn: report the recovery too */
	struct plx_backoff b;      /* its waits */
	int timer;                 /* the loop's timer for the wait */
	int waiting;               /* ... armed */
	int hold;                  /* ... while the key is refused: read it again first */
};

/* The requests in flight (flight.c). */
struct flight {
	struct http http;          /* first: its handle and answer */
	size_t n;                  /* its records, the next n after those before it */
	enum { F_SENT, F_DONE, F_FAILED } state;
	char *buf;                 /* its body, as sent: its records' texts are */
	size_t len, cap;           /* only there (batch_release) */
	int gz;
	unsigned keygen;           /* the key its handle has */
};

struct window {
	CURLM *m;                  /* every flight's handle */
	struct flight f[WINDOW_MAX];
	int order[WINDOW_MAX];     /* the flights' slots, oldest first */
	int n;                     /* ... how many */
	int sent;                  /* ... of them not answered yet */
	int failed;                /* ... answered, not delivered: for send.c */
	int replayed;              /* one failed already went with its answer */
	struct { int fd, h; short events; } sock[SOCKS_MAX];  /* libcurl's sockets: the loop's watches */
	int timer;                 /* libcurl's timeout: the loop's timer */
	int64_t due;               /* ... monotonic ms, -1 none */
	int running;
	unsigned keygen;           /* the key read last (a handle in flight keeps its own) */
};

/* Seqs delivered, not yet acknowledged (ack.c), as ranges. */
struct acks {
	struct spool_range *mine;  /* the loop's, not handed over yet */
	size_t nmine, capmine;
	pthread_mutex_t mu;        /* over what follows */
	pthread_cond_t more, idle; /* ranges handed over; the thread done with them */
	struct spool_range *r;     /* handed over to the thread */
	size_t n, cap;
	int64_t rows;              /* in them */
	int busy, quit, urgent;    /* the thread is deleting; is to end; ack_flush waits */
	struct spool **sp;         /* &up.sp */
	pthread_mutex_t db;        /* held by whichever thread uses the spool */
	pthread_t th;
	int running;
};

struct health {
	struct spool_upload last;  /* the last answer, as the spool keeps it */
	int64_t noted;             /* monotonic ms it was last written to the spool */
	int64_t clock_warned;      /* ... and the clock offset last said, 0: not now */
};

struct up {
	struct opts o;
	struct plx_config cf;
	struct plx_loop *l;
	struct plx_lines in;       /* stdin */
	json_tokener *tok;
	struct plx_ratelim rl;     /* warnings about input */
	int in_h, batch_h;         /* the loop's watch of stdin, the batch's deadline */
	int in_eof;                /* stdin ended (or failed: status) */
	int status;                /* exit status at the end of input */
	struct batch b;
	struct send s;
	struct window w;
	struct http http;          /* send.c's requests, one at a time */
	struct spool *sp;          /* NULL when no spool is open */
	int told_nospool;          /* said that seqs cannot be acknowledged */
	int64_t spool_checked;     /* monotonic ms the spool's file was last looked at */
	int need_source;           /* envelope source id invalid: records must carry their own */
	int dead_fd;               /* --dead-letter file, -1 if none */
	int holding;               /* the key is refused: data held until it is accepted */
	struct acks ack;
	struct counters c;
	struct health h;
};

/* ack.c: ack_init starts the thread that acknowledges to u->sp; ack_add
 * keeps a delivered record's seq, ack_kick hands those kept over to the
 * thread; ack_flush waits until it has acknowledged everything handed over;
 * ack_free: the thread ended (after a flush).  The loop uses u->sp only
 * between ack_db_lock and ack_db_unlock.  A failure is said: the rows stay,
 * and are sent again. */
void ack_init(struct up *u);
void ack_add(struct up *u, int64_t seq);
void ack_kick(struct up *u);
void ack_flush(struct up *u);
void ack_db_lock(struct up *u);
void ack_db_unlock(struct up *u);
void ack_free(struct up *u);

/* files.c: the key (again: SIGHUP, a refused key), the dead-letter file
 * (again: SIGHUP). */
int key_reload(struct up *u, int initial);
void dead_reopen(struct up *u);

/* input.c: the loop, until the end of input or a stop signal; the exit
 * status. */
int run(struct up *u);
/* What can run now: the batch being delivered, until it must wait; then
 * the lines read, into the batch, until it is full and goes. */
void feed(struct up *u);
/* Checks a line as the server would and adds its record to the batch
 * (its _plx_ marks taken off, the clock's made a correction); -1: refused,
 * said and counted. */
int take(struct up *u, char *line, size_t len, unsigned long lineno);
/* A record the fast path passed (f: its fields, plx_record_quick_fields)
 * that is a metric with a number, {... "class":"metric" ... "value":<number>
 * ...}, without its class, which the server infers from the number
 * (PLEXUS-API.md): the text is changed in place and the new start
 * returned.  Other records as they are. */
char *lean(char *text, size_t *len, const struct plx_fields *f);
/* Adds a checked record's text to the batch (feed sends it when full);
 * boot_ms >= 0: it is to have its timestamp corrected (batch_mark). */
void enqueue(struct up *u, const char *text, size_t len, int64_t seq, unsigned long lineno,
             int64_t boot_ms);

/* health.c: after each answer (the spool's uploader table, the clock
 * check); the gateway.upload.* records into the batch. */
void health_answer(struct up *u, const struct http *h, const char *why);
void health_records(struct up *u);
/* The batch's clock_fix, before each body is built: from our clock once it
 * is synchronised, else from the server's Date (asked for with GET /health
 * when no answer told it yet). */
void clock_fix(struct up *u);

/* batch.c (out of memory: the tool ends, log.h) */
void batch_init(struct batch *b, const char *source_id, int level, size_t max_bytes);
void batch_free(struct batch *b);
void batch_add(struct batch *b, const char *text, size_t len, int64_t seq, unsigned long line);
/* The record just added was stamped while the clock was unsynchronised. */
void batch_mark(struct batch *b, int64_t boot_ms);
void batch_clear(struct batch *b);
/* Takes the first k records out (delivered); the others move up. */
void batch_drop_front(struct batch *b, size_t k);
/* Records [lo, lo + k) leave in a body (a flight's): their texts leave
 * the batch's buffer, and come back from that body (its length; gz: gzipped
 * by batch_body) when it must be sent again in parts.  Only the texts of
 * records not released are read by batch_size, batch_body and send.c. */
void batch_release(struct batch *b, size_t lo, size_t k);
void batch_restore(struct batch *b, size_t lo, size_t k, const void *body, size_t len, int gz);
size_t batch_size(const struct batch *b, size_t lo, size_t hi);
/* Builds the body of records [lo, hi); gzips it when worth it (*gz = 1). */
const void *batch_body(struct batch *b, size_t lo, size_t hi, size_t *len, int *gz);

/* http.c: http_init fails (-1) only when libcurl cannot be set up;
 * own_multi: requests through http_post and http_probe, else only
 * http_post_start on a multi handle shared by several (flight.c). */
int http_init(struct http *h, const struct opts *o, const char *gateway, int own_multi);
void http_free(struct http *h);
void http_set_key(struct http *h, const char *key);
/* One POST; the answer is in h->status (0: none, see h->err), h->ans. */
void http_post(struct http *h, const void *body, size_t len, int gz);
/* GET /health, for the server's Date alone (h->offset_ms). */
void http_probe(struct http *h);
/* A POST added to multi handle m, not waited for: when m says it is done,
 * the caller removes the handle and calls http_end with its result; the
 * answer is then as after http_post.  -1: not started (http_end done). */
int http_post_start(struct http *h, CURLM *m, const void *body, size_t len, int gz);
void http_end(struct http *h, CURLcode rc);

/* answer.c: the answer's headers, one line at a time (answer_reset
 * first, answer_done at the end: Retry-After as a wait); answer_ack is 1
 * when a body is the ingest service's acknowledgement, with its count and
 * dropped, else 0. */
void answer_reset(struct http *h);
void answer_header(struct http *h, const char *line, size_t len);
void answer_done(struct http *h);
int answer_ack(const char *body, size_t len, int64_t *count, int64_t *dropped);

/* send.c: send_start(u, k) begins delivering the batch's first k records;
 * send_run goes on with it by the status policy until it is done (the
 * records delivered or dead letters, taken out of the batch; or, after a
 * stop signal, given up: the batch cleared, nothing unconfirmed
 * acknowledged): SEND_DONE; or until it must wait for its timer: SEND_WAIT.
 * send_give_up ends a delivery that waits. */
enum { SEND_DONE, SEND_WAIT };
void send_init(struct up *u);
void send_start(struct up *u, size_t k);
int send_run(struct up *u);
/* send_run, the top range's first answer being h's (a flight's) */
int send_answer(struct up *u, const struct http *h);
void send_give_up(struct up *u);
/* An answer: delivered (the ingest service's 2xx)?  Said on one line. */
int send_ok(const struct http *h);
const char *send_reason(const struct http *h, char *buf, size_t n);
/* Records [lo, hi) delivered with answer h: acknowledged, counted. */
void send_delivered(struct up *u, const struct http *h, size_t lo, size_t hi);

/* flight.c: the window (window_init after the loop's; window_free).
 * window_room: a flight can start; window_start sends the k records after
 * those in flight; window_reap drops the delivered ones at the front;
 * window_slow hands the oldest failed one to send.c once none is in
 * flight (send_run's result; -1: none to hand); window_drain waits for
 * every answer, at the end of the run; window_forget: the batch was
 * cleared. */
void window_init(struct up *u);
void window_free(struct up *u);
size_t window_records(const struct up *u);
int window_room(const struct up *u);
void window_start(struct up *u, size_t k);
void window_reap(struct up *u);
int window_slow(struct up *u);
void window_drain(struct up *u);
void window_forget(struct up *u);

#endif
