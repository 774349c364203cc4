/* lib/io.c: the NDJSON line reader and the EINTR-safe read/write wrappers.
 *
 * The reader cases are a table: a line limit, the chunks a writer puts in a
 * pipe one at a time (the reader drains the pipe between two chunks, so each
 * chunk boundary is a read boundary), and the transcript of what
 * plx_lines_next returned: "N[text]" a line numbered N, "LONG#N" a dropped
 * overlong line, "EOF" the end.  Bigger streams (64 KiB lines, lines many
 * times the buffer) come from a child process writing into a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "record.h"
#include "unit.h"

static void
mkpipe(int p[2])
{
	if (pipe(p) < 0) {
		perror("pipe");
		exit(1);
	}
}

/* Appends what plx_lines_next returns until it wants more input. */
static int
drain(struct plx_lines *l, char *out, size_t cap)
{
	char *line;
	size_t len, i, n;
	int rc;

	while ((rc = plx_lines_next(l, &line, &len)) != PLX_LINE_NONE) {
		n = strlen(out);
		if (rc == PLX_LINE_EOF) {
			snprintf(out + n, cap - n, "EOF");
			return rc;
		}
		if (rc == PLX_LINE_LONG) {
			snprintf(out + n, cap - n, "LONG#%lu ", l->lineno);
			continue;
		}
		n += snprintf(out + n, cap - n, "%lu[", l->lineno);
		for (i = 0; i < len && n + 8 < cap; i++)
			if (line[i] == '\0')
				n += snprintf(out + n, cap - n, "\\0");
			else if (line[i] == '\r')
				n += snprintf(out + n, cap - n, "\\r");
			else
				out[n++] = line[i];
		snprintf(out + n, cap - n, "%s] ", line[len] ? "(no NUL)" : "");
	}
	return rc;
}

/* Writes each chunk, then lets the reader take all of it. */
static void
run(size_t max, const char *const *chunks, const char *want, const char *what)
{
	struct plx_lines l;
	char out[4096] = "";
	int p[2], rc = PLX_LINE_NONE;

	mkpipe(p);
	if (plx_lines_init(&l, p[0], max) < 0) {
		T(0, "%s: setup", what);
		return;
	}
	plx_nonblock(p[0], 1);
	for (; *chunks; chunks++) {
		plx_write_all(p[1], *chunks, strlen(*chunks));
		while (plx_lines_fill(&l) > 0)
			drain(&l, out, sizeof out);
	}
	close(p[1]);
	while (rc != PLX_LINE_EOF && plx_lines_fill(&l) >= 0)
		rc = drain(&l, out, sizeof out);
	T_STR(out, want, what);
	/* EOF stays EOF */
	rc = drain(&l, out, sizeof out);
	T(rc == PLX_LINE_EOF, "%s: EOF again", what);
	plx_lines_free(&l);
	close(p[0]);
}

#define C(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define X20 "xxxxxxxxxxxxxxxxxxxx"
#define X100 X20 X20 X20 X20 X20

