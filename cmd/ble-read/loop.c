/* ble-read: the loop (lib/loop).  The D-Bus connection is a watch whose
 * events sd-bus says before each wait (POLLIN, and POLLOUT while it has
 * calls to write), with sd-bus's own deadline (method call timeouts,
 * messages already read); timers: the status records, the GATT tick, the
 * scan window (--scan-duration).
 *
 * Advertisements cannot be paused: at 500 devices x 10 Hz the loop takes
 * what the bus brings and queues records on stdout (lib/out.c); when the
 * consumer is slow the queue fills and records are dropped and counted
 * (status "gateway.ble.overruns"), the bus is never left unread.  SIGTERM/SIGINT:
 * discovery stopped, last status, queue drained, exit 0.  SIGHUP: the
 * devices file read again (ident.c), discovery armed again.  A broken stdout (EPIPE) ends the run (exit 0).  The bus
 * itself failing ends it with EX_UNAVAILABLE: the supervisor restarts it. */
#include <poll.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ble.h"
#include "clock.h"
#include "log.h"
#include "loop.h"

#define BATCH 256          /* bus messages handled before stdout gets a turn */
#define GATT_TICK_MS 1000
#define WARN_PER_S 20      /* stderr lines about what devices send, per second */

struct app *ble_app;

void
app_fatal_bus(struct app *a, int r, const char *what)
{
	plx_warn("D-Bus: %s: %s", what, strerror(r < 0 ? -r : r));
	plx_loop_stop(a->l, EX_UNAVAILABLE);
}

/* What sd-bus has to do: at most BATCH messages, then stdout gets a turn. */
static void
bus_process(struct app *a)
{
	int i, r = 0;

	for (i = 0; i < BATCH && (r = sd_bus_process(a->bus, NULL)) > 0; i++)
		;
	if (r < 0)
		app_fatal_bus(a, r, "the bus connection failed");
	a->bus_more = i == BATCH;
}

static void
on_bus(struct plx_loop *l, int fd, short revents, void *arg)
{
	bus_process(arg);
}

/* Before each wait: what sd-bus must do without an event on its descriptor
 * (messages it read already, a call timed out); discovery armed or stopped
 * as wanted; the events sd-bus waits for; its deadline, or the adapter's
 * next attempt. */
static int64_t
prepare(struct plx_loop *l, void *arg)
{
	struct app *a = arg;
	uint64_t usec;
	int64_t due;

	if (a->bus_more || (a->bus_due >= 0 && plx_mono_ms() >= a->bus_due))
		bus_process(a);
	bluez_scan_update(a);
	plx_loop_fd_set(l, a->bus_watch, sd_bus_get_fd(a->bus), (short)sd_bus_get_events(a->bus));
	a->bus_due = sd_bus_get_timeout(a->bus, &usec) >= 0 && usec != UINT64_MAX ? (int64_t)((usec + 999) / 1000) : -1;
	due = a->bus_more ? 0 : a->bus_due;
	if (a->ad.retry_at && (due < 0 || a->ad.retry_at < due))
		due = a->ad.retry_at;
	return due;
}

/* --scan-duration: scanning for scan_ms, every interval_ms. */
static void
scan_window(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	if (a->scanning) {
		a->scanning = 0;
		a->scan_next = a->scan_start + a->o->interval_ms;
	} else {
		a->scanning = 1;
		a->scan_start = plx_mono_ms();
		a->scan_next = a->scan_start + a->o->scan_ms;
	}
	plx_loop_arm(l, a->scan_timer, a->scan_next);
	bluez_scan_update(a);
}

static void
gatt_timer(struct plx_loop *l, void *arg)
{
	gatt_tick(arg);
}

static void
live_tick(struct plx_loop *l, void *arg)
{
	plx_live_check(&((struct app *)arg)->live, plx_mono_ms());
}

/* The check of the sensors the devices file names: only when it names
 * some (no wake-up a second for nothing). */
static void
live_arm(struct app *a)
{
	if (a->live.n && !a->live_ticking++)
		plx_loop_every(a->l, 1000, live_tick);
}

static void
status(struct plx_loop *l, void *arg)
{
	emit_status(arg);
}

static void
on_hup(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	plx_info("SIGHUP: reading the devices file, setting the discovery filter and starting discovery again");
	ident_reload(a);
	live_arm(a);
	a->ad.armed = 0;
	a->ad.retry_at = 0;
}

static void
finish(struct plx_loop *l, void *arg)
{
	struct app *a = arg;

	if (l->status == EX_UNAVAILABLE)
		return;             /* the bus failed: nothing to ask of it */
	bluez_stop(a);
	if (a->o->status_ms)
		emit_status(a);
}

int
run(const struct ble_opts *o)
{
	static struct app a;
	struct plx_loop l;
	int rc = EX_UNAVAILABLE;

	ble_app = &a;
	a.o = o;
	a.l = &l;
	a.bus_due = -1;
	a.gatt_busy = -1;
	a.scanning = 1;
	a.scan_start = plx_mono_ms();
	a.scan_next = a.scan_start + o->scan_ms;
	a.rl.per_s = WARN_PER_S;
	a.rl.what = "warnings about devices";
	plx_loop_init(&l, &a);
	plx_loop_output(&l, STDOUT_FILENO, (size_t)o->out_max, 0);
	plx_loop_ratelim(&l, &a.rl);
	plx_recs_init(&a.recs);
	devtab_init(&a.tab, (int)o->max_devices);
	ident_init(&a);
	if (bluez_start(&a) == 0) {
		a.bus_watch = plx_loop_fd(&l, sd_bus_get_fd(a.bus), POLLIN, on_bus);
		if (o->gatt)
			plx_loop_every(&l, GATT_TICK_MS, gatt_timer);
		if (o->status_ms)
			plx_loop_every(&l, o->status_ms, status);
		live_arm(&a);
		if (o->scan_ms)
			a.scan_timer = plx_loop_timer(&l, a.scan_next, scan_window);
		l.prepare = prepare;
		l.on_hup = on_hup;
		l.on_stop = finish;
		rc = plx_loop_run(&l);
	}
	if (a.bus)
		sd_bus_flush_close_unref(a.bus);
	devtab_free(&a.tab);
	ident_free(&a);
	plx_recs_free(&a.recs);
	plx_loop_free(&l);
	return rc;
}
