/* plx-command: commands from Plexus, over the device WebSocket, to the
 * executables of a command directory (DESIGN §6, PLEXUS-WS.md).  The files:
 *
 *   main.c     options, configuration, the key, the loop's hooks
 *   ws.c       the WebSocket transport: libwebsockets on a libuv loop that
 *              lib/loop polls (one ppoll for everything)
 *   link.c     the session on it: device_auth, heartbeats, reconnects,
 *              goodbye, close codes, the clock offset
 *   frames.c   the protocol's frames, parsed and built (legacy and v1)
 *   decl.c     the command directory and its declarations; parameters
 *              checked against them; the manifest advertised
 *   runner.c   an executable run: no shell, a sandbox, stdin, stdout,
 *              stderr, progress, a time limit
 *   deliver.c  delivery: ack at once, run ids remembered, statuses kept
 *              until the server acknowledges them, replayed (command_sync)
 *   health.c   gateway.command.* records on stdout */
#ifndef PLX_COMMAND_H
#define PLX_COMMAND_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "backoff.h"
#include "loop.h"

#define CMD_NAME_MAX    64       /* ^[a-z][a-z0-9_]{0,63}$ */
#define CMD_ID_MAX      128      /* a command id or run id, bytes */
#define CMD_PARAMS_MAX  16
#define CMD_ENUM_MAX    64
#define CMD_ENV_MAX     16
#define CMD_OUT_MAX     (60 * 1024)   /* an executable's stdout: the result */
#define CMD_ERR_MAX     1000          /* error text kept, bytes */
#define CMD_RUNS_MAX    16            /* runs at once, at most (--max-runs) */
#define CMD_SEEN_MAX    256           /* run ids remembered */
#define CMD_UNACKED_MAX 256           /* statuses kept until acknowledged */
#define CMD_MSG_MAX     (1 << 20)     /* a frame from the server, bytes */

/* ---- decl.c: declarations ---- */
enum ptype { PT_STRING, PT_INTEGER, PT_NUMBER, PT_BOOLEAN };
enum { NET_INET = 1, NET_CAN = 2 };   /* address families a command may use */

struct param {
	char *name;
	enum ptype type;
	int required;
	json_object *def;        /* default, or NULL */
	int has_min, has_max;
	double min, max;         /* numbers */
	int64_t max_length;      /* strings, characters; 0: none */
	int nenum;
	char **enums;            /* strings: the values allowed */
	json_object *spec;       /* the declaration's text of it (manifest) */
};

struct decl {
	char *name;
	char *path;              /* the executable */
	json_object *spec;       /* the declaration as read (title, ...) */
	struct param p[CMD_PARAMS_MAX];
	int np;
	int idempotent;
	int expires_s;           /* 5-3600 */
	int reject;              /* concurrency "reject": one run at a time */
	int64_t timeout_ms;
	int64_t memory_mb;       /* 0: no limit */
	unsigned net;            /* NET_*: what it may open besides AF_UNIX */
	int nenv;
	char *env[CMD_ENV_MAX];  /* variables passed from plx-command's environment */
};

struct cmdset {
	struct decl *d;
	int n;
	char *dir;
};

/* A declaration's text (NAME.json) into d; 0, or -1 with why. */
int decl_parse(struct decl *d, const char *name, const char *text, size_t len, char *err, size_t errlen);
void decl_free(struct decl *d);
/* The directory: every NAME with a NAME.json beside it.  -1 with why when
 * plx-command must not start (the directory or a file in it is not
 * root's, or others may write to it, or a declaration is wrong); files
 * that are no command are said and left out. */
int cmdset_load(struct cmdset *s, const char *dir, char *err, size_t errlen);
void cmdset_free(struct cmdset *s);
const struct decl *cmdset_find(const struct cmdset *s, const char *name);
/* The v1 manifest of device_auth's "commands" (a new object). */
json_object *cmdset_manifest(const struct cmdset *s);
/* params (an object, or NULL: none) checked against d: a new object with
 * the defaults filled in, or NULL with why ("value: above the maximum 30"). */
json_object *decl_check(const struct decl *d, json_object *params, char *err, size_t errlen);
int cmd_name_ok(const char *s);