static const struct {
	size_t max;
	const char *const *chunks;
	const char *want;
	const char *what;
} cases[] = {
	{ 8, C(""), "EOF", "empty input" },
	{ 8, C("abc\n"), "1[abc] EOF", "one line" },
	{ 8, C("a\nb\nc\n"), "1[a] 2[b] 3[c] EOF", "three lines in one read" },
	{ 8, C("ab", "c\nde", "f\n"), "1[abc] 2[def] EOF", "lines split across reads" },
	{ 8, C("a", "b", "c", "\n"), "1[abc] EOF", "one byte per read" },
	{ 8, C("abc\ndef"), "1[abc] 2[def] EOF", "last line without newline" },
	{ 8, C("abc\r\n", "de\r", "\n"), "1[abc] 2[de] EOF", "CRLF, CR and LF in two reads" },
	{ 8, C("a\rb\n"), "1[a\\rb] EOF", "a CR inside a line is kept" },
	{ 8, C("abc\r"), "1[abc] EOF", "last line ending in CR" },
	{ 8, C("\n"), "1[] EOF", "one empty line" },
	{ 8, C("\n\nA\n\n"), "1[] 2[] 3[A] 4[] EOF", "empty lines" },
	{ 8, C("\r\n"), "1[] EOF", "empty CRLF line" },

	/* the limit: max bytes are a line, max + 1 are dropped, reported once */
	{ 8, C("12345678\n"), "1[12345678] EOF", "line of exactly max bytes" },
	{ 8, C("12345678"), "1[12345678] EOF", "max bytes, no newline, at EOF" },
	{ 8, C("1234", "5678", "\n"), "1[12345678] EOF", "max bytes over three reads" },
	{ 8, C("12345678\r\n"), "1[12345678] EOF", "max bytes and CRLF" },
	{ 8, C("12345678\r", "\nok\n"), "1[12345678] 2[ok] EOF", "max bytes, CR and LF in two reads" },
	{ 8, C("123456789\n", "ok\n"), "LONG#1 2[ok] EOF", "max + 1 bytes" },
	{ 8, C("123456789\nok\n"), "LONG#1 2[ok] EOF", "max + 1 bytes and the next line in one read" },
	{ 8, C("123456789", "\nok\n"), "LONG#1 2[ok] EOF", "max + 1 bytes, newline in the next read" },
	{ 8, C("12345678", "9", "\nok\n"), "LONG#1 2[ok] EOF", "max + 1 bytes over three reads" },
	{ 8, C("123456789\r\n", "ok\n"), "LONG#1 2[ok] EOF", "max + 1 bytes and CRLF" },
	{ 8, C("123456789"), "LONG#1 EOF", "max + 1 bytes at EOF" },
	{ 8, C(X100 "\nok\n"), "LONG#1 2[ok] EOF", "100-byte line (5 x the buffer) in one write" },
	{ 8, C(X20, X20, X20, X20 "\n", "ok\n"), "LONG#1 2[ok] EOF", "80-byte line over four reads" },
	{ 8, C(X20 "\n" X20 "\nz\n"), "LONG#1 LONG#2 3[z] EOF", "two long lines in a row" },
	{ 8, C("a\n" X20, X20, "\nb\n" X20), "1[a] LONG#2 3[b] LONG#4 EOF", "long lines between short ones" },
	{ 8, C(X100), "LONG#1 EOF", "long line at EOF without newline" },
	{ 0, C("\n\nx\n"), "1[] 2[] LONG#3 EOF", "max 0: only empty lines" },
	{ 1, C("a\nbb\nc"), "1[a] LONG#2 3[c] EOF", "max 1" },
};

/* NUL bytes are data: the length says where the line ends. */
static void
nul_bytes(void)
{
	struct plx_lines l;
	char *line;
	size_t len;
	int p[2], rc;

	mkpipe(p);
	plx_write_all(p[1], "a\0b\n\0\n", 6);
	close(p[1]);
	plx_lines_init(&l, p[0], 8);
	while ((rc = plx_lines_next(&l, &line, &len)) == PLX_LINE_NONE)
		plx_lines_fill(&l);
	T(rc == PLX_LINE && len == 3 && !memcmp(line, "a\0b", 4), "a NUL inside a line: len 3");
	rc = plx_lines_next(&l, &line, &len);
	T(rc == PLX_LINE && len == 1 && line[0] == '\0', "a line of one NUL: len 1");
	plx_lines_free(&l);
	close(p[0]);
}

/* A child writes the buffer into fd and exits (freeing its copy of buf,
 * for valgrind's sake). */
static pid_t
writer(int fd, char *buf, size_t n)
{
	pid_t pid = fork();
	int rc;

	if (pid == 0) {
		rc = plx_write_all(fd, buf, n);
		free(buf);
		_exit(rc < 0);
	}
	return pid;
}

/* Reads the whole stream: counts lines and drops, checks invariants. */
struct tally { unsigned long lines, longs, bytes, maxlen, badnl; size_t lens[8]; };

static void
read_all(int fd, size_t max, struct tally *t)
{
	struct plx_lines l;
	char *line;
	size_t len;
	int rc;

	memset(t, 0, sizeof *t);
	plx_lines_init(&l, fd, max);
	for (;;) {
		rc = plx_lines_next(&l, &line, &len);
		if (rc == PLX_LINE_EOF)
			break;
		if (rc == PLX_LINE_NONE) {
			if (plx_lines_fill(&l) < 0)
				break;
			continue;
		}
		if (rc == PLX_LINE_LONG) {
			t->longs++;
			continue;
		}
		if (t->lines < 8)
			t->lens[t->lines] = len;
		t->lines++;
		t->bytes += len;
		if (len > t->maxlen)
			t->maxlen = len;
		if (memchr(line, '\n', len))
			t->badnl++;
	}
	plx_lines_free(&l);
}

