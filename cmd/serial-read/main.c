/* serial-read: what a UART device prints, as Plexus records on stdout.
 * Options here; the formats are lib/lineparse.c, the loop is loop.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "log.h"
#include "out.h"
#include "serial.h"

static const char usage_text[] =
	"usage: serial-read [-F format] [-b baud] [-d delimiter] [-p prefix] [-s source-id]\n"
	"                   [-T key=value]... [--databits 5|6|7|8] [--parity none|even|odd]\n"
	"                   [--stopbits 1|2] [--rtscts] [--xonxoff] [--max-line bytes]\n"
	"                   [--flush-ms ms] [--status-interval seconds] [--backoff-max ms]\n"
	"                   [--queue bytes]\n"
	"                   [--columns name,...] [--csv-sep char] [--pattern regex --fields name,...]\n"
	"                   port | -f file | -\n"
	"       serial-read -h | --version\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/* auto, lf, cr, crlf, one character, or \xHH, \t, \0 */
static int
delimiter(const char *s)
{
	char *e;
	long v;

	if (!strcmp(s, "auto"))
		return FR_AUTO;
	if (!strcmp(s, "lf") || !strcmp(s, "\\n"))
		return FR_LF;
	if (!strcmp(s, "cr") || !strcmp(s, "\\r"))
		return FR_CR;
	if (!strcmp(s, "crlf") || !strcmp(s, "\\r\\n"))
		return FR_CRLF;
	if (!strcmp(s, "\\t"))
		return '\t';
	if (s[0] == '\\' && s[1] == 'x' && s[2]) {
		v = strtol(s + 2, &e, 16);
		if (!*e && v >= 0 && v <= 255)
			return (int)v;
	}
	if (s[0] && !s[1])
		return (unsigned char)s[0];
	plx_die(EX_USAGE, "-d: \"%s\" is not auto, lf, cr, crlf, one character or \\xHH", s);
}

