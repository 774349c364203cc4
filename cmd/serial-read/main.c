/* serial-read: what a UART device prints, as Plexus records on stdout.
 * Options here; the formats are lines.c and fmt_*.c, the loop is loop.c. */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "opts.h"
#include "out.h"
#include "serial.h"

static const char synopsis[] =
	"usage: serial-read [-F format] [-b baud] [--delimiter auto|lf|cr|crlf|char] [-p prefix]\n"
	"                   [-s source-id] [-T key=value]... [--databits 5|6|7|8]\n"
	"                   [--parity none|even|odd] [--stopbits 1|2] [--rtscts] [--xonxoff]\n"
	"                   [--max-line bytes] [--flush-ms duration] [--status-interval duration]\n"
	"                   [--backoff-max duration] [--queue bytes]\n"
	"                   [--columns name,...] [--csv-sep char] [--pattern regex --fields name,...]\n"
	"                   [--missing skip|event]\n"
	"                   [--control socket [--control-mode mode] [--control-group group] [--eol lf|cr|crlf]]\n"
	"                   port | -r file | -\n"
	"       serial-read -h | --version\n";

/* auto, lf, cr, crlf, one character, or \xHH, \t, \0 */
static int
delimiter(const char *s, void *to, char *err, size_t errlen)
{
	static const struct { const char *name; int d; } named[] = {
		{ "auto", FR_AUTO }, { "lf", FR_LF }, { "\\n", FR_LF }, { "cr", FR_CR }, { "\\r", FR_CR },
		{ "crlf", FR_CRLF }, { "\\r\\n", FR_CRLF }, { "\\t", '\t' },
	};
	char *e;
	long v;
	size_t i;

	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (!strcmp(s, named[i].name))
			return *(int *)to = named[i].d, 0;
	if (s[0] == '\\' && s[1] == 'x' && s[2] && (v = strtol(s + 2, &e, 16)) >= 0 && !*e && v <= 255)
		return *(int *)to = (int)v, 0;
	if (s[0] && !s[1])
		return *(int *)to = (unsigned char)s[0], 0;
	snprintf(err, errlen, "\"%s\" is not auto, lf, cr, crlf, one character or \\xHH", s);
	return -1;
}

static int
format(const char *s, void *to, char *err, size_t errlen)
{
	int f = lp_format_parse(s);

	if (f < 0) {
		snprintf(err, errlen, "unknown format \"%s\" (json, kv, csv, nmea, pattern, auto)", s);
		return -1;
	}
	((struct lp *)to)->format = f;
	return 0;
}

static int
parity(const char *s, void *to, char *err, size_t errlen)
{
	if (strcmp(s, "none") && strcmp(s, "even") && strcmp(s, "odd")) {
		snprintf(err, errlen, "\"%s\" is not none, even or odd", s);
		return -1;
	}
	*(char *)to = s[0];
	return 0;
}

static int
missing(const char *s, void *to, char *err, size_t errlen)
{
	if (strcmp(s, "skip") && strcmp(s, "event")) {
		snprintf(err, errlen, "\"%s\" is neither skip nor event", s);
		return -1;
	}
	((struct lp *)to)->missing_as_event = !strcmp(s, "event");
	return 0;
}

static int
csv_sep(const char *s, void *to, char *err, size_t errlen)
{
	if (strlen(s) != 1 && strcmp(s, "\\t")) {
		snprintf(err, errlen, "one character");
		return -1;
	}
	((struct lp *)to)->csv_sep = s[1] ? '\t' : s[0];
	return 0;
}

/* an octal mode, 0 to 0777 */
static int
mode(const char *s, void *to, char *err, size_t errlen)
{
	char *e;
	long v = strtol(s, &e, 8);

	if (!*s || *e || v < 0 || v > 0777) {
		snprintf(err, errlen, "\"%s\" is not an octal mode from 0 to 0777", s);
		return -1;
	}
	*(int64_t *)to = v;
	return 0;
}

