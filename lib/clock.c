/* Time: see clock.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "clock.h"

volatile int *plx_sleep_stop;

static int64_t
ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t plx_now_ms(void) { return ms(CLOCK_REALTIME); }
int64_t plx_mono_ms(void) { return ms(CLOCK_MONOTONIC); }

void
plx_sleep_ms(int64_t d)
{
	int64_t end = plx_mono_ms() + d, left;
	struct timespec ts;

	while ((left = end - plx_mono_ms()) > 0) {
		if (plx_sleep_stop && *plx_sleep_stop)
			return;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		if (nanosleep(&ts, NULL) == 0)
			return;
	}
}

int
plx_clock_synced(void)
{
	const char *e = getenv("PLEXUS_CLOCK");
	struct timex tx;
	int rc;

	if (e && !strcmp(e, "synced"))
		return 1;
	if (e && !strcmp(e, "unsynced"))
		return 0;
	memset(&tx, 0, sizeof tx);     /* modes 0: only read */
	if ((rc = adjtimex(&tx)) < 0)
		return -1;
	return rc != TIME_ERROR && !(tx.status & STA_UNSYNC);
}
