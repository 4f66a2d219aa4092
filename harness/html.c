/* html.c - see html.h. */
#include "html.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S report_str
#define O report_obj
#define A report_arr
#define I report_int

/* Colours of the statuses (report.h) and of up to six cells. */
static const struct {
	const char *status, *colour, *label;
} status_look[] = {
	{ "pass", "#2e7d32", "pass" },
	{ "fail", "#c62828", "fail" },
	{ "known", "#e08e0b", "known defect" },
	{ "skip", "#8d8d8d", "skip" },
	{ "interrupted", "#6a1b9a", "interrupted" },
	{ "not_run", "#37474f", "not run" },
};
static const char *const cell_colour[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
};
#define N_CELL_COLOURS (sizeof(cell_colour) / sizeof(cell_colour[0]))

static const char *status_label(const char *status)
{
	for (size_t i = 0; i < G_N_ELEMENTS(status_look); i++)
		if (!g_strcmp0(status, status_look[i].status))
			return status_look[i].label;
	return status ? status : "?";
}

/* ---- text --------------------------------------------------------------- */

/*
 * s escaped for HTML text and attribute values: valid UTF-8, markup
 * characters as entities, control characters (but tab and newline) as
 * U+FFFD.
 */
static void esc(GString *o, const char *s)
{
	char *v = g_utf8_make_valid(s ? s : "", -1);

	for (const char *p = v; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&':
			g_string_append(o, "&amp;");
			break;
		case '<':
			g_string_append(o, "&lt;");
			break;
		case '>':
			g_string_append(o, "&gt;");
			break;
		case '"':
			g_string_append(o, "&quot;");
			break;
		case '\'':
			g_string_append(o, "&#39;");
			break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') ||
			    (c >= 0x7f && c < 0xa0) || c == 0xFFFE ||
			    c == 0xFFFF)
				g_string_append_unichar(o, 0xFFFD);
			else
				g_string_append_unichar(o, c);
		}
	}
	g_free(v);
}

