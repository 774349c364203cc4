/* Tiny unit-test harness: TAP-style lines, counted by tests/run.
 *   T(expr, "what")   one check
 *   T_STR(got, want)  string equality, shows both on failure */
#ifndef UNIT_H
#define UNIT_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int unit_failed;
#define T(e, ...) do { if (e) { printf("ok - "); } else { printf("not ok - "); unit_failed = 1; } \
	printf(__VA_ARGS__); printf(" (%s:%d)\n", __FILE__, __LINE__); } while (0)
#define T_STR(got, want, what) do { const char *g_ = (got), *w_ = (want); \
	T(g_ && !strcmp(g_, w_), "%s", what); \
	if (!g_ || strcmp(g_, w_)) printf("#   got  '%s'\n#   want '%s'\n", g_ ? g_ : "(null)", w_); } while (0)
#define UNIT_END() return unit_failed
/* Pseudo-random numbers, the same sequence every run (xorshift64). */
static inline uint64_t
unit_rand(void)
{
	static uint64_t s = 88172645463325252ull;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}
#endif