int
main(int argc, char **argv)
{
	enum { O_DATABITS = 256, O_PARITY, O_STOPBITS, O_RTSCTS, O_XONXOFF, O_MAXLINE, O_FLUSH,
	       O_STATUS, O_BACKOFF, O_COLUMNS, O_CSVSEP, O_PATTERN, O_FIELDS, O_QUEUE, O_VERSION };
	static const struct option lo[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "baud", required_argument, NULL, 'b' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "source-id", required_argument, NULL, 's' },
		{ "tag", required_argument, NULL, 'T' },
		{ "databits", required_argument, NULL, O_DATABITS },
		{ "parity", required_argument, NULL, O_PARITY },
		{ "stopbits", required_argument, NULL, O_STOPBITS },
		{ "rtscts", no_argument, NULL, O_RTSCTS },
		{ "xonxoff", no_argument, NULL, O_XONXOFF },
		{ "max-line", required_argument, NULL, O_MAXLINE },
		{ "flush-ms", required_argument, NULL, O_FLUSH },
		{ "status-interval", required_argument, NULL, O_STATUS },
		{ "backoff-max", required_argument, NULL, O_BACKOFF },
		{ "columns", required_argument, NULL, O_COLUMNS },
		{ "csv-sep", required_argument, NULL, O_CSVSEP },
		{ "pattern", required_argument, NULL, O_PATTERN },
		{ "fields", required_argument, NULL, O_FIELDS },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 }
	};
	struct opts o = { .baud = 115200, .databits = 8, .parity = 'n', .stopbits = 1,
	                  .delim = FR_AUTO, .max_line = 4096, .flush_ms = 0, .status_s = 60,
	                  .backoff_max_ms = 5000, .queue_max = PLX_OUT_MAX_DEFAULT };
	struct plx_lp lp;
	const char *pattern = NULL, *fields = NULL, *columns = NULL;
	char err[200];
	int c, f, rc;

	plx_log_init(argv[0]);
	if (plx_lp_init(&lp, PLX_LP_AUTO) < 0)
		plx_die(EX_OSERR, "out of memory");
	while ((c = getopt_long(argc, argv, "F:T:b:d:f:hp:s:", lo, NULL)) != -1) {
		switch (c) {
		case 'F':
			if ((f = plx_lp_format_parse(optarg)) < 0)
				plx_die(EX_USAGE, "-F: unknown format \"%s\" (json, kv, csv, nmea, pattern, auto)", optarg);
			lp.format = f;
			break;
		case 'T':
			if (plx_lp_tag(&lp, optarg, err, sizeof err) < 0)
				plx_die(EX_USAGE, "-T: %s", err);
			break;
		case 'b': o.baud = (long)plx_opt_num("-b", optarg, 50, 20000000); break;
		case 'd': o.delim = delimiter(optarg); break;
		case 'f': o.file = optarg; break;
		case 'h': usage(0);
		case 'p':
			if (strlen(optarg) >= PLX_NAME_MAX)
				plx_die(EX_USAGE, "-p: longer than %d bytes", PLX_NAME_MAX - 1);
			lp.prefix = optarg;
			break;
		case 's':
			if (plx_tags_set_source(&lp.tags, optarg, err, sizeof err) < 0)
				plx_die(EX_USAGE, "-s: %s", err);
			break;
		case O_DATABITS: o.databits = (int)plx_opt_num("--databits", optarg, 5, 8); break;
		case O_PARITY:
			if (strcmp(optarg, "none") && strcmp(optarg, "even") && strcmp(optarg, "odd"))
				plx_die(EX_USAGE, "--parity: \"%s\" is not none, even or odd", optarg);
			o.parity = optarg[0];
			break;
		case O_STOPBITS: o.stopbits = (int)plx_opt_num("--stopbits", optarg, 1, 2); break;
		case O_RTSCTS: o.rtscts = 1; break;
		case O_XONXOFF: o.xonxoff = 1; break;
		case O_MAXLINE: o.max_line = (size_t)plx_opt_num("--max-line", optarg, 16, PLX_LINE_MAX); break;
		case O_FLUSH: o.flush_ms = (int)plx_opt_num("--flush-ms", optarg, 1, 3600000); break;
		case O_STATUS: o.status_s = (int)plx_opt_num("--status-interval", optarg, 0, 86400); break;
		case O_BACKOFF: o.backoff_max_ms = (int)plx_opt_num("--backoff-max", optarg, 100, 3600000); break;
		case O_COLUMNS: columns = optarg; break;
		case O_CSVSEP:
			if (strlen(optarg) != 1 && strcmp(optarg, "\\t"))
				plx_die(EX_USAGE, "--csv-sep: one character");
			lp.csv_sep = optarg[1] ? '\t' : optarg[0];
			break;
		case O_PATTERN: pattern = optarg; break;
		case O_FIELDS: fields = optarg; break;
		case O_QUEUE: o.queue_max = (size_t)plx_opt_num("--queue", optarg, 65536, 1 << 30); break;
		case O_VERSION: puts("serial-read " PLX_VERSION); plx_lp_free(&lp); return 0;
		default: usage(EX_USAGE);
		}
	}
	if (o.file ? optind != argc : optind != argc - 1)
		usage(EX_USAGE);
	if (!o.file && !strcmp(argv[optind], "-"))
		o.file = "-";
	else if (!o.file)
		o.port = argv[optind];
	o.name = o.port ? o.port : strcmp(o.file, "-") ? o.file : "stdin";
	if (columns && plx_lp_columns(&lp, columns, err, sizeof err) < 0)
		plx_die(EX_USAGE, "--columns: %s", err);
	if (!pattern != !fields)
		plx_die(EX_USAGE, "--pattern and --fields go together");
	if (pattern) {
		if (plx_lp_pattern(&lp, pattern, fields, err, sizeof err) < 0)
			plx_die(EX_USAGE, "--pattern: %s", err);
		if (lp.format == PLX_LP_AUTO)
			lp.format = PLX_LP_PATTERN;
	}
	if (lp.format == PLX_LP_PATTERN && !pattern)
		plx_die(EX_USAGE, "-F pattern needs --pattern and --fields");
	rc = run(&o, &lp);
	plx_lp_free(&lp);
	return rc;
}
