/* -F tasmota: Wi-Fi plugs and sensors running Tasmota (its documentation,
 * "MQTT": telemetry every TelePeriod on tele/%topic%/SENSOR and STATE):
 *
 *   tele/plug1/SENSOR  {"Time":"2019-02-19T20:47:50","AM2301":{"Temperature":21.6,
 *                       "Humidity":50.6},"TempUnit":"C"}
 *   tele/plug1/STATE   {"Time":"...","UptimeSec":911,"POWER":"ON","Wifi":{"RSSI":100,..}}
 *   tele/plug1/LWT     Online
 *
 * Readings: each sensor value as the json format names it (AM2301.Temperature,
 * Wifi.RSSI, POWER); "Time" is the readings' time when it carries an offset
 * (SetOption52 1), else - the device's local time, which the gateway cannot
 * know - the arrival time is; the units ("TempUnit":"C", "PressureUnit")
 * name units, not readings.  A payload that is no JSON object (LWT's
 * Online) is one reading named by the topic's last level.  The device is
 * %topic%, the second level. */
#include <stdio.h>
#include <string.h>

#include "decode.h"

static const char *const skip[] = { "Time", "TempUnit", "PressureUnit", "SpeedUnit", "DistanceUnit", NULL };

int
fmt_tasmota(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	const char *t;
	int64_t ms;

	if (d->nlevel < 3) {
		snprintf(err, errlen, "tasmota: a topic of prefix/%%topic%%/NAME expected");
		return -1;
	}
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n || p[0] != '{') {
		if (fmt_plain(d, p, n, err, errlen) < 0)
			return -1;
		mq_device(d, d->level[1], strlen(d->level[1]));
		return d->n;
	}
	mq_device(d, d->level[1], strlen(d->level[1]));
	if (mq_json(d, p, n, err, errlen) < 0)
		return -1;
	if ((t = mq_get_str(d->root, "Time")) && mq_time(t, &ms) == 0)
		d->ts = ms;
	if (mq_flatten(d, "", d->root, skip, err, errlen) < 0)
		return -1;
	return d->n;
}
