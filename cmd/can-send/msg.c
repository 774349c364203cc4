/* can-send: a DBC message's frame from "signal=value" arguments
 * (cansend.h), through lib/dbc's encoder: every value checked before the
 * frame exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cansend.h"
#include "log.h"

static const struct dbc_msg *
find_msg(const struct dbc *d, const char *name)
{
	int i;

	for (i = 0; i < d->nmsg; i++)
		if (!strcmp(d->msg[i].name, name) && !(d->msg[i].id & ~(CAN_EFF_FLAG | CAN_EFF_MASK)))
			return &d->msg[i];
	return NULL;
}

int
cs_message(const struct dbc *d, const char *msg, char *const *args, int n, struct canfd_frame *f, int *fd,
           char *err, size_t errlen)
{
	const struct dbc_msg *m = find_msg(d, msg);
	int *set = plx_xcalloc((size_t)n + 1, sizeof *set), i, j, rc = -1;
	uint64_t *raw = plx_xcalloc((size_t)n + 1, sizeof *raw);
	const char *eq;
	char why[300];

	if (!m) {
		snprintf(err, errlen, "%.64s: no such message in the DBC", msg);
		goto out;
	}
	if (m->size > CANFD_MAX_DLEN || !dbc_len_exists(m->size)) {
		snprintf(err, errlen, "%s: %u bytes, a size no CAN frame has", m->name, m->size);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!(eq = strchr(args[i], '=')) || eq == args[i]) {
			snprintf(err, errlen, "%.64s: expected signal=value", args[i]);
			goto out;
		}
		for (j = 0; j < m->nsig; j++)
			if (strlen(m->sig[j].name) == (size_t)(eq - args[i]) && !memcmp(m->sig[j].name, args[i], (size_t)(eq - args[i])))
				break;
		if (j == m->nsig) {
			snprintf(err, errlen, "%.*s: no such signal in message %s", (int)(eq - args[i] > 64 ? 64 : eq - args[i]),
			         args[i], m->name);
			goto out;
		}
		if (dbc_value_parse(&m->sig[j], eq + 1, &raw[i], why, sizeof why) < 0) {
			snprintf(err, errlen, "%s: %s", m->sig[j].name, why);
			goto out;
		}
		set[i] = j;
	}
	memset(f, 0, sizeof *f);
	if (dbc_encode(d, m, set, raw, n, f->data, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", m->name, why);
		goto out;
	}
	f->can_id = m->id;
	f->len = (uint8_t)m->size;
	*fd = m->size > CAN_MAX_DLEN;
	if (*fd)
		f->flags = CANFD_FDF;      /* as canframe_parse and cansend set it */
	rc = 0;
out:
	free(set);
	free(raw);
	return rc;
}