static void escf(GString *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void escf(GString *o, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	esc(o, t);
	g_free(t);
}

/* A number for people: integers whole, others with up to 3 decimals. */
static char *num_text(double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (!isfinite(v))
		return g_strdup(isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
	if (v == floor(v) && fabs(v) < 1e15)
		return g_strdup(g_ascii_formatd(buf, sizeof(buf), "%.0f", v));
	g_ascii_formatd(buf, sizeof(buf), "%.3f", v);
	for (size_t n = strlen(buf); n > 0 && buf[n - 1] == '0'; n--)
		buf[n - 1] = '\0';
	if (buf[strlen(buf) - 1] == '.')
		buf[strlen(buf) - 1] = '\0';
	return g_strdup(buf);
}

/* SVG coordinates: one decimal, locale-independent. */
static const char *px(char *buf, double v)
{
	return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.1f", v);
}

/* A JSON scalar as text: null is "not measured". */
static char *value_text(JsonNode *n)
{
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return g_strdup("(not measured)");
	if (!JSON_NODE_HOLDS_VALUE(n))
		return g_strdup("(structured)");
	switch (json_node_get_value_type(n)) {
	case G_TYPE_INT64:
		return g_strdup_printf("%" G_GINT64_FORMAT,
				       json_node_get_int(n));
	case G_TYPE_DOUBLE:
		return num_text(json_node_get_double(n));
	case G_TYPE_BOOLEAN:
		return g_strdup(json_node_get_boolean(n) ? "true" : "false");
	case G_TYPE_STRING:
		return g_strdup(json_node_get_string(n));
	default:
		return g_strdup("?");
	}
}

static void ms_text(GString *o, long long ms)
{
	if (ms < 0)
		g_string_append(o, "?");
	else if (ms < 60000)
		g_string_append_printf(o, "%lld.%lld s", ms / 1000,
				       ms % 1000 / 100);
	else
		g_string_append_printf(o, "%lld min %lld s", ms / 60000,
				       ms % 60000 / 1000);
}

static void utc_text(GString *o, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];

	if (ms <= 0) {
		g_string_append(o, "?");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	g_string_append(o, buf);
}

/* ---- files in the run folder ------------------------------------------ */

/*
 * Whether path (relative to dfd, '/'-separated plain names) is a regular
 * file, reached without following any symlink.
 */
static bool file_ok(int dfd, const char *path)
{
	char **parts = g_strsplit(path ? path : "", "/", 16);
	int fd = dfd, n = (int)g_strv_length(parts);
	bool ok = n > 0;
	struct stat st;

	for (int i = 0; ok && i < n; i++)
		ok = report_name_ok(parts[i]);
	for (int i = 0; ok && i < n - 1; i++) {
		int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY |
				  O_NOFOLLOW | O_CLOEXEC);

		if (fd != dfd)
			close(fd);
		fd = next;
		ok = fd >= 0;
	}
	if (ok)
		ok = fstatat(fd, parts[n - 1], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		     S_ISREG(st.st_mode);
	if (fd >= 0 && fd != dfd)
		close(fd);
	g_strfreev(parts);
	return ok;
}

/* The point folder slug/case_name under run_fd, or -1. */
static int point_fd(int run_fd, const char *slug, const char *case_name)
{
	int cfd, pfd;

	if (!report_name_ok(slug) || !report_name_ok(case_name))
		return -1;
	cfd = openat(run_fd, slug, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	if (cfd < 0)
		return -1;
	pfd = openat(cfd, case_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	close(cfd);
	return pfd;
}

/* What the page needs to link a point's files. */
struct pctx {
	int fd;			/* the point's folder, or -1 */
	const char *slug, *case_name;
};

/* A link to the point's file path, or the text alone when it is not one. */
static void file_link(GString *o, const struct pctx *pc, const char *path,
		      const char *label)
{
	if (pc->fd >= 0 && file_ok(pc->fd, path)) {
		g_string_append_printf(o, "<a class=\"file\" href=\"%s/%s/",
				       pc->slug, pc->case_name);
		esc(o, path);
		g_string_append(o, "\">");
		esc(o, label ? label : path);
		g_string_append(o, "</a>");
	} else {
		esc(o, label ? label : path);
	}
}

/*
 * Evidence text with each word that names a file of the point
 * ("capture-x.pcap (ICMP id 7); transcript.txt:12") made a link to it.
 */
static void linkify(GString *o, const struct pctx *pc, const char *text)
{
	const char *p = text ? text : "";

	while (*p) {
		size_t n = 0;

		while (p[n] && (g_ascii_isalnum(p[n]) || strchr("._+-/",
								  p[n])))
			n++;
		if (n > 0) {
			char *word = g_strndup(p, n);

			if (strchr(word, '.') && pc->fd >= 0 &&
			    file_ok(pc->fd, word))
				file_link(o, pc, word, NULL);
			else
				esc(o, word);
			g_free(word);
			p += n;
		} else {
			const char *next = g_utf8_next_char(p);
			char *ch = g_strndup(p, next - p);

			esc(o, ch);
			g_free(ch);
			p = next;
		}
	}
}

/* ---- the run's facts ----------------------------------------------------- */

static void fact(GString *o, const char *name, const char *value)
{
	g_string_append(o, "<tr><th>");
	esc(o, name);
	g_string_append(o, "</th><td>");
	esc(o, value ? value : "(unknown)");
	g_string_append(o, "</td></tr>\n");
}

static void run_file_link(GString *o, int run_fd, const char *path,
			  const char *label)
{
	if (file_ok(run_fd, path)) {
		g_string_append(o, "<a class=\"file\" href=\"");
		esc(o, path);
		g_string_append(o, "\">");
		esc(o, label);
		g_string_append(o, "</a> ");
	}
}

static void render_facts(GString *o, JsonObject *doc, int run_fd)
{
	JsonObject *run = O(doc, "run"), *sum = O(doc, "summary");
	JsonObject *host = O(run, "host"), *lab = O(run, "lab");
	JsonObject *acc = O(run, "accelerator"), *ver = O(run, "versions");
	JsonObject *vh = O(run, "vhost_net"), *img = O(run, "guest_image");
	JsonObject *prof = O(run, "profile"), *opt = O(run, "options");
	JsonArray *cmd = A(run, "command"), *params = A(prof, "params");
	JsonArray *faults = A(opt, "faults");
	GString *t = g_string_new(NULL);

	g_string_append(o, "<section id=\"run\"><h2>Run</h2>\n"
			"<table class=\"facts\">\n");
	g_string_printf(t, "%s", S(sum, "status"));
	if (report_obj(run, "end"))
		g_string_append_printf(t, ", exit status %lld",
				       I(sum, "exit_status", -1));
	if (S(sum, "bail_out"))
		g_string_append_printf(t, "; Bail out! %s", S(sum, "bail_out"));
	fact(o, "status", t->str);
	g_string_truncate(t, 0);
	utc_text(t, I(run, "started_ms", 0));
	if (report_obj(run, "end")) {
		g_string_append(t, ", took ");
		ms_text(t, I(sum, "duration_ms", -1));
	} else {
		g_string_append(t, "; the run did not finish (no end in "
				"run.json)");
	}
	fact(o, "started", t->str);
	g_string_truncate(t, 0);
	for (guint i = 0; cmd && i < json_array_get_length(cmd); i++) {
		JsonNode *n = json_array_get_element(cmd, i);

		if (JSON_NODE_HOLDS_VALUE(n) &&
		    json_node_get_value_type(n) == G_TYPE_STRING) {
			char *q = g_shell_quote(json_node_get_string(n));

			g_string_append_printf(t, "%s%s", i ? " " : "",
					       i == 0 ? json_node_get_string(n)
						      : q);
			g_free(q);
		}
	}
	fact(o, "command", t->str);
	fact(o, "nicq", S(ver, "nicq"));
	g_string_printf(t, "%s: %s, kernel %s (%s), %lld CPUs (%s), %lld MiB",
			S(host, "hostname") ? S(host, "hostname") : "?",
			S(host, "os") ? S(host, "os") : "?",
			S(host, "kernel") ? S(host, "kernel") : "?",
			S(host, "machine") ? S(host, "machine") : "?",
			I(host, "cpus", 0), S(host, "cpu") ? S(host, "cpu") :
			"?", I(host, "memory_mib", 0));
	fact(o, "host", t->str);
	g_string_printf(t, "%s%s%s%s%s",
			!g_strcmp0(S(lab, "kind"), "private") ?
			"private lab, namespace " : "libvirt at ",
			!g_strcmp0(S(lab, "kind"), "private") ?
			(S(lab, "netns") ? S(lab, "netns") : "?") :
			(S(lab, "uri") ? S(lab, "uri") : "?"),
			S(lab, "error") ? " - would not start: " : "",
			S(lab, "error") ? S(lab, "error") : "", "");
	fact(o, "lab", t->str);
	g_string_printf(t, "%s (%s)", acc && S(acc, "name") ? S(acc, "name") :
			"unknown", acc && S(acc, "reason") ? S(acc, "reason") :
			"the lab did not start");
	fact(o, "accelerator", t->str);
	g_string_printf(t, "%s%s%s", json_object_get_boolean_member_with_default(
				vh, "available", false) ? "available" :
			"unavailable", S(vh, "reason") ? ": " : "",
			S(vh, "reason") ? S(vh, "reason") : "");
	fact(o, "vhost-net", t->str);
	fact(o, "QEMU", S(ver, "qemu"));
	g_string_printf(t, "daemon %s, library %s",
			S(ver, "libvirt_daemon") ? S(ver, "libvirt_daemon") :
			"?", S(ver, "libvirt_library") ?
			S(ver, "libvirt_library") : "?");
	fact(o, "libvirt", t->str);
	g_string_printf(t, "%s: kernel %s, built %s", S(img, "dir") ?
			S(img, "dir") : "?", S(img, "kernel_release") ?
			S(img, "kernel_release") : "?", S(img, "built") ?
			S(img, "built") : "?");
	fact(o, "guest image", t->str);
	g_string_truncate(t, 0);
	for (guint i = 0; faults && i < json_array_get_length(faults); i++) {
		JsonObject *f = report_elem(faults, i);

		g_string_append_printf(t, "%s%s (%s)", i ? "; " : "",
				       S(f, "fault") ? S(f, "fault") : "?",
				       S(f, "detail") ? S(f, "detail") : "");
	}
	fact(o, "injected faults", t->len ? t->str :
	     "none (not a negative control)");
	if (O(run, "baseline")) {
		JsonArray *b = A(O(run, "baseline"), "runs");

		g_string_assign(t, json_object_get_boolean_member_with_default(
					O(run, "baseline"), "regressed",
					false) ? "REGRESSED against " :
				"no regression against ");
		for (guint i = 0; b && i < json_array_get_length(b); i++)
			g_string_append_printf(t, "%s%s", i ? ", " : "",
					       report_arr_str(b, i));
		fact(o, "baseline", t->str);
	}

	/* the profile, every parameter */
	g_string_append(o, "<tr><th>profile</th><td><details><summary>");
	esc(o, S(prof, "name"));
	g_string_append(o, "</summary>\n<table class=\"params\"><tr><th>"
			"parameter</th><th>value</th><th>quick</th><th>full"
			"</th><th>meaning</th></tr>\n");
	for (guint i = 0; params && i < json_array_get_length(params); i++) {
		JsonObject *p = report_elem(params, i);
		JsonNode *v = p ? json_object_get_member(p, "value") : NULL;
		GString *vs = g_string_new(NULL);

		if (v && JSON_NODE_HOLDS_ARRAY(v)) {
			JsonArray *va = json_node_get_array(v);

			for (guint j = 0; j < json_array_get_length(va); j++) {
				char *x = value_text(
					json_array_get_element(va, j));

				g_string_append_printf(vs, "%s%s", j ? ";" :
						       "", x);
				g_free(x);
			}
		} else {
			char *x = value_text(v);

			g_string_append(vs, x);
			g_free(x);
		}
		g_string_append_printf(o, "<tr%s><td>",
			json_object_get_boolean_member_with_default(
				p, "from_config", false) ?
			" class=\"changed\"" : "");
		esc(o, S(p, "name"));
		g_string_append(o, "</td><td>");
		esc(o, vs->str);
		g_string_append(o, "</td><td>");
		esc(o, S(p, "quick"));
		g_string_append(o, "</td><td>");
		esc(o, S(p, "full"));
		g_string_append(o, "</td><td>");
		esc(o, S(p, "doc"));
		g_string_append(o, "</td></tr>\n");
		g_string_free(vs, TRUE);
	}
	g_string_append(o, "</table></details></td></tr>\n");
	g_string_append(o, "<tr><th>files</th><td>");
	run_file_link(o, run_fd, "run.tap", "run.tap (TAP)");
	run_file_link(o, run_fd, "results.json", "results.json");
	run_file_link(o, run_fd, "junit.xml", "junit.xml (JUnit)");
	run_file_link(o, run_fd, "run.json", "run.json");
	run_file_link(o, run_fd, "compare.txt", "compare.txt (--baseline)");
	run_file_link(o, run_fd, "lab/libvirtd.log", "lab/libvirtd.log");
	run_file_link(o, run_fd, "lab/virtlogd.log", "lab/virtlogd.log");
	g_string_append(o, "</td></tr>\n</table></section>\n");
	g_string_free(t, TRUE);
}

/* ---- the matrix ---------------------------------------------------------- */

static void point_anchor(GString *o, JsonObject *cell, JsonObject *pt)
{
	g_string_append(o, "p-");
	esc(o, S(cell, "slug"));
	g_string_append_c(o, '-');
	esc(o, S(pt, "case"));
}

static void data_attrs(GString *o, JsonObject *cell, JsonObject *pt)
{
	g_string_append(o, " data-cell=\"");
	esc(o, S(cell, "name"));
	g_string_append(o, "\" data-case=\"");
	esc(o, S(pt, "case"));
	g_string_append(o, "\" data-status=\"");
	esc(o, S(pt, "status"));
	g_string_append(o, "\"");
}

static void render_matrix(GString *o, JsonObject *doc)
{
	JsonArray *cells = A(doc, "cells");
	GPtrArray *cases = g_ptr_array_new();
	guint nc = cells ? json_array_get_length(cells) : 0;

	/* the cases, in the order planned */
	for (guint i = 0; i < nc; i++) {
		JsonArray *pts = A(report_elem(cells, i), "points");

		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			const char *c = S(report_elem(pts, j), "case");
			bool seen = false;

			for (guint k = 0; k < cases->len; k++)
				seen |= !g_strcmp0(cases->pdata[k], c);
			if (!seen && c)
				g_ptr_array_add(cases, (gpointer)c);
		}
	}
	g_string_append(o, "<section id=\"matrix\"><h2>Matrix</h2>\n"
			"<table class=\"matrix\"><thead><tr><th>case</th>");
	for (guint i = 0; i < nc; i++) {
		JsonObject *cell = report_elem(cells, i);

		g_string_append(o, "<th");
		if (S(cell, "skip")) {
			g_string_append(o, " title=\"");
			esc(o, S(cell, "skip"));
			g_string_append(o, "\"");
		}
		g_string_append(o, ">");
		esc(o, S(cell, "model"));
		g_string_append(o, "<br>vhost=");
		g_string_append(o, json_object_get_boolean_member_with_default(
					cell, "vhost", false) ? "on" : "off");
		g_string_append(o, "</th>");
	}
	g_string_append(o, "</tr></thead>\n<tbody>\n");
	for (guint k = 0; k < cases->len; k++) {
		g_string_append(o, "<tr><th>");
		esc(o, cases->pdata[k]);
		g_string_append(o, "</th>");
		for (guint i = 0; i < nc; i++) {
			JsonObject *cell = report_elem(cells, i), *pt = NULL;
			JsonArray *pts = A(cell, "points");

			for (guint j = 0; pts && j < json_array_get_length(pts);
			     j++)
				if (!g_strcmp0(S(report_elem(pts, j), "case"),
					       cases->pdata[k]))
					pt = report_elem(pts, j);
			if (!pt) {
				g_string_append(o, "<td class=\"none\">"
						"</td>");
				continue;
			}
			g_string_append(o, "<td class=\"st st-");
			esc(o, S(pt, "status"));
			g_string_append(o, "\"");
			data_attrs(o, cell, pt);
			if (S(pt, "reason")) {
				g_string_append(o, " title=\"");
				esc(o, S(pt, "reason"));
				g_string_append(o, "\"");
			}
			g_string_append(o, "><a href=\"#");
			point_anchor(o, cell, pt);
			g_string_append(o, "\">");
			esc(o, status_label(S(pt, "status")));
			if (I(pt, "duration_ms", -1) >= 0) {
				g_string_append(o, "<small>");
				ms_text(o, I(pt, "duration_ms", 0));
				g_string_append(o, "</small>");
			}
			g_string_append(o, "</a></td>");
		}
		g_string_append(o, "</tr>\n");
	}
	g_string_append(o, "</tbody></table>\n<p class=\"legend\">");
	for (size_t i = 0; i < G_N_ELEMENTS(status_look); i++)
		g_string_append_printf(o, "<span class=\"st st-%s\">%s</span> ",
				       status_look[i].status,
				       status_look[i].label);
	g_string_append(o, "- a cell opens the point's details below.</p>"
			"</section>\n");
	g_ptr_array_unref(cases);
}

/* ---- one point ------------------------------------------------------------ */

static const char *op_text(const char *op)
{
	static const struct {
		const char *op, *text;
	} ops[] = {
		{ "eq", "==" }, { "ne", "!=" }, { "lt", "<" }, { "le", "<=" },
		{ "gt", ">" }, { "ge", ">=" }, { "streq", "is" },
		{ "true", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(ops); i++)
		if (!g_strcmp0(op, ops[i].op))
			return ops[i].text;
	return op ? op : "?";
}

static void render_expectations(GString *o, JsonObject *res,
				const struct pctx *pc)
{
	JsonArray *ex = A(res, "expectations");
	guint n = ex ? json_array_get_length(ex) : 0, bad = 0;

	for (guint i = 0; i < n; i++)
		if (!json_object_get_boolean_member_with_default(
			    report_elem(ex, i), "ok", false))
			bad++;
	g_string_append_printf(o, "<h4>Expectations: %u, %u failed</h4>\n",
			       n, bad);
	if (!n)
		return;
	g_string_append(o, "<table class=\"ex\"><tr><th></th><th>scope</th>"
			"<th>property</th><th>expected</th><th>measured</th>"
			"<th>evidence</th></tr>\n");
	for (guint i = 0; i < n; i++) {
		JsonObject *e = report_elem(ex, i);
		bool ok = json_object_get_boolean_member_with_default(e, "ok",
								      false);
		const char *op = S(e, "op");
		char *exp = value_text(e ? json_object_get_member(e,
						"expected") : NULL);
		char *mea = value_text(e ? json_object_get_member(e,
						"measured") : NULL);

		g_string_append_printf(o, "<tr class=\"%s\"><td>%s</td><td>",
				       ok ? "ok" : "bad", ok ? "ok" : "FAILED");
		esc(o, S(e, "scope"));
		g_string_append(o, "</td><td>");
		esc(o, S(e, "name"));
		g_string_append(o, "</td><td>");
		if (!g_strcmp0(op, "range")) {
			char *hi = value_text(json_object_get_member(
				e, "expected_max"));

			escf(o, "%s .. %s", exp, hi);
			g_free(hi);
		} else {
			escf(o, "%s%s%s", op_text(op), *op_text(op) ? " " : "",
			     exp);
		}
		g_string_append(o, "</td><td>");
		esc(o, mea);
		g_string_append(o, "</td><td>");
		linkify(o, pc, S(e, "evidence"));
		g_string_append(o, "</td></tr>\n");
		g_free(exp);
		g_free(mea);
	}
	g_string_append(o, "</table>\n");
}

static void render_observations(GString *o, JsonObject *res,
				const struct pctx *pc)
{
	JsonArray *ob = A(res, "observations");
	guint n = ob ? json_array_get_length(ob) : 0;

	g_string_append_printf(o, "<h4>Observations (measured, not judged): "
			       "%u</h4>\n", n);
	if (!n)
		return;
	g_string_append(o, "<table class=\"ob\"><tr><th>scope</th><th>what"
			"</th><th>value</th><th>evidence</th></tr>\n");
	for (guint i = 0; i < n; i++) {
		JsonObject *e = report_elem(ob, i);
		char *v = value_text(e ? json_object_get_member(e, "value") :
				     NULL);

		g_string_append(o, "<tr><td>");
		esc(o, S(e, "scope"));
		g_string_append(o, "</td><td>");
		esc(o, S(e, "name"));
		g_string_append(o, "</td><td>");
		escf(o, "%s%s%s", v, S(e, "unit") ? " " : "",
		     S(e, "unit") ? S(e, "unit") : "");
		g_string_append(o, "</td><td>");
		linkify(o, pc, S(e, "evidence"));
		g_string_append(o, "</td></tr>\n");
		g_free(v);
	}
	g_string_append(o, "</table>\n");
}

static void render_klog(GString *o, JsonObject *res, const struct pctx *pc)
{
	JsonArray *f = A(O(res, "kernel_log"), "findings");
	guint n = f ? json_array_get_length(f) : 0;

	g_string_append_printf(o, "<h4>Kernel log findings: %u</h4>\n", n);
	if (!n) {
		g_string_append(o, "<p>None: no panic, oops, BUG, WARNING or "
				"call trace in the guests' dmesg and "
				"consoles.</p>\n");
		return;
	}
	g_string_append(o, "<table class=\"klog\"><tr><th>where</th><th>kind"
			"</th><th>text</th></tr>\n");
	for (guint i = 0; i < n; i++) {
		JsonObject *e = report_elem(f, i);

		g_string_append(o, "<tr class=\"bad\"><td>");
		file_link(o, pc, S(e, "source"), NULL);
		g_string_append_printf(o, ":%lld</td><td>", I(e, "line", 0));
		esc(o, S(e, "kind"));
		g_string_append(o, "</td><td><code>");
		esc(o, S(e, "text"));
		g_string_append(o, "</code></td></tr>\n");
	}
	g_string_append(o, "</table>\n");
}

static void render_files(GString *o, JsonObject *res, const struct pctx *pc)
{
	JsonArray *art = A(res, "artifacts");

	g_string_append(o, "<p class=\"files\">Files: ");
	file_link(o, pc, "result.json", "result.json");
	g_string_append(o, " ");
	file_link(o, pc, "records.jsonl", "records.jsonl");
	for (guint i = 0; art && i < json_array_get_length(art); i++) {
		JsonObject *a = report_elem(art, i);
		char *label = g_strdup_printf("%s (%s)", S(a, "path") ?
					      S(a, "path") : "?",
					      S(a, "kind") ? S(a, "kind") :
					      "file");

		g_string_append(o, " ");
		file_link(o, pc, S(a, "path"), label);
		g_free(label);
	}
	g_string_append(o, "</p>\n");
}

static void render_guests(GString *o, JsonObject *res)
{
	JsonArray *g = A(res, "guests"), *caps = A(res, "captures");
	JsonArray *faults = A(res, "faults");

	g_string_append(o, "<h4>Guests, captures, faults</h4>\n<ul>\n");
	for (guint i = 0; g && i < json_array_get_length(g); i++) {
		JsonObject *gu = report_elem(g, i);
		JsonArray *nics = A(gu, "nics");

		g_string_append(o, "<li>");
		escf(o, "guest %lld (%s): %s boot, %s, ready after ",
		     I(gu, "index", 0), S(gu, "domain") ? S(gu, "domain") : "?",
		     S(gu, "boot") ? S(gu, "boot") : "?",
		     S(gu, "start") ? S(gu, "start") : "?");
		ms_text(o, I(gu, "start_ms", -1));
		escf(o, ", %s, %lld MiB; NICs:", S(gu, "accel") ?
		     S(gu, "accel") : "?", I(gu, "memory_mib", 0));
		for (guint j = 0; nics && j < json_array_get_length(nics);
		     j++) {
			JsonObject *n = report_elem(nics, j);

			escf(o, "%s %s %s (%s, tap %s, %s, backend: %s)",
			     j ? ";" : "", S(n, "model") ? S(n, "model") : "?",
			     S(n, "role") ? S(n, "role") : "?",
			     S(n, "ifname") ? S(n, "ifname") : "?",
			     S(n, "tap") ? S(n, "tap") : "?",
			     S(n, "address") && *S(n, "address") ?
			     S(n, "address") : "no address",
			     S(n, "backend") ? S(n, "backend") : "?");
		}
		g_string_append(o, "</li>\n");
	}
	for (guint i = 0; caps && i < json_array_get_length(caps); i++) {
		JsonObject *c = report_elem(caps, i);

		g_string_append(o, "<li>");
		escf(o, "capture on %s (%s%s%s): %lld frames, %lld dropped by "
		     "the capture", S(c, "interface") ? S(c, "interface") :
		     "?", S(c, "model") ? S(c, "model") : "?",
		     S(c, "label") ? ", " : "", S(c, "label") ? S(c, "label") :
		     "", I(c, "frames", 0), I(c, "kernel_dropped", 0));
		g_string_append(o, "</li>\n");
	}
	for (guint i = 0; faults && i < json_array_get_length(faults); i++) {
		JsonObject *f = report_elem(faults, i);

		g_string_append(o, "<li class=\"fault\">");
		escf(o, "injected fault %s: %s", S(f, "fault") ? S(f, "fault") :
		     "?", S(f, "detail") ? S(f, "detail") : "");
		g_string_append(o, "</li>\n");
	}
	g_string_append(o, "</ul>\n");
}

static void render_phases(GString *o, JsonObject *res)
{
	JsonArray *ph = A(res, "phases");

	g_string_append(o, "<p class=\"phases\">Phases: ");
	for (guint i = 0; ph && i < json_array_get_length(ph); i++) {
		JsonObject *p = report_elem(ph, i);

		escf(o, "%s%s at ", i ? ", " : "", S(p, "name") ?
		     S(p, "name") : "?");
		ms_text(o, I(p, "at_ms", 0));
	}
	g_string_append(o, "; deadline ");
	escf(o, "%lld s", I(res, "deadline_s", 0));
	g_string_append(o, ", started ");
	utc_text(o, I(res, "started_ms", 0));
	g_string_append(o, "</p>\n");
}

static void render_point(GString *o, JsonObject *cell, JsonObject *pt,
			 int run_fd)
{
	JsonObject *res = O(pt, "result");
	const char *status = S(pt, "status");
	JsonArray *fails = A(res, "failures");
	JsonObject *kd = O(res, "known_defect");
	struct pctx pc = { -1, S(cell, "slug"), S(pt, "case") };
	bool open_it = g_strcmp0(status, "pass") && g_strcmp0(status, "skip");

	if (res)
		pc.fd = point_fd(run_fd, pc.slug, pc.case_name);
	g_string_append(o, "<section class=\"point\" id=\"");
	point_anchor(o, cell, pt);
	g_string_append(o, "\"");
	data_attrs(o, cell, pt);
	g_string_append_printf(o, "><details%s><summary><span class=\"st "
			       "st-", open_it ? " open" : "");
	esc(o, status);
	g_string_append(o, "\">");
	esc(o, status_label(status));
	g_string_append(o, "</span> <b>");
	esc(o, S(pt, "case"));
	g_string_append(o, "</b> in ");
	esc(o, S(cell, "name"));
	if (I(pt, "duration_ms", -1) >= 0) {
		g_string_append(o, ", ");
		ms_text(o, I(pt, "duration_ms", 0));
	}
	if (I(pt, "plan_case", 0))
		g_string_append_printf(o, " (Fedora plan case %lld)",
				       I(pt, "plan_case", 0));
	g_string_append(o, "</summary>\n");
	if (res && S(res, "summary")) {
		g_string_append(o, "<p class=\"summary\">");
		esc(o, S(res, "summary"));
		g_string_append(o, "</p>\n");
	}
	if (S(pt, "reason") && g_strcmp0(status, "fail")) {
		g_string_append(o, "<p class=\"reason\">");
		esc(o, S(pt, "reason"));
		g_string_append(o, "</p>\n");
	}
	if (kd) {
		JsonArray *ex = A(kd, "explains");

		g_string_append(o, "<p class=\"known\">Known defect outside "
				"nicq (TAP <code># TODO</code>): ");
		esc(o, S(kd, "defect"));
		g_string_append(o, "; it explains: ");
		for (guint i = 0; ex && i < json_array_get_length(ex); i++) {
			JsonNode *n = json_array_get_element(ex, i);

			if (i)
				g_string_append(o, ", ");
			if (JSON_NODE_HOLDS_VALUE(n) &&
			    json_node_get_value_type(n) == G_TYPE_STRING)
				esc(o, json_node_get_string(n));
		}
		g_string_append(o, "</p>\n");
	}
	if (fails && json_array_get_length(fails)) {
		g_string_append(o, "<h4>Failures</h4><ul class=\"failures\">\n");
		for (guint i = 0; i < json_array_get_length(fails); i++) {
			JsonNode *n = json_array_get_element(fails, i);

			g_string_append(o, "<li>");
			if (JSON_NODE_HOLDS_VALUE(n) &&
			    json_node_get_value_type(n) == G_TYPE_STRING)
				esc(o, json_node_get_string(n));
			g_string_append(o, "</li>\n");
		}
		g_string_append(o, "</ul>\n");
	}
	if (res) {
		render_files(o, res, &pc);
		render_expectations(o, res, &pc);
		render_klog(o, res, &pc);
		render_observations(o, res, &pc);
		render_guests(o, res);
		render_phases(o, res);
	} else {
		g_string_append(o, "<p>No result: this point did not run, so "
				"it has no folder.</p>\n");
	}
	g_string_append(o, "</details></section>\n");
	if (pc.fd >= 0)
		close(pc.fd);
}

/* ---- plots ----------------------------------------------------------------- */

/* A step for about n ticks over range: 1, 2 or 5 times a power of ten. */
static double nice_step(double range, int n)
{
	double raw = range / (n > 0 ? n : 1), mag, f;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static JsonObject *find_result(JsonObject *cell, const char *case_name)
{
	JsonArray *pts = A(cell, "points");

	for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
		JsonObject *pt = report_elem(pts, j);

		if (!g_strcmp0(S(pt, "case"), case_name))
			return O(pt, "result");
	}
	return NULL;
}

/* The observation of res with that scope (NULL: none) and name. */
static JsonObject *find_obs(JsonObject *res, const char *scope,
			    const char *name)
{
	JsonArray *ob = A(res, "observations");

	for (guint i = 0; ob && i < json_array_get_length(ob); i++) {
		JsonObject *e = report_elem(ob, i);

		if (!g_strcmp0(S(e, "scope"), scope) &&
		    !g_strcmp0(S(e, "name"), name))
			return e;
	}
	return NULL;
}

static bool obs_num(JsonObject *res, const char *scope, const char *name,
		    double *v)
{
	return report_num(find_obs(res, scope, name), "value", v) &&
	       isfinite(*v);
}

/* "1000Mb/s" (ethtool's Speed:) in Mbit/s; false for "Unknown!". */
static bool link_speed(const char *s, double *mbit)
{
	char *end;
	double v;

	if (!s)
		return false;
	v = g_ascii_strtod(s, &end);
	if (end == s || !(v > 0) || !isfinite(v))
		return false;
	if (!strcmp(end, "Mb/s"))
		*mbit = v;
	else if (!strcmp(end, "Gb/s"))
		*mbit = v * 1000;
	else
		return false;
	return true;
}

static void svg_open(GString *o, double w, double h, const char *label)
{
	g_string_append_printf(o, "<svg "
			       "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
			       "%.0f %.0f\" role=\"img\" aria-label=\"", w, h,
			       w, h);
	esc(o, label);
	g_string_append(o, "\">\n");
}

static void svg_text(GString *o, double x, double y, const char *anchor,
		     const char *cls, const char *text)
{
	char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append_printf(o, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\""
			       "%s%s%s>", px(a, x), px(b, y), anchor,
			       cls ? " class=\"" : "", cls ? cls : "",
			       cls ? "\"" : "");
	esc(o, text);
	g_string_append(o, "</text>\n");
}

static void svg_line(GString *o, double x1, double y1, double x2, double y2,
		     const char *style)
{
	char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
	char c[G_ASCII_DTOSTR_BUF_SIZE], d[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append_printf(o, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" "
			       "y2=\"%s\" style=\"%s\"/>\n", px(a, x1),
			       px(b, y1), px(c, x2), px(d, y2), style);
}

/* A rectangle with a tooltip. */
static void svg_rect(GString *o, double x, double y, double w, double h,
		     const char *fill, const char *tip)
{
	char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
	char c[G_ASCII_DTOSTR_BUF_SIZE], d[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append_printf(o, "<rect x=\"%s\" y=\"%s\" width=\"%s\" "
			       "height=\"%s\" fill=\"%s\"><title>", px(a, x),
			       px(b, y), px(c, w < 0 ? 0 : w),
			       px(d, h < 0 ? 0 : h), fill);
	esc(o, tip);
	g_string_append(o, "</title></rect>\n");
}

static void svg_dot(GString *o, double x, double y, double r,
		    const char *fill, const char *tip)
{
	char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append_printf(o, "<circle cx=\"%s\" cy=\"%s\" r=\"%.1f\" "
			       "fill=\"%s\"><title>", px(a, x), px(b, y), r,
			       fill);
	esc(o, tip);
	g_string_append(o, "</title></circle>\n");
}

/* A linear value axis on the left: lo..hi mapped to y0 (bottom)..y1. */
static void y_axis(GString *o, double x, double y0, double y1, double lo,
		   double hi, double width, const char *unit)
{
	double step = nice_step(hi - lo, 5);

	for (double v = lo; v <= hi + step / 1000; v += step) {
		double y = y0 - (v - lo) / (hi - lo) * (y0 - y1);
		char *t = num_text(v);

		svg_line(o, x, y, x + width, y, "stroke:#ddd");
		svg_text(o, x - 4, y + 4, "end", "tick", t);
		g_free(t);
	}
	svg_line(o, x, y0, x, y1, "stroke:#444");
	svg_text(o, x - 4, y1 - 10, "end", "tick", unit);
}

static void no_data(GString *o, const char *why)
{
	g_string_append(o, "<p class=\"nodata\">");
	esc(o, why);
	g_string_append(o, "</p>\n");
}

static const char *const streams[][2] = {
	{ "tcp host->guest", "TCP host to guest" },
	{ "tcp guest->host", "TCP guest to host" },
	{ "udp host->guest", "UDP host to guest" },
	{ "udp guest->host", "UDP guest to host" },
};
static const char *const stream_colour[] = {
	"#1f77b4", "#9ecae1", "#e6550d", "#fdae6b",
};

/* Throughput per cell (iperf3's receiver) next to the link speed. */
static void plot_throughput(GString *o, JsonArray *cells)
{
	guint nc = cells ? json_array_get_length(cells) : 0, n = 0;
	double hi = 0, left = 64, top = 30, h = 220, gw = 150, w;

	for (guint i = 0; i < nc; i++) {
		JsonObject *res = find_result(report_elem(cells, i), "stress");
		double v;

		if (!res)
			continue;
		n++;
		for (size_t s = 0; s < G_N_ELEMENTS(streams); s++)
			if (obs_num(res, streams[s][0], "receiver throughput",
				    &v) && v > hi)
				hi = v;
		if (link_speed(S(find_obs(res, NULL, "link speed the driver "
					  "reports"), "value"), &v) && v > hi)
			hi = v;
	}
	g_string_append(o, "<figure id=\"plot-throughput\"><figcaption>"
			"Throughput per cell (iperf3, what the receiver got) "
			"next to the link speed the guest's driver reports "
			"(dashed): an emulated NIC moves what the host's CPU "
			"allows, not its nominal speed.</figcaption>\n");
	if (!n) {
		no_data(o, "No stress point ran in this run: nothing to "
			"plot.");
		g_string_append(o, "</figure>\n");
		return;
	}
	if (!(hi > 0))
		hi = 1;
	hi = ceil(hi * 1.1 / nice_step(hi * 1.1, 5)) * nice_step(hi * 1.1, 5);
	w = left + n * gw + 20;
	if (w < 20 + G_N_ELEMENTS(streams) * 150)
		w = 20 + G_N_ELEMENTS(streams) * 150;	/* the legend */
	svg_open(o, w, top + h + 70, "throughput per cell");
	y_axis(o, left, top + h, top, 0, hi, n * gw, "Mbit/s");
	n = 0;
	for (guint i = 0; i < nc; i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonObject *res = find_result(cell, "stress");
		const char *ls;
		double x0 = left + n * gw + 15, v;

		if (!res)
			continue;
		n++;
		for (size_t s = 0; s < G_N_ELEMENTS(streams); s++) {
			char *tip, *t;

			if (!obs_num(res, streams[s][0], "receiver throughput",
				     &v))
				continue;
			t = num_text(v);
			tip = g_strdup_printf("%s, %s: %s Mbit/s",
					      S(cell, "name"), streams[s][1],
					      t);
			svg_rect(o, x0 + s * 28, top + h - v / hi * h, 24,
				 v / hi * h, stream_colour[s], tip);
			g_free(tip);
			g_free(t);
		}
		ls = S(find_obs(res, NULL, "link speed the driver reports"),
		       "value");
		if (link_speed(ls, &v)) {
			double y = top + h - v / hi * h;

			svg_line(o, x0 - 6, y, x0 + 4 * 28 + 2, y,
				 "stroke:#000;stroke-dasharray:5,3");
			svg_text(o, x0 + 56, y - 4, "middle", "tick", ls);
		}
		svg_text(o, x0 + 56, top + h + 16, "middle", NULL,
			 S(cell, "name"));
		{
			char *t = g_strdup_printf("link: %s", ls ? ls :
						  "not reported");

			svg_text(o, x0 + 56, top + h + 32, "middle", "tick", t);
			g_free(t);
		}
	}
	for (size_t s = 0; s < G_N_ELEMENTS(streams); s++) {
		double x = 10 + s * 150;

		svg_rect(o, x, top + h + 46, 12, 12, stream_colour[s],
			 streams[s][1]);
		svg_text(o, x + 16, top + h + 57, "start", "tick",
			 streams[s][1]);
	}
	g_string_append(o, "</svg></figure>\n");
}

/* One step of a knee search: offered rate and loss. */
struct knee_pt {
	int size;
	double pps, loss;
};

static gint knee_cmp(gconstpointer a, gconstpointer b)
{
	const struct knee_pt *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->pps < y->pps ? -1 : x->pps > y->pps;
}

/* Loss on a log axis with 0 below it: -2.5 for 0, log10 from 0.01 %. */
static double loss_t(double loss)
{
	return loss <= 0 ? -2.5 : loss < 0.01 ? -2 : log10(loss);
}

static const char *const size_colour[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf",
};

/* The loss knee: loss against offered rate per payload size, per cell. */
static void plot_knee(GString *o, JsonArray *cells)
{
	guint nc = cells ? json_array_get_length(cells) : 0, shown = 0;

	g_string_append(o, "<figure id=\"plot-knee\"><figcaption>The loss "
			"knee, host to guest: UDP loss against the offered "
			"rate, per payload size (the stress case's search: "
			"doubling from 2000 pps, then bisection).  Loss is on "
			"a log scale with 0 at the bottom; the dashed line is "
			"the knee's limit, 0.1 %.</figcaption>\n<div class="
			"\"panels\">\n");
	for (guint i = 0; i < nc; i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonObject *res = find_result(cell, "stress");
		JsonArray *ob = A(res, "observations");
		GArray *pts = g_array_new(FALSE, FALSE, sizeof(struct knee_pt));
		double lo = 0, hi = 0, left = 56, top = 24, w = 300, h = 170;
		double llo, lhi;
		int last = -1, ns = 0;

		for (guint j = 0; ob && j < json_array_get_length(ob); j++) {
			JsonObject *e = report_elem(ob, j);
			const char *sc = S(e, "scope");
			struct knee_pt k;
			int step, end = 0;

			if (!sc || sscanf(sc, "knee %d bytes step %d%n",
					  &k.size, &step, &end) != 2 ||
			    sc[end] || g_strcmp0(S(e, "name"), "offered rate") ||
			    !report_num(e, "value", &k.pps) || !(k.pps > 0) ||
			    !obs_num(res, sc, "loss", &k.loss))
				continue;
			g_array_append_val(pts, k);
			lo = lo == 0 || k.pps < lo ? k.pps : lo;
			hi = k.pps > hi ? k.pps : hi;
		}
		if (pts->len == 0) {
			g_array_free(pts, TRUE);
			continue;
		}
		shown++;
		g_array_sort(pts, knee_cmp);
		llo = log10(lo / 1.3);
		lhi = log10(hi * 1.3);
		g_string_append(o, "<div class=\"panel\">");
		svg_open(o, left + w + 160, top + h + 44, "loss knee");
		svg_text(o, left + w / 2, 14, "middle", NULL, S(cell, "name"));
		/* loss axis */
		for (int d = -3; d <= 2; d++) {
			double t = d == -3 ? -2.5 : d;
			double y = top + h - (t + 2.5) / 4.5 * h;
			const char *lab[] = { "0", "0.01", "0.1", "1", "10",
					      "100" };

			svg_line(o, left, y, left + w, y, d == -1 ?
				 "stroke:#000;stroke-dasharray:5,3" :
				 "stroke:#ddd");
			svg_text(o, left - 4, y + 4, "end", "tick", lab[d + 3]);
		}
		svg_text(o, left - 4, top - 8, "end", "tick", "loss %");
		/* rate axis: 1, 2, 5 x powers of ten inside the range */
		for (double dec = pow(10, floor(llo)); dec < pow(10, lhi);
		     dec *= 10) {
			for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
				double v = dec * m, x;
				char *t;

				if (log10(v) < llo || log10(v) > lhi)
					continue;
				x = left + (log10(v) - llo) / (lhi - llo) * w;
				t = num_text(v);
				svg_line(o, x, top, x, top + h, "stroke:#eee");
				svg_text(o, x, top + h + 14, "middle", "tick",
					 t);
				g_free(t);
			}
		}
		svg_text(o, left + w / 2, top + h + 30, "middle", "tick",
			 "offered rate, datagrams/s (log)");
		svg_line(o, left, top + h, left + w, top + h, "stroke:#444");
		svg_line(o, left, top, left, top + h, "stroke:#444");
		for (guint j = 0; j <= pts->len; j++) {
			struct knee_pt *k = j < pts->len ?
				&g_array_index(pts, struct knee_pt, j) : NULL;

			if (!k || k->size != last) {
				if (last >= 0)
					g_string_append(o, "\"/>\n");
				if (!k)
					break;
				last = k->size;
				g_string_append_printf(o, "<polyline fill=\"none"
					"\" stroke=\"%s\" stroke-width=\"1.5\" "
					"points=\"", size_colour[ns %
					G_N_ELEMENTS(size_colour)]);
				ns++;
			}
			{
				char a[G_ASCII_DTOSTR_BUF_SIZE];
				char b[G_ASCII_DTOSTR_BUF_SIZE];

				g_string_append_printf(o, "%s,%s ",
					px(a, left + (log10(k->pps) - llo) /
					   (lhi - llo) * w),
					px(b, top + h - (loss_t(k->loss) +
							 2.5) / 4.5 * h));
			}
		}
		last = -1;
		ns = 0;
		for (guint j = 0; j < pts->len; j++) {
			struct knee_pt *k = &g_array_index(pts, struct knee_pt,
							   j);
			char *tip, *a = num_text(k->pps), *b = num_text(k->loss);
			double knee;

			if (k->size != last) {
				char *sc = g_strdup_printf("knee %d bytes",
							   k->size);
				char *lab;

				last = k->size;
				ns++;
				lab = obs_num(res, sc, "knee (highest rate "
					      "with loss under 0.1 %)",
					      &knee) ?
				      g_strdup_printf("%d B: knee %.0f pps",
						      k->size, knee) :
				      g_strdup_printf("%d B", k->size);
				svg_rect(o, left + w + 8, top + ns * 16 - 10,
					 10, 10, size_colour[(ns - 1) %
					 G_N_ELEMENTS(size_colour)], lab);
				svg_text(o, left + w + 22, top + ns * 16,
					 "start", "tick", lab);
				g_free(lab);
				g_free(sc);
			}
			tip = g_strdup_printf("%d-byte payload: %s pps offered,"
					      " loss %s %%", k->size, a, b);
			svg_dot(o, left + (log10(k->pps) - llo) / (lhi - llo) *
				w, top + h - (loss_t(k->loss) + 2.5) / 4.5 * h,
				3, size_colour[(ns - 1) %
				G_N_ELEMENTS(size_colour)], tip);
			g_free(tip);
			g_free(a);
			g_free(b);
		}
		g_string_append(o, "</svg></div>\n");
		g_array_free(pts, TRUE);
	}
	g_string_append(o, "</div>\n");
	if (!shown)
		no_data(o, "No stress point with a loss-knee search in this "
			"run: nothing to plot.");
	g_string_append(o, "</figure>\n");
}

/*
 * Where UDP loss happened, per cell and direction, from the stress case's
 * counts at three places: what the sender's iperf3 sent, the data frames
 * the host-side capture saw on the tap, what the receiver's iperf3 got
 * (and, guest to host, what the host's socket dropped).
 */
static void plot_loss_layers(GString *o, JsonArray *cells)
{
	guint nc = cells ? json_array_get_length(cells) : 0, rows = 0;
	double left = 250, bw = 420, row = 30, top = 10;
	static const char *const seg_colour[] = {
		"#2e7d32", "#ff9800", "#c62828", "#6a1b9a",
	};
	static const char *const seg_name[] = {
		"delivered", "lost before the tap (sender's side)",
		"lost after the tap (receiver's side)",
		"of which the host's socket dropped",
	};
	GString *body = g_string_new(NULL);

	g_string_append(o, "<figure id=\"plot-loss\"><figcaption>Where UDP "
			"datagrams were lost, per cell and direction, from the "
			"stress case's counts: sent by the sender's iperf3, "
			"seen on the tap by the host-side capture, received "
			"by the receiver's iperf3.  Host to guest, the "
			"receiver's side is QEMU's NIC model, the guest's "
			"driver, kernel and socket; guest to host it is the "
			"host's bridge, stack and socket.  (nicq keeps no "
			"finer per-layer ledger yet.)</figcaption>\n");
	for (guint i = 0; i < nc; i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonObject *res = find_result(cell, "stress");

		for (int d = 2; res && d < 4; d++) {
			const char *sc = streams[d][0];
			double blk, bs, br, tap, drop = 0, sent, recv, before,
			       after, total, seg[4], x;
			char *lab;

			if (!obs_num(res, sc, "datagram size", &blk) ||
			    !(blk > 0) ||
			    !obs_num(res, sc, "bytes sent (iperf3)", &bs) ||
			    !obs_num(res, sc, "bytes received (iperf3)", &br) ||
			    !obs_num(res, sc, "data frames on the tap", &tap))
				continue;
			obs_num(res, sc, "datagrams the host dropped at its "
				"socket", &drop);
			sent = round(bs / blk);
			recv = round(br / blk);
			before = sent > tap ? sent - tap : 0;
			after = (sent < tap ? sent : tap) - recv;
			after = after > 0 ? after : 0;
			drop = drop < after ? drop : after;
			total = recv + before + after;
			if (!(total > 0))
				continue;
			seg[0] = recv;
			seg[1] = before;
			seg[2] = after - drop;
			seg[3] = drop;
			x = left;
			lab = g_strdup_printf("%s, %s", S(cell, "name"),
					      streams[d][1]);
			svg_text(body, left - 6, top + rows * row + 17, "end",
				 "tick", lab);
			for (int s = 0; s < 4; s++) {
				char *tip, *t = num_text(seg[s]);

				if (seg[s] <= 0) {
					g_free(t);
					continue;
				}
				tip = g_strdup_printf("%s: %s datagrams %s", lab,
						      t, seg_name[s]);
				svg_rect(body, x, top + rows * row + 4,
					 seg[s] / total * bw, 20,
					 seg_colour[s], tip);
				x += seg[s] / total * bw;
				g_free(tip);
				g_free(t);
			}
			{
				char *a = num_text(round((before + after) /
							 total * 10000) / 100);
				char *b = num_text(sent), *c = num_text(tap);
				char *e = num_text(recv);
				char *t = g_strdup_printf("loss %s %%: sent %s,"
							  " tap %s, received "
							  "%s", a, b, c, e);

				svg_text(body, left + bw + 8,
					 top + rows * row + 18, "start",
					 "tick", t);
				g_free(a);
				g_free(b);
				g_free(c);
				g_free(e);
				g_free(t);
			}
			g_free(lab);
			rows++;
		}
	}
	if (!rows) {
		no_data(o, "No stress point with UDP counts in this run: "
			"nothing to plot.");
	} else {
		svg_open(o, left + bw + 330, top + rows * row + 30,
			 "where UDP loss happened");
		g_string_append(o, body->str);
		for (int s = 0; s < 4; s++) {
			double x = 10 + s * 230;

			svg_rect(o, x, top + rows * row + 10, 12, 12,
				 seg_colour[s], seg_name[s]);
			svg_text(o, x + 16, top + rows * row + 21, "start",
				 "tick", seg_name[s]);
		}
		g_string_append(o, "</svg>\n");
	}
	g_string_append(o, "</figure>\n");
	g_string_free(body, TRUE);
}

/* Each guest's power-on to readiness marker, per cell. */
static void plot_boot(GString *o, JsonArray *cells)
{
	guint nc = cells ? json_array_get_length(cells) : 0;
	double hi = 0, left = 150, w = 520, row = 28, top = 10;
	int rows = 0;

	for (guint i = 0; i < nc; i++) {
		JsonArray *pts = A(report_elem(cells, i), "points");
		bool any = false;

		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			JsonArray *g = A(O(report_elem(pts, j), "result"),
					 "guests");

			for (guint k = 0; g && k < json_array_get_length(g);
			     k++) {
				double v = (double)I(report_elem(g, k),
						     "start_ms", 0) / 1000;

				hi = v > hi ? v : hi;
				any |= v > 0;
			}
		}
		rows += any;
	}
	g_string_append(o, "<figure id=\"plot-boot\"><figcaption>Guest start "
			"times: power-on (or restore) to the readiness marker "
			"on the serial console, each guest of each point "
			"(blue: booted, direct kernel boot; orange: booted "
			"from the network through iPXE; green: restored from "
			"the cell's saved state; the bar is the mean)."
			"</figcaption>\n");
	if (!rows) {
		no_data(o, "No guest booted in this run: nothing to plot.");
		g_string_append(o, "</figure>\n");
		return;
	}
	hi = ceil(hi * 1.1 / nice_step(hi * 1.1, 6)) * nice_step(hi * 1.1, 6);
	svg_open(o, left + w + 40, top + rows * row + 40, "guest boot times");
	{
		double step = nice_step(hi, 6);

		for (double v = 0; v <= hi + step / 1000; v += step) {
			double x = left + v / hi * w;
			char *t = num_text(v);

			svg_line(o, x, top, x, top + rows * row, "stroke:#ddd");
			svg_text(o, x, top + rows * row + 14, "middle", "tick",
				 t);
			g_free(t);
		}
		svg_text(o, left + w / 2, top + rows * row + 30, "middle",
			 "tick", "seconds");
	}
	rows = 0;
	for (guint i = 0; i < nc; i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonArray *pts = A(cell, "points");
		double sum = 0, y = top + rows * row + row / 2;
		int n = 0;

		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			JsonObject *pt = report_elem(pts, j);
			JsonArray *g = A(O(pt, "result"), "guests");

			for (guint k = 0; g && k < json_array_get_length(g);
			     k++) {
				JsonObject *gu = report_elem(g, k);
				double v = (double)I(gu, "start_ms", 0) / 1000;
				char *t, *tip;

				if (!(v > 0))
					continue;
				t = num_text(v);
				tip = g_strdup_printf("%s, %s, guest %lld (%s "
						      "boot, %s): %s s",
						      S(cell, "name"),
						      S(pt, "case"),
						      I(gu, "index", 0),
						      S(gu, "boot") ?
						      S(gu, "boot") : "?",
						      S(gu, "start") ?
						      S(gu, "start") : "?", t);
				svg_dot(o, left + v / hi * w, y +
					(double)((int)((j * 7 + k * 3) % 11) -
						 5),
					3.5, !g_strcmp0(S(gu, "start"),
							"restored") ?
					"#2ca02c" : !g_strcmp0(S(gu, "boot"),
							       "network") ?
					"#ff7f0e" : "#1f77b4", tip);
				sum += v;
				n++;
				g_free(t);
				g_free(tip);
			}
		}
		if (!n)
			continue;
		svg_line(o, left + sum / n / hi * w, y - 10,
			 left + sum / n / hi * w, y + 10,
			 "stroke:#000;stroke-width:2");
		svg_text(o, left - 6, y + 4, "end", "tick", S(cell, "name"));
		rows++;
	}
	g_string_append(o, "</svg></figure>\n");
}

/* How long each point took, per case, one bar per cell. */
static void plot_durations(GString *o, JsonArray *cells)
{
	guint nc = cells ? json_array_get_length(cells) : 0;
	GPtrArray *cases = g_ptr_array_new();
	double hi = 0, left = 110, w = 520, bar = 11, top = 10, y;
	int bars = 0, ran = 0;
	int *colour = g_new0(int, nc + 1);	/* a colour per cell that ran */

	for (guint i = 0; i < nc; i++) {
		JsonArray *pts = A(report_elem(cells, i), "points");

		colour[i] = -1;
		for (guint j = 0; pts && j < json_array_get_length(pts); j++)
			if (I(report_elem(pts, j), "duration_ms", -1) >= 0)
				colour[i] = 0;
		if (colour[i] == 0)
			colour[i] = ran++;
	}
	for (guint i = 0; i < nc; i++) {
		JsonArray *pts = A(report_elem(cells, i), "points");

		for (guint j = 0; pts && j < json_array_get_length(pts); j++) {
			JsonObject *pt = report_elem(pts, j);
			double v = (double)I(pt, "duration_ms", -1) / 1000;
			bool seen = false;

			if (v < 0)
				continue;
			hi = v > hi ? v : hi;
			bars++;
			for (guint k = 0; k < cases->len; k++)
				seen |= !g_strcmp0(cases->pdata[k],
						   S(pt, "case"));
			if (!seen)
				g_ptr_array_add(cases, (gpointer)S(pt, "case"));
		}
	}
	g_string_append(o, "<figure id=\"plot-durations\"><figcaption>How "
			"long each point took (guest boots, the case, "
			"teardown), per case, one bar per cell; a point that "
			"did not pass says so after its time.</figcaption>\n");
	if (!bars) {
		no_data(o, "No point ran in this run: nothing to plot.");
		g_string_append(o, "</figure>\n");
		g_ptr_array_unref(cases);
		g_free(colour);
		return;
	}
	hi = ceil(hi * 1.15 / nice_step(hi * 1.15, 6)) *
	     nice_step(hi * 1.15, 6);
	svg_open(o, left + w + 150, top + bars * bar + cases->len * 8 + 50 +
		 (ran + 3) / 4 * 14, "per-case durations");
	{
		double step = nice_step(hi, 6), bottom = top + bars * bar +
			cases->len * 8;

		for (double v = 0; v <= hi + step / 1000; v += step) {
			double x = left + v / hi * w;
			char *t = num_text(v);

			svg_line(o, x, top, x, bottom, "stroke:#ddd");
			svg_text(o, x, bottom + 14, "middle", "tick", t);
			g_free(t);
		}
		svg_text(o, left + w / 2, bottom + 30, "middle", "tick",
			 "seconds");
		for (guint i = 0; i < nc; i++) {
			double x = left + (colour[i] % 4) * 160;
			double ly = bottom + 40 + (colour[i] / 4) * 14;

			if (colour[i] < 0)
				continue;
			svg_rect(o, x, ly, 10, 10, cell_colour[colour[i] %
				 N_CELL_COLOURS], S(report_elem(cells, i),
						    "name"));
			svg_text(o, x + 14, ly + 9, "start", "tick",
				 S(report_elem(cells, i), "name"));
		}
	}
	y = top;
	for (guint k = 0; k < cases->len; k++) {
		double y0 = y;

		for (guint i = 0; i < nc; i++) {
			JsonObject *cell = report_elem(cells, i);
			JsonArray *pts = A(cell, "points");

			for (guint j = 0; pts && j < json_array_get_length(pts);
			     j++) {
				JsonObject *pt = report_elem(pts, j);
				double v = (double)I(pt, "duration_ms", -1) /
					   1000;
				char *t, *tip;

				if (v < 0 || g_strcmp0(S(pt, "case"),
						       cases->pdata[k]))
					continue;
				t = num_text(round(v * 10) / 10);
				tip = g_strdup_printf("%s in %s: %s s, %s",
						      S(pt, "case"),
						      S(cell, "name"), t,
						      status_label(S(pt,
								     "status")));
				svg_rect(o, left, y + 1, v / hi * w, bar - 2,
					 cell_colour[colour[i] %
						     N_CELL_COLOURS], tip);
				g_free(tip);
				tip = g_strdup_printf("%s s%s%s", t,
					g_strcmp0(S(pt, "status"), "pass") ?
					" " : "",
					g_strcmp0(S(pt, "status"), "pass") ?
					status_label(S(pt, "status")) : "");
				svg_text(o, left + v / hi * w + 4, y + bar - 2,
					 "start", "small", tip);
				g_free(tip);
				g_free(t);
				y += bar;
			}
		}
		svg_text(o, left - 6, (y0 + y) / 2 + 4, "end", "tick",
			 cases->pdata[k]);
		y += 8;
	}
	g_string_append(o, "</svg></figure>\n");
	g_ptr_array_unref(cases);
	g_free(colour);
}

/* ---- the page ----------------------------------------------------------- */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5em 3em;"
	"color:#222}\n"
	"h1{font-size:1.5em;margin:.6em 0 .2em}h2{border-bottom:1px solid "
	"#ccc;margin-top:1.6em}h4{margin:.8em 0 .3em}\n"
	"table{border-collapse:collapse}td,th{border:1px solid #ddd;"
	"padding:2px 6px;text-align:left;vertical-align:top}\n"
	"table.facts th{background:#f4f4f4;white-space:nowrap}\n"
	"table.matrix td{text-align:center;min-width:7em}table.matrix a{"
	"color:#fff;text-decoration:none;display:block}\n"
	"table.matrix small{display:block;font-size:.75em;opacity:.85}\n"
	".st{color:#fff;padding:1px 6px;border-radius:3px}\n"
	".st-pass{background:#2e7d32}.st-fail{background:#c62828}"
	".st-known{background:#e08e0b}.st-skip{background:#8d8d8d}"
	".st-interrupted{background:#6a1b9a}.st-not_run{background:#37474f}"
	"\n"
	"section.point{margin:.4em 0}section.point:target summary{outline:"
	"2px solid #1f77b4}\nsummary{cursor:pointer;padding:3px 0}\n"
	"table.ex tr.bad,table.klog tr.bad{background:#fde8e8}"
	"table.ex td:first-child{font-weight:bold}\n"
	"table.ex,table.ob,table.klog{font-size:.9em;margin-bottom:.5em}\n"
	"tr.changed td{background:#fff6d5}\n"
	".reason,.known{font-weight:bold}.nodata{color:#666;font-style:"
	"italic}\n"
	"figure{margin:1em 0 2em}figcaption{max-width:60em;margin-bottom:"
	".4em}\n"
	".panels{display:flex;flex-wrap:wrap;gap:1em}\n"
	"svg text{font:11px sans-serif}svg text.tick{fill:#333}svg text."
	"small{font-size:9px;fill:#333}\n"
	"a.file{font-family:monospace}code{white-space:pre-wrap}\n";

/*
 * The page's one script: following a link to a point (a matrix cell, or
 * report.html#p-... from elsewhere) opens its details.  The page works
 * without it; the Content-Security-Policy allows this script alone, by
 * its hash.
 */
static const char script[] =
	"function nicqOpen(){var h=location.hash.slice(1),"
	"e=h&&document.getElementById(h),d=e&&e.querySelector('details');"
	"if(d)d.open=true}"
	"addEventListener('hashchange',nicqOpen);"
	"addEventListener('DOMContentLoaded',nicqOpen);";

/* 'sha256-<base64>' of the script, for the Content-Security-Policy. */
static char *script_hash(void)
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 d[32];
	gsize n = sizeof(d);
	char *b64, *out;

	g_checksum_update(c, (const guchar *)script, strlen(script));
	g_checksum_get_digest(c, d, &n);
	b64 = g_base64_encode(d, n);
	out = g_strdup_printf("'sha256-%s'", b64);
	g_free(b64);
	g_checksum_free(c);
	return out;
}

char *html_render(JsonObject *doc, int run_fd)
{
	char *hash = script_hash();
	GString *o = g_string_new(NULL);
	JsonObject *run = O(doc, "run"), *sum = O(doc, "summary");
	JsonObject *cnt = O(sum, "counts");
	JsonArray *cells = A(doc, "cells");
	guint nc = cells ? json_array_get_length(cells) : 0;

	g_string_append_printf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
			"<meta charset=\"utf-8\">\n<meta http-equiv=\""
			"Content-Security-Policy\" content=\"default-src "
			"'none'; style-src 'unsafe-inline'; script-src %s\">\n"
			"<script>%s</script>\n<title>nicq ", hash, script);
	g_free(hash);
	esc(o, S(run, "run_id"));
	g_string_append(o, ": ");
	esc(o, S(sum, "status"));
	g_string_append_printf(o, "</title>\n<style>\n%s</style></head>\n"
			       "<body>\n<h1>nicq run ", style);
	esc(o, S(run, "run_id"));
	g_string_append(o, " <span class=\"st st-");
	esc(o, !g_strcmp0(S(sum, "status"), "pass") ? "pass" :
	    !g_strcmp0(S(sum, "status"), "fail") ? "fail" : "not_run");
	g_string_append(o, "\" id=\"run-status\">");
	esc(o, S(sum, "status"));
	g_string_append(o, "</span></h1>\n<p id=\"counts\">");
	escf(o, "%lld points: %lld passed, %lld failed, %lld known defects, "
	     "%lld skipped, %lld interrupted, %lld not run.", I(sum, "points",
								0),
	     I(cnt, "pass", 0), I(cnt, "fail", 0), I(cnt, "known", 0),
	     I(cnt, "skip", 0), I(cnt, "interrupted", 0),
	     I(cnt, "not_run", 0));
	g_string_append(o, "</p>\n");
	render_matrix(o, doc);
	render_facts(o, doc, run_fd);
	g_string_append(o, "<section id=\"plots\"><h2>Plots</h2>\n");
	plot_throughput(o, cells);
	plot_knee(o, cells);
	plot_loss_layers(o, cells);
	plot_boot(o, cells);
	plot_durations(o, cells);
	g_string_append(o, "</section>\n<section id=\"points\"><h2>Points"
			"</h2>\n");
	for (guint i = 0; i < nc; i++) {
		JsonObject *cell = report_elem(cells, i);
		JsonArray *pts = A(cell, "points");

		g_string_append(o, "<h3>");
		esc(o, S(cell, "name"));
		if (S(cell, "skip")) {
			g_string_append(o, " - skipped: ");
			esc(o, S(cell, "skip"));
		}
		g_string_append(o, "</h3>\n");
		for (guint j = 0; pts && j < json_array_get_length(pts); j++)
			render_point(o, cell, report_elem(pts, j), run_fd);
	}
	g_string_append(o, "</section>\n<footer><p>Written by nicq ");
	esc(o, S(O(run, "versions"), "nicq"));
	g_string_append(o, " from the run folder's run.json and each point's "
			"result.json; results.json holds the same data.</p>"
			"</footer>\n</body></html>\n");
	return g_string_free(o, FALSE);
}