/* ---- frames.c: the protocol ---- */
enum frame_type {
	FR_OTHER, FR_AUTHENTICATED, FR_ERROR, FR_TYPED_COMMAND, FR_COMMAND_RUN, FR_STATUS_ACK,
};
struct frame {
	enum frame_type type;
	json_object *root;       /* owns the strings below */
	const char *type_name;   /* as sent */
	const char *id;          /* typed_command id, command_run/ack run_id */
	const char *command;
	json_object *params;     /* NULL: none */
	int has_ttl;
	int64_t ttl_ms, attempt, seq;
	int protocol;            /* authenticated: 0 legacy, 1 */
	int64_t server_time_ms;  /* 0: not given */
	const char *message, *code, *detail;  /* error */
};
/* One text frame from the server; 0, or -1 with why (not JSON, a field of
 * the wrong type: the frame is dropped). */
int frame_parse(struct frame *f, const char *s, size_t len, char *err, size_t errlen);
void frame_free(struct frame *f);
int frame_id_ok(const char *s);

enum state { ST_NONE, ST_ACKNOWLEDGED, ST_RUNNING, ST_PROGRESS, ST_SUCCEEDED, ST_FAILED };
const char *state_name(int st);
/* Frames to send, as compact JSON (malloc'd). */
char *frame_device_auth(const char *key, const char *source_id, json_object *manifest);
char *frame_heartbeat(const char *source_id, int64_t uptime_s);
/* legacy: event "ack", "result" (result) or "error" (error text) */
char *frame_result(const char *id, const char *command, const char *event, json_object *result,
                   const char *error);
struct status {
	const char *run_id;
	int64_t seq;
	int state;
	json_object *result;     /* succeeded */
	const char *error_code, *error_message;   /* failed */
	int progress;            /* progress: 0-100, -1 none */
	const char *message;     /* progress */
};
char *frame_status(const struct status *s);
struct sync_run { const char *run_id; int state; int64_t seq; };
char *frame_sync(const struct sync_run *r, int n);

/* ---- runner.c: one executable run ---- */
struct run_out {
	int exited, code, signal;   /* how it ended */
	int timed_out, too_big;
	char *out; size_t nout;     /* stdout */
	char err[CMD_ERR_MAX + 1];  /* the last of stderr, trimmed */
};
struct runner;
typedef void run_done_fn(void *arg, int slot, const struct run_out *o);
typedef void run_progress_fn(void *arg, int slot, int pct, const char *msg);
/* slots: --max-runs, each with its watches on l */
struct runner *runner_new(struct plx_loop *l, int slots, run_done_fn *done, run_progress_fn *prog, void *arg);
void runner_free(struct runner *r);
/* A free slot, or -1. */
int runner_free_slot(const struct runner *r);
/* Runs d with params (checked) in slot: 0, or -1 with why (fork, pipes). */
int runner_start(struct runner *r, int slot, const struct decl *d, const char *run_id, json_object *params,
                 char *err, size_t errlen);
int runner_busy(const struct runner *r, const char *name);    /* runs of that command */
int runner_running(const struct runner *r);
/* The next deadline (monotonic ms) or -1; time limits enforced when due. */
int64_t runner_prepare(struct runner *r);
/* SIGTERM to every run (a second stop): they end as killed. */
void runner_kill_all(struct runner *r);
/* "50 half way": 0-100 and the rest; -1 if the line is no progress. */
int progress_parse(const char *line, size_t len, int *pct, const char **msg);

/* ---- ws.c: the transport ---- */
struct ws;
struct ws_hooks {
	void (*open)(void *arg);                          /* upgraded: send device_auth */
	void (*message)(void *arg, const char *s, size_t len);
	void (*closed)(void *arg, int code, const char *reason, const char *error);  /* code 1006: no close frame */
	void *arg;
};
struct ws_tls { const char *cacert, *cert, *cert_key; };
struct ws *ws_new(struct plx_loop *l, const struct ws_tls *tls, const struct ws_hooks *h);
void ws_free(struct ws *w);
/* Connects to url (ws:// or wss://): open, or closed with why, comes
 * later (or at once: the hook may run inside).  -1 with why: a bad URL. */
