/* Time: wall clock for record timestamps (epoch ms, taken at acquisition),
 * monotonic clock for deadlines, intervals and ages measured in-process. */
#ifndef PLX_CLOCK_H
#define PLX_CLOCK_H
#include <stdint.h>

int64_t plx_now_ms(void);    /* CLOCK_REALTIME, epoch milliseconds */
int64_t plx_mono_ms(void);   /* CLOCK_MONOTONIC, milliseconds */
void plx_sleep_ms(int64_t ms); /* sleeps the whole time despite signals, unless one sets *plx_sleep_stop */
extern volatile int *plx_sleep_stop;

#endif
