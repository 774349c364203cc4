/* The event loop every tool runs (DESIGN §5): one ppoll() on the tool's
 * file descriptors and, while records wait, on stdout; deadlines (timers);
 * the signals; and a reader's bounded stdout queue (out.h).  A tool is its
 * callbacks plus a table:
 *
 *   struct plx_loop l;
 *   plx_loop_init(&l, &app);                 signals set up, nothing else
 *   plx_loop_output(&l, STDOUT_FILENO, max); a reader's queue
 *   plx_loop_fd(&l, fd, POLLIN, on_read);    called with what poll said
 *   plx_loop_every(&l, 60000, on_status);    periodic; plx_loop_timer: one-shot
 *   l.on_hup = reopen; l.on_stop = finish;
 *   return plx_loop_run(&l);                 the exit status
 *
 * Signals, the same in every tool: SIGTERM and SIGINT call on_term
 * (default: stop with status 0), after which the run finishes (on_stop,
 * then the queue drained, for at most PLX_OUT_STUCK_MS of a stdout that
 * takes nothing); SIGHUP calls on_hup (reopen what the tool's man page
 * says); SIGPIPE is ignored, so a consumer gone is EPIPE from a write: the
 * run stops (a reader's status 0, "stdout closed, exiting": the supervisor
 * restarts the pipeline).  The three signals are blocked except inside
 * ppoll(), so none is lost between a check and the wait, and a long
 * callback (a Modbus request) finds them waiting when it returns;
 * plx_loop_signalled() tells such a callback that one came.
 *
 * Records dropped because stdout was too slow (out.h) are said on stderr
 * at most every 10 s, and once more at the end. */
#ifndef PLX_LOOP_H
#define PLX_LOOP_H
#include <poll.h>
#include <signal.h>
#include <stdint.h>

#include "log.h"
#include "out.h"

#define PLX_LOOP_FDS    64     /* watched descriptors, at most */
#define PLX_LOOP_TIMERS 32
#define PLX_LOOP_RATELIMS 4

struct plx_loop;
typedef void plx_fd_fn(struct plx_loop *l, int fd, short revents, void *arg);
typedef void plx_timer_fn(struct plx_loop *l, void *arg);
typedef void plx_hook_fn(struct plx_loop *l, void *arg);

struct plx_loop {
	void *arg;              /* every callback's arg unless given its own */
	plx_hook_fn *on_term;   /* SIGTERM, SIGINT; NULL: plx_loop_stop(l, 0) */
	plx_hook_fn *on_hup;    /* SIGHUP; NULL: said and ignored */
	plx_hook_fn *on_stop;   /* once, when the run ends: last records out */
	/* before each wait: the tool's own next deadline (monotonic ms), or -1;
	 * it may change what is watched */
	int64_t (*prepare)(struct plx_loop *l, void *arg);
	int epipe_status;       /* exit status when stdout is gone (default 0) */

	/* read only */
	struct plx_out out;     /* the output queue (plx_loop_output) */
	int has_out;
	int stopping;           /* plx_loop_stop was called */
	int status;             /* ... with this */
	int signalled;          /* the stop came from SIGTERM or SIGINT */

	/* private */
	struct { int fd; short events; plx_fd_fn *fn; void *arg; } w[PLX_LOOP_FDS];
	int nw;
	struct { int64_t due, period; plx_timer_fn *fn; void *arg; int used; } t[PLX_LOOP_TIMERS];
	struct plx_ratelim *rl[PLX_LOOP_RATELIMS];
	int nrl;
	sigset_t orig;          /* the mask inside ppoll */
	sigset_t saved;         /* the mask before plx_loop_init */
	int out_said;           /* a stdout failure was said */
	unsigned long overruns_told;
	int64_t overrun_said;
};

/* Signals as above; arg is what callbacks get. */
void plx_loop_init(struct plx_loop *l, void *arg);
void plx_loop_free(struct plx_loop *l);
/* A reader's stdout: a bounded queue of max bytes (0: PLX_OUT_MAX_DEFAULT);
 * wait: a full queue waits for stdout instead of dropping (the input can
 * wait: a file).  Dies on failure (out of memory). */
void plx_loop_output(struct plx_loop *l, int fd, size_t max, int wait);
/* Queues nrec whole records; 0 queued, 1 dropped (counted: the queue was
 * full), -1 stdout failed: the run is stopping. */
int plx_loop_put(struct plx_loop *l, const char *text, size_t len, int nrec);
/* Writes out what is queued, as the end of the run does (for at most
 * PLX_OUT_STUCK_MS of a stdout that takes nothing, when stopped by a
 * signal): on_stop calls it before its last records, so that a queue a
 * stalled consumer filled does not drop them.  0, or -1: stdout failed. */
int plx_loop_drain(struct plx_loop *l);

/* Watches fd for events (POLLIN...); a handle.  plx_loop_fd_set changes
 * the descriptor and events (fd < 0 or events 0: not watched for now). */
int plx_loop_fd(struct plx_loop *l, int fd, short events, plx_fd_fn *fn);
void plx_loop_fd_set(struct plx_loop *l, int h, int fd, short events);
void plx_loop_fd_arg(struct plx_loop *l, int h, void *arg);

/* Timers: fn runs once at or after due (monotonic ms), or every period ms
 * from now.  A handle; plx_loop_arm moves a timer (due < 0: disarmed). */
int plx_loop_timer(struct plx_loop *l, int64_t due, plx_timer_fn *fn);
int plx_loop_every(struct plx_loop *l, int64_t period, plx_timer_fn *fn);
void plx_loop_arm(struct plx_loop *l, int h, int64_t due);
void plx_loop_timer_arg(struct plx_loop *l, int h, void *arg);

/* A rate limit of warnings (log.h) whose held-back lines the loop says
 * when their second is over, and at the end. */
void plx_loop_ratelim(struct plx_loop *l, struct plx_ratelim *rl);

/* Ends the run after the current callback, with status (the first one
 * given wins). */
void plx_loop_stop(struct plx_loop *l, int status);
/* A SIGTERM or SIGINT is waiting, or came. */
int plx_loop_signalled(struct plx_loop *l);
/* A callback that waits on its own (plx-upload's HTTP request) can act on
 * SIGTERM and SIGINT meanwhile: plx_loop_term_fd() is a new descriptor (a
 * signalfd; the caller closes it) readable while one of them waits, and
 * plx_loop_take_term takes one that waits as the loop would (on_term
 * runs): 1, or 0 when none did.  SIGHUP still waits for the loop. */
int plx_loop_term_fd(void);
int plx_loop_take_term(struct plx_loop *l);
/* Runs until stopped; the exit status. */
int plx_loop_run(struct plx_loop *l);

#endif