/* At the real limit, 64 KiB, through a pipe that holds less than a line. */
static void
big_lines(void)
{
	size_t max = PLX_LINE_MAX, n = 0, i;
	size_t sizes[] = { max, max + 1, 10, 5 * max + 3, 0, max - 1, 3 * max };
	char *buf = malloc(200 * (max + 3));
	struct tally t;
	int p[2], st;
	pid_t pid;

	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		memset(buf + n, 'a' + i, sizes[i]);
		n += sizes[i];
		buf[n++] = '\n';
	}
	n--;            /* the last (3 x max) line has no newline */
	mkpipe(p);
	pid = writer(p[1], buf, n);
	close(p[1]);
	read_all(p[0], max, &t);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)   /* a SIGALRM of the timer */
		;
	T(t.lines == 4 && t.longs == 3, "64 KiB stream: 4 lines, 3 dropped (got %lu, %lu)", t.lines, t.longs);
	T(t.lens[0] == max && t.lens[1] == 10 && t.lens[2] == 0 && t.lens[3] == max - 1,
	  "64 KiB stream: line lengths 65536, 10, 0, 65535");
	T(t.badnl == 0 && t.maxlen <= max, "no line holds a newline or exceeds max");

	/* 200 lines of random lengths around the limit, written in odd chunks */
	srand(7);
	for (n = 0, i = 0; i < 200; i++) {
		size_t k = rand() % 3 == 0 ? max - 2 + rand() % 5 : (size_t)rand() % 300;
		memset(buf + n, 'x', k);
		n += k;
		buf[n++] = '\n';
	}
	mkpipe(p);
	pid = writer(p[1], buf, n);
	close(p[1]);
	read_all(p[0], max, &t);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)   /* a SIGALRM of the timer */
		;
	T(t.lines + t.longs == 200, "200 lines near the limit: each returned or dropped once (%lu + %lu)",
	  t.lines, t.longs);
	T(t.badnl == 0 && t.maxlen <= max, "200 lines near the limit: invariants hold");
	free(buf);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void
wrappers(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	char *big = malloc(1 << 20), c, *back;
	size_t got = 0;
	ssize_t r;
	int p[2], st, fl;
	pid_t pid;

	/* EOF is 0, "nothing yet" on a non-blocking fd is -1/EAGAIN */
	mkpipe(p);
	T(plx_nonblock(p[0], 1) == 0 && (fcntl(p[0], F_GETFL) & O_NONBLOCK), "plx_nonblock on");
	errno = 0;
	T(plx_read(p[0], &c, 1) < 0 && errno == EAGAIN, "empty non-blocking pipe: -1 EAGAIN");
	close(p[1]);
	T(plx_read(p[0], &c, 1) == 0, "closed pipe: 0 (EOF)");
	fl = fcntl(p[0], F_GETFL);
	T(plx_nonblock(p[0], 0) == 0 && !(fcntl(p[0], F_GETFL) & O_NONBLOCK) &&
	  (fl & ~O_NONBLOCK) == fcntl(p[0], F_GETFL), "plx_nonblock off keeps the other flags");
	close(p[0]);
	T(plx_nonblock(p[0], 1) < 0 && errno == EBADF, "plx_nonblock on a closed fd: -1");

	/* signals do not break a read or a long write: EINTR is retried */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;              /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	for (size_t i = 0; i < 1 << 20; i++)
		big[i] = (char)(i * 7 + i / 251);
	back = malloc(1 << 20);
	mkpipe(p);
	pid = fork();
	if (pid == 0) {                         /* a slow reader */
		close(p[1]);
		usleep(100000);
		while ((r = read(p[0], back + got, (1 << 20) - got)) > 0) {
			got += r;
			usleep(1000);
		}
		st = got != 1 << 20 || memcmp(back, big, 1 << 20);
		free(big);
		free(back);
		_exit(st);
	}
	close(p[0]);
	setitimer(ITIMER_REAL, &it, NULL);
	T(plx_write_all(p[1], big, 1 << 20) == 0, "plx_write_all 1 MiB to a slow reader, under SIGALRM");
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)   /* a SIGALRM of the timer */
		;
	T(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the reader got the same 1 MiB");

	mkpipe(p);
	pid = fork();
	if (pid == 0) {
		free(big);
		free(back);
		usleep(150000);
		_exit(write(p[1], "z", 1) != 1);
	}
	close(p[1]);
	alarms = 0;
	r = plx_read(p[0], &c, 1);
	T(r == 1 && c == 'z' && alarms > 0, "plx_read waits through %d signals", (int)alarms);
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)   /* a SIGALRM of the timer */
		;
	close(p[0]);

	/* a write to a pipe nobody reads: -1 EPIPE, not a signal death */
	signal(SIGPIPE, SIG_IGN);
	mkpipe(p);
	close(p[0]);
	errno = 0;
	T(plx_write_all(p[1], "x", 1) < 0 && errno == EPIPE, "plx_write_all to a closed pipe: EPIPE");
	close(p[1]);
	T(plx_write_all(p[1], "", 0) == 0, "plx_write_all of 0 bytes writes nothing");
	free(big);
	free(back);
}

int
main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);   /* ok lines stay whole between warnings */

	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		run(cases[i].max, cases[i].chunks, cases[i].want, cases[i].what);
	nul_bytes();
	big_lines();
	wrappers();
	UNIT_END();
}
