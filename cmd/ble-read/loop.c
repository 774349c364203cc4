/* ble-read: the loop.  One ppoll() on the D-Bus connection and on stdout
 * (when records wait in the queue), signals unblocked only inside it, and
 * deadlines: sd-bus's own (method call timeouts), the status records, the
 * scan window (--scan-duration), the GATT tick.
 *
 * Advertisements cannot be paused: at 500 devices x 10 Hz the loop takes
 * what the bus brings and queues records on stdout (lib/out.c); when the
 * consumer is slow the queue fills and records are dropped and counted
 * (status "gateway.ble.overruns"), the bus is never left unread.  SIGTERM/SIGINT:
 * discovery stopped, last status, queue drained, exit 0.  SIGHUP: discovery
 * armed again.  A broken stdout (EPIPE) ends the run (exit 0).  The bus
 * itself failing ends it with EX_UNAVAILABLE: the supervisor restarts it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ble.h"
#include "clock.h"
#include "log.h"
#include "sig.h"

#define BATCH 256          /* bus messages handled before stdout gets a turn */

struct app *ble_app;
void
app_fatal_bus(struct app *a, int r, const char *what)
{
	plx_warn("D-Bus: %s: %s", what, strerror(r < 0 ? -r : r));
	if (!a->stop)
		a->stop = 0x100 | EX_UNAVAILABLE;
}

/* --scan-duration: scanning for scan_s seconds, every interval_s. */
static void
scan_window(struct app *a, int64_t now)
{
	static int64_t start;

	if (!a->o->scan_s || now < a->scan_next)
		return;
	if (a->scanning) {
		a->scanning = 0;
		a->scan_next = start + (int64_t)a->o->interval_s * 1000;
	} else {
		a->scanning = 1;
		start = now;
		a->scan_next = now + (int64_t)a->o->scan_s * 1000;
	}
	bluez_scan_update(a);
}

static int64_t
earlier(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The next deadline of ours or sd-bus's, monotonic ms. */
static int64_t
deadline(struct app *a, int64_t next_status, int64_t next_tick)
{
	uint64_t usec;
	int64_t t = next_tick;

	if (a->o->status_s)
		t = earlier(t, next_status);
	if (a->o->scan_s)
		t = earlier(t, a->scan_next);
	if (a->ad.retry_at)
		t = earlier(t, a->ad.retry_at);
	if (sd_bus_get_timeout(a->bus, &usec) >= 0 && usec != UINT64_MAX)
		t = earlier(t, (int64_t)((usec + 999) / 1000));
	return t;
}

static void
wait_events(struct app *a, int64_t until, const sigset_t *orig)
{
	struct pollfd p[2] = { { .fd = sd_bus_get_fd(a->bus), .events = (short)sd_bus_get_events(a->bus) },
	                       { .fd = plx_out_pending(&a->out) ? a->out.fd : -1, .events = POLLOUT } };
	int64_t w = until - plx_mono_ms();
	struct timespec ts;

	if (w < 0)
		w = 0;
	ts.tv_sec = w / 1000;
	ts.tv_nsec = (w % 1000) * 1000000;
	if (ppoll(p, 2, &ts, orig) < 0 && errno != EINTR)
		app_fatal_bus(a, errno, "poll");
}

static void
loop(struct app *a, const sigset_t *orig)
{
	int64_t now = plx_mono_ms(), next_status = now + (int64_t)a->o->status_s * 1000, next_tick = now;
	int i, r = 0;

	while (!a->stop && !plx_got_term) {
		for (i = 0; i < BATCH && (r = sd_bus_process(a->bus, NULL)) > 0; i++)
			;
		if (i < BATCH && r < 0) {
			app_fatal_bus(a, r, "the bus connection failed");
			break;
		}
		if (plx_out_flush(&a->out) < 0 && !a->stop)
			a->stop = 0x100;
		now = plx_mono_ms();
		if (plx_got_hup) {
			plx_got_hup = 0;
			a->ad.armed = 0;
			a->ad.retry_at = 0;
		}
		scan_window(a, now);
		bluez_scan_update(a);
		if (now >= next_tick) {
			gatt_tick(a);
			next_tick = now + 1000;
		}
		if (a->o->status_s && now >= next_status) {
			emit_status(a);
			next_status = now + (int64_t)a->o->status_s * 1000;
		}
		if (a->suppressed)
			warn_tick(a);
		if (!a->stop)
			wait_events(a, i == BATCH ? now : deadline(a, next_status, next_tick), orig);
	}
}

static int
finish(struct app *a)
{
	int st = a->stop ? a->stop & 0xff : 0;

	if (a->out.err) {
		if (a->out.err != EPIPE) {
			plx_warn("write to stdout: %s", strerror(a->out.err));
			return EX_IOERR;
		}
		plx_info("stdout closed, exiting");
		return 0;
	}
	if (st == EX_UNAVAILABLE)
		return st;
	bluez_stop(a);
	if (a->o->status_s)
		emit_status(a);
	if (plx_out_drain(&a->out, plx_got_term) < 0 && a->out.err != EPIPE) {
		plx_warn("write to stdout: %s", strerror(a->out.err));
		return EX_IOERR;
	}
	return st;
}

int
run(const struct ble_opts *o)
{
	static struct app a;
	sigset_t orig;
	int rc;

	ble_app = &a;
	a.o = o;
	a.gatt_busy = -1;
	a.scanning = 1;
	a.scan_next = plx_mono_ms() + (int64_t)o->scan_s * 1000;
	plx_recs_init(&a.recs);
	if (devtab_init(&a.tab, o->max_devices) < 0 || plx_out_init(&a.out, STDOUT_FILENO, o->out_max) < 0)
		plx_die(EX_OSERR, "out of memory");
	plx_signals_setup(&orig);

	if (bluez_start(&a) < 0) {
		rc = EX_UNAVAILABLE;
	} else {
		loop(&a, &orig);
		rc = finish(&a);
	}
	if (a.bus)
		sd_bus_flush_close_unref(a.bus);
	devtab_free(&a.tab);
	plx_recs_free(&a.recs);
	plx_out_free(&a.out);
	return rc;
}
