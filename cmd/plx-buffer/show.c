/* What a person asks of a spool: --status, --dead, --requeue-dead. */
#include <stdio.h>
#include <sysexits.h>
#include <json-c/json.h>

#include "buffer.h"
#include "clock.h"

int
show_status(struct spool *sp)
{
	struct spool_stats st;

	if (spool_stats(sp, &st) < 0)
		return EX_IOERR;
	printf("spool       %s\n", sp->path);
	printf("depth       %lld\n", (long long)st.depth);
	printf("bytes       %lld\n", (long long)st.bytes);
	if (st.depth)
		printf("oldest_age  %.1fs\n", (plx_now_ms() - st.oldest_t) / 1000.0);
	else
		printf("oldest_age  -\n");
	printf("last_seq    %lld\n", (long long)st.last_seq);
	printf("accepted    %lld\n", (long long)st.accepted);
	printf("rejected    %lld\n", (long long)st.rejected);
	printf("dropped     %lld\n", (long long)st.dropped);
	printf("acked       %lld\n", (long long)st.acked);
	printf("dead        %lld\n", (long long)st.dead);
	return ferror(stdout) ? EX_IOERR : 0;
}

static int
dead_line(void *arg, int64_t seq, int64_t t, int status, const char *error, const char *data)
{
	json_object *e = json_object_new_string(error);

	(void)arg;
	printf("{\"seq\":%lld,\"at\":%lld,\"status\":%d,\"error\":%s,\"record\":%s}\n",
	       (long long)seq, (long long)t, status,
	       json_object_to_json_string_ext(e, JSON_C_TO_STRING_NOSLASHESCAPE), data);
	json_object_put(e);
	return 0;
}

int
show_dead(struct spool *sp)
{
	return spool_dead_list(sp, dead_line, NULL) < 0 ? EX_IOERR : 0;
}

int
requeue_dead(struct spool *sp)
{
	int64_t n = spool_requeue_dead(sp, plx_now_ms());

	if (n < 0)
		return EX_IOERR;
	fprintf(stderr, "plx-buffer: requeued %lld dead letters\n", (long long)n);
	return 0;
}
