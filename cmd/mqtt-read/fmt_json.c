/* -F json: any JSON object, one reading a leaf, as serial-read's json
 * format names them: nested keys dotted, arrays by index; numbers are
 * metrics, strings and booleans events, null nothing.  The device is the
 * topic:
 *
 *   plant/line1  {"t":21.5,"env":{"h":40},"ok":true,"v":[1,2]}
 *     -> device plant/line1: t 21.5, env.h 40, ok true, v.0 1, v.1 2 */
#include <string.h>

#include "decode.h"

int
fmt_json(struct mq_dec *d, const char *p, size_t n, char *err, size_t errlen)
{
	if (mq_json(d, p, n, err, errlen) < 0 || mq_flatten(d, "", d->root, NULL, err, errlen) < 0)
		return -1;
	mq_device(d, d->topic, strlen(d->topic));
	return d->n;
}
