/* lib/opts.c: durations and numbers, the table, the common options,
 * deprecated spellings, and keys refused on the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "opts.h"
#include "unit.h"

static int
dur(const char *s, int64_t unit)
{
	int64_t ms;

	return plx_duration(s, unit, &ms) < 0 ? -1 : (int)ms;
}

static int
even(const char *arg, void *to, char *err, size_t errlen)
{
	int v = atoi(arg);

	if (v % 2) {
		snprintf(err, errlen, "\"%s\" is odd", arg);
		return -1;
	}
	*(int *)to = v;
	return 0;
}

static const char synopsis[] = "usage: t_opts [-x] [-n num] [--wait duration] file\n";
static int x, ev;
static int64_t num, wait_ms;
static const char *name;
static const struct plx_opt tab[] = {
	{ 'x', "extra", PLX_OPT_FLAG, &x, 0, 0, 0, NULL, NULL, "an extra", NULL },
	{ 'n', "num", PLX_OPT_NUM, &num, 1, 1 << 20, 0, NULL, "NUM", "a number", NULL },
	{ 0, "wait", PLX_OPT_DUR, &wait_ms, 0, 60000, 1, NULL, "DURATION", "a wait", NULL },
	{ 0, "name", PLX_OPT_STR, &name, 0, 0, 0, NULL, "NAME", "a name", NULL },
	{ 'e', "even", PLX_OPT_FN, &ev, 0, 0, 0, even, "N", "an even number", NULL },
	{ 'w', NULL, PLX_OPT_DUR, &wait_ms, 0, 60000, 1, NULL, "DURATION", NULL, "--wait" },
	{ 0 }
};

/* Runs the parser in a child on argv; its exit status (0 when it parsed). */
static int
child(char **argv, struct plx_common *c, int *ind)
{
	int argc = 0, st, p[2];
	pid_t pid;

	char *copy[32];

	while (argv[argc]) {
		copy[argc] = strdup(argv[argc]);   /* writable: a key is blanked in place */
		argc++;
	}
	copy[argc] = NULL;
	argv = copy;
	if (pipe(p) < 0)
		return -1;
	fflush(stdout);      /* or the child's exit writes our lines again */
	if ((pid = fork()) == 0) {
		close(p[0]);
		optind = 1;
		if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout))
			_exit(98);
		int i = plx_opts_parse(argc, argv, tab, PLX_COMMON_READER, c, synopsis);
		if (write(p[1], c, sizeof *c) < 0 || write(p[1], &i, sizeof i) < 0 ||
		    write(p[1], &num, sizeof num) < 0 || write(p[1], &wait_ms, sizeof wait_ms) < 0 ||
		    write(p[1], &x, sizeof x) < 0 || write(p[1], &ev, sizeof ev) < 0)
			_exit(99);
		_exit(0);
	}
	close(p[1]);
	/* a child that exited before writing leaves these as they were */
	if (read(p[0], c, sizeof *c) == sizeof *c && read(p[0], ind, sizeof *ind) == sizeof *ind &&
	    read(p[0], &num, sizeof num) == sizeof num && read(p[0], &wait_ms, sizeof wait_ms) == sizeof wait_ms)
		T(read(p[0], &x, sizeof x) == sizeof x && read(p[0], &ev, sizeof ev) == sizeof ev, "child's answer");
	close(p[0]);
	waitpid(pid, &st, 0);
	for (argc = 0; copy[argc]; argc++)
		free(copy[argc]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int
main(void)
{
	struct plx_common c;
	int ind;
	int64_t v;

	plx_log_init("t_opts");
	T(dur("250ms", 1) == 250, "250ms");
	T(dur("2s", 1) == 2000, "2s");
	T(dur("1.5s", 1) == 1500, "1.5s");
	T(dur("5m", 1) == 300000, "5m");
	T(dur("1h", 1) == 3600000, "1h");
	T(dur("500", 1) == 500, "a bare number in an option of ms: ms");
	T(dur("60", 1000) == 60000, "a bare number in an option of seconds: seconds");
	T(dur("0", 1000) == 0, "0");
	T(dur("-1s", 1) < 0 && dur("", 1) < 0 && dur("s", 1) < 0 && dur("2x", 1) < 0 && dur("1e3", 1) < 0 &&
	  dur("inf", 1) < 0 && dur("0x10", 1) < 0 && dur("2 s", 1) < 0 && dur("2ss", 1) < 0,
	  "not durations: -1s, empty, s, 2x, 1e3, inf, 0x10, '2 s', 2ss");
	T(plx_number("64k", &v) == 0 && v == 65536, "64k");
	T(plx_number("8M", &v) == 0 && v == 8 << 20, "8M");
	T(plx_number("12", &v) == 0 && v == 12, "12");
	T(plx_number("1.5", &v) < 0 && plx_number("k", &v) < 0 && plx_number("9999999999G", &v) < 0,
	  "not numbers: 1.5, k, 9999999999G");

	memset(&c, 0, sizeof c);
	unsetenv("PLEXUS_SOURCE_ID");
	T(child((char *[]){ "t", "-x", "-n", "64k", "--wait", "2s", "-s", "truck-7", "-T", "a=b", "-T", "c=d",
	                    "--status-interval", "5m", "-p", "pre", "-e", "4", "f", NULL }, &c, &ind) == 0,
	  "a full command line parses");
	T(x == 1 && num == 65536 && wait_ms == 2000 && ev == 4, "the table's options: -x, -n 64k, --wait 2s, -e 4");
	T(c.source_id && c.ntags == 2 && c.status_ms == 300000 && c.prefix, "the common ones: -s, -T x2, "
	  "--status-interval 5m, -p");
	T(ind == 18, "optind is the first operand (%d)", ind);
	memset(&c, 0, sizeof c);
	c.status_ms = 60000;
	T(child((char *[]){ "t", "-w", "300", NULL }, &c, &ind) == 0 && wait_ms == 300,
	  "a deprecated spelling works as the new one (-w 300: 300 ms)");
	T(c.status_ms == 60000, "a default set before parsing stays");
	setenv("PLEXUS_SOURCE_ID", "from-env", 1);
	memset(&c, 0, sizeof c);
	T(child((char *[]){ "t", NULL }, &c, &ind) == 0, "PLEXUS_SOURCE_ID");
	T(c.source_id != NULL, "... is the default source id");
	setenv("PLEXUS_SOURCE_ID", "Not Valid", 1);
	T(child((char *[]){ "t", NULL }, &c, &ind) == 78, "an invalid PLEXUS_SOURCE_ID: 78 (config)");
	unsetenv("PLEXUS_SOURCE_ID");

	T(child((char *[]){ "t", "-n", "0", NULL }, &c, &ind) == 64, "a number out of range: 64");
	T(child((char *[]){ "t", "--wait", "2 s", NULL }, &c, &ind) == 64, "a bad duration: 64");
	T(child((char *[]){ "t", "-e", "3", NULL }, &c, &ind) == 64, "a function's refusal: 64");
	T(child((char *[]){ "t", "-z", NULL }, &c, &ind) == 64, "an unknown letter: 64");
	T(child((char *[]){ "t", "--zzz", NULL }, &c, &ind) == 64, "an unknown long option: 64");
	T(child((char *[]){ "t", "-n", NULL }, &c, &ind) == 64, "a missing argument: 64");
	T(child((char *[]){ "t", "-s", "Bad Id", NULL }, &c, &ind) == 64, "-s: a bad source id: 64");
	T(child((char *[]){ "t", "-T", "novalue", NULL }, &c, &ind) == 64, "-T without '=': 64");
	T(child((char *[]){ "t", "-h", NULL }, &c, &ind) == 0, "-h: 0");
	T(child((char *[]){ "t", "--version", NULL }, &c, &ind) == 0, "--version: 0");
	T(child((char *[]){ "t", "plx_secret", NULL }, &c, &ind) == 64, "a key as an operand: refused");
	T(child((char *[]){ "t", "-kplx_secret", NULL }, &c, &ind) == 64, "a key attached to a letter: refused");
	T(child((char *[]){ "t", "--key=plx_secret", NULL }, &c, &ind) == 64, "a key after '=': refused");
	UNIT_END();
}
