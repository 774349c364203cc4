/* What a person asks of a spool: --status, --dead, --requeue-dead, --forget-device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <json-c/json.h>

#include "buffer.h"
#include "clock.h"
#include "log.h"

/* Ages as a person reads them. */
static void
age(const char *what, int64_t t, int64_t now)
{
	if (t)
		printf("%-16s%.1fs\n", what, (now - t) / 1000.0);
	else
		printf("%-16s-\n", what);
}

/* The devices the readers report on (table devices), for --status: how
 * many, and the names of those silent, or whose liveness records stopped
 * coming for longer than --stale (their reader is down). */
struct devs {
	struct spool *sp;
	int64_t stale_ms;
	int n, silent, gone;
	char names[400];      /* "reader/device (silent), ..." */
};

static int
device(void *arg, const char *reader, const char *name, int connected, int silent, int64_t updated)
{
	struct devs *d = arg;
	int64_t age = spool_age(d->sp, updated);
	int gone = d->stale_ms && age > d->stale_ms;
	size_t w = strlen(d->names);

	d->n++;
	if (!silent && !gone)
		return 0;
	d->silent += silent && !gone;
	d->gone += gone;
	if (w < sizeof d->names - 1)
		snprintf(d->names + w, sizeof d->names - w, "%s%s/%s (%s)", w ? ", " : "", reader, name,
		         gone ? "no liveness records: its reader is down" : connected ? "silent" : "silent, disconnected");
	return 0;
}

/* The spool's figures and plx-upload's last exchange with the server; the
 * last line, and the exit status, say whether all is well (enum health). */
int
show_status(struct spool *sp, int64_t stale_ms, int64_t backlog)
{
	struct spool_stats st;
	struct spool_upload u;
	int64_t now = plx_now_ms(), unseen = spool_dead_unseen(sp);
	int synced = plx_clock_synced(), rc = HEALTH_OK;
	char why[600] = "ok";
	struct devs d = { .sp = sp, .stale_ms = stale_ms };

	if (spool_stats(sp, &st) < 0 || spool_last_upload(sp, &u) < 0 || unseen < 0 ||
	    spool_devices(sp, device, &d) < 0) {
		printf("%-16s%s\n", "health", "unreadable: the spool cannot be read");
		return HEALTH_UNREADABLE;
	}
	printf("%-16s%s\n", "spool", sp->path);
	printf("%-16s%lld\n", "depth", (long long)st.depth);
	printf("%-16s%lld\n", "bytes", (long long)st.bytes);
	if (st.depth)   /* on the spool's clock, which clock steps do not move */
		printf("%-16s%.1fs\n", "oldest_age", spool_age(sp, st.oldest_t) / 1000.0);
	else
		printf("%-16s-\n", "oldest_age");
	printf("%-16s%lld\n", "last_seq", (long long)st.last_seq);
	printf("%-16s%lld\n", "accepted", (long long)st.accepted);
	printf("%-16s%lld\n", "rejected", (long long)st.rejected);
	printf("%-16s%lld\n", "dropped", (long long)st.dropped);
	printf("%-16s%lld\n", "acked", (long long)st.acked);
	printf("%-16s%lld\n", "dead", (long long)st.dead);
	printf("%-16s%lld\n", "dead_unseen", (long long)unseen);
	age("upload_last", u.t, now);
	age("upload_ok", u.last_success, now);
	if (!u.t)       /* no plx-upload has written here: no status, not 0 */
		printf("%-16s%s\n", "upload_status", "none: no upload yet");
	else if (!u.status)
		printf("%-16s%s\n", "upload_status", "-");   /* no answer came: upload_error says why */
	else
		printf("%-16s%ld\n", "upload_status", u.status);
	printf("%-16s%s\n", "upload_error", *u.error ? u.error : "-");
	printf("%-16s%lldms\n", "upload_latency", (long long)u.latency_ms);
	if (u.clock_offset_ms != INT64_MIN)
		printf("%-16s%+.1fs\n", "clock_offset", -u.clock_offset_ms / 1000.0);
	else
		printf("%-16s-\n", "clock_offset");
	printf("%-16s%s\n", "clock_synced", synced > 0 ? "yes" : synced == 0 ? "no" : "unknown");
	printf("%-16s%d\n", "devices", d.n);
	printf("%-16s%d\n", "devices_silent", d.silent + d.gone);
	if (u.status == 401 || u.status == 403) {
		rc = HEALTH_REFUSED;
		snprintf(why, sizeof why, "refused: the server answered %ld to the last upload (the API key)", u.status);
	} else if (unseen) {
		rc = HEALTH_DEAD;
		snprintf(why, sizeof why, "dead letters: %lld the server refused, not yet looked at (plx-buffer --dead)",
		         (long long)unseen);
	} else if (st.depth && stale_ms && spool_age(sp, st.oldest_t) > stale_ms) {
		rc = HEALTH_STALE;
		snprintf(why, sizeof why, "stale: a record waited %.0fs (--stale %.0fs)", spool_age(sp, st.oldest_t) / 1000.0,
		         stale_ms / 1000.0);
	} else if (backlog && st.depth > backlog) {
		rc = HEALTH_BACKLOG;
		snprintf(why, sizeof why, "backlog: %lld records wait (--backlog %lld)", (long long)st.depth,
		         (long long)backlog);
	} else if (d.silent + d.gone) {
		rc = HEALTH_SILENT;
		snprintf(why, sizeof why, "silent: %s%s", d.names,
		         d.gone ? "; one removed for good: plx-buffer --forget-device READER/NAME" : "");
	}
	printf("%-16s%s\n", "health", why);
	if (ferror(stdout))
		return EX_IOERR;
	return rc;
}

