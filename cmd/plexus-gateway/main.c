/* plexus-gateway: the setup of a gateway, for a person.
 *
 *   plexus-gateway init     the API key (read without echo, never from argv)
 *                           and a source id of its own, written where the
 *                           tools read them: /etc/plexus (root) or
 *                           ~/.plexus/config.json (anyone else)
 *   plexus-gateway source-id    the source id plx-upload would use
 *   plexus-gateway status       is all well with the system gateway; if
 *                               not, why (exit 1)
 *
 * Keys and ids, as the man page plexus-gateway(1) says. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "gateway.h"
#include "log.h"
#include "opts.h"

static const char synopsis[] =
	"usage: plexus-gateway init [-s source-id] [-u url] [-k key-file] [--user] [--etc dir]\n"
	"       plexus-gateway source-id\n"
	"       plexus-gateway status [--etc dir]\n"
	"       plexus-gateway -h | --version\n";

int
main(int argc, char **argv)
{
	static struct init_opts o = { .etc = "/etc/plexus" };
	static const char *url, *keyfile;
	static int user;
	const struct plx_opt tab[] = {
		{ 'u', "url", PLX_OPT_STR, &url, 0, 0, 0, NULL, "URL", "the ingest service (PLEXUS_GATEWAY_URL)", NULL },
		{ 'k', "key-file", PLX_OPT_STR, &keyfile, 0, 0, 0, NULL, "FILE",
		  "read the key from FILE, not from standard input", NULL },
		{ 0, "user", PLX_OPT_FLAG, &user, 0, 0, 0, NULL, NULL,
		  "write ~/.plexus/config.json even as root", NULL },
		{ 0, "etc", PLX_OPT_STR, &o.etc, 0, 0, 0, NULL, "DIR", "the system's directory (/etc/plexus)", NULL },
		{ 0 }
	};
	struct plx_common c = { 0 };
	const char *cmd;
	int i;

	plx_log_init(argv[0]);
	i = plx_opts_parse(argc, argv, tab, PLX_COMMON_SOURCE, &c, synopsis);
	if (i != argc - 1) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	cmd = argv[i];
	o.source_id = c.source_id;
	o.url = url;
	o.keyfile = keyfile;
	o.user = user || geteuid() != 0;
	if (!strcmp(cmd, "init"))
		return gw_init(&o);
	if (!strcmp(cmd, "source-id"))
		return gw_source_id();
	if (!strcmp(cmd, "status"))
		return gw_status(o.etc);
	plx_warn("%s: unknown command (init, source-id, status)", cmd);
	fputs(synopsis, stderr);
	return EX_USAGE;
}
