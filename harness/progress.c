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

/* One point running. */
struct prun {
	int id;
	int64_t t0;
	int deadline_s;
	char cell[64], case_name[64], phase[80];
	char *journal;
	int jfd;
	GString *partial;
	bool skipping;		/* inside an over-long journal line */
};

static struct {
	bool on;
	int total, done, jobs;
	long long planned_s;		/* deadlines of the points not begun */
	long long done_ms, done_deadline_s;
	int64_t run_t0, last_draw;
	struct prun run[PROGRESS_MAX_RUNNING];
	int n_run;
	bool drawn;
} pg;

static void clock_text(GString *o, long long ms)
{
	long long s = ms / 1000;

	if (s >= 3600)
		g_string_append_printf(o, "%lld:%02lld:%02lld", s / 3600,
				       s / 60 % 60, s % 60);
	else
		g_string_append_printf(o, "%lld:%02lld", s / 60, s % 60);
}

/*
 * head longer than keep columns: cut there with '~', or when keep is below
 * min (the part that must stay), cut at min without one.
 */
static void cut_with_tilde(GString *head, long keep, long min)
{
	if ((long)g_utf8_strlen(head->str, -1) <= keep)
		return;
	g_string_truncate(head, g_utf8_offset_to_pointer(head->str,
		keep >= min ? keep : min) - head->str);
	if (keep >= min)
		g_string_append_c(head, '~');
}