static int
dead_line(void *arg, int64_t seq, int64_t t, int status, const char *error, const char *data)
{
	json_object *e = json_object_new_string(error);

	*(int64_t *)arg = seq;   /* listed in seq order: the last is the highest */
	printf("{\"seq\":%lld,\"at\":%lld,\"status\":%d,\"error\":%s,\"record\":%s}\n",
	       (long long)seq, (long long)t, status,
	       json_object_to_json_string_ext(e, JSON_C_TO_STRING_NOSLASHESCAPE), data);
	json_object_put(e);
	return 0;
}

/* Listing them is looking at them: once they were written out, --status no
 * longer fails for these (a person's action; --status itself never writes). */
int
show_dead(struct spool *sp)
{
	int64_t last = 0;

	if (spool_dead_list(sp, dead_line, &last) < 0 || fflush(stdout) == EOF || ferror(stdout))
		return EX_IOERR;
	return last && spool_dead_seen(sp, last) < 0 ? EX_IOERR : 0;
}

int
requeue_dead(struct spool *sp)
{
	int64_t n = spool_requeue_dead(sp, spool_now(sp));

	if (n < 0)
		return EX_IOERR;
	plx_warn("requeued %lld dead letters", (long long)n);
	return 0;
}

/* READER/NAME as --status names a device, or READER alone for all of its
 * devices (a reader taken off the machine). */
int
forget_device(struct spool *sp, const char *which)
{
	const char *slash = strchr(which, '/');
	char *reader = plx_xstrndup(which, slash ? (size_t)(slash - which) : strlen(which));
	int64_t n = *reader ? spool_forget_devices(sp, reader, slash ? slash + 1 : NULL) : 0;
	int rc = 0;

	if (n < 0)
		rc = EX_IOERR;
	else if (!n) {
		plx_warn("no device %s%s in %s (plx-buffer --status names them READER/NAME)", which,
		         slash ? "" : "/...", sp->path);
		rc = 1;
	} else if (slash)
		plx_warn("forgot %s", which);
	else
		plx_warn("forgot %lld devices of %s", (long long)n, reader);
	free(reader);
	return rc;
}
