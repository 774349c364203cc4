/* plx-tail's screen: a title line, the column heads, a row a series, and a
 * last line for the filter being typed; ncursesw, so that the sparklines'
 * block characters are drawn as UTF-8.  view_print writes the same table
 * once as text (--once, a pipe). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "tail.h"

static const char *const sort_name[SORT_KINDS] = { "name", "rate", "age" };
static SCREEN *scr;
static FILE *tty_in;
static int editing;            /* typing a filter after '/' */
static char typed[sizeof ((struct table *)0)->filter];

int
view_open(int tty_fd)
{
	setlocale(LC_ALL, "");
	if (!(tty_in = fdopen(tty_fd, "r")) || !(scr = newterm(NULL, stdout, tty_in)))
		return -1;
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	return 0;
}

void
view_close(void)
{
	if (scr) {
		endwin();
		delscreen(scr);
	}
	scr = NULL;
}

static void
age(int64_t ms, char *out, size_t len)
{
	if (ms < 0)
		ms = 0;
	if (ms < 10000)
		snprintf(out, len, "%.1fs", ms / 1000.0);
	else if (ms < 120000)
		snprintf(out, len, "%llds", (long long)(ms / 1000));
	else if (ms < 7200000)
		snprintf(out, len, "%lldm", (long long)(ms / 60000));
	else
		snprintf(out, len, "%lldh", (long long)(ms / 3600000));
}

/* The column widths for a screen of width cols. */
struct cols { int source, metric, tags, value, unit, rate, age, trend; };

static struct cols
widths(int cols)
{
	struct cols c = { 14, 24, 16, 12, 5, 7, 5, TREND };
	int fixed = c.source + c.tags + c.value + c.unit + c.rate + c.age + 8;

	c.trend = cols - fixed - c.metric;
	if (c.trend > TREND)
		c.metric += c.trend - TREND, c.trend = TREND;
	if (c.trend < 8) {
		c.tags = c.tags - (8 - c.trend) > 6 ? c.tags - (8 - c.trend) : 6;
		c.trend = cols - (c.source + c.tags + c.value + c.unit + c.rate + c.age + 8) - c.metric;
		if (c.trend < 0)
			c.trend = 0;
	}
	return c;
}

/* One row as text: the series, or the heads when s is NULL. */
static void
row(const struct series *s, const struct cols *c, int64_t now, char *out, size_t len)
{
	char rate[16], ag[16], spark[TREND * 4 + 1];

	if (!s) {
		snprintf(out, len, "%-*.*s %-*.*s %-*.*s %*s %-*s %*s %*s %s", c->source, c->source, "SOURCE",
		         c->metric, c->metric, "METRIC", c->tags, c->tags, "TAGS", c->value, "VALUE", c->unit, "UNIT",
		         c->rate, "RATE/s", c->age, "AGE", c->trend ? "TREND" : "");
		return;
	}
	snprintf(rate, sizeof rate, "%.1f", series_rate(s, now));
	age(now - s->seen, ag, sizeof ag);
	sparkline(s, c->trend, spark, sizeof spark);
	snprintf(out, len, "%-*.*s %-*.*s %-*.*s %*.*s %-*.*s %*s %*s %s", c->source, c->source,
	         *s->source ? s->source : "-", c->metric, c->metric, s->metric, c->tags, c->tags, s->tags,
	         c->value, c->value, s->value, c->unit, c->unit, s->unit, c->rate, rate, c->age, ag, spark);
}

static double
total_rate(struct table *t, int64_t now)
{
	double r = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		r += series_rate(t->s[i], now);
	return r;
}

void
view_draw(struct table *t, int64_t now, const char *what)
{
	struct series **rows;
	struct cols c = widths(COLS);
	size_t n = table_rows(t, now, &rows), i;
	char line[1024];

	erase();
	attron(A_REVERSE);
	snprintf(line, sizeof line, " plx-tail  %s  %zu series  %.1f records/s  sort: %s (s)  filter: %s (/)  q: quit",
	         what, t->n, total_rate(t, now), sort_name[t->sort], *t->filter ? t->filter : "-");
	mvaddnstr(0, 0, line, COLS);
	for (i = strlen(line); (int)i < COLS; i++)
		addch(' ');
	attroff(A_REVERSE);
	row(NULL, &c, now, line, sizeof line);
	attron(A_BOLD);
	mvaddnstr(1, 0, line, COLS);
	attroff(A_BOLD);
	for (i = 0; i < n && (int)i < LINES - 3; i++) {
		row(rows[i], &c, now, line, sizeof line);
		mvaddstr((int)i + 2, 0, line);
	}
	if (editing)
		snprintf(line, sizeof line, "filter: %s_", typed);
	else
		snprintf(line, sizeof line, "%llu records%s%llu lines that were no record; %zu of %zu series shown%s",
		         (unsigned long long)t->records, ", ", (unsigned long long)t->bad, n, t->n,
		         t->dropped ? " (more than 100000: the rest not kept)" : "");
	mvaddnstr(LINES - 1, 0, line, COLS);
	refresh();
}

int
view_key(struct table *t)
{
	int k;
	size_t n;

	while ((k = getch()) != ERR) {
		if (editing) {
			n = strlen(typed);
			if (k == '\n' || k == KEY_ENTER) {
				snprintf(t->filter, sizeof t->filter, "%s", typed);
				editing = 0;
			} else if (k == 27) {
				editing = 0;
			} else if ((k == KEY_BACKSPACE || k == 127 || k == 8) && n) {
				typed[n - 1] = '\0';
			} else if (k >= ' ' && k < 127 && n + 1 < sizeof typed) {
				typed[n] = (char)k;
				typed[n + 1] = '\0';
			}
			continue;
		}
		switch (k) {
		case 'q':
			return 1;
		case 's':
			t->sort = (enum sort_by)((t->sort + 1) % SORT_KINDS);
			break;
		case '/':
			editing = 1;
			snprintf(typed, sizeof typed, "%s", t->filter);
			break;
		}
	}
	return 0;
}

void
view_print(struct table *t, int64_t now, int width)
{
	struct series **rows;
	struct cols c = widths(width);
	size_t n = table_rows(t, now, &rows), i;
	char line[1024];

	row(NULL, &c, now, line, sizeof line);
	printf("%s\n", line);
	for (i = 0; i < n; i++) {
		row(rows[i], &c, now, line, sizeof line);
		printf("%s\n", line);
	}
}