int ws_connect(struct ws *w, const char *url, char *err, size_t errlen);
int ws_is_open(const struct ws *w);
/* Queues a text frame (taken: freed when written or the connection ends). */
void ws_send(struct ws *w, char *text);
size_t ws_queued(const struct ws *w);
/* Sends a close frame (code, reason) once what is queued is out. */
void ws_close(struct ws *w, int code, const char *reason);
/* The loop's prepare hook: the transport's next deadline or -1. */
int64_t ws_prepare(struct ws *w);
/* 0: url is ws:// or wss://, host, port and path filled; -1 with why. */
int ws_url_split(const char *url, int *tls, char *host, size_t hostlen, int *port, char *path, size_t pathlen,
                 char *err, size_t errlen);

/* ---- the daemon: options and state (main.c, link.c, deliver.c, health.c) ---- */
struct opts {
	const char *dir;             /* -C: the command directory */
	const char *keyfile;         /* -k */
	const char *url;             /* -u */
	struct ws_tls tls;
	int64_t heartbeat_ms, backoff_ms, backoff_max_ms, auth_retry_ms, auth_wait_ms, status_ms;
	int64_t max_runs;
};

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_AUTHING, LINK_UP };

/* A run id remembered (deliver.c): at most once, re-reported. */
struct seen {
	char id[CMD_ID_MAX + 1];
	char command[CMD_NAME_MAX + 1];
	int used, proto;             /* 0 legacy, 1 v1 */
	int state;                   /* the last state reported */
	int64_t seq, acked;          /* v1: the last seq given, and acknowledged */
	int slot;                    /* runner slot while it runs, else -1 */
	char *last;                  /* the last frame reported for it */
	int64_t prog_at;             /* the last progress sent (monotonic ms) */
	int prog_pct;                /* a progress held back (-1: none) */
	char prog_msg[257];
};

struct held {                        /* a frame kept for the next connection */
	int run;                     /* seen index (v1), -1: legacy */
	int64_t seq;
	char *frame;
};

struct app {
	struct opts o;
	struct plx_loop l;
	char *key;                   /* the API key (secret) */
	const char *key_from;
	char *source_id;
	char *url;                   /* the WebSocket URL */
	struct cmdset cs;
	json_object *manifest;
	struct ws *ws;
	struct runner *runner;
	struct plx_ratelim rl;       /* warnings about frames */

	/* link.c */
	enum link_state state;
	int protocol;                /* of the connection that is up */
	int64_t next_connect;        /* monotonic ms; -1: none planned */
	int64_t auth_deadline, next_heartbeat, up_since, started;
	struct plx_backoff bo;
	char auth_error[200];        /* the server's error before auth */
	int auth_timed_out;          /* no "authenticated" within --auth-wait */
	char said[300];              /* the last failure said */
	int drops;                   /* connections lost soon after auth, in a row */
	int reconnect_now;           /* after a close we asked for (HUP) */
	int stopping;                /* SIGTERM: in-flight runs finish, then goodbye */
	int have_offset;
	int64_t offset_ms;           /* server_time_ms - our clock at receipt */

	/* deliver.c */
	struct seen seen[CMD_SEEN_MAX];
	int seen_next;
	struct held held[CMD_UNACKED_MAX];
	int nheld;
	int held_dropped_said;

	/* health.c: counters */
	unsigned long received, succeeded, failed, refused, connects;
};

/* link.c */
struct ws_hooks link_hooks(struct app *a);
void link_start(struct app *a);
int64_t link_prepare(struct app *a);
void link_send(struct app *a, char *frame);      /* taken; dropped when down */
int link_up(const struct app *a);
void link_reload(struct app *a);                  /* new key or commands: reconnect */
void link_stop(struct app *a);                    /* SIGTERM */
void link_maybe_goodbye(struct app *a);           /* stopping and nothing runs */

/* deliver.c */
void deliver_command(struct app *a, const struct frame *f);
void deliver_status_ack(struct app *a, const char *run_id, int64_t seq);
void deliver_connected(struct app *a);            /* after auth: sync and replay */
int64_t deliver_prepare(struct app *a);
void deliver_done(void *arg, int slot, const struct run_out *o);
void deliver_progress(void *arg, int slot, int pct, const char *msg);
void deliver_free(struct app *a);

/* health.c */
void health_records(struct plx_loop *l, void *arg);
void health_clock(struct app *a, int64_t server_time_ms, int64_t local_ms);

#endif
