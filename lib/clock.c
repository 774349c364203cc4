/* Time: see clock.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "clock.h"
#include "log.h"

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
int64_t plx_boot_ms(void) { return ms(CLOCK_BOOTTIME); }

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

void
plx_clock_say_unsynced(void)
{
	if (plx_clock_synced() == 0)
		plx_info("the system clock is not synchronised: records are stamped with it as it is");
}

/* The first 8 hex digits of this boot's id, or "" if unknown. */
const char *
plx_boot_id(void)
{
	static char id[9];
	static int done;
	FILE *f;

	if (!done) {
		done = 1;
		if ((f = fopen("/proc/sys/kernel/random/boot_id", "re"))) {
			if (fscanf(f, "%8[0-9a-f]", id) != 1 || strlen(id) != 8)
				id[0] = '\0';
			fclose(f);
		}
	}
	return id;
}

const char *
plx_clock_mark(char *buf, int64_t ts)
{
	static int64_t checked = INT64_MIN, wall_minus_boot;
	static int synced = 1;
	int64_t mono = plx_mono_ms(), boot;

	if (checked == INT64_MIN || mono - checked >= 1000) {
		checked = mono;
		synced = plx_clock_synced() != 0;
		wall_minus_boot = plx_now_ms() - plx_boot_ms();
	}
	if (synced || !*plx_boot_id() || ts <= 0)
		return NULL;
	boot = ts - wall_minus_boot;     /* both positive: no overflow */
	if (boot < 0 || boot > plx_boot_ms() + 1000)
		return NULL;
	snprintf(buf, 32, "%s:%lld", plx_boot_id(), (long long)boot);
	return buf;
}

int64_t
plx_clock_mark_boot_ms(const char *mark)
{
	const char *id = plx_boot_id();
	char *end;
	long long v;

	if (!*id || strncmp(mark, id, 8) || mark[8] != ':')
		return -1;
	errno = 0;
	v = strtoll(mark + 9, &end, 10);
	return errno || *end || end == mark + 9 || v < 0 ? -1 : v;
}
