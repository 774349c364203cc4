/* lib/live.c: liveness per device: the bound learned from the gaps or
 * given, a silent device said once and again when it speaks, records. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "live.h"
#include "unit.h"

int
main(void)
{
	struct plx_live lv;
	struct plx_recs r;
	int a, b, i, err_fd, p[2];
	char said[4096];
	ssize_t n;

	plx_live_init(&lv, "serial");
	a = plx_live_dev(&lv, "furnace", 0);
	b = plx_live_dev(&lv, "fridge", 2000);
	T(a == 0 && b == 1 && plx_live_dev(&lv, "furnace", 0) == 0, "devices found by name, added once");
	T(plx_live_bound(&lv, a) < 0, "no data yet, no expect: no bound");
	T(plx_live_bound(&lv, b) == 10000, "expect 2s: 5 x 2 s = 10 s (%lld)", (long long)plx_live_bound(&lv, b));
	for (i = 0; i < 6; i++)
		plx_live_data(&lv, a, 1000000 + i * 3000);
	T(plx_live_bound(&lv, a) == 15000, "learned from 5 gaps of 3 s: 15 s (%lld)", (long long)plx_live_bound(&lv, a));
	plx_live_dev(&lv, "fast", 0);
	for (i = 0; i < 6; i++)
		plx_live_data(&lv, 2, 1000000 + i * 100);
	T(plx_live_bound(&lv, 2) == PLX_LIVE_MIN_MS, "a device every 100 ms: the floor, 10 s");

	/* silent: said once; speaks again: said once */
	T(pipe(p) == 0, "pipe for stderr");
	err_fd = dup(2);
	dup2(p[1], 2);
	plx_live_connected(&lv, a, 1);
	plx_live_check(&lv, 1015000 + 14000);     /* 14 s after the last: within 15 */
	plx_live_check(&lv, 1015000 + 16000);     /* 16 s: silent */
	plx_live_check(&lv, 1015000 + 30000);     /* still: not said again */
	plx_live_data(&lv, a, 1015000 + 31000);
	plx_live_check(&lv, 1015000 + 31000);
	dup2(err_fd, 2);
	close(p[1]);
	n = read(p[0], said, sizeof said - 1);
	said[n > 0 ? n : 0] = '\0';
	T(strstr(said, "furnace: silent for 16 s (it speaks every 3.0 s)") != NULL, "silent: said (%s)", said);
	T(strstr(said, "furnace: silent for") && !strstr(strstr(said, "furnace: silent for") + 1, "furnace: silent for"),
	  "... once");
	T(strstr(said, "fast: silent for 28 s (it speaks every 0.1 s)") != NULL,
	  "a device that speaks every 100 ms: silent past the 10 s floor, said with its own interval");
	T(strstr(said, "furnace: speaks again") != NULL, "speaking again: said");

	/* records: three a device, tagged device= */
	/* the 31 s gap moved the learned mean to 3 + (31 - 3) / 8 = 6.5 s: the
	 * bound is 32.5 s, and 40 s of quiet is past it */
	plx_recs_init(&r);
	plx_live_check(&lv, 1046000 + 40000);
	T(plx_live_records(&lv, &r, 1763800000000, 1046000 + 40000, NULL) == 0 && r.n == 9, "3 records x 3 devices (%d)", r.n);
	T(strstr(r.s, "{\"class\":\"metric\",\"metric\":\"gateway.serial.device.connected\",\"value\":1,"
	              "\"timestamp\":1763800000000,\"tags\":{\"device\":\"furnace\"}}") != NULL, "connected, tagged");
	T(strstr(r.s, "\"metric\":\"gateway.serial.device.age_s\",\"value\":40,") != NULL, "age in seconds");
	T(strstr(r.s, "\"metric\":\"gateway.serial.device.silent\",\"value\":1,\"timestamp\":1763800000000,"
	              "\"tags\":{\"device\":\"furnace\"}") != NULL, "silent again, past the learned bound");
	T(strstr(r.s, "\"metric\":\"gateway.serial.device.age_s\",\"value\":-1,\"timestamp\":1763800000000,"
	              "\"tags\":{\"device\":\"fridge\"}") != NULL, "no data yet: age -1");
	plx_recs_free(&r);
	plx_live_free(&lv);

	/* renamed (the devices file read again): the state goes with it, the
	 * old name is followed no more */
	plx_live_init(&lv, "can");
	a = plx_live_dev(&lv, "can0", 0);
	plx_live_connected(&lv, a, 1);
	plx_live_data(&lv, a, 5000);
	T(plx_live_rename(&lv, a, "bus", 1000) == a && lv.n == 1 && !strcmp(lv.d[a].name, "bus") &&
	  lv.d[a].connected && lv.d[a].last == 5000 && plx_live_bound(&lv, a) == PLX_LIVE_MIN_MS,
	  "renamed in place: connected, its last data, the new expect");
	b = plx_live_dev(&lv, "old", 0);
	T(plx_live_rename(&lv, a, "old", 0) == b && lv.d[b].connected && lv.d[b].last == 5000 &&
	  !lv.d[a].last && !lv.d[a].connected && !strcmp(lv.d[a].name, "bus"),
	  "renamed to a name followed before: the state moves there, the old one forgotten");
	T(plx_live_rename(&lv, -1, "new", 0) == 2, "none before: a new device");
	{
		struct plx_tags t = { 0 };
		char e[200];
		plx_recs_init(&r);
		T(plx_tags_add(&t, "device", "gw", e, sizeof e) == 0 && plx_tags_add(&t, "unit_id", "3", e, sizeof e) == 0 &&
		  plx_live_records_dev(&lv, b, &r, 1763800000000, 6000, &t) == 0 && r.n == 3 &&
		  strstr(r.s, "\"metric\":\"gateway.can.device.age_s\",\"value\":1,\"timestamp\":1763800000000,"
		              "\"tags\":{\"device\":\"gw\",\"unit_id\":\"3\"}}"),
		  "one device's records with its own tags: a device tag there is kept");
		plx_recs_free(&r);
	}
	plx_live_forget(&lv, b);
	plx_live_check(&lv, 1000000);
	T(!lv.d[b].silent && !lv.d[b].connected, "forgotten: never silent, not connected");
	plx_live_free(&lv);
	UNIT_END();
}