char *progress_line(const struct progress_view *v, int width)
{
	GString *head = g_string_new(NULL), *tail = g_string_new(NULL);
	int n = v->n_running;
	long base;

	if (n == 0)
		g_string_append_printf(head, "nicq [%d/%d]", v->done,
				       v->total);
	else if (n == 1)
		g_string_append_printf(head, "nicq [%d/%d]", v->done + 1,
				       v->total);
	else
		g_string_append_printf(head, "nicq [%d-%d/%d]", v->done + 1,
				       v->done + n, v->total);
	if (n == 1) {
		g_string_append_printf(head, " %s %s", v->running[0].cell,
				       v->running[0].case_name);
		base = g_utf8_strlen(head->str, -1);
		if (v->running[0].phase && *v->running[0].phase)
			g_string_append_printf(head, ": %s",
					       v->running[0].phase);
		g_string_append(tail, "  ");
		clock_text(tail, v->running[0].ms);
	} else {
		base = g_utf8_strlen(head->str, -1);
	}
	g_string_append(tail, n ? " | run " : " run ");
	clock_text(tail, v->run_ms);
	if (v->left_ms >= 0)
		g_string_append_printf(tail, ", ~%lld min left",
				       v->left_ms < 60000 ? 1 :
				       (v->left_ms + 30000) / 60000);
	if (n > 1) {
		/* each running point, with its phase while there is room */
		for (int pass = 0; pass < 2; pass++) {
			GString *h = g_string_new(head->str);

			for (int i = 0; i < n; i++) {
				g_string_append_printf(h, "%s %s %s",
						       i ? "," : "",
						       v->running[i].cell,
						       v->running[i].case_name);
				if (!pass && v->running[i].phase &&
				    *v->running[i].phase)
					g_string_append_printf(h, ": %s",
						v->running[i].phase);
				g_string_append_c(h, ' ');
				clock_text(h, v->running[i].ms);
			}
			if (pass || width <= 0 ||
			    (long)(g_utf8_strlen(h->str, -1) +
				   g_utf8_strlen(tail->str, -1)) <= width) {
				g_string_assign(head, h->str);
				g_string_free(h, TRUE);
				break;
			}
			g_string_free(h, TRUE);
		}
	} else if (width > 0) {
		/* too wide: the phase gives way first ("~") */
		cut_with_tilde(head, width - (long)g_utf8_strlen(tail->str, -1)
			       - 1, base);
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

void progress_erase(void)
{
	if (pg.drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pg.drawn = false;
		pg.last_draw = 0;	/* drawn again on the next tick */
	}
}

void progress_start(const struct run_opts *o, const struct cell *cells,
		    int n_cells, int jobs)
{
	const char *term = getenv("TERM");

	memset(&pg, 0, sizeof(pg));
	if (!isatty(STDERR_FILENO) || !term || !*term || !strcmp(term, "dumb"))
		return;
	pg.on = true;
	pg.jobs = jobs > 0 ? jobs : 1;
	pg.run_t0 = mono_ms();
	for (int i = 0; i < n_cells; i++)
		for (int j = 0; j < o->n_cases; j++)
			if (!run_point_skip(&cells[i], o->cases[j]) &&
			    run_point_in_shard(o, cells, n_cells,
					       i * o->n_cases + j)) {
				pg.total++;
				pg.planned_s += fixture_deadline_s(o->cases[j],
								   &o->prof);
			}
}

void progress_point_begin(int id, const struct cell *c,
			  const struct case_desc *cd, const char *journal,
			  int deadline_s)
{
	struct prun *r;

	if (!pg.on || pg.n_run >= PROGRESS_MAX_RUNNING)
		return;
	r = &pg.run[pg.n_run++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->t0 = mono_ms();
	r->deadline_s = deadline_s;
	pg.planned_s -= deadline_s;
	safe_copy(r->cell, sizeof(r->cell), c->name);
	safe_copy(r->case_name, sizeof(r->case_name), cd->name);
	r->journal = g_strdup(journal);
	r->jfd = -1;
	r->partial = g_string_new(NULL);
	pg.last_draw = 0;
}

/* One whole journal line: a phase record names the phase. */
static void journal_line(struct prun *r, const char *line)
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
			safe_copy(r->phase, sizeof(r->phase),
				  json_object_get_string_member_with_default(
					  o, "name", ""));
	}
	g_object_unref(p);
}

/* Read what a point's journal gained since the last look. */
static void journal_read(struct prun *r)
{
	char buf[8192];
	ssize_t n;

	if (r->jfd < 0 && r->journal)
		r->jfd = file_open(r->journal, O_RDONLY | O_NONBLOCK, 0);
	if (r->jfd < 0)
		return;
	while ((n = read(r->jfd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (r->partial->len >= MAX_LINE)
					r->skipping = true;
				else
					g_string_append_c(r->partial, buf[i]);
				continue;
			}
			if (!r->skipping)
				journal_line(r, r->partial->str);
			g_string_truncate(r->partial, 0);
			r->skipping = false;
		}
	}
}

void progress_tick(void)
{
	struct progress_view v = { 0 };
	struct winsize ws;
	int64_t now;
	long long running_s = 0, elapsed = 0, left;
	double ratio;
	char *line;

	if (!pg.on)
		return;
	now = mono_ms();
	if (pg.last_draw && now - pg.last_draw < 500)
		return;
	pg.last_draw = now;
	v.done = pg.done;
	v.total = pg.total;
	v.n_running = pg.n_run;
	for (int i = 0; i < pg.n_run; i++) {
		struct prun *r = &pg.run[i];

		journal_read(r);
		v.running[i].cell = r->cell;
		v.running[i].case_name = r->case_name;
		v.running[i].phase = r->phase;
		v.running[i].ms = now - r->t0;
		running_s += r->deadline_s;
		elapsed += now - r->t0;
	}
	ratio = pg.done_deadline_s > 0 ?
		(double)pg.done_ms / 1000 / (double)pg.done_deadline_s :
		FIRST_RATIO;
	left = (long long)(((double)pg.planned_s + (double)running_s) *
			   ratio * 1000) - elapsed;
	v.left_ms = left < 0 ? 0 : left / pg.jobs;
	v.run_ms = now - pg.run_t0;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col < 20)
		ws.ws_col = 80;
	line = progress_line(&v, ws.ws_col - 1);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	pg.drawn = true;
	g_free(line);
}

void progress_point_end(int id)
{
	if (!pg.on)
		return;
	for (int i = 0; i < pg.n_run; i++) {
		struct prun *r = &pg.run[i];

		if (r->id != id)
			continue;
		pg.done++;
		pg.done_ms += mono_ms() - r->t0;
		pg.done_deadline_s += r->deadline_s;
		if (r->jfd >= 0)
			close(r->jfd);
		g_free(r->journal);
		g_string_free(r->partial, TRUE);
		/* the others keep their order on the line */
		memmove(&pg.run[i], &pg.run[i + 1],
			(size_t)(pg.n_run - i - 1) * sizeof(pg.run[0]));
		pg.n_run--;
		pg.last_draw = 0;
		return;
	}
}

void progress_stop(void)
{
	if (!pg.on)
		return;
	while (pg.n_run > 0)
		progress_point_end(pg.run[0].id);
	progress_erase();
	pg.on = false;
}
