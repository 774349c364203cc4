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
/* A reader at its start: says on stderr (plx_info) when the clock is not
 * synchronised, since its records are stamped with it as it is. */
void plx_clock_say_unsynced(void);

/* Records taken while the clock is not synchronised carry a mark of where
 * they were taken on the boot's own clock, "_plx_clk":"BOOT:MS" (BOOT: the
 * first 8 hex digits of the kernel's boot id; MS: CLOCK_BOOTTIME ms at the
 * record's timestamp), so that plx-upload can give them the right time once
 * it knows it (plx-upload(1), THE CLOCK).  The mark never reaches Plexus. */
#define PLX_CLK_KEY "_plx_clk"
/* The mark for a record stamped ts, in buf (32 bytes), or NULL: the clock
 * is synchronised (or its state unknown), or ts is not a time of this boot
 * by the clock as it is (a replayed log).  Reads the clock's state at most
 * once a second. */
const char *plx_clock_mark(char *buf, int64_t ts);
/* A mark's boot-clock ms if it was taken in this boot, else -1. */
int64_t plx_clock_mark_boot_ms(const char *mark);
int64_t plx_boot_ms(void);    /* CLOCK_BOOTTIME, milliseconds */
const char *plx_boot_id(void); /* the first 8 hex digits of this boot's id, "" if unknown */

#endif
