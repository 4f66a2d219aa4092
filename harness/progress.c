/* progress.c - see progress.h. */
#include "progress.h"
#include "fixture.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Before any point ended: the share of its deadline a point takes. */
#define FIRST_RATIO 0.33
/* Longest journal line looked at for a phase (longer ones are skipped). */
#define MAX_LINE 4096

static struct {
	bool on;
	int total, n;			/* points to run, this one's number */
	long long planned_s;		/* deadlines of the points not begun */
	long long done_ms, done_deadline_s;
	int64_t run_t0, point_t0, last_draw;
	int deadline_s;
	char cell[64], case_name[64], phase[80];
	char *journal;
	int jfd;
	GString *partial;
	bool skipping;		/* inside an over-long journal line */
	bool drawn;
} pg = { .jfd = -1 };

static void clock_text(GString *o, long long ms)
{
	long long s = ms / 1000;

	if (s >= 3600)
		g_string_append_printf(o, "%lld:%02lld:%02lld", s / 3600,
				       s / 60 % 60, s % 60);
	else
		g_string_append_printf(o, "%lld:%02lld", s / 60, s % 60);
}

char *progress_line(int n, int total, const char *cell, const char *case_name,
		    const char *phase, long long point_ms, long long run_ms,
		    long long left_ms, int width)
{
	GString *head = g_string_new(NULL), *tail = g_string_new("  ");
	long hl, tl, base;

	g_string_append_printf(head, "nicq [%d/%d] %s %s", n, total, cell,
			       case_name);
	base = g_utf8_strlen(head->str, -1);
	if (phase && *phase)
		g_string_append_printf(head, ": %s", phase);
	clock_text(tail, point_ms);
	g_string_append(tail, " | run ");
	clock_text(tail, run_ms);
	if (left_ms >= 0)
		g_string_append_printf(tail, ", ~%lld min left",
				       left_ms < 60000 ? 1 :
				       (left_ms + 30000) / 60000);
	/* too wide: the phase gives way first ("~"), then the times */
	hl = g_utf8_strlen(head->str, -1);
	tl = g_utf8_strlen(tail->str, -1);
	if (width > 0 && hl + tl > width) {
		long keep = width - tl - 1;

		g_string_truncate(head, g_utf8_offset_to_pointer(head->str,
			keep >= base ? keep : base) - head->str);
		if (keep >= base)
			g_string_append_c(head, '~');
	}
	g_string_append(head, tail->str);
	g_string_free(tail, TRUE);
	if (width > 0 && g_utf8_strlen(head->str, -1) > width)
		g_string_truncate(head, g_utf8_offset_to_pointer(head->str,
								 width) -
				  head->str);
	return g_string_free(head, FALSE);
}

/* The text as one line a terminal shows safely (no controls). */
static void safe_copy(char *dst, size_t len, const char *src)
{
	char *v = g_utf8_make_valid(src ? src : "", -1);
	size_t i;

	for (i = 0; v[i] && i + 1 < len; i++)
		dst[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? ' ' :
			 v[i];
	dst[i] = '\0';
	/* do not leave half a character at the end */
	if (!g_utf8_validate(dst, -1, NULL)) {
		const char *end;

		g_utf8_validate(dst, -1, &end);
		dst[end - dst] = '\0';
	}
	g_free(v);
}

static void erase(void)
{
	if (pg.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pg.drawn = false;
	}
}

void progress_start(const struct run_opts *o, const struct cell *cells,
		    int n_cells)
{
	const char *term = getenv("TERM");

	memset(&pg, 0, sizeof(pg));
	pg.jfd = -1;
	if (!isatty(STDERR_FILENO) || !term || !strcmp(term, "dumb"))
		return;
	pg.on = true;
	pg.run_t0 = mono_ms();
	for (int i = 0; i < n_cells; i++)
		for (int j = 0; j < o->n_cases; j++)
			if (!run_point_skip(&cells[i], o->cases[j])) {
				pg.total++;
				pg.planned_s += fixture_deadline_s(o->cases[j],
								   &o->prof);
			}
}

void progress_point_begin(const struct cell *c, const struct case_desc *cd,
			  const char *journal, int deadline_s)
{
	if (!pg.on)
		return;
	pg.n++;
	pg.point_t0 = mono_ms();
	pg.deadline_s = deadline_s;
	pg.planned_s -= deadline_s;
	safe_copy(pg.cell, sizeof(pg.cell), c->name);
	safe_copy(pg.case_name, sizeof(pg.case_name), cd->name);
	pg.phase[0] = '\0';
	g_free(pg.journal);
	pg.journal = g_strdup(journal);
	pg.jfd = -1;
	pg.partial = g_string_new(NULL);
	pg.skipping = false;
	pg.last_draw = 0;
	progress_tick();
}

/* One whole journal line: a phase record names the phase. */
static void journal_line(const char *line)
{
	JsonParser *p;
	JsonNode *root;

	if (!strstr(line, "\"phase\""))
		return;
	p = json_parser_new_immutable();
	if (json_parser_load_from_data(p, line, -1, NULL) &&
	    (root = json_parser_get_root(p)) && JSON_NODE_HOLDS_OBJECT(root)) {
		JsonObject *o = json_node_get_object(root);

		if (!g_strcmp0(json_object_get_string_member_with_default(
				       o, "k", ""), "phase"))
			safe_copy(pg.phase, sizeof(pg.phase),
				  json_object_get_string_member_with_default(
					  o, "name", ""));
	}
	g_object_unref(p);
}

/* Read what the point's journal gained since the last look. */
static void journal_read(void)
{
	char buf[8192];
	ssize_t n;

	if (pg.jfd < 0 && pg.journal)
		pg.jfd = open(pg.journal, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			      O_NONBLOCK);
	if (pg.jfd < 0)
		return;
	while ((n = read(pg.jfd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (pg.partial->len >= MAX_LINE)
					pg.skipping = true;
				else
					g_string_append_c(pg.partial, buf[i]);
				continue;
			}
			if (!pg.skipping)
				journal_line(pg.partial->str);
			g_string_truncate(pg.partial, 0);
			pg.skipping = false;
		}
	}
}

void progress_tick(void)
{
	struct winsize ws;
	int64_t now;
	long long point_ms, left = -1;
	double ratio;
	char *line;

	if (!pg.on || !pg.partial)
		return;
	now = mono_ms();
	if (pg.last_draw && now - pg.last_draw < 500)
		return;
	pg.last_draw = now;
	journal_read();
	point_ms = now - pg.point_t0;
	ratio = pg.done_deadline_s > 0 ?
		(double)pg.done_ms / 1000 / (double)pg.done_deadline_s :
		FIRST_RATIO;
	left = (long long)(((double)pg.planned_s + pg.deadline_s) * ratio *
			   1000) - point_ms;
	if (left < 0)
		left = 0;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col < 20)
		ws.ws_col = 80;
	line = progress_line(pg.n, pg.total, pg.cell, pg.case_name, pg.phase,
			     point_ms, now - pg.run_t0, left, ws.ws_col - 1);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	pg.drawn = true;
	g_free(line);
}

void progress_point_end(void)
{
	if (!pg.on || !pg.partial)
		return;
	erase();
	pg.done_ms += mono_ms() - pg.point_t0;
	pg.done_deadline_s += pg.deadline_s;
	if (pg.jfd >= 0)
		close(pg.jfd);
	pg.jfd = -1;
	g_string_free(pg.partial, TRUE);
	pg.partial = NULL;
}

void progress_stop(void)
{
	progress_point_end();
	erase();
	g_free(pg.journal);
	pg.journal = NULL;
	pg.on = false;
}