/* a group's name or number */
static int
group(const char *s, void *to, char *err, size_t errlen)
{
	struct group *g = getgrnam(s);
	char *e;
	long v;

	if (g)
		return *(long *)to = (long)g->gr_gid, 0;
	v = strtol(s, &e, 10);
	if (!*s || *e || v < 0) {
		snprintf(err, errlen, "no group \"%s\"", s);
		return -1;
	}
	*(long *)to = v;
	return 0;
}

static int
eol(const char *s, void *to, char *err, size_t errlen)
{
	if (strcmp(s, "lf") && strcmp(s, "cr") && strcmp(s, "crlf")) {
		snprintf(err, errlen, "\"%s\" is not lf, cr or crlf", s);
		return -1;
	}
	*(const char **)to = !strcmp(s, "lf") ? "\n" : !strcmp(s, "cr") ? "\r" : "\r\n";
	return 0;
}

int
main(int argc, char **argv)
{
	static struct opts o = { .baud = 115200, .databits = 8, .parity = 'n', .stopbits = 1,
	                         .delim = FR_AUTO, .max_line = 4096, .backoff_max_ms = 5000,
	                         .queue_max = PLX_OUT_MAX_DEFAULT, .control_mode = 0600,
	                         .control_gid = -1 };
	static char eol_byte[2];
	static struct lp lp;
	static const char *pattern, *fields, *columns;
	const struct plx_opt tab[] = {
		{ 'F', "format", PLX_OPT_FN, &lp, 0, 0, 0, format, "FORMAT", "json, kv, csv, nmea, pattern or auto", NULL },
		{ 'b', "baud", PLX_OPT_NUM, &o.baud, 50, 20000000, 0, NULL, "BAUD", "bits a second (115200)", NULL },
		{ 0, "delimiter", PLX_OPT_FN, &o.delim, 0, 0, 0, delimiter, "END",
		  "what ends a line: auto (LF, CR or CRLF), lf, cr, crlf or a character", NULL },
		{ 'r', "read", PLX_OPT_STR, &o.file, 0, 0, 0, NULL, "FILE", "read a file (- for stdin), not a port", NULL },
		{ 0, "databits", PLX_OPT_NUM, &o.databits, 5, 8, 0, NULL, "5|6|7|8", "data bits (8)", NULL },
		{ 0, "parity", PLX_OPT_FN, &o.parity, 0, 0, 0, parity, "none|even|odd", "parity (none)", NULL },
		{ 0, "stopbits", PLX_OPT_NUM, &o.stopbits, 1, 2, 0, NULL, "1|2", "stop bits (1)", NULL },
		{ 0, "rtscts", PLX_OPT_FLAG, &o.rtscts, 0, 0, 0, NULL, NULL, "RTS/CTS flow control", NULL },
		{ 0, "xonxoff", PLX_OPT_FLAG, &o.xonxoff, 0, 0, 0, NULL, NULL, "XON/XOFF flow control", NULL },
		{ 0, "max-line", PLX_OPT_NUM, &o.max_line, 16, PLX_LINE_MAX, 0, NULL, "BYTES", "longest line (4096)", NULL },
		{ 0, "flush-ms", PLX_OPT_DUR, &o.flush_ms, 1, 3600000, 1, NULL, "DURATION",
		  "a pause this long ends a line (default: only its end does)", NULL },
		{ 0, "backoff-max", PLX_OPT_DUR, &o.backoff_max_ms, 100, 3600000, 1, NULL, "DURATION",
		  "longest wait between attempts to reopen the port (5s)", NULL },
		{ 0, "queue", PLX_OPT_NUM, &o.queue_max, 65536, 1 << 30, 0, NULL, "BYTES",
		  "records waiting for a slow stdout before they are dropped (1M)", NULL },
		{ 0, "columns", PLX_OPT_STR, &columns, 0, 0, 0, NULL, "NAME,...", "CSV column names (no header line)", NULL },
		{ 0, "csv-sep", PLX_OPT_FN, &lp, 0, 0, 0, csv_sep, "CHAR", "CSV field separator (,)", NULL },
		{ 0, "pattern", PLX_OPT_STR, &pattern, 0, 0, 0, NULL, "REGEX", "a regex whose groups are readings", NULL },
		{ 0, "fields", PLX_OPT_STR, &fields, 0, 0, 0, NULL, "NAME,...", "the names of --pattern's groups", NULL },
		{ 0, "missing", PLX_OPT_FN, &lp, 0, 0, 0, missing, "skip|event",
		  "nan, inf, ovf, -- (no reading): skipped and counted, or text events", NULL },
		{ 0, "control", PLX_OPT_STR, &o.control, 0, 0, 0, NULL, "SOCKET",
		  "a Unix socket through which serial-write writes lines to the port", NULL },
		{ 0, "control-mode", PLX_OPT_FN, &o.control_mode, 0, 0, 0, mode, "MODE",
		  "the socket's permissions, octal (0600)", NULL },
		{ 0, "control-group", PLX_OPT_FN, &o.control_gid, 0, 0, 0, group, "GROUP",
		  "the socket's group (the process's)", NULL },
		{ 0, "eol", PLX_OPT_FN, &o.eol, 0, 0, 0, eol, "lf|cr|crlf",
		  "what ends a line written to the port (as --delimiter, else lf)", NULL },
		{ 'd', NULL, PLX_OPT_FN, &o.delim, 0, 0, 0, delimiter, "END", NULL, "--delimiter" },
		{ 'f', "file", PLX_OPT_STR, &o.file, 0, 0, 0, NULL, "FILE", NULL, "-r/--read" },
		{ 0 }
	};
	struct plx_common c = { .status_ms = 60000 };
	char err[200];
	int i, optind_;

	plx_log_init(argv[0]);
	if (lp_init(&lp, LP_AUTO) < 0)
		plx_die(EX_OSERR, "out of memory");
	optind_ = plx_opts_parse(argc, argv, tab, PLX_COMMON_READER, &c, synopsis);
	o.status_ms = c.status_ms;
	o.source_given = c.source_id && c.source_id != getenv("PLEXUS_SOURCE_ID");
	if (c.source_id && plx_tags_set_source(&lp.tags, c.source_id, err, sizeof err) < 0)
		plx_die(EX_USAGE, "-s: %s", err);
	lp.prefix = c.prefix;
	for (i = 0; i < c.ntags; i++)
		if (lp_tag(&lp, c.tag[i], err, sizeof err) < 0)
			plx_die(EX_USAGE, "-T: %s", err);
	if (o.file ? optind_ != argc : optind_ != argc - 1) {
		fputs(synopsis, stderr);
		return EX_USAGE;
	}
	if (!o.file && !strcmp(argv[optind_], "-"))
		o.file = "-";
	else if (!o.file)
		o.port = argv[optind_];
	if (o.control && !o.port)
		plx_die(EX_USAGE, "--control needs a port (lines are written to it), not -r");
	if (!o.eol) {
		/* a device that ends its lines with X likely wants X too */
		eol_byte[0] = (char)o.delim;
		o.eol = o.delim == FR_CR ? "\r" : o.delim == FR_CRLF ? "\r\n" : o.delim >= 0 ? eol_byte : "\n";
	}
	o.name = o.port ? o.port : strcmp(o.file, "-") ? o.file : "stdin";
	if (columns && lp_columns(&lp, columns, err, sizeof err) < 0)
		plx_die(EX_USAGE, "--columns: %s", err);
	if (!pattern != !fields)
		plx_die(EX_USAGE, "--pattern and --fields go together");
	if (pattern) {
		if (lp_pattern(&lp, pattern, fields, err, sizeof err) < 0)
			plx_die(EX_USAGE, "--pattern: %s", err);
		if (lp.format == LP_AUTO)
			lp.format = LP_PATTERN;
	}
	if (lp.format == LP_PATTERN && !pattern)
		plx_die(EX_USAGE, "-F pattern needs --pattern and --fields");
	i = run(&o, &lp);
	lp_free(&lp);
	return i;
}
