/* Time: wall clock for record timestamps (epoch ms, taken at acquisition),
 * monotonic clock for deadlines, intervals and ages measured in-process. */
#ifndef PLX_CLOCK_H
#define PLX_CLOCK_H
#include <stdint.h>

int64_t plx_now_ms(void);    /* CLOCK_REALTIME, epoch milliseconds */
int64_t plx_mono_ms(void);   /* CLOCK_MONOTONIC, milliseconds */
void plx_sleep_ms(int64_t ms); /* sleeps the whole time despite signals, unless one sets *plx_sleep_stop */
extern volatile int *plx_sleep_stop;

/* Whether the kernel says the system clock is synchronised (NTP, chrony,
 * systemd-timesyncd, a GPS): 1 yes, 0 no (a board without a real-time clock
 * that has not reached a time server yet), -1 unknown.  PLEXUS_CLOCK=synced
 * or unsynced overrides it, for tests. */
int plx_clock_synced(void);

#endif
